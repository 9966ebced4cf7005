package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/compliance"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/sariftest"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const insecure = "../../testdata/stacks/dataflow-insecure.json"

// The schemas must catch a broken log, or validating proves nothing.
func TestSARIFSchemasRejectInvalidLogs(t *testing.T) {
	for name, sch := range sariftest.Schemas(t) {
		for _, bad := range []string{
			`{"version": "2.1.0"}`,
			`{"version": "2.0.0", "runs": []}`,
			`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
			`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]}]}`,
		} {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
			require.NoError(t, err)
			assert.Error(t, sch.Validate(inst), "%s accepts %s", name, bad)
		}
	}
}

type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, SemanticVersion, InformationURI string
				Rules                                          []struct {
					ID               string
					ShortDescription struct{ Text string }
					FullDescription  struct{ Text string }
					Help             struct{ Text, Markdown string }
					HelpURI          string
					Properties       map[string]any
				}
			}
		}
		Results []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine, StartColumn int }
				}
				LogicalLocations []struct {
					Name, FullyQualifiedName, Kind string
				}
			}
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Justification string }
			Properties          map[string]any
		}
		Properties map[string]any
	}
}

func insecureReport(t *testing.T) (*report.Report, *policy.Pack) {
	t.Helper()
	pack, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
	dep, err := stackfile.ReadFile(insecure)
	require.NoError(t, err)
	findings := pack.Evaluate(context.Background(), dep, policy.DeploymentOptions{})
	require.NotEmpty(t, findings)
	return report.New(report.Pack{Name: pack.Name, Version: pack.Version},
		report.Stack{Project: dep.Project, Stack: dep.Stack}, len(dep.Inputs), findings), pack
}

func writeSARIF(t *testing.T, rep *report.Report, opts report.SARIFOptions) ([]byte, sarifDoc) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, rep.WriteSARIF(&buf, opts))
	sariftest.Validate(t, buf.Bytes())
	var doc sarifDoc
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	return buf.Bytes(), doc
}

func TestSARIFOfTheInsecureExample(t *testing.T) {
	rep, pack := insecureReport(t)
	// Mark one finding excepted, and give one resource a source position.
	rep.Findings[0].Excepted = true
	posURN := rep.Findings[len(rep.Findings)-1].URN
	_, doc := writeSARIF(t, rep, report.SARIFOptions{
		Policies:       pack.Policies(),
		Positions:      map[string]report.SourcePosition{posURN: {Path: "main.go", Line: 42, Column: 7}},
		SourceRoot:     "infra/etl",
		InformationURI: "https://github.com/dataflow-guardrails/dataflow-guardrails",
		Justification:  func(f policy.Finding) string { return "EXC-1: " + f.Policy },
	})

	assert.Equal(t, "2.1.0", doc.Version)
	assert.Equal(t, report.SARIFSchema, doc.Schema)
	require.Len(t, doc.Runs, 1)
	run := doc.Runs[0]
	drv := run.Tool.Driver
	assert.Equal(t, "dataflow-guardrails", drv.Name)
	assert.Equal(t, "0.1.0", drv.SemanticVersion)
	assert.Equal(t, "https://github.com/dataflow-guardrails/dataflow-guardrails", drv.InformationURI)
	assert.Equal(t, map[string]any{"project": "etl", "stack": "prod", "resources": float64(rep.Summary.Resources)}, run.Properties)

	// One rule per policy, in pack order, with its metadata.
	require.Len(t, drv.Rules, len(pack.Policies()))
	scores := map[policy.Severity]string{policy.Critical: "9.5", policy.High: "8.0", policy.Medium: "5.5", policy.Low: "3.0"}
	for i, p := range pack.Policies() {
		r := drv.Rules[i]
		assert.Equal(t, p.Name, r.ID)
		assert.Equal(t, p.Title, r.ShortDescription.Text)
		assert.Equal(t, p.Description, r.FullDescription.Text)
		assert.Equal(t, p.Remediation, r.Help.Text)
		assert.Contains(t, r.Help.Markdown, p.Remediation)
		assert.Contains(t, r.Help.Markdown, "("+p.URL+")")
		assert.Equal(t, p.URL, r.HelpURI)
		var tags []any
		for _, tag := range compliance.Tags(p.Name, string(p.Family)) {
			tags = append(tags, tag)
		}
		assert.Equal(t, tags, r.Properties["tags"], p.Name)
		if f := compliance.FrameworkOf(p.Name); f != nil {
			assert.Equal(t, map[string]any{"name": f.Name, "version": f.Version, "reference": f.Reference,
				"specification": f.Specification}, r.Properties["compliance-framework"], p.Name)
		} else {
			assert.NotContains(t, r.Properties, "compliance-framework", p.Name)
		}
		assert.Equal(t, scores[p.Severity], r.Properties["security-severity"], p.Name)
		assert.Equal(t, "high", r.Properties["precision"])
	}

	// One result per finding, in the report's order.
	require.Len(t, run.Results, len(rep.Findings))
	levels := map[string]int{}
	for i, res := range run.Results {
		f := rep.Findings[i]
		assert.Equal(t, f.Policy, res.RuleID)
		assert.Equal(t, f.Policy, drv.Rules[res.RuleIndex].ID)
		assert.Equal(t, report.SARIFLevel(f), res.Level)
		levels[res.Level]++
		want := f.Message
		if f.Path != "" {
			want = f.Path + ": " + f.Message
		}
		assert.Equal(t, want, res.Message.Text)
		require.Len(t, res.Locations, 1)
		loc := res.Locations[0]
		require.Len(t, loc.LogicalLocations, 1)
		assert.Equal(t, f.URN, loc.LogicalLocations[0].FullyQualifiedName)
		assert.Equal(t, "resource", loc.LogicalLocations[0].Kind)
		if f.URN == posURN {
			require.NotNil(t, loc.PhysicalLocation)
			assert.Equal(t, "infra/etl/main.go", loc.PhysicalLocation.ArtifactLocation.URI)
			assert.Equal(t, 42, loc.PhysicalLocation.Region.StartLine)
			assert.Equal(t, 7, loc.PhysicalLocation.Region.StartColumn)
		} else {
			assert.Nil(t, loc.PhysicalLocation, "no position and no project file: logical location only")
		}
		assert.Len(t, res.PartialFingerprints[report.FingerprintKeyV1], 32)
		if i == 0 {
			require.Len(t, res.Suppressions, 1)
			assert.Equal(t, "external", res.Suppressions[0].Kind)
			assert.Equal(t, "EXC-1: "+f.Policy, res.Suppressions[0].Justification)
		} else {
			assert.Empty(t, res.Suppressions)
		}
	}
	assert.Positive(t, levels["error"], "mandatory violations are errors")
	assert.Positive(t, levels["warning"], "advisory violations are warnings")

	// Fingerprints tell findings apart.
	seen := map[string]bool{}
	for _, res := range run.Results {
		fp := res.PartialFingerprints[report.FingerprintKeyV1]
		assert.False(t, seen[fp], "duplicate fingerprint %s", fp)
		seen[fp] = true
	}
}

func TestSARIFLevelsAndFallbacks(t *testing.T) {
	pack, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
	urn := "urn:pulumi:dev::etl::gcp:dataflow/job:Job::stream"
	findings := []policy.Finding{
		{Policy: "required-labels", Kind: policy.Violation, Level: policy.Mandatory, Severity: policy.Medium, URN: urn, Path: "labels", Message: "missing"},
		{Policy: "required-labels", Kind: policy.Violation, Level: policy.Remediate, Severity: policy.Medium, URN: urn, Path: "labels.team", Message: "missing"},
		{Policy: "no-service-account-keys", Kind: policy.Violation, Level: policy.Advisory, Severity: policy.Critical, URN: urn, Message: "a key"},
		{Policy: "no-service-account-keys", Kind: policy.Unknown, Level: policy.Advisory, Severity: policy.Critical, URN: urn, Path: "x", Message: "unknown"},
		{Policy: "no-service-account-keys", Kind: policy.Violation, Level: policy.Mandatory, Severity: policy.Critical, URN: urn, Message: "excepted", Excepted: true},
		{Policy: "not-in-the-pack", Kind: policy.Violation, Level: policy.Mandatory, Severity: policy.Low, Message: ""},
	}
	rep := report.New(report.Pack{Name: "p", Version: "1.2.3"}, report.Stack{}, 1, findings)
	_, doc := writeSARIF(t, rep, report.SARIFOptions{Policies: pack.Policies(), SourceRoot: "infra", ProjectFile: "Pulumi.yaml"})
	run := doc.Runs[0]
	assert.Nil(t, run.Properties)
	require.Len(t, run.Results, len(findings))
	byMessage := map[string]int{}
	for i, res := range run.Results {
		byMessage[res.Message.Text] = i
	}
	level := func(msg string) string { return run.Results[byMessage[msg]].Level }
	assert.Equal(t, "error", level("labels: missing"))
	assert.Equal(t, "error", level("labels.team: missing"), "remediate reads as mandatory")
	assert.Equal(t, "warning", level("a key"))
	assert.Equal(t, "note", level("x: unknown"))
	assert.Equal(t, "error", level("excepted"))
	ex := run.Results[byMessage["excepted"]]
	require.Len(t, ex.Suppressions, 1)
	assert.Equal(t, "excepted by the policy pack configuration", ex.Suppressions[0].Justification)

	// A finding of a policy the options don't list still points at a rule.
	other := run.Results[byMessage["not-in-the-pack"]]
	assert.Equal(t, "not-in-the-pack", doc.Runs[0].Tool.Driver.Rules[other.RuleIndex].ID)
	assert.Len(t, doc.Runs[0].Tool.Driver.Rules, len(pack.Policies())+1)
	require.Len(t, other.Locations, 1, "the project file, without a URN")
	assert.Empty(t, other.Locations[0].LogicalLocations)

	// Without a position, results point at the project file.
	loc := run.Results[byMessage["a key"]].Locations[0]
	require.NotNil(t, loc.PhysicalLocation)
	assert.Equal(t, "infra/Pulumi.yaml", loc.PhysicalLocation.ArtifactLocation.URI)
	assert.Equal(t, 1, loc.PhysicalLocation.Region.StartLine)
	assert.Zero(t, loc.PhysicalLocation.Region.StartColumn)
	assert.Equal(t, "stream", loc.LogicalLocations[0].Name)
}

func TestSARIFWithoutFindings(t *testing.T) {
	rep := report.New(report.Pack{Name: "p", Version: "1.0.0"}, report.Stack{Project: "etl", Stack: "dev"}, 0, nil)
	data, doc := writeSARIF(t, rep, report.SARIFOptions{})
	assert.Contains(t, string(data), `"results": []`, "an empty run still says it found nothing")
	assert.Contains(t, string(data), `"rules": []`)
	assert.Empty(t, doc.Runs[0].Results)
}

func TestSecuritySeverity(t *testing.T) {
	assert.Equal(t, "9.5", report.SecuritySeverity(policy.Critical))
	assert.Equal(t, "8.0", report.SecuritySeverity(policy.High))
	assert.Equal(t, "5.5", report.SecuritySeverity(policy.Medium))
	assert.Equal(t, "3.0", report.SecuritySeverity(policy.Low))
}

func TestParseSourcePosition(t *testing.T) {
	good := map[string]report.SourcePosition{
		"project:///main.go#12,3":              {Path: "main.go", Line: 12, Column: 3},
		"project:///infra/etl/index.ts#7":      {Path: "infra/etl/index.ts", Line: 7},
		"project://main.go#12,3":               {Path: "main.go", Line: 12, Column: 3},
		"project:///dir%20with%20space/a.py#1": {Path: "dir with space/a.py", Line: 1},
		"project:///a/./b/../c.go#2,0":         {Path: "a/c.go", Line: 2},
	}
	for in, want := range good {
		got, ok := report.ParseSourcePosition(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{
		"", "main.go#12", "file:///main.go#12", "project:///main.go", "project:///main.go#",
		"project:///main.go#0", "project:///main.go#x,1", "project:///main.go#1,-2",
		"project:///../outside.go#3", "project:///#3", "project:///%zz.go#1",
	} {
		_, ok := report.ParseSourcePosition(in)
		assert.False(t, ok, in)
	}
}

func TestArtifactURIsAreRelativeReferences(t *testing.T) {
	rep := report.New(report.Pack{Name: "p", Version: "1.0.0"}, report.Stack{}, 1, []policy.Finding{
		{Policy: "a", Kind: policy.Violation, Level: policy.Advisory, Severity: policy.Low, URN: "u1", Message: "m"},
		{Policy: "a", Kind: policy.Violation, Level: policy.Advisory, Severity: policy.Low, URN: "u2", Message: "m"},
	})
	_, doc := writeSARIF(t, rep, report.SARIFOptions{Positions: map[string]report.SourcePosition{
		"u1": {Path: "src/my file.ts", Line: 3},
		"u2": {Path: "c:odd.go", Line: 1},
	}})
	uris := []string{
		doc.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI,
		doc.Runs[0].Results[1].Locations[0].PhysicalLocation.ArtifactLocation.URI,
	}
	assert.Equal(t, []string{"src/my%20file.ts", "./c:odd.go"}, uris)
}

func TestLocateProject(t *testing.T) {
	repo := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	project := filepath.Join(repo, "infra", "etl")
	require.NoError(t, os.MkdirAll(project, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(project, "Pulumi.yaml"), []byte("name: etl\n"), 0o644))

	root, file := report.LocateProject(project)
	assert.Equal(t, "infra/etl", root)
	assert.Equal(t, "Pulumi.yaml", file)

	root, file = report.LocateProject(repo)
	assert.Equal(t, "", root)
	assert.Equal(t, "", file)

	// Outside any work tree the project directory is taken as the root.
	lone := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(lone, "Pulumi.yml"), []byte("name: x\n"), 0o644))
	if _, err := os.Stat(filepath.Join(filepath.Dir(lone), ".git")); err == nil {
		t.Skip("the temp dir is inside a git work tree")
	}
	root, file = report.LocateProject(lone)
	assert.Equal(t, "", root)
	assert.Equal(t, "Pulumi.yml", file)
}
