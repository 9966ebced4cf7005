package policy

import (
	"cmp"
	"context"
	"slices"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
)

// Evaluate runs every resource policy on the inputs and every stack policy
// on the outputs of a deployment, as the engine does during an update.
// Unless opts.Encrypted is set, values the export holds encrypted are
// unknown, so they yield the preview advisory, as in the engine: fixtures
// state what the engine does.
func (p *Pack) Evaluate(ctx context.Context, dep *stackfile.Deployment, opts DeploymentOptions) []Finding {
	d := p.NewDeployment(ctx, opts)
	for i, r := range dep.Inputs {
		d.Resource(stackfile.Inputs{Index: i, Resource: r, Project: dep.Project, Stack: dep.Stack})
	}
	return d.Finish(dep)
}

// DeploymentOptions say how a Deployment evaluates.
type DeploymentOptions struct {
	// Only, when set, restricts evaluation to the named policies (fixtures).
	Only map[string]bool
	// Encrypted reports a policy that a value the export holds encrypted
	// keeps from deciding at the policy's own level (`check`), or with
	// EncryptedAdvisory as advisory, instead of as the preview advisory
	// (see Options.Encrypted).
	Encrypted, EncryptedAdvisory bool
	// ReadFile reads the files the deployment names (Options.ReadFile):
	// ReadLocalFile in `check`, LocalFilesUnder the repository root for
	// fixtures; nil reads none.
	ReadFile func(path string) ([]byte, error)
	// Found, when set, is handed each resource's findings while its inputs
	// are still at hand (`check` hashes the offending values for its
	// baseline fingerprints; the inputs are dropped after the call).
	Found func(in stackfile.Inputs, findings []Finding)
}

// Deployment is the evaluation of one deployment as `check` reads it:
// resource policies resource by resource, as stackfile.Stream hands the
// inputs over (each can be dropped once evaluated), then stack policies on
// the outputs. Findings come out in export order of their resources, stack
// findings last, whatever order the inputs came in.
type Deployment struct {
	ctx   context.Context
	pack  *Pack
	opts  DeploymentOptions
	found []Finding
	spans []span // which resource each run of found belongs to
	last  int    // index of the last resource evaluated
	moved bool   // a resource came before one evaluated earlier
}

// span is the findings of one resource: found[end of the previous span:end].
type span struct{ index, end int }

// NewDeployment starts evaluating a deployment.
func (p *Pack) NewDeployment(ctx context.Context, opts DeploymentOptions) *Deployment {
	return &Deployment{ctx: ctx, pack: p, opts: opts, last: -1}
}

// options are the evaluation options of one call; encrypted, when not nil,
// gives the paths of a resource's encrypted values as the call reads them.
func (d *Deployment) options(project, stack string, encrypted func(urn string) []string) Options {
	opts := Options{Stack: StackInfo{Project: project, Stack: stack}, Mode: CheckMode, Only: d.opts.Only, ReadFile: d.opts.ReadFile}
	if d.opts.Encrypted && encrypted != nil {
		opts.Encrypted, opts.EncryptedAdvisory = encrypted, d.opts.EncryptedAdvisory
	}
	return opts
}

// Resource runs the resource policies on one resource's inputs.
func (d *Deployment) Resource(in stackfile.Inputs) {
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
	fs, _ := d.pack.Analyze(d.ctx, in.Resource, d.options(in.Project, in.Stack, encrypted))
	if len(fs) == 0 {
		return
	}
	if d.opts.Found != nil {
		d.opts.Found(in, fs)
	}
	if in.Index < d.last {
		d.moved = true
	}
	d.last = in.Index
	d.found = append(d.found, fs...)
	d.spans = append(d.spans, span{index: in.Index, end: len(d.found)})
}

// Finish runs the stack policies on the outputs and returns every finding.
func (d *Deployment) Finish(dep *stackfile.Deployment) []Finding {
	findings := d.inExportOrder()
	st := gcp.NewStack(dep.Project, dep.Stack, dep.Outputs)
	var encrypted func(string) []string
	if len(dep.EncryptedOutputs) > 0 {
		encrypted = func(urn string) []string { return dep.EncryptedOutputs[urn] }
	}
	return append(findings, d.pack.AnalyzeStack(d.ctx, st, d.options(dep.Project, dep.Stack, encrypted))...)
}

func (d *Deployment) inExportOrder() []Finding {
	if !d.moved {
		return d.found
	}
	type run struct{ index, start, end int }
	runs := make([]run, len(d.spans))
	start := 0
	for i, s := range d.spans {
		runs[i] = run{s.index, start, s.end}
		start = s.end
	}
	slices.SortStableFunc(runs, func(a, b run) int { return cmp.Compare(a.index, b.index) })
	out := make([]Finding, 0, len(d.found))
	for _, r := range runs {
		out = append(out, d.found[r.start:r.end]...)
	}
	return out
}
