package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/harness"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/sariftest"
)

// reportEnv is the pack's DATAFLOW_GUARDRAILS_REPORT variable.
const reportEnv = "DATAFLOW_GUARDRAILS_REPORT"

// reported is one finding as the engine showed it, or as a report holds it:
// level is "mandatory", "advisory" or "unknown" (the pack's can't-know-yet
// advisory), message the text the engine displays.
type reported struct{ Level, Policy, URN, Message string }

// colorTags are the engine's raw color directives around a policy message.
var colorTags = regexp.MustCompile(`<\{%[a-z]+%\}>`)

// engineReported are the policy events of a run.
func engineReported(r *harness.Result) []reported {
	var out []reported
	for _, v := range r.Violations {
		level := v.EnforcementLevel
		if harness.IsUnknownFinding(v) {
			level = "unknown"
		}
		msg := strings.TrimSuffix(colorTags.ReplaceAllString(v.Message, ""), "\n")
		out = append(out, reported{level, v.PolicyName, v.ResourceURN, msg})
	}
	return out
}

type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID               string `json:"id"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID  string `json:"ruleId"`
			Level   string `json:"level"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			Properties struct {
				Path string `json:"path"`
			} `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

// sarifReported reads a SARIF report, checks it against the official SARIF
// 2.1.0 schema and returns its results as the engine would display them
// (the rule's title, then the message, as the pack sends them) and the
// policy titles by name.
func sarifReported(t *testing.T, path string) ([]reported, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err, "the pack wrote no SARIF report")
	sariftest.Validate(t, data)
	var log sarifLog
	require.NoError(t, json.Unmarshal(data, &log))
	require.Len(t, log.Runs, 1)
	run := log.Runs[0]
	titles := map[string]string{}
	for _, r := range run.Tool.Driver.Rules {
		titles[r.ID] = r.ShortDescription.Text
	}
	levels := map[string]string{"error": "mandatory", "warning": "advisory", "note": "unknown"}
	var out []reported
	for _, r := range run.Results {
		urn := ""
		if len(r.Locations) == 1 && len(r.Locations[0].LogicalLocations) == 1 {
			urn = r.Locations[0].LogicalLocations[0].FullyQualifiedName
		}
		level, ok := levels[r.Level]
		require.True(t, ok, "SARIF level %q", r.Level)
		msg := r.Message.Text
		if level == "unknown" { // sent as is, without title or path
			msg = strings.TrimPrefix(msg, r.Properties.Path+": ")
		} else {
			msg = titles[r.RuleID] + "\n" + msg
		}
		out = append(out, reported{level, r.RuleID, urn, msg})
	}
	return out, titles
}

// jsonReported reads a `check --format json` shaped report.
func jsonReported(t *testing.T, path string, titles map[string]string) ([]reported, map[string]int) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err, "the pack wrote no JSON report")
	var rep struct {
		Findings []struct {
			Policy, Kind, EnforcementLevel, URN, Path, Message string
		}
		Summary map[string]int
	}
	require.NoError(t, json.Unmarshal(data, &rep))
	var out []reported
	for _, f := range rep.Findings {
		if f.Kind == "unknown" {
			out = append(out, reported{"unknown", f.Policy, f.URN, f.Message})
			continue
		}
		msg := f.Message
		if f.Path != "" {
			msg = f.Path + ": " + msg
		}
		out = append(out, reported{f.EnforcementLevel, f.Policy, f.URN, titles[f.Policy] + "\n" + msg})
	}
	return out, rep.Summary
}

func levelCount(rs []reported, level string) int {
	n := 0
	for _, r := range rs {
		if r.Level == level {
			n++
		}
	}
	return n
}

// Scenario 10 (issue 5): with DATAFLOW_GUARDRAILS_REPORT set, the pack
// process writes every finding of the run, and exactly those the engine
// showed as policy events: SARIF from one preview of the insecure stack,
// the JSON shape from a second, and after `up` (one pack process, since the
// Automation API skips up's preview) the file reflects that last run.
func TestInEngineReport(t *testing.T) {
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "report", insecureProgram, baseConfig())
	dir := t.TempDir()
	sarifPath, jsonPath := filepath.Join(dir, "results.sarif"), filepath.Join(dir, "results.json")

	pre := s.Preview(t, harness.WithEnv(reportEnv, sarifPath))
	requireFailed(t, pre)
	shown := engineReported(pre)
	for _, level := range []string{"mandatory", "advisory", "unknown"} {
		require.Positive(t, levelCount(shown, level), "the scenario must show %s findings\n%s", level, pre.Dump())
	}
	inSARIF, titles := sarifReported(t, sarifPath)
	assert.ElementsMatch(t, shown, inSARIF, "the SARIF report must hold exactly the policy events of the preview")

	pre = s.Preview(t, harness.WithEnv(reportEnv, jsonPath))
	requireFailed(t, pre)
	assert.ElementsMatch(t, shown, engineReported(pre), "two previews of one program show the same events")
	inJSON, summary := jsonReported(t, jsonPath, titles)
	assert.ElementsMatch(t, shown, inJSON, "the JSON report must hold exactly the policy events of the preview")
	for _, level := range []string{"mandatory", "advisory", "unknown"} {
		assert.Equal(t, levelCount(shown, level), summary[level], "summary count of %s findings", level)
	}

	up := s.Up(t, harness.WithEnv(reportEnv, jsonPath))
	requireFailed(t, up)
	inJSON, _ = jsonReported(t, jsonPath, titles)
	assert.ElementsMatch(t, engineReported(up), inJSON, "after up the report holds up's policy events")
	assert.Zero(t, levelCount(inJSON, "unknown"), "up knows every value: the preview's report was replaced")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"results.sarif", "results.json"}, names, "no temporary file is left behind")
	text := pre.AllText() + up.AllText()
	assert.NotContains(t, text, dir, "writing the report prints nothing into the run's output")
}
