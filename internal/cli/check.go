package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
)

// Exit codes of `check`.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
)

const checkUsage = `usage: dataflow-guardrails check [flags] <stack-export.json | ->

Checks a 'pulumi stack export' document (resource policies on inputs, stack
policies on outputs). Exit 0: no mandatory violation; 1: at least one;
2: bad input or usage. A secret exported encrypted (without --show-secrets)
that a mandatory policy needs fails the check too, unless
--allow-encrypted-secrets is given.

flags:
`

func (a *App) check(args []string) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "output format: text, json or sarif (SARIF 2.1.0, for code scanning)")
	configPath := fs.String("policy-pack-config", "", "policy pack config file (the engine's v1 or v2 format)")
	allowEncrypted := fs.Bool("allow-encrypted-secrets", false,
		"report a policy that a secret encrypted in the export keeps from deciding as an advisory unknown (as at preview) instead of failing at the policy's level")
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			fmt.Fprint(a.Stdout, checkUsage+fs.FlagUsages())
			return exitOK
		}
		return a.usageError("check: %v", err)
	}
	if fs.NArg() != 1 {
		return a.usageError("check: want exactly one stack export file (or - for stdin), got %d arguments", fs.NArg())
	}
	if *format != "text" && *format != "json" && *format != "sarif" {
		return a.usageError("check: unknown --format %q (want text, json or sarif)", *format)
	}

	var file *packconfig.File
	if *configPath != "" {
		f, err := packconfig.ReadFile(*configPath)
		if err != nil {
			return a.usageError("check: %v", err)
		}
		file = f
	}
	if err := a.configure(file); err != nil {
		return a.usageError("check: %v", err)
	}

	res, err := a.checkExport(context.Background(), fs.Arg(0), *allowEncrypted)
	if err != nil {
		return a.usageError("check: %v", err)
	}
	findings := res.findings
	if file != nil {
		for i := range findings {
			if len(file.Exceptions.Match(findings[i].Policy, findings[i].URN)) > 0 {
				findings[i].Excepted = true
			}
		}
	}
	rep := report.New(report.Pack{Name: a.Pack.Name, Version: a.Pack.Version}, res.stack, res.total, findings)
	switch *format {
	case "json":
		err = rep.WriteJSON(a.Stdout)
	case "sarif":
		err = rep.WriteSARIF(a.Stdout, a.sarifOptions(file, sourcePositions(res.positions)))
	default:
		err = capForText(rep).WriteText(a.Stdout, a.remedy)
	}
	if err != nil {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: check: writing the report: %v\n", err)
		return exitUsage
	}
	if rep.Failed() {
		undecided := undecided(findings)
		if violations := rep.Summary.Mandatory - undecided; violations > 0 {
			fmt.Fprintf(a.Stderr, "dataflow-guardrails: %d mandatory policy violations\n", violations)
		}
		if undecided > 0 {
			fmt.Fprintf(a.Stderr, "dataflow-guardrails: %d mandatory policy checks cannot run on values encrypted in this export: "+
				"export with `pulumi stack export --show-secrets`, or pass --allow-encrypted-secrets to report them as advisory\n", undecided)
		}
		return exitViolation
	}
	return exitOK
}

// maxTextFindings caps the lines of one policy at one level on one resource
// in the text report: a binding with 100,000 members would otherwise fill
// the terminal with 100,000 near-identical lines. JSON and SARIF list every
// finding.
const maxTextFindings = 20

// capForText returns the report with each run of more than maxTextFindings
// findings of one policy and level on one resource (as the text report
// groups them) cut to that many and a line saying how many more there are.
// The summary stays the full report's. Excepted findings are left whole:
// the text summary counts them line by line.
func capForText(rep *report.Report) *report.Report {
	capped := *rep
	capped.Findings = nil
	fs := rep.Findings
	for start := 0; start < len(fs); {
		end := start + 1
		for end < len(fs) && sameTextGroup(fs[start], fs[end]) {
			end++
		}
		if n := end - start; n <= maxTextFindings || fs[start].Excepted {
			capped.Findings = append(capped.Findings, fs[start:end]...)
		} else {
			more := fs[start+maxTextFindings]
			more.Path = ""
			more.Message = fmt.Sprintf("... and %d more like these (--format json lists them all)", n-maxTextFindings)
			capped.Findings = append(capped.Findings, fs[start:start+maxTextFindings]...)
			capped.Findings = append(capped.Findings, more)
		}
		start = end
	}
	return &capped
}

// undecided counts the mandatory unknowns that are not excepted: policies
// an encrypted value keeps from deciding.
func undecided(findings []policy.Finding) int {
	n := 0
	for _, f := range findings {
		if f.Kind == policy.Unknown && !f.Excepted && report.Blocks(f) {
			n++
		}
	}
	return n
}

// sameTextGroup reports whether the text report shows b under a's header.
func sameTextGroup(a, b policy.Finding) bool {
	return a.URN == b.URN && a.Policy == b.Policy && report.Label(a) == report.Label(b)
}

// sarifOptions describes the pack to the SARIF writer. Artifact paths are
// relative to the repository root when check runs in the Pulumi project's
// directory (where `pulumi stack export` runs): a result points at where its
// resource was registered, or else at the project file. Elsewhere results
// carry the URN as a logical location, plus the registration site relative
// to the project.
func (a *App) sarifOptions(file *packconfig.File, positions map[string]report.SourcePosition) report.SARIFOptions {
	opts := report.SARIFOptions{Policies: a.Pack.Policies(), InformationURI: a.Info.Repository, Positions: positions}
	if wd, err := os.Getwd(); err == nil {
		if root, projectFile := report.LocateProject(wd); projectFile != "" {
			opts.SourceRoot, opts.ProjectFile = root, projectFile
		}
	}
	if file != nil {
		opts.Justification = func(f policy.Finding) string {
			var why []string
			for _, x := range file.Exceptions.Matching(f.Policy, f.URN) {
				why = append(why, fmt.Sprintf("exception %s: %s", x.ID, x.Reason))
			}
			return strings.Join(why, "; ")
		}
	}
	return opts
}

// sourcePositions maps URNs to where the program registered each resource,
// from the raw `sourcePosition` newer CLIs export (such as
// `project:///main.go#12,3`) by URN.
func sourcePositions(raw map[string]string) map[string]report.SourcePosition {
	out := make(map[string]report.SourcePosition, len(raw))
	for urn, raw := range raw {
		if pos, ok := report.ParseSourcePosition(raw); ok {
			out[urn] = pos
		}
	}
	return out
}

// checked is what a report needs of an evaluated export: not the
// deployment, whose properties can go once the policies have run.
type checked struct {
	findings  []policy.Finding
	stack     report.Stack
	total     int
	positions map[string]string // Deployment.SourcePositions
}

// checkExport reads an export and evaluates it as it goes: each resource's
// inputs are evaluated as soon as they are read and then dropped, so only
// the outputs stay for the stack policies. Nothing is reported from an
// export that turns out unreadable. Unlike Evaluate, a policy that a value
// encrypted in the export keeps from deciding is reported at its own level,
// or with allowEncrypted as advisory (see policy.Options.Encrypted).
func (a *App) checkExport(ctx context.Context, path string, allowEncrypted bool) (*checked, error) {
	ev := newEvaluation(ctx, a.Pack, nil)
	ev.encrypted, ev.allowEncrypted = true, allowEncrypted
	var dep *stackfile.Deployment
	var err error
	if path == "-" {
		dep, err = stackfile.Stream(a.Stdin, ev.resource)
	} else {
		dep, err = stackfile.StreamFile(path, ev.resource)
	}
	if err != nil {
		return nil, err
	}
	if dep.CiphertextSecrets > 0 {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: warning: %d secret values are encrypted in this export and treated as unknown; export with `pulumi stack export --show-secrets` to check them\n", dep.CiphertextSecrets)
	}
	return &checked{
		findings:  ev.finish(dep),
		stack:     report.Stack{Project: dep.Project, Stack: dep.Stack},
		total:     dep.Total,
		positions: dep.SourcePositions,
	}, nil
}

// configure applies a config file to the pack, warning on stderr.
func (a *App) configure(file *packconfig.File) error {
	return Configure(a.Pack, file, func(w string) { fmt.Fprintf(a.Stderr, "dataflow-guardrails: warning: %s\n", w) })
}

// Configure reconciles a config file the way the engine does (defaults,
// "all", per-policy levels and properties), validates it against the
// policies' schemas and applies it to the pack. A nil file changes nothing.
func Configure(pack *policy.Pack, file *packconfig.File, warn func(string)) error {
	if file == nil {
		return nil
	}
	var defaults []packconfig.PolicyDefault
	var known []string
	for _, p := range pack.Policies() {
		defaults = append(defaults, packconfig.PolicyDefault{Name: p.Name, Level: p.Level, Schema: p.ConfigSchema})
		known = append(known, p.Name)
	}
	cfg, err := packconfig.Reconcile(defaults, file.Policies)
	if err != nil {
		return err
	}
	if err := packconfig.Validate(defaults, cfg); err != nil {
		return err
	}
	warnings, err := pack.Configure(cfg)
	for _, w := range warnings {
		if w != `ignoring configuration for unknown policy "all"` {
			warn(w)
		}
	}
	for _, name := range file.Exceptions.UnknownPolicies(known) {
		warn(fmt.Sprintf("exception names unknown policy %q", name))
	}
	return err
}

// Evaluate (restricted to the policies in only, when not nil) runs every
// resource policy on the inputs and every stack policy on the outputs of a
// deployment, as the engine does during an update. Values the export holds
// encrypted are unknown, so they yield the preview advisory, as in the
// engine: fixtures state what the engine does.
func Evaluate(ctx context.Context, pack *policy.Pack, dep *stackfile.Deployment, only map[string]bool) []policy.Finding {
	ev := newEvaluation(ctx, pack, only)
	for i, r := range dep.Inputs {
		ev.resource(stackfile.Inputs{Index: i, Resource: r, Project: dep.Project, Stack: dep.Stack})
	}
	return ev.finish(dep)
}

// evaluation collects the findings of one deployment: resource policies
// resource by resource, as stackfile.Stream hands the inputs over, then
// stack policies. Findings come out in export order of their resources,
// stack findings last, whatever order the inputs came in.
type evaluation struct {
	ctx   context.Context
	pack  *policy.Pack
	only  map[string]bool
	found []policy.Finding
	spans []span // which resource each run of found belongs to
	last  int    // index of the last resource evaluated
	moved bool   // a resource came before one evaluated earlier

	// encrypted: report unknowns from values the export holds encrypted at
	// their policy's level (check), or with allowEncrypted as advisory.
	encrypted, allowEncrypted bool
}

// span is the findings of one resource: found[end of the previous span:end].
type span struct{ index, end int }

func newEvaluation(ctx context.Context, pack *policy.Pack, only map[string]bool) *evaluation {
	return &evaluation{ctx: ctx, pack: pack, only: only, last: -1}
}

// options are the evaluation options of one call; encrypted, when not nil,
// gives the paths of a resource's encrypted values as the call reads them.
func (e *evaluation) options(project, stack string, encrypted func(urn string) []string) policy.Options {
	opts := policy.Options{Stack: policy.StackInfo{Project: project, Stack: stack}, Mode: policy.CheckMode, Only: e.only}
	if e.encrypted && encrypted != nil {
		opts.Encrypted, opts.EncryptedAdvisory = encrypted, e.allowEncrypted
	}
	return opts
}

// resource runs the resource policies on one resource's inputs.
func (e *evaluation) resource(in stackfile.Inputs) {
	if in.Resource.External {
		return // the engine never analyzes a resource the stack only reads
	}
	var encrypted func(string) []string
	if len(in.Encrypted) > 0 {
		encrypted = func(urn string) []string {
			if urn == in.Resource.URN {
				return in.Encrypted
			}
			return nil
		}
	}
	fs, _ := e.pack.Analyze(e.ctx, in.Resource, e.options(in.Project, in.Stack, encrypted))
	if len(fs) == 0 {
		return
	}
	if in.Index < e.last {
		e.moved = true
	}
	e.last = in.Index
	e.found = append(e.found, fs...)
	e.spans = append(e.spans, span{index: in.Index, end: len(e.found)})
}

// finish runs the stack policies on the outputs and returns every finding.
func (e *evaluation) finish(dep *stackfile.Deployment) []policy.Finding {
	findings := e.inExportOrder()
	st := gcp.NewStack(dep.Project, dep.Stack, dep.Outputs)
	var encrypted func(string) []string
	if len(dep.EncryptedOutputs) > 0 {
		encrypted = func(urn string) []string { return dep.EncryptedOutputs[urn] }
	}
	return append(findings, e.pack.AnalyzeStack(e.ctx, st, e.options(dep.Project, dep.Stack, encrypted))...)
}

func (e *evaluation) inExportOrder() []policy.Finding {
	if !e.moved {
		return e.found
	}
	type run struct{ index, start, end int }
	runs := make([]run, len(e.spans))
	start := 0
	for i, s := range e.spans {
		runs[i] = run{s.index, start, s.end}
		start = s.end
	}
	slices.SortStableFunc(runs, func(a, b run) int { return cmp.Compare(a.index, b.index) })
	out := make([]policy.Finding, 0, len(e.found))
	for _, r := range runs {
		out = append(out, e.found[r.start:r.end]...)
	}
	return out
}
