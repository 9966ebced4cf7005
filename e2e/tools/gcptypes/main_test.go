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

func TestGeneratedFileIsCurrent(t *testing.T) {
	got, err := generate(scan(t))
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "gcp", "zz_types.go"))
	require.NoError(t, err)
	// Compare as strings so a failure shows a readable diff.
	require.Equal(t, string(want), string(got),
		"internal/gcp/zz_types.go is stale: run `go generate ./internal/gcp` from the repository root")
}

func TestTables(t *testing.T) {
	tb, err := classify(scan(t))
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

	assert.Contains(t, tb.labels, "gcp:dataflow/job:Job")
	assert.Contains(t, tb.labels, "gcp:dataflow/flexTemplateJob:FlexTemplateJob")
	assert.Contains(t, tb.labels, "gcp:storage/bucket:Bucket")
	assert.NotContains(t, tb.labels, "gcp:cloudidentity/group:Group") // excluded
	assert.NotContains(t, tb.labels, "gcp:container/cluster:Cluster") // resourceLabels
	assert.NotContains(t, tb.labels, "gcp:dataflow/pipeline:Pipeline")
	assert.Contains(t, tb.userLabels, "gcp:monitoring/alertPolicy:AlertPolicy")

	// v9.6.0 has 411 IAM types and 274 label types before exclusions; the
	// ranges leave room for an SDK bump while catching a broken scan.
	assert.InDelta(t, 411, len(tb.iam), 60)
	assert.InDelta(t, 270, len(tb.labels), 40)
	assert.InDelta(t, 6, len(tb.userLabels), 4)
}
