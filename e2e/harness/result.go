package harness

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Result is what one preview or update produced.
type Result struct {
	Op       string // "preview" or "up"
	Err      error  // nil when the CLI exited 0
	Duration time.Duration
	Stdout   string // the CLI's progress output
	Stderr   string

	Events         []events.EngineEvent
	Violations     []apitype.PolicyEvent
	Remediations   []apitype.PolicyRemediationEvent
	Summaries      []apitype.PolicyAnalyzeSummaryEvent
	StackSummaries []apitype.PolicyAnalyzeStackSummaryEvent
	Diagnostics    []apitype.DiagnosticEvent
	PolicyPacks    map[string]string // from the summary event: name -> version

	// Calls are the real Creates and Updates the provider served.
	Calls []ProviderCall
}

func (r *Result) add(ev events.EngineEvent) {
	r.Events = append(r.Events, ev)
	switch {
	case ev.PolicyEvent != nil:
		r.Violations = append(r.Violations, *ev.PolicyEvent)
	case ev.PolicyRemediationEvent != nil:
		r.Remediations = append(r.Remediations, *ev.PolicyRemediationEvent)
	case ev.PolicyAnalyzeSummaryEvent != nil:
		r.Summaries = append(r.Summaries, *ev.PolicyAnalyzeSummaryEvent)
	case ev.PolicyAnalyzeStackSummaryEvent != nil:
		r.StackSummaries = append(r.StackSummaries, *ev.PolicyAnalyzeStackSummaryEvent)
	case ev.DiagnosticEvent != nil:
		r.Diagnostics = append(r.Diagnostics, *ev.DiagnosticEvent)
	case ev.SummaryEvent != nil:
		r.PolicyPacks = ev.SummaryEvent.PolicyPacks
	}
}

// Finding is a policy violation reduced to what scenarios assert.
type Finding struct {
	Level  string // the engine's enforcementLevel: "advisory" or "mandatory"
	Policy string
	URN    string
}

func (f Finding) String() string { return f.Level + " " + f.Policy + " @ " + f.URN }

// Findings returns the distinct (level, policy, URN) triples, sorted.
func (r *Result) Findings() []Finding {
	seen := map[Finding]bool{}
	var out []Finding
	for _, v := range r.Violations {
		f := Finding{Level: v.EnforcementLevel, Policy: v.PolicyName, URN: v.ResourceURN}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Mandatory returns the mandatory findings that no policy exception covers.
func (r *Result) Mandatory() []Finding {
	var out []Finding
	seen := map[Finding]bool{}
	for _, v := range r.Violations {
		if v.EnforcementLevel != "mandatory" || len(v.Exceptions) > 0 {
			continue
		}
		f := Finding{Level: v.EnforcementLevel, Policy: v.PolicyName, URN: v.ResourceURN}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// ViolationsOf returns the policy events of one policy on one URN.
func (r *Result) ViolationsOf(policy, urn string) []apitype.PolicyEvent {
	var out []apitype.PolicyEvent
	for _, v := range r.Violations {
		if v.PolicyName == policy && v.ResourceURN == urn {
			out = append(out, v)
		}
	}
	return out
}

// unknownMessage is how the pack reports a value it cannot know in preview.
var unknownMessage = regexp.MustCompile(`can't run policy '[^']+' from policy pack '[^']+' during preview`)

// IsUnknownFinding reports whether a policy event is the pack's "can't run
// during preview" advisory for a value that is not known yet.
func IsUnknownFinding(v apitype.PolicyEvent) bool {
	return v.EnforcementLevel == "advisory" && unknownMessage.MatchString(v.Message)
}

// Known returns the findings of the given policies (of every policy when
// none is given) that are not unknown-at-preview advisories.
func (r *Result) Known(policies ...string) []Finding {
	var out []Finding
	for _, v := range r.Violations {
		if IsUnknownFinding(v) || (len(policies) > 0 && !slices.Contains(policies, v.PolicyName)) {
			continue
		}
		out = append(out, Finding{Level: v.EnforcementLevel, Policy: v.PolicyName, URN: v.ResourceURN})
	}
	return out
}

// Passed returns the policies the engine's analyze summaries list as passed
// for urn (the engine's own bookkeeping: applicable, enabled, no violation).
func (r *Result) Passed(urn string) []string {
	var out []string
	for _, s := range r.Summaries {
		if s.ResourceURN == urn {
			out = append(out, s.Passed...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Failed returns the policies the analyze summaries list as failed for urn.
func (r *Result) Failed(urn string) []string {
	var out []string
	for _, s := range r.Summaries {
		if s.ResourceURN == urn {
			out = append(out, s.Failed...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// StackPassed returns the stack policies the analyze-stack summary lists as passed.
func (r *Result) StackPassed() []string {
	var out []string
	for _, s := range r.StackSummaries {
		out = append(out, s.Passed...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Created returns the provider's Create call for urn.
func (r *Result) Created(urn string) (ProviderCall, bool) {
	for _, c := range r.Calls {
		if c.Op == "create" && c.URN == urn {
			return c, true
		}
	}
	return ProviderCall{}, false
}

// CreatedURNs lists the URNs the provider created, sorted.
func (r *Result) CreatedURNs() []string {
	var out []string
	for _, c := range r.Calls {
		if c.Op == "create" {
			out = append(out, c.URN)
		}
	}
	sort.Strings(out)
	return out
}

// Dump renders the findings and the error for failure messages.
func (r *Result) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: err=%v\n", r.Op, r.Err)
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  [%s] %s @ %s exceptions=%v\n      %s\n", v.EnforcementLevel, v.PolicyName, v.ResourceURN,
			v.Exceptions, strings.ReplaceAll(strings.TrimSpace(v.Message), "\n", "\n      "))
	}
	return b.String()
}

// AllText is everything the operation showed or streamed: progress output,
// errors and every engine event as JSON. Secret scans search it.
func (r *Result) AllText() string {
	var b strings.Builder
	b.WriteString(r.Stdout)
	b.WriteString(r.Stderr)
	if r.Err != nil {
		b.WriteString(r.Err.Error())
	}
	for _, ev := range r.Events {
		data, _ := json.Marshal(ev.EngineEvent)
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

// SecretSig is the key that marks a secret value on the wire and in state.
const SecretSig = "4dabf18193072939515e22adb298388d"

// IsSecret reports whether v is a secret-wrapped value.
func IsSecret(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[SecretSig] != nil
}

// Plain removes secret wrappers ({"4dabf18193072939515e22adb298388d": ...,
// "value": v}) from a value the provider logged, recursively. A secret of an
// engine event (its plaintext blinded) becomes "[secret]".
func Plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[SecretSig]; ok {
			if v, ok := x["value"]; ok {
				return Plain(v)
			}
			return "[secret]" // engine events carry {"ciphertext": "[secret]"}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	}
	return v
}

// StringMap returns inputs[key] as a map of strings, secrets unwrapped.
func StringMap(inputs map[string]any, key string) map[string]string {
	m, _ := Plain(inputs[key]).(map[string]any)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// PlannedInputs returns the inputs the engine planned for urn (the
// resource-pre event of its step): in a preview, what would be sent to the
// provider, remediations included.
func (r *Result) PlannedInputs(urn string) (map[string]any, bool) {
	for _, ev := range r.Events {
		if ev.ResourcePreEvent != nil && ev.ResourcePreEvent.Metadata.URN == urn && ev.ResourcePreEvent.Metadata.New != nil {
			return ev.ResourcePreEvent.Metadata.New.Inputs, true
		}
	}
	return nil, false
}

// RemediationsOf returns the remediation events of one policy on one URN.
func (r *Result) RemediationsOf(policy, urn string) []apitype.PolicyRemediationEvent {
	var out []apitype.PolicyRemediationEvent
	for _, e := range r.Remediations {
		if e.PolicyName == policy && e.ResourceURN == urn {
			out = append(out, e)
		}
	}
	return out
}
