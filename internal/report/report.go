// Package report renders findings for people and machines. `check` and the
// in-engine report writer share it, so both say the same thing.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// Report is the `check --format json` document.
type Report struct {
	Version  int              `json:"version"`
	Pack     Pack             `json:"pack"`
	Stack    Stack            `json:"stack"`
	Findings []policy.Finding `json:"findings"`
	Summary  Summary          `json:"summary"`
}

type Pack struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type Stack struct {
	Project string `json:"project"`
	Stack   string `json:"stack"`
}

// Summary counts findings by level; excepted findings are not counted.
// Unknown counts the advisory unknowns (values not known at preview); an
// unknown at mandatory level (a value `check` cannot read because the export
// holds it encrypted) counts as mandatory, since it fails the check.
type Summary struct {
	Resources int `json:"resources"`
	Mandatory int `json:"mandatory"`
	Advisory  int `json:"advisory"`
	Unknown   int `json:"unknown"`
}

// New sorts the findings and computes the summary.
func New(pack Pack, stack Stack, resources int, findings []policy.Finding) *Report {
	if findings == nil {
		findings = []policy.Finding{}
	}
	policy.SortFindings(findings)
	r := &Report{Version: 1, Pack: pack, Stack: stack, Findings: findings, Summary: Summary{Resources: resources}}
	for _, f := range findings {
		switch {
		case f.Excepted:
		case Blocks(f):
			r.Summary.Mandatory++
		case f.Kind == policy.Unknown:
			r.Summary.Unknown++
		default:
			r.Summary.Advisory++
		}
	}
	return r
}

// Failed reports whether a non-excepted mandatory finding was found.
func (r *Report) Failed() bool { return r.Summary.Mandatory > 0 }

// Blocks reports whether a finding is mandatory: a violation, or an unknown
// that a later update will not decide (policy.Level.Blocks). Exceptions are
// not considered.
func Blocks(f policy.Finding) bool { return f.Level.Blocks() }

// Label is how the text report heads a finding: excepted, unknown (an
// advisory unknown) or its level.
func Label(f policy.Finding) string {
	switch {
	case f.Excepted:
		return "excepted"
	case f.Kind == policy.Unknown && !Blocks(f):
		return "unknown"
	}
	return string(f.Level)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Remedies maps a policy name to its remediation text, for the text report.
type Remedies func(policy string) string

// WriteText writes a table grouped by resource, then a summary line.
func (r *Report) WriteText(w io.Writer, fix Remedies) error {
	var b strings.Builder
	lastURN, lastGroup := "", ""
	pendingFix := ""
	flushFix := func() {
		if pendingFix != "" {
			fmt.Fprintf(&b, "    fix: %s\n", pendingFix)
			pendingFix = ""
		}
	}
	for _, f := range r.Findings {
		label := Label(f)
		if f.URN != lastURN {
			flushFix()
			if lastURN != "" {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%s\n", f.URN)
			lastURN, lastGroup = f.URN, ""
		}
		// One header and one fix per policy and level on a resource.
		if group := f.Policy + "\x00" + label; group != lastGroup {
			flushFix()
			fmt.Fprintf(&b, "  [%s] %s (%s)\n", label, f.Policy, f.Severity)
			lastGroup = group
			if f.Kind == policy.Violation && fix != nil {
				pendingFix = fix(f.Policy)
			}
		}
		where := ""
		if f.Path != "" {
			where = f.Path + ": "
		}
		fmt.Fprintf(&b, "    %s%s\n", where, f.Message)
	}
	flushFix()
	if len(r.Findings) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s@v%s: %d resources checked in %s/%s: %d mandatory, %d advisory, %d unknown",
		r.Pack.Name, r.Pack.Version, r.Summary.Resources, r.Stack.Project, r.Stack.Stack,
		r.Summary.Mandatory, r.Summary.Advisory, r.Summary.Unknown)
	if n := r.excepted(); n > 0 {
		fmt.Fprintf(&b, ", %d excepted", n)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) excepted() int {
	n := 0
	for _, f := range r.Findings {
		if f.Excepted {
			n++
		}
	}
	return n
}
