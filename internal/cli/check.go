package cli

import (
	"context"
	"fmt"
	"io"
	"os"
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
2: bad input or usage.

flags:
`

func (a *App) check(args []string) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "output format: text, json or sarif (SARIF 2.1.0, for code scanning)")
	configPath := fs.String("policy-pack-config", "", "policy pack config file (the engine's v1 or v2 format)")
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

	dep, err := a.readDeployment(fs.Arg(0))
	if err != nil {
		return a.usageError("check: %v", err)
	}
	if dep.CiphertextSecrets > 0 {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: warning: %d secret values are encrypted in this export and treated as unknown; export with `pulumi stack export --show-secrets` to check them\n", dep.CiphertextSecrets)
	}

	findings := Evaluate(context.Background(), a.Pack, dep, nil)
	if file != nil {
		for i := range findings {
			if len(file.Exceptions.Match(findings[i].Policy, findings[i].URN)) > 0 {
				findings[i].Excepted = true
			}
		}
	}
	rep := report.New(report.Pack{Name: a.Pack.Name, Version: a.Pack.Version},
		report.Stack{Project: dep.Project, Stack: dep.Stack}, dep.Total, findings)
	switch *format {
	case "json":
		err = rep.WriteJSON(a.Stdout)
	case "sarif":
		err = rep.WriteSARIF(a.Stdout, a.sarifOptions(file, sourcePositions(dep)))
	default:
		err = rep.WriteText(a.Stdout, a.remedy)
	}
	if err != nil {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: check: writing the report: %v\n", err)
		return exitUsage
	}
	if rep.Failed() {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: %d mandatory policy violations\n", rep.Summary.Mandatory)
		return exitViolation
	}
	return exitOK
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

// sourcePositions maps URNs to where the program registered each resource
// (the `sourcePosition` newer CLIs export, such as `project:///main.go#12,3`).
// The stackfile package does not read that field yet, so there are none.
func sourcePositions(dep *stackfile.Deployment) map[string]report.SourcePosition {
	out := make(map[string]report.SourcePosition, len(dep.SourcePositions))
	for urn, raw := range dep.SourcePositions {
		if pos, ok := report.ParseSourcePosition(raw); ok {
			out[urn] = pos
		}
	}
	return out
}

func (a *App) readDeployment(path string) (*stackfile.Deployment, error) {
	if path == "-" {
		return stackfile.Read(a.Stdin)
	}
	return stackfile.ReadFile(path)
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

// Evaluate (restricted to the policies in only, when not nil) runs every resource policy on the inputs and every stack policy on
// the outputs of a deployment, as the engine does during an update.
func Evaluate(ctx context.Context, pack *policy.Pack, dep *stackfile.Deployment, only map[string]bool) []policy.Finding {
	opts := policy.Options{Stack: policy.StackInfo{Project: dep.Project, Stack: dep.Stack}, Mode: policy.CheckMode, Only: only}
	var findings []policy.Finding
	for _, r := range dep.Inputs {
		if r.External {
			continue // the engine never analyzes a resource the stack only reads
		}
		fs, _ := pack.Analyze(ctx, r, opts)
		findings = append(findings, fs...)
	}
	st := gcp.NewStack(dep.Project, dep.Stack, dep.Outputs)
	findings = append(findings, pack.AnalyzeStack(ctx, st, opts)...)
	return findings
}
