package gcp

import "github.com/pulumi/pulumi/sdk/v3/go/property"

// kccGroupSuffix ends the API group of every Config Connector kind.
const kccGroupSuffix = ".cnrm.cloud.google.com/"

func kccEquivalent(r *Resource) (string, map[string]property.Value) { return "", nil }
