package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
)

func sample() []policy.Finding {
	return []policy.Finding{
		{Policy: "b", Kind: policy.Violation, Level: policy.Mandatory, Severity: policy.High, URN: "urn:2", Path: "p", Message: "m1"},
		{Policy: "a", Kind: policy.Unknown, Level: policy.Advisory, Severity: policy.Low, URN: "urn:2", Path: "q", Message: "m2"},
		{Policy: "a", Kind: policy.Violation, Level: policy.Advisory, Severity: policy.Low, URN: "urn:1", Message: "m3"},
		{Policy: "c", Kind: policy.Violation, Level: policy.Mandatory, Severity: policy.Critical, URN: "urn:1", Message: "m4", Excepted: true},
	}
}

func TestNewSortsAndCounts(t *testing.T) {
	rep := report.New(report.Pack{Name: "p", Version: "1.0.0"}, report.Stack{Project: "etl", Stack: "dev"}, 7, sample())
	var order []string
	for _, f := range rep.Findings {
		order = append(order, f.URN+"/"+f.Policy)
	}
	assert.Equal(t, []string{"urn:1/a", "urn:1/c", "urn:2/a", "urn:2/b"}, order)
	assert.Equal(t, report.Summary{Resources: 7, Mandatory: 1, Advisory: 1, Unknown: 1, Failing: 1}, rep.Summary, "excepted findings are not counted")
	assert.True(t, rep.Failed())

	empty := report.New(report.Pack{}, report.Stack{}, 0, nil)
	assert.NotNil(t, empty.Findings)
	assert.False(t, empty.Failed())
}

func TestWriteJSONShape(t *testing.T) {
	rep := report.New(report.Pack{Name: "p", Version: "1.0.0"}, report.Stack{Project: "etl", Stack: "dev"}, 2, sample())
	var buf bytes.Buffer
	require.NoError(t, rep.WriteJSON(&buf))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, float64(1), doc["version"])
	assert.Equal(t, map[string]any{"name": "p", "version": "1.0.0"}, doc["pack"])
	assert.Equal(t, map[string]any{"project": "etl", "stack": "dev"}, doc["stack"])
	assert.Equal(t, map[string]any{"resources": float64(2), "mandatory": float64(1), "advisory": float64(1), "unknown": float64(1), "failing": float64(1)}, doc["summary"])
	findings := doc["findings"].([]any)
	require.Len(t, findings, 4)
	assert.Equal(t, true, findings[1].(map[string]any)["excepted"])
	assert.NotContains(t, findings[0].(map[string]any), "excepted")

	buf.Reset()
	require.NoError(t, report.New(report.Pack{}, report.Stack{}, 0, nil).WriteJSON(&buf))
	assert.Contains(t, buf.String(), `"findings": []`)
}

func TestWriteTextGroupsByResource(t *testing.T) {
	rep := report.New(report.Pack{Name: "p", Version: "1.0.0"}, report.Stack{Project: "etl", Stack: "dev"}, 2, sample())
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf, func(name string) string { return "fix " + name }))
	out := buf.String()
	assert.Equal(t, 1, strings.Count(out, "urn:1\n"))
	assert.Contains(t, out, "  [advisory] a (low)\n    m3\n    fix: fix a\n")
	assert.Contains(t, out, "  [excepted] c (critical)\n    m4\n")
	assert.Contains(t, out, "  [unknown] a (low)\n    q: m2\n  [mandatory] b (high)\n", "no fix for an unknown value")
	assert.True(t, strings.HasSuffix(out, "p@v1.0.0: 2 resources checked in etl/dev: 1 mandatory, 1 advisory, 1 unknown, 1 excepted\n"), out)
}

// TestMandatoryUnknownFails: an unknown at mandatory level (a value `check`
// cannot read because the export holds it encrypted) counts, reads and
// fails as mandatory; an advisory unknown stays a note.
func TestMandatoryUnknownFails(t *testing.T) {
	sealed := policy.Finding{Policy: "a", Kind: policy.Unknown, Level: policy.Mandatory, Severity: policy.High, URN: "urn:1", Path: "role", Message: "encrypted"}
	preview := policy.Finding{Policy: "b", Kind: policy.Unknown, Level: policy.Advisory, Severity: policy.High, URN: "urn:1", Path: "member", Message: "preview"}
	rep := report.New(report.Pack{Name: "p", Version: "1.0.0"}, report.Stack{Project: "etl", Stack: "dev"}, 1, []policy.Finding{sealed, preview})
	assert.Equal(t, report.Summary{Resources: 1, Mandatory: 1, Unknown: 1, Failing: 1}, rep.Summary)
	assert.True(t, rep.Failed())
	assert.Equal(t, "mandatory", report.Label(sealed))
	assert.Equal(t, "unknown", report.Label(preview))
	assert.Equal(t, "error", report.SARIFLevel(sealed))
	assert.Equal(t, "note", report.SARIFLevel(preview))

	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf, func(string) string { return "a fix" }))
	assert.Contains(t, buf.String(), "  [mandatory] a (high)\n    role: encrypted\n  [unknown] b (high)\n", "no fix for an unknown value")
	assert.NotContains(t, buf.String(), "a fix")

	sealed.Excepted = true
	rep = report.New(report.Pack{}, report.Stack{}, 1, []policy.Finding{sealed})
	assert.False(t, rep.Failed(), "an exception covers it like a violation")
}
