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

	// Notes, when set, runs parallel to Findings: what `check` knows of each
	// finding besides the finding itself (stack, fingerprint, baselined).
	// Set it after New, which sorts the findings.
	Notes []Note `json:"-"`
	// Stacks summarises each export `check` read, in the order given,
	// unreadable ones included; nil in the in-engine report.
	Stacks []StackSummary `json:"-"`
	// Baseline is what a --baseline comparison found; nil without one.
	Baseline *BaselineSummary `json:"-"`
}

// Note is what `check` adds to a finding.
type Note struct {
	// Stack is "project/stack", as StackSummary.Name.
	Stack string `json:"stack,omitempty"`
	// Fingerprint identifies the finding across runs (see cli.Fingerprint).
	Fingerprint string `json:"fingerprint,omitempty"`
	// Baselined: the baseline holds this finding, so it does not fail the run.
	Baselined bool `json:"baselined,omitempty"`
}

// StackSummary is one export's line of the per-stack summary.
type StackSummary struct {
	File      string `json:"file"`
	Name      string `json:"stack,omitempty"` // project/stack
	Resources int    `json:"resources"`
	Mandatory int    `json:"mandatory"`
	Advisory  int    `json:"advisory"`
	Unknown   int    `json:"unknown"`
	Baselined int    `json:"baselined,omitempty"`
	Failing   int    `json:"failing"`
	// Error says why the export could not be read; nothing else is set then.
	Error string `json:"error,omitempty"`
}

// BaselineSummary is the outcome of comparing a run with a baseline.
type BaselineSummary struct {
	File string `json:"file"`
	// Baselined counts the findings the baseline still holds.
	Baselined int `json:"baselined"`
	// Fixed are the baseline's entries that no longer occur: the baseline
	// can be shrunk by them.
	Fixed []BaselineEntry `json:"fixed"`
}

// BaselineEntry is a finding as a baseline records it.
type BaselineEntry struct {
	Policy      string      `json:"policy"`
	URN         string      `json:"urn"`
	Path        string      `json:"path"`
	Kind        policy.Kind `json:"kind"`
	Fingerprint string      `json:"fingerprint,omitempty"`
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
//
// Failing counts the mandatory findings that fail the run: all of them,
// unless `check --fail-severity` leaves out those below a severity.
// Baselined counts the findings a --baseline holds; like excepted ones they
// are not counted as mandatory, advisory or unknown.
type Summary struct {
	Resources int `json:"resources"`
	Mandatory int `json:"mandatory"`
	Advisory  int `json:"advisory"`
	Unknown   int `json:"unknown"`
	Failing   int `json:"failing"`
	Baselined int `json:"baselined,omitempty"`
	Skipped   int `json:"unreadable,omitempty"` // exports that could not be read
}

// New sorts the findings and computes the summary.
func New(pack Pack, stack Stack, resources int, findings []policy.Finding) *Report {
	if findings == nil {
		findings = []policy.Finding{}
	}
	policy.SortFindings(findings)
	r := &Report{Version: 1, Pack: pack, Stack: stack, Findings: findings, Summary: Summary{Resources: resources}}
	r.Recount("")
	return r
}

// Recount computes the summary (and each stack's counts) again, after
// Notes were set; findings of a severity below failAt (when not empty) are
// counted but do not fail.
func (r *Report) Recount(failAt policy.Severity) {
	r.Summary = Summary{Resources: r.Summary.Resources, Skipped: r.Summary.Skipped}
	byName := make(map[string]*StackSummary, len(r.Stacks))
	for i := range r.Stacks {
		st := &r.Stacks[i]
		*st = StackSummary{File: st.File, Name: st.Name, Resources: st.Resources, Error: st.Error}
		if st.Error == "" {
			byName[st.Name] = st
		}
	}
	for i, f := range r.Findings {
		note := r.note(i)
		st := byName[note.Stack]
		if st == nil {
			st = &StackSummary{}
		}
		switch {
		case f.Excepted:
		case note.Baselined:
			r.Summary.Baselined++
			st.Baselined++
		case Blocks(f):
			r.Summary.Mandatory++
			st.Mandatory++
			if failAt == "" || SeverityRank(f.Severity) >= SeverityRank(failAt) {
				r.Summary.Failing++
				st.Failing++
			}
		case f.Kind == policy.Unknown:
			r.Summary.Unknown++
			st.Unknown++
		default:
			r.Summary.Advisory++
			st.Advisory++
		}
	}
}

// SeverityRank orders severities, low 1 to critical 4; 0 for anything else.
func SeverityRank(s policy.Severity) int {
	switch s {
	case policy.Low:
		return 1
	case policy.Medium:
		return 2
	case policy.High:
		return 3
	case policy.Critical:
		return 4
	}
	return 0
}

func (r *Report) note(i int) Note {
	if i < len(r.Notes) {
		return r.Notes[i]
	}
	return Note{}
}

// Failed reports whether a finding fails the run: mandatory, neither
// excepted nor baselined, and at or above the fail severity.
func (r *Report) Failed() bool { return r.Summary.Failing > 0 }

// Blocks reports whether a finding is mandatory: a violation, or an unknown
// that a later update will not decide (policy.Level.Blocks). Exceptions are
// not considered.
func Blocks(f policy.Finding) bool { return f.Level.Blocks() }

// NotedLabel is Label for a finding with a note: baselined, when it is.
func NotedLabel(f policy.Finding, n Note) string {
	if n.Baselined && !f.Excepted {
		return "baselined"
	}
	return Label(f)
}

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

// jsonFinding is a finding in the JSON report, with its note.
type jsonFinding struct {
	policy.Finding
	Note
}

// MarshalJSON writes the report with each finding's note beside it, and
// the per-stack and baseline summaries when `check` set them.
func (r *Report) MarshalJSON() ([]byte, error) {
	findings := make([]jsonFinding, len(r.Findings))
	for i, f := range r.Findings {
		findings[i] = jsonFinding{f, r.note(i)}
	}
	return json.Marshal(struct {
		Version  int              `json:"version"`
		Pack     Pack             `json:"pack"`
		Stack    Stack            `json:"stack"`
		Findings []jsonFinding    `json:"findings"`
		Summary  Summary          `json:"summary"`
		Stacks   []StackSummary   `json:"stacks,omitempty"`
		Baseline *BaselineSummary `json:"baseline,omitempty"`
	}{r.Version, r.Pack, r.Stack, findings, r.Summary, r.Stacks, r.Baseline})
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Remedies maps a policy name to its remediation text, for the text report.
type Remedies func(policy string) string

// WriteText writes a table grouped by resource (and by stack, when the
// report covers several), then a summary.
func (r *Report) WriteText(w io.Writer, fix Remedies) error {
	var b strings.Builder
	many := len(r.Stacks) > 1
	lastStack, lastURN, lastGroup := "\x00", "", ""
	pendingFix := ""
	flushFix := func() {
		if pendingFix != "" {
			fmt.Fprintf(&b, "    fix: %s\n", pendingFix)
			pendingFix = ""
		}
	}
	for i, f := range r.Findings {
		note := r.note(i)
		label := NotedLabel(f, note)
		if many && note.Stack != lastStack {
			flushFix()
			if lastURN != "" {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "== %s\n\n", r.stackTitle(note.Stack))
			lastStack, lastURN = note.Stack, ""
		}
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
			if f.Kind == policy.Violation && fix != nil && !note.Baselined {
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
	if many {
		for _, st := range r.Stacks {
			if st.Error != "" {
				fmt.Fprintf(&b, "  %s: unreadable: %s\n", st.File, st.Error)
				continue
			}
			fmt.Fprintf(&b, "  %s (%s): %d resources: %d mandatory, %d advisory, %d unknown",
				st.Name, st.File, st.Resources, st.Mandatory, st.Advisory, st.Unknown)
			if st.Baselined > 0 {
				fmt.Fprintf(&b, ", %d baselined", st.Baselined)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s@v%s: %d resources checked in %d stacks: %d mandatory, %d advisory, %d unknown",
			r.Pack.Name, r.Pack.Version, r.Summary.Resources, len(r.Stacks)-r.Summary.Skipped,
			r.Summary.Mandatory, r.Summary.Advisory, r.Summary.Unknown)
	} else {
		fmt.Fprintf(&b, "%s@v%s: %d resources checked in %s/%s: %d mandatory, %d advisory, %d unknown",
			r.Pack.Name, r.Pack.Version, r.Summary.Resources, r.Stack.Project, r.Stack.Stack,
			r.Summary.Mandatory, r.Summary.Advisory, r.Summary.Unknown)
	}
	if n := r.excepted(); n > 0 {
		fmt.Fprintf(&b, ", %d excepted", n)
	}
	if r.Summary.Baselined > 0 {
		fmt.Fprintf(&b, ", %d baselined", r.Summary.Baselined)
	}
	if n := r.Summary.Mandatory - r.Summary.Failing; n > 0 {
		fmt.Fprintf(&b, " (%d mandatory below the fail severity)", n)
	}
	if r.Summary.Skipped > 0 {
		fmt.Fprintf(&b, "; %d exports unreadable", r.Summary.Skipped)
	}
	b.WriteString("\n")
	if bl := r.Baseline; bl != nil {
		fmt.Fprintf(&b, "baseline %s: %d baselined findings remain, %d entries fixed", bl.File, bl.Baselined, len(bl.Fixed))
		if len(bl.Fixed) > 0 {
			b.WriteString(" (remove them from the baseline):")
		}
		b.WriteString("\n")
		for i, e := range bl.Fixed {
			if i == maxFixedLines {
				fmt.Fprintf(&b, "  ... and %d more (--format json lists them all)\n", len(bl.Fixed)-maxFixedLines)
				break
			}
			where := ""
			if e.Path != "" {
				where = " at " + e.Path
			}
			fmt.Fprintf(&b, "  fixed: %s on %s%s\n", e.Policy, e.URN, where)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maxFixedLines caps the fixed baseline entries the text report lists.
const maxFixedLines = 50

func (r *Report) stackTitle(name string) string {
	for _, st := range r.Stacks {
		if st.Name == name && st.Error == "" {
			return name + " (" + st.File + ")"
		}
	}
	return name
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
