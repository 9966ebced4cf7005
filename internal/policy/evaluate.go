package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
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
	// ReadFile becomes Call.ReadFile: ReadLocalFile in the analyzer and
	// `check`, nil (no file reads) unless set.
	ReadFile func(path string) ([]byte, error)
	Mode     Mode
	// Only, when set, restricts evaluation to the named policies (fixtures).
	Only map[string]bool
	// Timeout bounds one evaluation call; 0 means no limit. Policies still
	// running when it expires fail closed.
	Timeout time.Duration
	// Cancel, when not nil, cancels the call as ctx does once it is closed:
	// the analyzer passes the engine's Cancel this way rather than merging
	// two contexts on every call.
	Cancel <-chan struct{}

	// Encrypted, read in CheckMode only, returns the property paths (as
	// gcp.Value.Path spells them) of the values of the resource with this
	// URN that the input holds encrypted: a stack export made without
	// --show-secrets. They read as unknown, but unlike a value unknown at
	// preview, which the update checks again once known, nothing will ever
	// decide a policy they hide. So an unknown overlapping one keeps its
	// kind but takes the policy's own level (mandatory fails the check), and
	// its message asks for an export with --show-secrets. The engine decrypts
	// secrets itself and never sets this.
	Encrypted func(urn string) []string
	// EncryptedAdvisory reports those unknowns as advisory whatever the
	// policy's level, as at preview (`check --allow-encrypted-secrets`).
	EncryptedAdvisory bool
}

// cancelled reports whether ctx or o.Cancel has ended the call.
func (o *Options) cancelled(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	select {
	case <-o.Cancel:
		return true
	default:
		return false
	}
}

// NotApplicable says why a policy did not look at a resource.
type NotApplicable struct {
	Policy string
	Reason string
}

// Analyze runs every enabled resource policy that applies to r. The
// NotApplicable list may be shared with other calls: it must not be modified.
func (p *Pack) Analyze(ctx context.Context, r *gcp.Resource, opts Options) ([]Finding, []NotApplicable) {
	r = gcp.Equivalent(r) // judged as the pulumi-gcp type that does the same
	s := p.settings.Load()
	e := newEvaluation(p, s, opts, r.URN, r.Type)
	e.r = r
	e.views.Reset(r)
	e.call.views = &e.views
	for _, i := range p.resourcePolicies(r.Type) {
		if s.levels[i] != Disabled && opts.wants(p.policies[i].Name) {
			e.order = append(e.order, int32(i))
		}
	}
	return e.evaluate(ctx, opts.Timeout), s.notApplicable(p, r.Type, opts.Only)
}

// AnalyzeStack runs every enabled stack policy over the whole stack.
func (p *Pack) AnalyzeStack(ctx context.Context, st *gcp.Stack, opts Options) []Finding {
	s := p.settings.Load()
	e := newEvaluation(p, s, opts, st.RootURN(), gcp.StackType)
	e.st = st
	e.call.views = st.Views()
	for _, i := range p.stack {
		if s.levels[i] != Disabled && opts.wants(p.policies[i].Name) {
			e.order = append(e.order, int32(i))
		}
	}
	return e.evaluate(ctx, opts.Timeout)
}

// evaluation is one Analyze or AnalyzeStack call: the policies to run, in
// order, on one resource or on a stack.
type evaluation struct {
	pack     *Pack
	s        *settings
	opts     Options
	r        *gcp.Resource // Analyze
	st       *gcp.Stack    // AnalyzeStack
	urn, typ string
	order    []int32 // positions of the policies to run
	orderBuf [16]int32

	call  Call      // reused by each policy in turn
	views gcp.Views // Analyze: the views of r

	// Remediate: each policy's fix applies to current, the inputs as the
	// policies before it left them; fixes[k] is the k-th policy's change
	// (none when not set). r stays the resource as the engine sent it.
	remediating bool
	current     gcp.Resource
	fixes       []fix

	// Set when the policies run on their own goroutine (see evaluate).
	ctx     context.Context
	results [][]Finding  // per policy in order; final up to done
	done    atomic.Int32 // policies finished
	state   atomic.Uint32
	wake    chan struct{} // closed by whoever moves state from running
	expires time.Time
}

// States of an evaluation running on its own goroutine: the first to leave
// running decides the outcome.
const (
	running uint32 = iota
	finished
	cancelled
	expired
)

// evaluations recycles the evaluations that finished: one is a few hundred
// bytes per call, with the views and report buffer it grows.
var evaluations = sync.Pool{New: func() any { return new(evaluation) }}

func newEvaluation(p *Pack, s *settings, opts Options, urn, typ string) *evaluation {
	e := evaluations.Get().(*evaluation)
	e.pack, e.s, e.opts, e.urn, e.typ = p, s, opts, urn, typ
	e.order = e.orderBuf[:0]
	e.call = Call{Stack: opts.Stack, Env: opts.Env, ReadFile: opts.ReadFile, urn: urn, typ: typ, found: e.call.found[:0]}
	if opts.Mode == CheckMode && opts.Encrypted != nil {
		e.call.encrypted = &encrypted{paths: opts.Encrypted, advisory: opts.EncryptedAdvisory}
	}
	return e
}

// release returns a finished evaluation to the pool. One that a worker may
// still be running (it timed out or was cancelled) is left to the garbage
// collector.
func (e *evaluation) release() {
	// Keep the buffers, not what they point to.
	found, results := e.call.found[:0], e.results[:0]
	clear(found[:cap(found)])
	clear(results[:cap(results)])
	*e = evaluation{}
	e.call.found, e.results = found, results
	evaluations.Put(e)
}

// evaluate runs the policies in order (see run) and recycles the
// evaluation when nothing may still be using it.
func (e *evaluation) evaluate(ctx context.Context, timeout time.Duration) []Finding {
	out, reusable := e.run(ctx, timeout)
	if reusable {
		e.release()
	}
	return out
}

// run runs the policies in order: the one runner of resource checks, stack
// checks and remediations. When the call can be cancelled or has a
// deadline, they run on a goroutine the caller stops waiting for: a policy
// that blocks fails closed instead of stalling the engine's main loop, and
// the ones that finished still count. Secrets are scrubbed from every
// message before it leaves. reusable is false when a policy may still be
// running.
func (e *evaluation) run(ctx context.Context, timeout time.Duration) (out []Finding, reusable bool) {
	if len(e.order) == 0 {
		return nil, true
	}
	reusable = true
	switch {
	case e.opts.cancelled(ctx):
		out = e.failClosedFrom(nil, 0, "evaluation was cancelled")
	case timeout <= 0 && ctx.Done() == nil && e.opts.Cancel == nil:
		for k := range e.order {
			out = append(out, e.runPolicy(k)...)
		}
		e.done.Store(int32(len(e.order)))
	default:
		out, reusable = e.evaluateBounded(ctx, timeout)
	}
	if len(out) > 0 {
		var set *secretSet
		if e.st != nil {
			set = newSecretSet(e.st.Resources...)
		} else {
			set = newSecretSet(e.r)
		}
		out = set.scrub(out)
	}
	return out, reusable
}

// evaluateBounded runs the policies on a goroutine and waits for it, for
// ctx or for the deadline, whichever comes first. done is false when the
// goroutine may still be running them.
func (e *evaluation) evaluateBounded(ctx context.Context, timeout time.Duration) (out []Finding, done bool) {
	e.results = slices.Grow(e.results[:0], len(e.order))[:len(e.order)]
	e.wake = make(chan struct{})
	if timeout > 0 {
		e.expires = time.Now().Add(timeout)
		deadlines.add(e)
		defer deadlines.remove(e)
	}
	e.ctx = ctx
	workers.start(e)
	select {
	case <-e.wake:
	case <-ctx.Done():
		e.cancel()
	case <-e.opts.Cancel:
		e.cancel()
	}
	var why string
	switch e.state.Load() {
	case finished:
		<-e.wake // the worker is done with e once it has closed wake
		for _, fs := range e.results {
			out = append(out, fs...)
		}
		return out, true
	case expired:
		why = fmt.Sprintf("evaluation timed out after %s", timeout)
	default:
		why = "evaluation was cancelled"
	}
	// The goroutine may still write later slots: only those before done are final.
	return e.failClosedFrom(e.results, int(e.done.Load()), why), false
}

// work runs the policies on a goroutine of its own (see workers).
func (e *evaluation) work() {
	for k := range e.order {
		if e.opts.cancelled(e.ctx) {
			e.cancel()
			return
		}
		e.results[k] = e.runPolicy(k)
		e.done.Store(int32(k + 1))
	}
	if e.state.CompareAndSwap(running, finished) {
		close(e.wake)
	}
}

// cancel ends a bounded evaluation as cancelled, unless it already ended.
func (e *evaluation) cancel() {
	if e.state.CompareAndSwap(running, cancelled) {
		close(e.wake)
	}
}

// failClosedFrom keeps the findings of the first n policies and fails every
// later one closed.
func (e *evaluation) failClosedFrom(results [][]Finding, n int, why string) []Finding {
	var out []Finding
	for _, fs := range results[:n] {
		out = append(out, fs...)
	}
	for _, i := range e.order[n:] {
		out = append(out, e.pack.failClosed(e.pack.policies[i], e.s.levels[i], e.urn, e.typ, why))
	}
	return out
}

// runPolicy runs the k-th policy of the evaluation: its stack check, its
// remediation (Remediate), the change its remediation would make (`check`,
// which cannot apply it) or its resource check. A panic fails closed: a
// violation at the level the policy was running at, since a crash must
// never pass a resource.
func (e *evaluation) runPolicy(k int) (out []Finding) {
	i := e.order[k]
	pol, level, cfg := e.pack.policies[i], e.s.levels[i], e.s.configs[i]
	call := &e.call
	call.found = call.found[:0]
	defer func() {
		if rec := recover(); rec != nil {
			out = []Finding{e.pack.failClosed(pol, level, e.urn, e.typ, "internal error")}
		}
	}()
	switch {
	case e.st != nil:
		pol.checkStack(call, e.st, cfg)
		call.found = dropReadOnly(e.st, call.found)
	case e.remediating:
		next, changed := pol.remediate(call, &e.current, cfg)
		if len(call.found) == 0 && changed {
			e.fixes[k], e.current.Props = fix{props: next, set: true}, next
		}
	case level == Remediate && e.opts.Mode == CheckMode && pol.CanRemediate():
		level = Advisory // the change it would make is advice: check applies nothing
		next, changed := pol.remediate(call, e.r, cfg)
		if found := e.pack.collect(pol, level, call); len(found) > 0 || !changed {
			return found
		}
		return e.pack.describeChange(pol, e.r, next)
	default:
		pol.check(call, e.r, cfg)
	}
	return e.pack.collect(pol, level, call)
}

// fix is one remediation's change to a resource's inputs.
type fix struct {
	props property.Map
	set   bool
}

// Remediation is one policy's change to a resource's inputs, or (Props nil)
// the reason it could not run.
type Remediation struct {
	Policy     string
	Props      property.Map
	Diagnostic string
}

// Remediate runs, in registration order, every policy configured at
// `remediate`, each seeing the inputs the previous one produced. It runs
// like Analyze (opts.Timeout, cancellation): a remediation that panics,
// meets an unknown input or does not finish in time yields a Diagnostic
// instead of a change, and so does every one after it that could not run.
func (p *Pack) Remediate(ctx context.Context, r *gcp.Resource, opts Options) ([]Remediation, []NotApplicable) {
	s := p.settings.Load()
	e := newEvaluation(p, s, opts, r.URN, r.Type)
	e.r, e.current, e.remediating = r, *r, true
	var na []NotApplicable
	for i, pol := range p.policies {
		if pol.IsStack() || s.levels[i] != Remediate || !opts.wants(pol.Name) {
			continue
		}
		if !pol.CanRemediate() {
			na = append(na, NotApplicable{Policy: pol.Name, Reason: "Policy does not implement remediateResource"})
			continue
		}
		if !slices.Contains(p.resourcePolicies(r.Type), i) {
			na = append(na, NotApplicable{Policy: pol.Name, Reason: p.reasons[i]})
			continue
		}
		e.order = append(e.order, int32(i))
	}
	e.fixes = slices.Grow(e.fixes[:0], len(e.order))[:len(e.order)]
	found, reusable := e.run(ctx, opts.Timeout)
	// An unknown input, an internal error or a deadline: say so instead of
	// guessing. A policy's first finding is its diagnostic.
	diagnostic := map[string]string{}
	for _, f := range found {
		if _, ok := diagnostic[f.Policy]; !ok {
			msg := f.Message
			if f.Kind == Unknown {
				msg = strings.Replace(msg, "can't run policy", "can't run remediation", 1)
			}
			diagnostic[f.Policy] = msg
		}
	}
	var out []Remediation
	done := int(e.done.Load()) // fixes[k] is final for k < done
	for k, i := range e.order {
		name := p.policies[i].Name
		switch msg, failed := diagnostic[name]; {
		case failed:
			out = append(out, Remediation{Policy: name, Diagnostic: msg})
		case k < done && e.fixes[k].set:
			out = append(out, Remediation{Policy: name, Props: e.fixes[k].props})
		}
	}
	if reusable {
		e.release()
	}
	return out, na
}

// describeChange turns a remediation `check` cannot apply into advisory
// findings, one per input it would add, change or remove.
func (p *Pack) describeChange(pol *Policy, r *gcp.Resource, next property.Map) []Finding {
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

// FailClosed reports a violation of every enabled policy that would have
// run on a resource the caller could not evaluate (its properties could not
// be decoded, or the caller itself failed): the stack policies when stack
// is set, else the resource policies that apply to typ. A resource nobody
// could read must not pass.
func (p *Pack) FailClosed(stack bool, urn, typ, why string) []Finding {
	s := p.settings.Load()
	candidates := p.resourcePolicies(typ)
	if stack {
		candidates = p.stack
	}
	var out []Finding
	for _, i := range candidates {
		if s.levels[i] != Disabled {
			out = append(out, p.failClosed(p.policies[i], s.levels[i], urn, typ, why))
		}
	}
	return out
}

// failClosed is the violation of a policy that could not decide.
func (p *Pack) failClosed(pol *Policy, level Level, urn, typ, why string) Finding {
	return p.finding(pol, level.Reported(), Violation, urn, typ, "",
		fmt.Sprintf("could not evaluate %s on %s: %s", pol.Name, urn, why))
}

// collect turns a call's reports into findings: a violation on a resource
// makes its unknowns moot (the verdict is already "fail"), and identical
// reports collapse into one.
func (p *Pack) collect(pol *Policy, level Level, call *Call) []Finding {
	found := call.found
	if len(found) == 0 {
		return nil
	}
	level = level.Reported()
	var violated func(urn string) bool
	var seen func(k int) bool
	if len(found) <= smallReports {
		violated = func(urn string) bool {
			for _, r := range found {
				if r.kind == Violation && r.urn == urn {
					return true
				}
			}
			return false
		}
		seen = func(k int) bool {
			for _, r := range found[:k] {
				if r == found[k] {
					return true
				}
			}
			return false
		}
	} else {
		urns := map[string]bool{}
		for _, r := range found {
			if r.kind == Violation {
				urns[r.urn] = true
			}
		}
		reports := make(map[report]bool, len(found))
		violated = func(urn string) bool { return urns[urn] }
		seen = func(k int) bool {
			if reports[found[k]] {
				return true
			}
			reports[found[k]] = true
			return false
		}
	}
	var out []Finding
	for k, r := range found {
		if (r.kind == Unknown && violated(r.urn)) || seen(k) {
			continue
		}
		if r.kind == Unknown {
			out = append(out, p.unknownFinding(pol, level, call.encrypted, r))
			continue
		}
		f := p.finding(pol, level, Violation, r.urn, r.typ, r.path, r.message)
		f.Details = r.details
		out = append(out, f)
	}
	return out
}

// smallReports is how many reports collect compares pairwise rather than
// through maps.
const smallReports = 16

// encrypted is Options.Encrypted and Options.EncryptedAdvisory for the
// reports of one evaluation.
type encrypted struct {
	paths    func(urn string) []string
	advisory bool
}

// covers reports whether the value at path on the resource with this URN is,
// holds or lies inside a value the input holds encrypted. An empty path
// names no value in particular, so it is never put down to encryption.
func (enc *encrypted) covers(urn, path string) bool {
	if enc == nil || path == "" {
		return false
	}
	for _, sealed := range enc.paths(urn) {
		if pathsOverlap(path, sealed) {
			return true
		}
	}
	return false
}

// pathsOverlap reports whether two property paths, spelt by gcp.JoinPath and
// gcp.IndexPath, are equal or one lies inside the other.
func pathsOverlap(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if !strings.HasPrefix(b, a) {
		return false
	}
	return len(a) == len(b) || b[len(a)] == '.' || b[len(a)] == '['
}

// unknownFinding turns an unknown report into the preview advisory, or, for
// a value the input holds encrypted, into an unknown at the policy's level
// (see Options.Encrypted).
func (p *Pack) unknownFinding(pol *Policy, level Level, enc *encrypted, r report) Finding {
	if !enc.covers(r.urn, r.path) {
		if r.message != "" {
			return p.finding(pol, Advisory, Unknown, r.urn, r.typ, r.path, p.undecidedMessage(pol, r.message))
		}
		return p.finding(pol, Advisory, Unknown, r.urn, r.typ, r.path, p.unknownMessage(pol, r.path))
	}
	if enc.advisory {
		level = Advisory
	}
	return p.finding(pol, level, Unknown, r.urn, r.typ, r.path,
		fmt.Sprintf("can't run policy '%s' from policy pack '%s@v%s': %s is encrypted in this stack export; "+
			"export the stack with `pulumi stack export --show-secrets` to check it", pol.Name, p.Name, p.Version, r.path))
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

func notApplicableReason(pol *Policy) string {
	if len(pol.Types) == 1 {
		return "Policy only applies to resources of type '" + pol.Types[0] + "'"
	}
	return fmt.Sprintf("Policy only applies to %d resource types, such as '%s'", len(pol.Types), pol.Types[0])
}
