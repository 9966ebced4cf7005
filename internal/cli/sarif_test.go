package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/sariftest"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

type sarifLog struct {
	Version string
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, SemanticVersion string
				Rules                 []struct{ ID string }
			}
		}
		Results []struct {
			RuleID    string
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine int }
				}
				LogicalLocations []struct{ FullyQualifiedName, Kind string }
			}
			Suppressions []struct{ Kind, Justification string }
		}
	}
}

func TestCheckSARIFValidates(t *testing.T) {
	r := run(t, "", "check", "--format", "sarif", insecure)
	assert.Equal(t, 1, r.code, "the exit code does not depend on the format")
	sariftest.Validate(t, []byte(r.stdout))

	var log sarifLog
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &log))
	require.Len(t, log.Runs, 1)
	run0 := log.Runs[0]
	assert.Equal(t, "dataflow-guardrails", run0.Tool.Driver.Name)
	assert.Equal(t, "0.1.0", run0.Tool.Driver.SemanticVersion)
	assert.Len(t, run0.Tool.Driver.Rules, len(policies.All()))

	// The same findings as the JSON report, in the same order.
	j := run(t, "", "check", "--format", "json", insecure)
	var doc struct {
		Findings []struct{ Policy, URN, Kind, EnforcementLevel string }
	}
	require.NoError(t, json.Unmarshal([]byte(j.stdout), &doc))
	require.Len(t, run0.Results, len(doc.Findings))
	for i, f := range doc.Findings {
		res := run0.Results[i]
		assert.Equal(t, f.Policy, res.RuleID)
		want := map[string]string{"mandatory": "error", "advisory": "warning"}[f.EnforcementLevel]
		if f.Kind == "unknown" {
			want = "note"
		}
		assert.Equal(t, want, res.Level)
		require.Len(t, res.Locations, 1)
		assert.Equal(t, f.URN, res.Locations[0].LogicalLocations[0].FullyQualifiedName)
		assert.Equal(t, "resource", res.Locations[0].LogicalLocations[0].Kind)
		assert.Nil(t, res.Locations[0].PhysicalLocation, "not run in a Pulumi project directory")
	}
}

func TestCheckSARIFKeepsExceptedFindings(t *testing.T) {
	v2 := writeFile(t, "v2.json", `{"version": 2,
		"policies": {"all": "disabled", "no-service-account-keys": "mandatory"},
		"exceptions": {"EXC-1": {"reason": "legacy key, rotated by 2027", "match": [
			{"policies": ["no-service-account-keys"], "targets": ["urn:pulumi:prod::etl::gcp:serviceaccount/key:Key::ci-deployer-key"]}]}}}`)
	r := run(t, "", "check", "--format", "sarif", "--policy-pack-config", v2, insecure)
	assert.Equal(t, 0, r.code, r.stderr)
	sariftest.Validate(t, []byte(r.stdout))
	var log sarifLog
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &log))
	require.Len(t, log.Runs[0].Results, 1)
	res := log.Runs[0].Results[0]
	assert.Equal(t, "error", res.Level, "a mandatory violation, suppressed")
	require.Len(t, res.Suppressions, 1)
	assert.Equal(t, "external", res.Suppressions[0].Kind)
	assert.Equal(t, "exception EXC-1: legacy key, rotated by 2027", res.Suppressions[0].Justification)
}

// Run in a Pulumi project directory inside a git work tree, results point
// at the project file, relative to the repository root.
func TestCheckSARIFInAProjectDirectory(t *testing.T) {
	abs, err := filepath.Abs(insecure)
	require.NoError(t, err)
	repo := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	project := filepath.Join(repo, "infra")
	require.NoError(t, os.Mkdir(project, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(project, "Pulumi.yaml"), []byte("name: etl\nruntime: go\n"), 0o644))
	t.Chdir(project)

	r := run(t, "", "check", "--format", "sarif", abs)
	require.Equal(t, 1, r.code, r.stderr)
	sariftest.Validate(t, []byte(r.stdout))
	var log sarifLog
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &log))
	require.NotEmpty(t, log.Runs[0].Results)
	for _, res := range log.Runs[0].Results {
		loc := res.Locations[0].PhysicalLocation
		require.NotNil(t, loc)
		assert.Equal(t, "infra/Pulumi.yaml", loc.ArtifactLocation.URI)
		assert.Equal(t, 1, loc.Region.StartLine)
	}
}

func TestCheckFormatHelpNamesSARIF(t *testing.T) {
	r := run(t, "", "check", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "sarif")
	r = run(t, "", "check", "--format", "xml", secure)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "want text, json or sarif")
}
