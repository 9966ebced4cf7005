package policies

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/compliance"
)

// Every compliance mapping names a registered policy and cites a source for
// each item: a mapping is a claim an auditor reads in Pulumi Cloud.
func TestComplianceMappings(t *testing.T) {
	registered := map[string]bool{}
	for _, p := range All() {
		registered[p.Name] = true
	}
	nistID := regexp.MustCompile(`^[A-Z]{2}-\d+(\(\d+\))?$`)
	cisID := regexp.MustCompile(`^\d+\.\d+(\.\d+)?$`)
	withCIS, withNIST := 0, 0
	for _, name := range compliance.Policies() {
		assert.True(t, registered[name], "compliance mapping for %s, which is not a registered policy", name)
		m, _ := compliance.For(name)
		require.True(t, len(m.CIS)+len(m.NIST) > 0, "%s: empty mapping", name)
		check := func(kind string, item compliance.Item, id *regexp.Regexp) {
			assert.Regexp(t, id, item.ID, "%s: %s id", name, kind)
			assert.NotEmpty(t, item.Title, "%s: %s %s has no title", name, kind, item.ID)
			assert.Contains(t, []compliance.Relation{compliance.Direct, compliance.Partial}, item.Relation,
				"%s: %s %s relation", name, kind, item.ID)
			assert.NotEmpty(t, compliance.Sources[item.Source], "%s: %s %s has no known source", name, kind, item.ID)
			if item.Source == "nist-catalog" {
				assert.NotEmpty(t, item.Note, "%s: %s %s rests on our reading of the control: say why", name, kind, item.ID)
			}
		}
		for _, c := range m.CIS {
			check("CIS", c, cisID)
		}
		for _, n := range m.NIST {
			check("NIST", n, nistID)
		}
		if len(m.CIS) > 0 {
			withCIS++
			f := compliance.FrameworkOf(name)
			require.NotNil(t, f)
			assert.Equal(t, "CIS Google Cloud Platform Foundation Benchmark", f.Name)
			assert.Equal(t, m.CIS[0].ID, f.Reference)
		}
		if len(m.NIST) > 0 {
			withNIST++
		}
	}
	assert.GreaterOrEqual(t, withCIS, 6, "policies with a CIS recommendation")
	assert.GreaterOrEqual(t, withNIST, 10, "policies with NIST SP 800-53 controls")
}

func TestComplianceTags(t *testing.T) {
	assert.Equal(t, []string{"no-keys", "nist-800-53:IA-5", "nist-800-53:IA"},
		compliance.Tags("no-service-account-keys", "no-keys"))
	assert.Equal(t, []string{"labels"}, compliance.Tags("labels-valid-format", "labels"))
	assert.Contains(t, compliance.Tags("iam-no-public-members", "least-privilege"), "cis-gcp-v4.0.0:1.9")
	assert.Nil(t, compliance.FrameworkOf("labels-valid-format"))
}
