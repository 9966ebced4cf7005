package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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

const checkUsage = `usage: dataflow-guardrails check [flags] <stack-export.json | directory | -> ...

Checks 'pulumi stack export' documents (resource policies on inputs, stack
policies on outputs): files, and every *.json in the directories given that
is a stack export (other JSON files are skipped with a note). Stacks are
checked in parallel and reported together.

Exit 0: no mandatory violation fails; 1: at least one does; 2: bad input or
usage, including an export that cannot be read (the others are still
reported). A secret exported encrypted (without --show-secrets) that a
mandatory policy needs fails the check too, unless --allow-encrypted-secrets
is given.

Adopting the pack on existing stacks: record today's findings once with
'check --format json ... > baseline.json', commit it, then gate with
'check --baseline baseline.json ...': only findings the baseline does not
hold fail. Or write them as engine exceptions with --write-exceptions, for
'pulumi preview --policy-pack-config'.

flags:
`

func (a *App) check(args []string) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "output format: text, json or sarif (SARIF 2.1.0, for code scanning)")
	configPath := fs.String("policy-pack-config", "", "policy pack config file (the engine's v1 or v2 format); its exceptions are honoured")
	allowEncrypted := fs.Bool("allow-encrypted-secrets", false,
		"report a policy that a secret encrypted in the export keeps from deciding as an advisory unknown (as at preview) instead of failing at the policy's level")
	failSeverity := fs.String("fail-severity", "",
		"fail only on mandatory findings of this severity or higher: low, medium, high or critical (default: every mandatory finding fails); all findings are still reported")
	baselinePath := fs.String("baseline", "",
		"an earlier 'check --format json' report: findings it holds are reported as baselined and do not fail; the summary lists its entries that no longer occur")
	exceptionsPath := fs.String("write-exceptions", "",
		"write the mandatory findings as a version 2 --policy-pack-config file with an exceptions block (the --policy-pack-config file's settings are kept), for pulumi preview and check alike")
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			fmt.Fprint(a.Stdout, checkUsage+fs.FlagUsages())
			return exitOK
		}
		return a.usageError("check: %v", err)
	}
	if fs.NArg() == 0 {
		return a.usageError("check: want at least one stack export file or directory (or - for stdin)")
	}
	if *format != "text" && *format != "json" && *format != "sarif" {
		return a.usageError("check: unknown --format %q (want text, json or sarif)", *format)
	}
	failAt := policy.Severity(strings.ToLower(*failSeverity))
	if failAt != "" && report.SeverityRank(failAt) == 0 {
		return a.usageError("check: unknown --fail-severity %q (want low, medium, high or critical)", *failSeverity)
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
	var baseline []report.BaselineEntry
	if *baselinePath != "" {
		b, err := readBaseline(*baselinePath)
		if err != nil {
			return a.usageError("check: %v", err)
		}
		baseline = b
	}
	targets, err := a.exportTargets(fs.Args())
	if err != nil {
		return a.usageError("check: %v", err)
	}

	results := a.checkAll(context.Background(), targets, *allowEncrypted)
	if len(targets) == 1 && results[0].err != nil {
		return a.usageError("check: %v", results[0].err) // one export: as before, no report
	}
	rep, ok := a.buildReport(results, file)
	if !ok {
		return a.usageError("check: no stack export found in %s", strings.Join(fs.Args(), ", "))
	}
	if baseline != nil {
		matchBaseline(rep, *baselinePath, baseline)
	}
	rep.Recount(failAt)
	if *exceptionsPath != "" {
		n, err := writeExceptions(*exceptionsPath, *configPath, rep, time.Now().UTC())
		if err != nil {
			return a.usageError("check: %v", err)
		}
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: wrote %d exceptions to %s; pass it with --policy-pack-config to pulumi preview/up and check\n", n, *exceptionsPath)
	}
	var positions map[string]report.SourcePosition
	for _, r := range results {
		if r.res != nil && len(r.res.positions) > 0 {
			if positions == nil {
				positions = map[string]report.SourcePosition{}
			}
			for urn, p := range sourcePositions(r.res.positions) {
				positions[urn] = p
			}
		}
	}
	switch *format {
	case "json":
		err = rep.WriteJSON(a.Stdout)
	case "sarif":
		err = rep.WriteSARIF(a.Stdout, a.sarifOptions(file, positions))
	default:
		err = capForText(rep).WriteText(a.Stdout, a.remedy)
	}
	if err != nil {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: check: writing the report: %v\n", err)
		return exitUsage
	}
	if rep.Summary.Skipped > 0 {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: %d of %d stack exports could not be read (see the report)\n", rep.Summary.Skipped, len(rep.Stacks))
	}
	if rep.Failed() {
		undecided := undecided(rep, failAt)
		if violations := rep.Summary.Failing - undecided; violations > 0 {
			fmt.Fprintf(a.Stderr, "dataflow-guardrails: %d mandatory policy violations\n", violations)
		}
		if undecided > 0 {
			fmt.Fprintf(a.Stderr, "dataflow-guardrails: %d mandatory policy checks cannot run on values encrypted in this export: "+
				"export with `pulumi stack export --show-secrets`, or pass --allow-encrypted-secrets to report them as advisory\n", undecided)
		}
	}
	switch {
	case rep.Summary.Skipped > 0:
		return exitUsage // bad input wins over violations
	case rep.Failed():
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
	capped.Findings, capped.Notes = nil, nil
	fs, notes := rep.Findings, rep.Notes
	if len(notes) < len(fs) {
		notes = make([]report.Note, len(fs))
	}
	for start := 0; start < len(fs); {
		end := start + 1
		for end < len(fs) && sameTextGroup(fs[start], notes[start], fs[end], notes[end]) {
			end++
		}
		if n := end - start; n <= maxTextFindings || fs[start].Excepted {
			capped.Findings = append(capped.Findings, fs[start:end]...)
			capped.Notes = append(capped.Notes, notes[start:end]...)
		} else {
			more := fs[start+maxTextFindings]
			more.Path = ""
			more.Message = fmt.Sprintf("... and %d more like these (--format json lists them all)", n-maxTextFindings)
			capped.Findings = append(capped.Findings, fs[start:start+maxTextFindings]...)
			capped.Findings = append(capped.Findings, more)
			capped.Notes = append(capped.Notes, notes[start:start+maxTextFindings+1]...)
		}
		start = end
	}
	return &capped
}

// undecided counts the failing mandatory unknowns: policies an encrypted
// value keeps from deciding.
func undecided(rep *report.Report, failAt policy.Severity) int {
	n := 0
	for i, f := range rep.Findings {
		if f.Kind == policy.Unknown && !f.Excepted && !rep.Notes[i].Baselined && report.Blocks(f) &&
			(failAt == "" || report.SeverityRank(f.Severity) >= report.SeverityRank(failAt)) {
			n++
		}
	}
	return n
}

// sameTextGroup reports whether the text report shows b under a's header.
func sameTextGroup(a policy.Finding, an report.Note, b policy.Finding, bn report.Note) bool {
	return an.Stack == bn.Stack && a.URN == b.URN && a.Policy == b.Policy && report.NotedLabel(a, an) == report.NotedLabel(b, bn)
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
	digests   map[string]string // value digest by findingKey
	encrypted int               // Deployment.CiphertextSecrets
}

// checkExport reads an export and evaluates it as it goes: each resource's
// inputs are evaluated as soon as they are read and then dropped, so only
// the outputs stay for the stack policies. Nothing is reported from an
// export that turns out unreadable. Unlike Pack.Evaluate, a policy that a
// value encrypted in the export keeps from deciding is reported at its own
// level, or with allowEncrypted as advisory (see policy.Options.Encrypted).
// Each finding's offending value is hashed while it is at hand, for the
// baseline fingerprint. read, when not nil, counts the resources read.
func (a *App) checkExport(ctx context.Context, path string, allowEncrypted bool, read func()) (*checked, error) {
	digests := map[string]string{}
	ev := a.Pack.NewDeployment(ctx, policy.DeploymentOptions{
		Encrypted: true, EncryptedAdvisory: allowEncrypted, ReadFile: policy.ReadLocalFile,
		Found: func(in stackfile.Inputs, fs []policy.Finding) {
			for _, f := range fs {
				digests[findingKey(f)] = valueDigest(in.Resource.Props, f.Path)
			}
		},
	})
	each := ev.Resource
	if read != nil {
		each = func(in stackfile.Inputs) { ev.Resource(in); read() }
	}
	var dep *stackfile.Deployment
	var err error
	if path == "-" {
		dep, err = stackfile.Stream(a.Stdin, each)
	} else {
		dep, err = stackfile.StreamFile(path, each)
	}
	if err != nil {
		return nil, err
	}
	findings := ev.Finish(dep)
	var outputs map[string]*gcp.Resource
	for _, f := range findings {
		key := findingKey(f)
		if _, ok := digests[key]; ok {
			continue
		}
		if outputs == nil { // a stack policy's finding: its value is in the outputs
			outputs = make(map[string]*gcp.Resource, len(dep.Outputs))
			for _, r := range dep.Outputs {
				outputs[r.URN] = r
			}
		}
		if r := outputs[f.URN]; r != nil {
			digests[key] = valueDigest(r.Props, f.Path)
		}
	}
	return &checked{
		findings:  findings,
		stack:     report.Stack{Project: dep.Project, Stack: dep.Stack},
		total:     dep.Total,
		positions: dep.SourcePositions,
		digests:   digests,
		encrypted: dep.CiphertextSecrets,
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
