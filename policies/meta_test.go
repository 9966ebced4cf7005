package policies_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// Folders under testdata that hold whole stacks rather than one policy's fixtures.
var nonPolicyFolders = map[string]bool{"stacks": true}

func TestEveryPolicyHasGoodAndBadFixtures(t *testing.T) {
	for _, p := range policies.All() {
		files := fixtureFiles(t, filepath.Join(testdata, p.Name))
		var good, bad int
		for _, f := range files {
			switch {
			case strings.HasPrefix(f, "good_"):
				good++
			case strings.HasPrefix(f, "bad_"):
				bad++
			}
		}
		assert.Positive(t, good, "%s has no good_ fixture", p.Name)
		assert.Positive(t, bad, "%s has no bad_ fixture", p.Name)
	}
}

func TestNoOrphanFixtureFolders(t *testing.T) {
	entries, err := os.ReadDir(testdata)
	require.NoError(t, err)
	for _, e := range entries {
		if !e.IsDir() || nonPolicyFolders[e.Name()] {
			continue
		}
		_, ok := findPolicy(e.Name())
		assert.True(t, ok, "testdata/%s names no registered policy", e.Name())
	}
}

func findPolicy(name string) (*policy.Policy, bool) {
	for _, p := range policies.All() {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// The registry lists families in policy.Families order, so the docs, the
// analyzer and describe show the policies family by family.
func TestRegistryIsInFamilyOrder(t *testing.T) {
	rank := map[policy.Family]int{}
	for i, f := range policy.Families {
		rank[f] = i
	}
	all := policies.All()
	for i := 1; i < len(all); i++ {
		assert.LessOrEqual(t, rank[all[i-1].Family], rank[all[i].Family],
			"%s (%s) is registered after %s (%s)", all[i].Name, all[i].Family, all[i-1].Name, all[i-1].Family)
	}
}

func TestMetadataIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range policies.All() {
		require.NoError(t, p.Validate())
		assert.False(t, seen[p.Name], "duplicate policy name %s", p.Name)
		seen[p.Name] = true
		assert.True(t, strings.HasPrefix(p.URL, "https://cloud.google.com/"), "%s: url should point at Google's docs", p.Name)
		assert.NotContains(t, p.Title, "\n", "%s: title is one line", p.Name)
	}
	_, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
}

// NewPack takes each policy's defaults on trust and compiles its config
// schema only when a configuration departs from them: every schema must
// compile and hold its own defaults.
func TestEverySchemaCompilesAndHoldsItsDefaults(t *testing.T) {
	pack, err := policies.NewPack("0.0.0-test", "test")
	require.NoError(t, err)
	require.NoError(t, pack.CheckSchemas())
}
