package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

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
// export that turns out unreadable. Unlike Pack.Evaluate, a policy that a
// value encrypted in the export keeps from deciding is reported at its own
// level, or with allowEncrypted as advisory (see policy.Options.Encrypted).
func (a *App) checkExport(ctx context.Context, path string, allowEncrypted bool) (*checked, error) {
	ev := a.Pack.NewDeployment(ctx, policy.DeploymentOptions{Encrypted: true, EncryptedAdvisory: allowEncrypted})
	var dep *stackfile.Deployment
	var err error
	if path == "-" {
		dep, err = stackfile.Stream(a.Stdin, ev.Resource)
	} else {
		dep, err = stackfile.StreamFile(path, ev.Resource)
	}
	if err != nil {
		return nil, err
	}
	if dep.CiphertextSecrets > 0 {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: warning: %d secret values are encrypted in this export and treated as unknown; export with `pulumi stack export --show-secrets` to check them\n", dep.CiphertextSecrets)
	}
	return &checked{
		findings:  ev.Finish(dep),
		stack:     report.Stack{Project: dep.Project, Stack: dep.Stack},
		total:     dep.Total,
		positions: dep.SourcePositions,
	}, nil
}

// configure applies a config file to the pack (reconciled as the engine
// does, validated against the policies' schemas), warning on stderr. A nil
// file changes nothing.
func (a *App) configure(file *packconfig.File) error {
	if file == nil {
		return nil
	}
	warnings, err := a.Pack.Apply(file.Policies)
	var known []string
	for _, p := range a.Pack.Policies() {
		known = append(known, p.Name)
	}
	for _, name := range file.Exceptions.UnknownPolicies(known) {
		warnings = append(warnings, fmt.Sprintf("exception names unknown policy %q", name))
	}
	for _, w := range warnings {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: warning: %s\n", w)
	}
	return err
}
