package docs_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/docs"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

func TestGeneratedDocsAreFresh(t *testing.T) {
	reference, readme, err := docs.Generate("../..")
	require.NoError(t, err)
	onDisk, err := os.ReadFile("../../docs/policies.md")
	require.NoError(t, err)
	assert.Equal(t, reference, string(onDisk), "docs/policies.md is stale: run `go generate ./...`")
	currentReadme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	assert.Equal(t, readme, string(currentReadme), "the README policy table is stale: run `go generate ./...`")
}

func TestReferenceCoversEveryPolicyWithoutKeyMaterial(t *testing.T) {
	reference, _, err := docs.Generate("../..")
	require.NoError(t, err)
	for _, p := range policies.All() {
		assert.Contains(t, reference, "\n## "+p.Name+"\n", "section for %s", p.Name)
		assert.Contains(t, reference, p.URL)
	}
	for _, forbidden := range []string{"FAKE-KEY", "-----BEGIN", "private_key\": \"-", "4dabf18193072939515e22adb298388d"} {
		assert.NotContains(t, reference, forbidden)
	}
	assert.Greater(t, strings.Count(reference, "### Fails (from `testdata/"), len(policies.All())-1)
}
