package gcp

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Equivalent returns r as the pulumi-gcp resource that does the same thing
// in Google Cloud when r declares it through another provider or another
// kind of resource: a Config Connector object applied with pulumi-kubernetes
// (see kccEquivalent), or a Cloud Scheduler job that calls the Dataflow launch
// API (see schedulerLaunch). Every policy then judges it as it judges the
// pulumi-gcp type, with no code of its own. Anything else is returned as it
// is.
//
// The result keeps r's URN, name, provider and stack fields; its Props are
// r's own properties with the pulumi-gcp ones added beside them, so that
// policies over every property (key material) still see everything r holds.
// Both front ends call it where a resource enters the model (Pack.Analyze,
// NewStack).
func Equivalent(r *Resource) *Resource {
	if r == nil {
		return r
	}
	var typ string
	var props map[string]property.Value
	switch {
	case strings.HasPrefix(r.Type, "kubernetes:") && strings.Contains(r.Type, kccGroupSuffix):
		typ, props = kccEquivalent(r)
	case r.Type == CloudSchedulerJob:
		typ, props = schedulerLaunch(r)
	}
	if typ == "" {
		return r
	}
	merged := r.Props.AsMap()
	for k, v := range props {
		merged[k] = v
	}
	out := *r
	out.Type, out.Props, out.DeclaredAs = typ, property.NewMap(merged), r.Type
	return &out
}
