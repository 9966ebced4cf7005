package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/cli"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const (
	insecure = "../../testdata/stacks/dataflow-insecure.json"
	secure   = "../../testdata/stacks/dataflow-secure.json"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	pack, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
	var out, errb bytes.Buffer
	app := &cli.App{Pack: pack, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	code := app.Run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestCheckInsecureExampleFails(t *testing.T) {
	r := run(t, "", "check", insecure)
	assert.Equal(t, 1, r.code)
	families := map[string]bool{}
	for _, p := range policies.All() {
		if strings.Contains(r.stdout, "] "+p.Name+" (") {
			families[string(p.Family)] = true
		}
	}
	for _, family := range []string{"least-privilege", "no-keys", "labels", "oidc-federation", "logging", "dataflow-hardening", "org-policy"} {
		assert.True(t, families[family], "the example shows the %s family", family)
	}
	assert.Contains(t, r.stdout, "fix: ")
	assert.Contains(t, r.stderr, "mandatory policy violations")
	assert.Regexp(t, `dataflow-guardrails@v0\.1\.0: \d+ resources checked in etl/prod: \d+ mandatory`, r.stdout)
}

func TestCheckSecureExamplePasses(t *testing.T) {
	r := run(t, "", "check", secure)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "0 mandatory, 0 advisory, 0 unknown")
}

func TestCheckJSONShape(t *testing.T) {
	r := run(t, "", "check", "--format", "json", insecure)
	require.Equal(t, 1, r.code)
	var doc struct {
		Version int `json:"version"`
		Pack    struct {
			Name, Version string
		} `json:"pack"`
		Stack struct {
			Project, Stack string
		} `json:"stack"`
		Findings []map[string]any      `json:"findings"`
		Summary  map[string]int        `json:"summary"`
		Stacks   []report.StackSummary `json:"stacks"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&doc))
	assert.Equal(t, 1, doc.Version)
	assert.Equal(t, "dataflow-guardrails", doc.Pack.Name)
	assert.Equal(t, "etl", doc.Stack.Project)
	assert.Equal(t, "prod", doc.Stack.Stack)
	require.NotEmpty(t, doc.Findings)
	for _, f := range doc.Findings {
		for _, key := range []string{"policy", "kind", "enforcementLevel", "severity", "urn", "resourceType", "path", "message", "stack", "fingerprint"} {
			assert.Contains(t, f, key)
		}
		assert.NotContains(t, f, "excepted", "excepted is only present when true")
	}
	assert.Equal(t, []string{"advisory", "failing", "mandatory", "resources", "unknown"}, keys(doc.Summary))
	require.Len(t, doc.Stacks, 1, "a per-stack summary")
	assert.Equal(t, "etl/prod", doc.Stacks[0].Name)
	dep, err := stackfile.ReadFile(insecure)
	require.NoError(t, err)
	assert.Equal(t, dep.Total, doc.Summary["resources"], "every resource of the export is counted")
	assert.Equal(t, len(doc.Findings), doc.Summary["mandatory"]+doc.Summary["advisory"]+doc.Summary["unknown"])
	// Sorted by URN, then policy, then path.
	for i := 1; i < len(doc.Findings); i++ {
		a, b := doc.Findings[i-1], doc.Findings[i]
		ka := a["urn"].(string) + "\x00" + a["policy"].(string) + "\x00" + a["path"].(string)
		kb := b["urn"].(string) + "\x00" + b["policy"].(string) + "\x00" + b["path"].(string)
		assert.LessOrEqual(t, ka, kb)
	}
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestCheckReadsStdin(t *testing.T) {
	data, err := os.ReadFile(secure)
	require.NoError(t, err)
	r := run(t, string(data), "check", "-")
	assert.Equal(t, 0, r.code, r.stderr)
}

func TestCheckConfigV1DowngradesAndV2Excepts(t *testing.T) {
	v1 := writeFile(t, "v1.json", `{"all": "advisory", "no-such-policy": "mandatory"}`)
	r := run(t, "", "check", insecure, "--policy-pack-config", v1)
	assert.Equal(t, 0, r.code, "everything downgraded to advisory")
	assert.Contains(t, r.stdout, "[advisory]")
	assert.Contains(t, r.stderr, `unknown policy "no-such-policy"`)
	assert.NotContains(t, r.stderr, `"all"`)

	v2 := writeFile(t, "v2.json", `{"version": 2,
		"policies": {"all": "disabled", "no-service-account-keys": "mandatory"},
		"exceptions": {"EXC-1": {"reason": "legacy key, rotated by 2027", "match": [
			{"policies": ["no-service-account-keys"], "targets": ["urn:pulumi:prod::etl::gcp:serviceaccount/key:Key::ci-deployer-key"]}]}}}`)
	r = run(t, "", "check", "--format", "json", "--policy-pack-config", v2, insecure)
	assert.Equal(t, 0, r.code, "the only mandatory violation is excepted")
	var doc struct {
		Findings []struct {
			Policy   string
			Excepted bool
		}
		Summary map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Len(t, doc.Findings, 1)
	assert.True(t, doc.Findings[0].Excepted)
	assert.Equal(t, 0, doc.Summary["mandatory"])
}

func TestCheckConfigProperties(t *testing.T) {
	cfg := writeFile(t, "c.json", `{"required-labels": {"requiredLabels": ["owner"]}}`)
	r := run(t, "", "check", secure, "--policy-pack-config", cfg)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, `required label "owner" is missing`)
}

func TestCheckBadInput(t *testing.T) {
	badConfig := writeFile(t, "bad.json", `{"required-labels": {"requiredLabels": "env"}}`)
	badLevel := writeFile(t, "level.json", `{"required-labels": "mandatroy"}`)
	cases := map[string]struct {
		args  []string
		stdin string
		want  string
	}{
		"missing file":   {args: []string{"check", "/nonexistent/export.json"}, want: "/nonexistent/export.json"},
		"bad json":       {args: []string{"check", "-"}, stdin: `{"version": 3, "deployment": {`, want: "check: "},
		"wrong version":  {args: []string{"check", "-"}, stdin: `{"version": 2, "deployment": {"resources": []}}`, want: "version 2"},
		"not json":       {args: []string{"check", "-"}, stdin: `hello`, want: "check: "},
		"no file":        {args: []string{"check"}, want: "want at least one"},
		"stdin twice":    {args: []string{"check", "-", "-"}, want: "stdin"},
		"bad severity":   {args: []string{"check", "--fail-severity", "severe", secure}, want: `unknown --fail-severity "severe"`},
		"bad baseline":   {args: []string{"check", "--baseline", badConfig, secure}, want: "not a `check --format json` report"},
		"no baseline":    {args: []string{"check", "--baseline", "/nonexistent/b.json", secure}, want: "/nonexistent/b.json"},
		"unknown format": {args: []string{"check", "--format", "xml", secure}, want: `unknown --format "xml"`},
		"unknown flag":   {args: []string{"check", "--frmat", "json", secure}, want: "frmat"},
		"bad config":     {args: []string{"check", "--policy-pack-config", badConfig, secure}, want: "required-labels"},
		"bad level":      {args: []string{"check", "--policy-pack-config", badLevel, secure}, want: "mandatroy"},
		"missing config": {args: []string{"check", "--policy-pack-config", "/nonexistent/c.json", secure}, want: "/nonexistent/c.json"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := run(t, tc.stdin, tc.args...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one-line reason: %q", r.stderr)
		})
	}
}

func TestDescribeAndVersion(t *testing.T) {
	r := run(t, "", "describe")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "required-labels")
	r = run(t, "", "describe", "--format", "json")
	require.Equal(t, 0, r.code)
	var doc struct {
		Policies []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.Len(t, doc.Policies, len(policies.All()))
	r = run(t, "", "version")
	assert.Equal(t, "0.1.0\n", r.stdout)
	r = run(t, "", "--logtostderr", "-v=9", "version")
	assert.Equal(t, "0.1.0\n", r.stdout, "engine flags before the subcommand are tolerated")
}

func TestCheckSkipsExternalResourcesAndCountsPendingDeletes(t *testing.T) {
	export := `{"version": 3, "deployment": {"resources": [
		{"urn": "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev", "type": "pulumi:pulumi:Stack"},
		{"urn": "urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::shared-templates", "type": "gcp:storage/bucket:Bucket",
		 "custom": true, "external": true, "id": "shared-templates", "inputs": {}, "outputs": {"name": "shared-templates"}},
		{"urn": "urn:pulumi:dev::etl::gcp:pubsub/topic:Topic::events", "type": "gcp:pubsub/topic:Topic", "custom": true,
		 "delete": true, "inputs": {"name": "events"}}]}}`
	r := run(t, export, "check", "--format", "json", "-")
	assert.Equal(t, 0, r.code, "a resource read with .get() is not judged by resource policies: %s", r.stdout)
	var doc struct{ Summary map[string]int }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.Equal(t, 3, doc.Summary["resources"], "every resource of the export is counted")
}

func TestCheckSARIFCarriesSourcePositions(t *testing.T) {
	export := `{"version": 3, "deployment": {"resources": [
		{"urn": "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev", "type": "pulumi:pulumi:Stack"},
		{"urn": "urn:pulumi:dev::etl::gcp:serviceaccount/key:Key::ci", "type": "gcp:serviceaccount/key:Key", "custom": true,
		 "inputs": {"serviceAccountId": "projects/p/serviceAccounts/ci@p.iam.gserviceaccount.com"},
		 "sourcePosition": "project:///infra/main.go#42,7"}]}}`
	r := run(t, export, "check", "--format", "sarif", "-")
	require.Equal(t, 1, r.code, r.stderr)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct{ StartLine, StartColumn int }
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &log))
	found := false
	for _, res := range log.Runs[0].Results {
		if res.RuleID != "no-service-account-keys" {
			continue
		}
		found = true
		require.NotEmpty(t, res.Locations)
		loc := res.Locations[0].PhysicalLocation
		assert.Equal(t, "infra/main.go", loc.ArtifactLocation.URI)
		assert.Equal(t, 42, loc.Region.StartLine)
		assert.Equal(t, 7, loc.Region.StartColumn)
	}
	assert.True(t, found)
}

// TestCheckReportsAsReadAndEvaluate: check evaluates each resource as it is
// read; its report is the one Read and Evaluate give, also when resources
// come before the root stack resource or before their provider.
func TestCheckReportsAsReadAndEvaluate(t *testing.T) {
	data, err := os.ReadFile(insecure)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	resources := doc["deployment"].(map[string]any)["resources"].([]any)
	slices.Reverse(resources)
	reversed, err := json.Marshal(doc)
	require.NoError(t, err)

	fingerprints := map[string][]string{}
	for name, path := range map[string]string{"as exported": insecure, "reversed": writeFile(t, "reversed.json", string(reversed))} {
		t.Run(name, func(t *testing.T) {
			pack, err := policies.NewPack("0.1.0", "test")
			require.NoError(t, err)
			dep, err := stackfile.ReadFile(path)
			require.NoError(t, err)
			want := report.New(report.Pack{Name: pack.Name, Version: pack.Version}, report.Stack{Project: dep.Project, Stack: dep.Stack},
				dep.Total, pack.Evaluate(context.Background(), dep, policy.DeploymentOptions{ReadFile: policy.ReadLocalFile}))
			var buf bytes.Buffer
			require.NoError(t, want.WriteJSON(&buf))

			r := run(t, "", "check", "--format", "json", path)
			assert.Equal(t, 1, r.code, r.stderr)
			got := withoutNotes(t, r.stdout)
			fingerprints[name] = got.fingerprints
			assert.Equal(t, withoutNotes(t, buf.String()).doc, got.doc)
		})
	}
	assert.Equal(t, fingerprints["as exported"], fingerprints["reversed"], "resource order does not change a fingerprint")
}

type notesRemoved struct {
	doc          map[string]any
	fingerprints []string
}

// withoutNotes decodes a JSON report and takes out what check adds to a
// single stack's report: each finding's stack and fingerprint (returned)
// and the per-stack summary.
func withoutNotes(t *testing.T, out string) notesRemoved {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	var fps []string
	for _, f := range doc["findings"].([]any) {
		f := f.(map[string]any)
		if fp, ok := f["fingerprint"].(string); ok {
			fps = append(fps, fp)
		}
		delete(f, "stack")
		delete(f, "fingerprint")
	}
	delete(doc, "stacks")
	return notesRemoved{doc, fps}
}

// TestCheckTextCapsLongRuns: a policy that finds 100 problems on one
// resource shows 20 of them and says how many more there are; the summary
// and the JSON report count all 100.
func TestCheckTextCapsLongRuns(t *testing.T) {
	members := make([]string, 100)
	for i := range members {
		members[i] = fmt.Sprintf("%q", fmt.Sprintf("user:u%03d@example.com", i))
	}
	export := `{"version": 3, "deployment": {"resources": [
		{"urn": "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev", "type": "pulumi:pulumi:Stack"},
		{"urn": "urn:pulumi:dev::etl::gcp:projects/iAMBinding:IAMBinding::everyone", "type": "gcp:projects/iAMBinding:IAMBinding",
		 "custom": true, "inputs": {"project": "p", "role": "roles/editor", "members": [` + strings.Join(members, ", ") + `]}}]}}`

	var doc struct{ Summary map[string]int }
	r := run(t, export, "check", "--format", "json", "-")
	require.Equal(t, 1, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	mandatory := doc.Summary["mandatory"]
	require.GreaterOrEqual(t, mandatory, 100)

	r = run(t, export, "check", "-")
	require.Equal(t, 1, r.code, r.stderr)
	assert.Equal(t, 20, strings.Count(r.stdout, `grants the basic role "roles/editor"`), r.stdout)
	assert.Contains(t, r.stdout, "    ... and 80 more like these (--format json lists them all)\n")
	assert.Contains(t, r.stdout, "user:u019@")
	assert.NotContains(t, r.stdout, "user:u020@")
	assert.Contains(t, r.stdout, fmt.Sprintf(": %d mandatory,", mandatory))
	assert.Contains(t, r.stdout, "fix: ")
}
