package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/sariftest"
)

// bindingExport is an export with one project IAM binding of roles/viewer
// to the members given (raw JSON strings), and a bucket without labels.
func bindingExport(stack string, members ...string) string {
	return `{"version": 3, "deployment": {"resources": [
		{"urn": "urn:pulumi:` + stack + `::etl::pulumi:pulumi:Stack::etl-` + stack + `", "type": "pulumi:pulumi:Stack"},
		{"urn": "urn:pulumi:` + stack + `::etl::gcp:projects/iAMBinding:IAMBinding::viewers", "type": "gcp:projects/iAMBinding:IAMBinding",
		 "custom": true, "inputs": {"project": "p", "role": "roles/storage.objectViewer", "members": [` + strings.Join(members, ", ") + `]}}]}}`
}

type jsonReport struct {
	Findings []struct {
		Policy, URN, Path, Kind, Stack, Fingerprint string
		Baselined                                   bool
	}
	Summary  map[string]int
	Stacks   []map[string]any
	Baseline *struct {
		Baselined int
		Fixed     []map[string]any
	}
}

func decodeReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var rep jsonReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	return rep
}

func TestCheckFailSeverity(t *testing.T) {
	export := writeFile(t, "editor.json", iamMemberExport(`"roles/editor"`)) // iam-no-primitive-roles, high
	r := run(t, "", "check", export)
	assert.Equal(t, 1, r.code, "default: every mandatory finding fails")

	r = run(t, "", "check", "--fail-severity", "critical", export)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "[mandatory] iam-no-primitive-roles (high)", "still reported")
	assert.Contains(t, r.stdout, "mandatory below the fail severity")

	r = run(t, "", "check", "--fail-severity", "HIGH", export)
	assert.Equal(t, 1, r.code)

	r = run(t, "", "check", "--format", "json", "--fail-severity", "critical", export)
	assert.Equal(t, 0, r.code)
	rep := decodeReport(t, r.stdout)
	assert.Positive(t, rep.Summary["mandatory"])
	assert.Equal(t, 0, rep.Summary["failing"])
}

// TestCheckBaselineSurvivesReordering: resources and list members in
// another order, and the same findings stay baselined.
func TestCheckBaselineSurvivesReordering(t *testing.T) {
	before := writeFile(t, "before.json", bindingExport("prod", `"allUsers"`, `"user:a@example.com"`, `"allAuthenticatedUsers"`))
	r := run(t, "", "check", "--format", "json", before)
	require.Equal(t, 1, r.code)
	baseline := writeFile(t, "baseline.json", r.stdout)
	first := decodeReport(t, r.stdout)
	require.Len(t, first.Findings, 2, r.stdout)
	assert.NotEqual(t, first.Findings[0].Fingerprint, first.Findings[1].Fingerprint, "two members on one path shape told apart by value")

	// Shuffle resources and members.
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(bindingExport("prod", `"allAuthenticatedUsers"`, `"user:a@example.com"`, `"allUsers"`)), &doc))
	res := doc["deployment"].(map[string]any)["resources"].([]any)
	res[0], res[1] = res[1], res[0]
	shuffled, err := json.Marshal(doc)
	require.NoError(t, err)
	after := writeFile(t, "after.json", string(shuffled))

	r = run(t, "", "check", "--format", "json", "--baseline", baseline, after)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	rep := decodeReport(t, r.stdout)
	for _, f := range rep.Findings {
		assert.True(t, f.Baselined, f.Path)
	}
	assert.Equal(t, 0, rep.Summary["mandatory"])
	assert.Equal(t, 2, rep.Summary["baselined"])
	require.NotNil(t, rep.Baseline)
	assert.Equal(t, 2, rep.Baseline.Baselined)
	assert.Empty(t, rep.Baseline.Fixed)

	r = run(t, "", "check", "--baseline", baseline, after)
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "[baselined] iam-no-public-members")
	assert.Contains(t, r.stdout, "baseline "+baseline+": 2 baselined findings remain, 0 entries fixed")

	// The same finding on another stack's resource is new, and fails.
	other := writeFile(t, "other.json", bindingExport("dev", `"allUsers"`))
	r = run(t, "", "check", "--format", "json", "--baseline", baseline, other, after)
	assert.Equal(t, 1, r.code)
	rep = decodeReport(t, r.stdout)
	assert.Equal(t, 1, rep.Summary["failing"])
	assert.Equal(t, 2, rep.Summary["baselined"])
}

// TestCheckBaselineShowsFixed: a finding fixed since the baseline is listed
// as a stale baseline entry.
func TestCheckBaselineShowsFixed(t *testing.T) {
	before := writeFile(t, "before.json", bindingExport("prod", `"allUsers"`, `"allAuthenticatedUsers"`))
	r := run(t, "", "check", "--format", "json", before)
	require.Equal(t, 1, r.code)
	baseline := writeFile(t, "baseline.json", r.stdout)

	fixed := writeFile(t, "fixed.json", bindingExport("prod", `"allAuthenticatedUsers"`, `"user:a@example.com"`))
	r = run(t, "", "check", "--format", "json", "--baseline", baseline, fixed)
	assert.Equal(t, 0, r.code, r.stdout)
	rep := decodeReport(t, r.stdout)
	require.NotNil(t, rep.Baseline)
	assert.Equal(t, 1, rep.Baseline.Baselined)
	require.Len(t, rep.Baseline.Fixed, 1)
	assert.Equal(t, "iam-no-public-members", rep.Baseline.Fixed[0]["policy"])

	r = run(t, "", "check", "--baseline", baseline, fixed)
	assert.Contains(t, r.stdout, "1 baselined findings remain, 1 entries fixed (remove them from the baseline):\n"+
		"  fixed: iam-no-public-members on urn:pulumi:prod::etl::gcp:projects/iAMBinding:IAMBinding::viewers at members[0]")

	r = run(t, "", "check", "--format", "sarif", "--baseline", baseline, fixed)
	sariftest.Validate(t, []byte(r.stdout))
	var log struct {
		Runs []struct {
			Results []struct {
				BaselineState       string
				PartialFingerprints map[string]string
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &log))
	require.Len(t, log.Runs, 1)
	states := map[string]int{}
	for _, res := range log.Runs[0].Results {
		states[res.BaselineState]++
		assert.Len(t, res.PartialFingerprints["dataflowGuardrailsFinding/v2"], 32)
	}
	assert.Equal(t, 1, states["unchanged"])
}

func TestCheckWriteExceptions(t *testing.T) {
	export := writeFile(t, "before.json", bindingExport("prod", `"allUsers"`, `"allAuthenticatedUsers"`))
	v1 := writeFile(t, "v1.json", `{"required-labels": "advisory", "environments": ["org/env"]}`)
	out := filepath.Join(t.TempDir(), "policy-config.json")
	r := run(t, "", "check", "--policy-pack-config", v1, "--write-exceptions", out, export)
	assert.Equal(t, 1, r.code, "writing exceptions does not change this run's verdict")
	assert.Contains(t, r.stderr, "wrote 1 exceptions to "+out)

	file, err := packconfig.ReadFile(out)
	require.NoError(t, err, "the engine's format")
	require.Len(t, file.Exceptions, 1)
	x := file.Exceptions[0]
	assert.Equal(t, "baseline-iam-no-public-members", x.ID)
	assert.Contains(t, x.Reason, "Review by ")
	assert.Equal(t, []string{"org/env"}, file.Environments, "the given config is kept")
	assert.Contains(t, file.Policies, "required-labels")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"version": 2`)

	r = run(t, "", "check", "--policy-pack-config", out, export)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "[excepted] iam-no-public-members")
}

// TestCheckManyStacks: a directory with good exports, a corrupt one and a
// JSON file that is no export; the corrupt one is reported without hiding
// the others' findings, and bad input wins the exit status.
func TestCheckManyStacks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	write("a-prod.json", bindingExport("prod", `"allUsers"`))
	write("b-dev.json", bindingExport("dev", `"user:a@example.com"`))
	write("c-broken.json", bindingExport("qa", `"allUsers"`)[:200])
	write("package.json", `{"name": "infra", "version": "1.0.0"}`)
	write("notes.txt", "not json")

	r := run(t, "", "check", dir)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "skipping "+filepath.Join(dir, "package.json")+": not a stack export")
	assert.Contains(t, r.stdout, "== etl/prod ("+filepath.Join(dir, "a-prod.json")+")\n")
	assert.Contains(t, r.stdout, "[mandatory] iam-no-public-members")
	assert.Contains(t, r.stdout, filepath.Join(dir, "c-broken.json")+": unreadable: ")
	assert.Contains(t, r.stdout, "in 2 stacks")

	r = run(t, "", "check", "--format", "json", dir)
	assert.Equal(t, 2, r.code)
	rep := decodeReport(t, r.stdout)
	require.Len(t, rep.Stacks, 3)
	assert.NotEmpty(t, rep.Stacks[2]["error"])
	assert.Equal(t, 1, rep.Summary["unreadable"])
	for _, f := range rep.Findings {
		assert.NotEmpty(t, f.Stack)
	}
	assert.Equal(t, "etl/prod", rep.Findings[0].Stack)

	r = run(t, "", "check", "--format", "sarif", dir)
	assert.Equal(t, 2, r.code)
	sariftest.Validate(t, []byte(r.stdout))
	var log struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct{ Level string }
			}
			Results []struct{ RuleID string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &log))
	require.Len(t, log.Runs, 1, "one run holds every result")
	require.Len(t, log.Runs[0].Invocations, 1)
	assert.False(t, log.Runs[0].Invocations[0].ExecutionSuccessful)
	assert.Len(t, log.Runs[0].Invocations[0].ToolExecutionNotifications, 1)
	assert.NotEmpty(t, log.Runs[0].Results)

	// Files and directories together; without the corrupt one, violations exit 1.
	require.NoError(t, os.Remove(filepath.Join(dir, "c-broken.json")))
	r = run(t, "", "check", dir, secure)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "in 3 stacks")

	// Only good stacks: 0.
	r = run(t, "", "check", secure, filepath.Join(dir, "b-dev.json"))
	assert.Equal(t, 0, r.code, r.stdout)

	// A directory without exports is bad input.
	empty := t.TempDir()
	r = run(t, "", "check", empty)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "no stack export found")
}
