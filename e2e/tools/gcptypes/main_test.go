package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/sdkscan"
)

// The scan takes about a second; do it once per test binary.
var scanned = sync.OnceValues(func() ([]sdkscan.Resource, error) {
	dir, err := sdkscan.Dir()
	if err != nil {
		return nil, err
	}
	return sdkscan.Scan(dir)
})

func scan(t *testing.T) []sdkscan.Resource {
	t.Helper()
	res, err := scanned()
	require.NoError(t, err)
	return res
}

var types = sync.OnceValues(func() (typesOf, error) {
	dir, err := sdkscan.Dir()
	return nestedTypes(dir), err
})

func sdkTypes(t *testing.T) typesOf {
	t.Helper()
	tf, err := types()
	require.NoError(t, err)
	return tf
}

func TestGeneratedFileIsCurrent(t *testing.T) {
	got, err := generate(scan(t), sdkTypes(t))
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "gcp", "zz_types.go"))
	require.NoError(t, err)
	// Compare as strings so a failure shows a readable diff.
	require.Equal(t, string(want), string(got),
		"internal/gcp/zz_types.go is stale: run `go generate ./internal/gcp` from the repository root")
}

func TestTables(t *testing.T) {
	tb, err := classify(scan(t), sdkTypes(t))
	require.NoError(t, err)

	for tok, want := range map[string]iamType{
		"gcp:projects/iAMMember:IAMMember":            {"IAMMember", "ScopeProject", []string{"project"}},
		"gcp:serviceaccount/iAMBinding:IAMBinding":    {"IAMBinding", "ScopeServiceAccount", []string{"serviceAccountId"}},
		"gcp:storage/bucketIAMPolicy:BucketIAMPolicy": {"IAMPolicy", "ScopeResource", []string{"bucket"}},
		"gcp:organizations/iAMPolicy:IAMPolicy":       {"IAMPolicy", "ScopeOrganization", []string{"orgId"}},
		"gcp:folder/iAMBinding:IAMBinding":            {"IAMBinding", "ScopeFolder", []string{"folder"}},
	} {
		assert.Equal(t, want, tb.iam[tok], tok)
	}
	for _, tok := range []string{
		"gcp:projects/iamMemberRemove:IamMemberRemove",
		"gcp:projects/iAMAuditConfig:IAMAuditConfig",
		"gcp:projects/iAMCustomRole:IAMCustomRole",
	} {
		assert.NotContains(t, tb.iam, tok)
	}

	for tok, want := range map[string][]string{
		"gcp:dataflow/job:Job":                         {"labels"},
		"gcp:dataflow/flexTemplateJob:FlexTemplateJob": {"labels"},
		"gcp:storage/bucket:Bucket":                    {"labels"},
		"gcp:container/cluster:Cluster":                {"resourceLabels"},
		"gcp:cloudrun/service:Service":                 {"metadata", "labels"},
		"gcp:cloudrun/domainMapping:DomainMapping":     {"metadata", "labels"},
		"gcp:gkehub/namespace:Namespace":               {"labels"}, // not namespaceLabels
	} {
		assert.Equal(t, want, tb.labels[tok], tok)
	}
	assert.NotContains(t, tb.labels, "gcp:cloudidentity/group:Group") // no effectiveLabels
	assert.NotContains(t, tb.labels, "gcp:dataflow/pipeline:Pipeline")
	assert.NotContains(t, tb.labels, "gcp:sql/databaseInstance:DatabaseInstance") // settings.userLabels
	assert.Contains(t, tb.userLabels, "gcp:monitoring/alertPolicy:AlertPolicy")

	// v9.6.0 has 411 IAM types and 273 label types; the ranges leave room
	// for an SDK bump while catching a broken scan.
	assert.InDelta(t, 411, len(tb.iam), 60)
	assert.InDelta(t, 273, len(tb.labels), 40)
	assert.InDelta(t, 6, len(tb.userLabels), 4)
}
