package policy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// Mode says how enforcement levels turn into findings.
type Mode uint8

const (
	// EngineMode reports a `remediate` level as mandatory, as the engine
	// expects from Analyze (remediation itself runs through Remediate).
	EngineMode Mode = iota
	// CheckMode cannot apply remediations, so a policy at `remediate` runs its
	// remediation and reports the change it would make as advisory findings.
	CheckMode
)

// Options carry the deployment context of one evaluation.
type Options struct {
	Stack StackInfo
	Env   func(string) (string, bool)
	Mode  Mode
	// Only, when set, restricts evaluation to the named policies (fixtures).
	Only map[string]bool
	// Timeout bounds one evaluation call; 0 means no limit. Policies still
	// running when it expires fail closed.
	Timeout time.Duration
}

// NotApplicable says why a policy did not look at a resource.
type NotApplicable struct {
	Policy string
	Reason string
}

// Analyze runs every enabled resource policy that applies to r.
func (p *Pack) Analyze(ctx context.Context, r *gcp.Resource, opts Options) ([]Finding, []NotApplicable) {
	s := p.settings.Load()
	applies := p.byType[r.Type]
	var na []NotApplicable
	for i, pol := range p.policies {
		if pol.IsStack() || !opts.wants(pol.Name) || s.levels[i] == Disabled {
			continue
		}
		if !contains(applies, i) {
			na = append(na, NotApplicable{Policy: pol.Name, Reason: notApplicableReason(pol)})
		}
	}
	var jobs []job
	for _, i := range applies {
		pol := p.policies[i]
		level := s.levels[i]
		if level == Disabled || !opts.wants(pol.Name) {
			continue
		}
		cfg := s.configs[i]
		jobs = append(jobs, job{pol: pol, level: level, run: func() []Finding {
			call := &Call{Stack: opts.Stack, Env: opts.Env, urn: r.URN, typ: r.Type}
			if level == Remediate && opts.Mode == CheckMode && pol.CanRemediate() {
				return p.describeRemediation(pol, cfg, call, r)
			}
			return p.run(pol, level, call, func() { pol.check(call, r, cfg) })
		}})
	}
	return p.evaluateAll(ctx, opts.Timeout, jobs, r.URN, r.Type, func() *secretSet { return newSecretSet(r) }), na
}

// AnalyzeStack runs every enabled stack policy over the whole stack.
func (p *Pack) AnalyzeStack(ctx context.Context, st *gcp.Stack, opts Options) []Finding {
	s := p.settings.Load()
	root := st.RootURN()
	var jobs []job
	for _, i := range p.stack {
		pol := p.policies[i]
		level := s.levels[i]
		if level == Disabled || !opts.wants(pol.Name) {
			continue
		}
		cfg := s.configs[i]
		jobs = append(jobs, job{pol: pol, level: level, run: func() []Finding {
			call := &Call{Stack: opts.Stack, Env: opts.Env, urn: root, typ: gcp.StackType}
			return p.run(pol, level, call, func() { pol.checkStack(call, st, cfg) })
		}})
	}
	return p.evaluateAll(ctx, opts.Timeout, jobs, root, gcp.StackType, func() *secretSet { return newSecretSet(st.Resources...) })
}

// job is one policy to run in an evaluation.
type job struct {
	pol   *Policy
	level Level
	run   func() []Finding
}

// evaluateAll runs the jobs in order. When the call can be cancelled or has
// a deadline, they run on a goroutine the caller stops waiting for: a policy
// that blocks fails closed instead of stalling the engine's main loop, and
// the ones that finished still count. Secrets are scrubbed from every
// message before it leaves.
func (p *Pack) evaluateAll(ctx context.Context, timeout time.Duration, jobs []job, urn, typ string, secrets func() *secretSet) []Finding {
	results := make([][]Finding, len(jobs))
	if timeout <= 0 && ctx.Done() == nil {
		for k, j := range jobs {
			results[k] = j.run()
		}
	} else {
		var done atomic.Int32
		finished := make(chan struct{})
		go func(slots [][]Finding) {
			defer close(finished)
			for k, j := range jobs {
				if ctx.Err() != nil {
					return
				}
				slots[k] = j.run()
				done.Store(int32(k + 1))
			}
		}(results)
		var expired <-chan time.Time
		if timeout > 0 {
			t := time.NewTimer(timeout)
			defer t.Stop()
			expired = t.C
		}
		why := ""
		select {
		case <-finished:
		case <-ctx.Done():
			why = "evaluation was cancelled"
		case <-expired:
			why = fmt.Sprintf("evaluation timed out after %s", timeout)
		}
		if why != "" {
			// The goroutine may still write later slots: copy what is final.
			n := int(done.Load())
			final := make([][]Finding, len(jobs))
			copy(final, results[:n])
			for k := n; k < len(jobs); k++ {
				final[k] = []Finding{p.failClosed(jobs[k].pol, jobs[k].level, urn, typ, why)}
			}
			results = final
		}
	}
	var out []Finding
	var set *secretSet
	for _, fs := range results {
		if len(fs) > 0 && set == nil {
			set = secrets()
		}
		out = append(out, set.scrub(fs)...)
	}
	return out
}

// Remediation is one policy's change to a resource's inputs, or (Props nil)
// the reason it could not run.
type Remediation struct {
	Policy     string
	Props      property.Map
	Diagnostic string
}

// Remediate runs, in registration order, every policy configured at
// `remediate`, each seeing the inputs the previous one produced.
func (p *Pack) Remediate(ctx context.Context, r *gcp.Resource, opts Options) ([]Remediation, []NotApplicable) {
	s := p.settings.Load()
	var out []Remediation
	var na []NotApplicable
	current := *r
	for i, pol := range p.policies {
		if pol.IsStack() || s.levels[i] != Remediate || !opts.wants(pol.Name) {
			continue
		}
		if !pol.CanRemediate() {
			na = append(na, NotApplicable{Policy: pol.Name, Reason: "Policy does not implement remediateResource"})
			continue
		}
		if !contains(p.byType[r.Type], i) {
			na = append(na, NotApplicable{Policy: pol.Name, Reason: notApplicableReason(pol)})
			continue
		}
		if ctx.Err() != nil {
			break
		}
		call := &Call{Stack: opts.Stack, Env: opts.Env, urn: r.URN, typ: r.Type}
		var next property.Map
		var changed bool
		found := p.run(pol, Remediate, call, func() { next, changed = pol.remediate(call, &current, s.configs[i]) })
		if len(found) > 0 {
			// An unknown input or an internal error: say so instead of guessing.
			msg := found[0].Message
			if found[0].Kind == Unknown {
				msg = strings.Replace(msg, "can't run policy", "can't run remediation", 1)
			}
			out = append(out, Remediation{Policy: pol.Name, Diagnostic: newSecretSet(&current).scrubText(msg)})
			continue
		}
		if changed {
			out = append(out, Remediation{Policy: pol.Name, Props: next})
			current.Props = next
		}
	}
	return out, na
}

// describeRemediation turns a remediation `check` cannot apply into advisory
// findings, one per input it would add, change or remove.
func (p *Pack) describeRemediation(pol *Policy, cfg any, call *Call, r *gcp.Resource) []Finding {
	var next property.Map
	var changed bool
	found := p.run(pol, Advisory, call, func() { next, changed = pol.remediate(call, r, cfg) })
	if len(found) > 0 || !changed {
		return found
	}
	var out []Finding
	describeObjectDiff(r.Props.Diff(next), "", func(path, what string) {
		out = append(out, p.finding(pol, Advisory, Violation, r.URN, r.Type, path, "remediation would "+what))
	})
	return out
}

// describeObjectDiff walks a diff down to the changed leaves. A secret side
// is never looked into: it is named, not shown.
func describeObjectDiff(d *property.ObjectDiff, path string, emit func(path, what string)) {
	if d == nil {
		return
	}
	for _, key := range d.ChangedKeys() {
		at := gcp.JoinPath(path, key)
		switch {
		case d.Added(key):
			describeAdded(d.Adds[key], at, emit)
		case d.Deleted(key):
			emit(at, "remove it")
		default:
			u := d.Updates[key]
			switch {
			case u.Old.Secret() || u.New.Secret():
				emit(at, "change it (secret)")
			case u.Object != nil:
				describeObjectDiff(u.Object, at, emit)
			default:
				emit(at, "change it to "+gcp.NewValue(u.New, at).Display())
			}
		}
	}
}

// describeAdded names each leaf of a newly added value (a whole new labels
// map, say), unless it is secret.
func describeAdded(v property.Value, path string, emit func(path, what string)) {
	if v.IsMap() && !v.Secret() && v.AsMap().Len() > 0 {
		for key, e := range v.AsMap().AllStable {
			describeAdded(e, gcp.JoinPath(path, key), emit)
		}
		return
	}
	emit(path, "set it to "+gcp.NewValue(v, path).Display())
}

// run executes one policy, recovering a panic into a violation at the
// policy's own level (fail closed: a crash must never pass a resource).
func (p *Pack) run(pol *Policy, level Level, call *Call, body func()) (out []Finding) {
	defer func() {
		if rec := recover(); rec != nil {
			out = []Finding{p.failClosed(pol, level, call.urn, call.typ, "internal error")}
		}
	}()
	body()
	return p.collect(pol, level, call)
}

func (p *Pack) failClosed(pol *Policy, level Level, urn, typ, why string) Finding {
	if level == Remediate {
		level = Mandatory
	}
	return p.finding(pol, level, Violation, urn, typ, "",
		fmt.Sprintf("could not evaluate %s on %s: %s", pol.Name, urn, why))
}

// collect turns a call's reports into findings: a violation on a resource
// makes its unknowns moot (the verdict is already "fail"), and identical
// reports collapse into one.
func (p *Pack) collect(pol *Policy, level Level, call *Call) []Finding {
	if len(call.found) == 0 {
		return nil
	}
	if level == Remediate {
		level = Mandatory
	}
	violated := map[string]bool{}
	for _, r := range call.found {
		if r.kind == Violation {
			violated[r.urn] = true
		}
	}
	seen := map[report]bool{}
	var out []Finding
	for _, r := range call.found {
		if (r.kind == Unknown && violated[r.urn]) || seen[r] {
			continue
		}
		seen[r] = true
		if r.kind == Unknown {
			out = append(out, p.finding(pol, Advisory, Unknown, r.urn, r.typ, r.path, p.unknownMessage(pol, r.path)))
			continue
		}
		out = append(out, p.finding(pol, level, Violation, r.urn, r.typ, r.path, r.message))
	}
	return out
}

func (p *Pack) unknownMessage(pol *Policy, path string) string {
	if path == "" {
		path = "a value"
	}
	return fmt.Sprintf("can't run policy '%s' from policy pack '%s@v%s' during preview: %s can't be known during preview",
		pol.Name, p.Name, p.Version, path)
}

func (p *Pack) finding(pol *Policy, level Level, kind Kind, urn, typ, path, msg string) Finding {
	return Finding{Policy: pol.Name, Kind: kind, Level: level, Severity: pol.Severity,
		URN: urn, ResourceType: typ, Path: path, Message: msg}
}

func (o Options) wants(name string) bool { return o.Only == nil || o.Only[name] }

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func notApplicableReason(pol *Policy) string {
	if len(pol.Types) == 1 {
		return fmt.Sprintf("Policy only applies to resources of type '%s'", pol.Types[0])
	}
	return fmt.Sprintf("Policy only applies to %d resource types, such as '%s'", len(pol.Types), pol.Types[0])
}

// secretSet scrubs secret plaintext out of messages, a safety net under the
// views' own redaction: no secret of four characters or more is ever printed.
type secretSet struct{ values []string }

func newSecretSet(rs ...*gcp.Resource) *secretSet {
	secret, plain := map[string]struct{}{}, map[string]struct{}{}
	providers := map[*gcp.Provider]bool{}
	for _, r := range rs {
		gcp.SecretStrings(property.New(r.Props), secret, plain)
		if pr := r.Provider; pr != nil && !providers[pr] {
			providers[pr] = true
			gcp.SecretStrings(property.New(pr.Props), secret, plain)
		}
	}
	s := &secretSet{}
	for v := range secret {
		// A value that the same resources also hold in the clear is not
		// confidential: pulumi-gcp marks effectiveLabels secret as a hedge
		// while the same values sit in plain labels, and scrubbing "prod"
		// would garble every message naming a project.
		if _, public := plain[v]; len(v) >= 4 && !public {
			s.values = append(s.values, v)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	sortByLengthDesc(s.values)
	return s
}

func (s *secretSet) scrubText(msg string) string {
	for _, v := range s.values {
		msg = strings.ReplaceAll(msg, v, "[secret]")
	}
	return msg
}

func (s *secretSet) scrub(fs []Finding) []Finding {
	if s == nil || len(s.values) == 0 {
		return fs
	}
	for i := range fs {
		fs[i].Message = s.scrubText(fs[i].Message)
		fs[i].Path = s.scrubText(fs[i].Path)
	}
	return fs
}

func sortByLengthDesc(s []string) {
	sort.Slice(s, func(i, j int) bool {
		if len(s[i]) != len(s[j]) {
			return len(s[i]) > len(s[j])
		}
		return s[i] < s[j]
	})
}
