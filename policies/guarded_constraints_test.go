package policies_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// constraintServices are the services whose organization policy constraints
// a text may name without the `constraints/` prefix (Google's list of
// constraints, plus custom.* for custom constraints).
var constraintServices = []string{
	"ainotebooks", "appengine", "bigquery", "cloudbuild", "cloudfunctions", "cloudkms", "cloudscheduler",
	"commerceorggovernance", "compute", "container", "custom", "dataflow", "dataform", "datastream",
	"essentialcontacts", "firestore", "gcp", "iam", "iap", "meshconfig", "pubsub", "resourcemanager", "run",
	"serviceuser", "spanner", "sql", "storage", "vertexai", "vpcaccess",
}

var (
	// prefixedConstraint: `constraints/NAME` (also the end of
	// `customConstraints/NAME`) and the constraint of a v2 policy name,
	// `<parent>/policies/NAME`, in any case.
	prefixedConstraint = regexp.MustCompile(`(?i)(?:constraints|policies)/([a-z][a-z0-9]*(?:\.[a-z][a-z0-9]*)+)`)
	// bareConstraint is a whole word `service.camelCaseName` or
	// `service.managed.name`. Predefined roles are written roles/NAME (and
	// single-word ones such as dataflow.admin are not camel case), IAM
	// permissions have three parts, and Pulumi types start with a capital
	// (gcp.Provider), so none of them match.
	bareConstraint = regexp.MustCompile(`^(?:` + strings.Join(constraintServices, "|") +
		`)\.(?:managed\.[a-z][A-Za-z0-9]*|[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*)$`)
	// word splits prose on anything a constraint name cannot hold, so
	// backticks, brackets, commas and quotes end a word.
	word = regexp.MustCompile(`[A-Za-z0-9_./:*-]+`)
)

// mentionedConstraints returns the organization policy constraints a text
// names, as written, in order of first mention.
func mentionedConstraints(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if key := gcp.CanonicalConstraintName(name); !seen[key] {
			seen[key] = true
			out = append(out, name)
		}
	}
	for _, w := range word.FindAllString(text, -1) {
		if m := prefixedConstraint.FindAllStringSubmatch(w, -1); m != nil {
			for _, sub := range m {
				add(sub[1])
			}
			continue
		}
		if w = strings.TrimRight(w, ".:"); bareConstraint.MatchString(w) {
			add(w)
		}
	}
	return out
}

func TestMentionedConstraints(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"Enforce iam.disableServiceAccountKeyCreation on the organization.", []string{"iam.disableServiceAccountKeyCreation"}},
		{"enforce the organization policies iam.disableServiceAccountKeyCreation and storage.restrictAuthTypes as well.",
			[]string{"iam.disableServiceAccountKeyCreation", "storage.restrictAuthTypes"}},
		{"set `constraints/compute.vmExternalIpAccess` (deny all)", []string{"compute.vmExternalIpAccess"}},
		{"Constraints/Storage.PublicAccessPrevention, again: constraints/storage.publicAccessPrevention.",
			[]string{"Storage.PublicAccessPrevention"}},
		{"projects/p/policies/gcp.resourceLocations", []string{"gcp.resourceLocations"}},
		{"customConstraints/custom.denyPublicBuckets", []string{"custom.denyPublicBuckets"}},
		{"(for iam.managed.allowedPolicyMembers, its member allowlist)", []string{"iam.managed.allowedPolicyMembers"}},
		{"a list constraint such as constraints/serviceuser.services", []string{"serviceuser.services"}},
		// not constraints
		{"grant roles/storage.objectViewer or roles/iam.serviceAccountUser", nil},
		{"roles/dataflow.developer (or dataflow.admin / dataflow.viewer)", nil},
		{"permissions such as iam.serviceAccounts.actAs or iam.serviceAccountKeys.create", nil},
		{"an explicit gcp.Provider or a gcp.storage.HmacKey; projects.DefaultServiceAccounts", nil},
		{"environment.additionalExperiments, attribute.repository_id = assertion.repository_id, google.subject", nil},
		{"set uniformBucketLevelAccess: true and publicAccessPrevention: \"enforced\"", nil},
		{"https://cloud.google.com/storage/docs/org-policy-constraints and docs/policies.md", nil},
	} {
		assert.Equal(t, tc.want, mentionedConstraints(tc.text), tc.text)
	}
}

// guardedByDefault is the default `constraints` of
// org-policy-guardrails-not-relaxed, by canonical name.
func guardedByDefault(t *testing.T) map[string]string {
	t.Helper()
	raw, ok := policies.OrgPolicyGuardrailsNotRelaxed().Defaults()["constraints"].([]any)
	require.True(t, ok, "org-policy-guardrails-not-relaxed has no default constraints list")
	guarded := map[string]string{}
	for _, v := range raw {
		name, ok := v.(string)
		require.True(t, ok, "constraint %v is not a string", v)
		key := gcp.CanonicalConstraintName(name)
		_, dup := guarded[key]
		require.False(t, dup, "%s is guarded twice", name)
		guarded[key] = name
		// The scanner must recognise every guarded name, or a recommendation
		// of a new one could slip past it the same way.
		assert.Equal(t, []string{name}, mentionedConstraints("enforce "+name+"."), "the scanner does not see %s", name)
	}
	return guarded
}

// TestRecommendedConstraintsAreGuarded: the pack must not recommend an
// organization policy constraint that a stack may then relax unnoticed, so
// every constraint any policy names in its title, description or
// remediation is guarded by default.
func TestRecommendedConstraintsAreGuarded(t *testing.T) {
	guarded := guardedByDefault(t)
	var mentioned []string
	for _, p := range policies.All() {
		for field, text := range map[string]string{"Title": p.Title, "Description": p.Description, "Remediation": p.Remediation} {
			for _, name := range mentionedConstraints(text) {
				mentioned = append(mentioned, name)
				_, ok := guarded[gcp.CanonicalConstraintName(name)]
				assert.True(t, ok, "%s names the organization policy constraint %s in its %s, but "+
					"org-policy-guardrails-not-relaxed does not guard it by default: add it to that policy's "+
					"constraints default (and fixtures for what relaxing it means); a role is written roles/NAME",
					p.Name, name, field)
			}
		}
	}
	// The pack's advice names constraints today; an empty scan means the
	// scanner broke, not that the advice went away.
	assert.Contains(t, mentioned, "storage.restrictAuthTypes")
	assert.Contains(t, mentioned, "iam.disableServiceAccountKeyCreation")
}
