package engine

import (
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// project is the Pulumi project name of every scenario's stack.
const project = "etl"

// baseConfig is the stack configuration of the default gcp provider.
func baseConfig() auto.ConfigMap {
	return auto.ConfigMap{
		"gcp:project": {Value: gcpProject},
		"gcp:region":  {Value: gcpRegion},
	}
}

// requireOK fails unless the operation exited 0.
func requireOK(t *testing.T, r *harness.Result) {
	t.Helper()
	require.NoError(t, r.Err, "%s failed\n%s", r.Op, r.Dump())
}

// requireFailed fails unless the operation exited non-zero.
func requireFailed(t *testing.T, r *harness.Result) {
	t.Helper()
	require.Error(t, r.Err, "%s succeeded, but it must fail\n%s", r.Op, r.Dump())
}

// expect is one expected finding: a policy on a resource.
type expect struct{ policy, urn string }

// assertFindings checks that every expected (policy, URN) pair is reported at
// the given level.
func assertFindings(t *testing.T, r *harness.Result, level string, want []expect) {
	t.Helper()
	have := map[harness.Finding]bool{}
	for _, f := range r.Findings() {
		have[f] = true
	}
	for _, w := range want {
		assert.True(t, have[harness.Finding{Level: level, Policy: w.policy, URN: w.urn}],
			"%s: no %s %s on %s\n%s", r.Op, level, w.policy, w.urn, r.Dump())
	}
}

// assertPassed checks that the engine's analyze summary lists each policy as
// passed for the resource: applicable, enabled and without violation. A
// disabled or missing policy is absent from that list.
func assertPassed(t *testing.T, r *harness.Result, urn string, policies ...string) {
	t.Helper()
	passed := r.Passed(urn)
	for _, p := range policies {
		assert.Contains(t, passed, p, "%s: %s is not in the passed list of %s (failed: %v)", r.Op, p, urn, r.Failed(urn))
	}
}

// assertStackPassed checks the analyze-stack summary's passed list.
func assertStackPassed(t *testing.T, r *harness.Result, policies ...string) {
	t.Helper()
	passed := r.StackPassed()
	for _, p := range policies {
		assert.Contains(t, passed, p, "%s: stack policy %s did not pass", r.Op, p)
	}
}

// assertOnlyUnknowns checks that every policy event of the given policies
// (of every policy when none is given) is an advisory "can't run ... during
// preview" finding. Scenarios other than the compliant one name the policies
// they are about: advisory policies that land later may comment on them.
func assertOnlyUnknowns(t *testing.T, r *harness.Result, policies ...string) {
	t.Helper()
	assert.Empty(t, r.Known(policies...), "%s: findings other than unknown-at-preview advisories\n%s", r.Op, r.Dump())
}

// assertNotCreated checks that the provider was never asked to create urns.
func assertNotCreated(t *testing.T, r *harness.Result, urns ...string) {
	t.Helper()
	created := r.CreatedURNs()
	for _, u := range urns {
		assert.NotContains(t, created, u, "%s: the provider created %s", r.Op, u)
	}
}

func logFindings(t *testing.T, r *harness.Result) {
	t.Helper()
	var lines []string
	for _, v := range r.Violations {
		lines = append(lines, "["+v.EnforcementLevel+"] "+v.PolicyName+" @ "+v.ResourceURN+": "+
			strings.ReplaceAll(strings.TrimSpace(v.Message), "\n", " | "))
	}
	sort.Strings(lines)
	t.Logf("%s findings:\n  %s", r.Op, strings.Join(lines, "\n  "))
}
