package hotpath_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// The evaluator over the generated estate with the whole catalog at its
// default configuration.

const benchEstateSize = 1000

// engineTimeout is analyzer.DefaultTimeout: the server bounds every call,
// which puts each evaluation on its own goroutine.
const engineTimeout = 5 * time.Second

func benchPack(b *testing.B) *policy.Pack {
	b.Helper()
	pack, err := policies.NewPack("0.0.0-bench", "benchmark")
	if err != nil {
		b.Fatal(err)
	}
	return pack
}

func benchOptions(timeout time.Duration) policy.Options {
	return policy.Options{
		Stack: policy.StackInfo{Project: estate.Project, Stack: estate.Stack, DryRun: true},
		Env:   func(string) (string, bool) { return "", false },
		Mode:  policy.EngineMode, Timeout: timeout,
	}
}

// modelResources converts the estate: inputs for Analyze (each resource with
// its own provider copy, as each Analyze request decodes its provider), or
// outputs for AnalyzeStack (providers shared).
func modelResources(e *estate.Estate, outputs bool) []*gcp.Resource {
	shared := map[*estate.Provider]*gcp.Provider{}
	var out []*gcp.Resource
	add := func(er *estate.Resource) {
		r := &gcp.Resource{URN: er.URN, Type: er.Type, Name: er.Name, Props: er.Inputs}
		if outputs {
			r.Props = er.Outputs
			r.Parent, r.Dependencies, r.PropertyDependencies = er.Parent, er.Dependencies, er.PropertyDependencies
		}
		if ep := er.Provider; ep != nil {
			p := &gcp.Provider{URN: ep.URN, Type: ep.Type, Name: ep.Name, Props: ep.Props}
			if outputs {
				if s, ok := shared[ep]; ok {
					p = s
				}
				shared[ep] = p
			}
			r.Provider = p
		}
		out = append(out, r)
	}
	if outputs {
		add(e.Root)
	}
	for _, er := range e.Resources {
		add(er)
	}
	return out
}

// BenchmarkAnalyzeEstate is the per-resource cost of Pack.Analyze, the whole
// catalog enabled, over every resource of the estate in turn: ns/op is per
// resource (a fresh shallow copy each op, as every request decodes its own).
// "engine" calls it as the analyzer server does (a cancellable context and
// the default time limit); "direct" as `check` does. cpu-ns/op is the
// process's CPU time per op, steadier than ns/op on a busy machine.
func BenchmarkAnalyzeEstate(b *testing.B) {
	pack := benchPack(b)
	rs := modelResources(estate.Generate(benchEstateSize, estate.DefaultSeed), false)
	for _, mode := range []struct {
		name    string
		timeout time.Duration
		cancel  bool
	}{{"engine", engineTimeout, true}, {"direct", 0, false}} {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			if mode.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
			}
			opts := benchOptions(mode.timeout)
			b.ReportAllocs()
			findings := 0
			i := 0
			cpu := cpuTime()
			for b.Loop() {
				fs, _ := pack.Analyze(ctx, fresh(rs[i%len(rs)]), opts)
				findings += len(fs)
				i++
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
			b.ReportMetric(float64(findings)/float64(i), "findings/op")
		})
	}
}

// BenchmarkAnalyzeStackEstate is one AnalyzeStack over the whole estate's
// outputs; ns/resource is the per-resource share.
func BenchmarkAnalyzeStackEstate(b *testing.B) {
	pack := benchPack(b)
	e := estate.Generate(benchEstateSize, estate.DefaultSeed)
	rs := modelResources(e, true)
	opts := benchOptions(engineTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	n := 0
	cpu := cpuTime()
	for b.Loop() {
		st := gcp.NewStack(estate.Project, estate.Stack, rs)
		pack.AnalyzeStack(ctx, st, opts)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(rs)), "ns/resource")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(n*len(rs)), "cpu-ns/resource")
}

// BenchmarkAnalyzeStackScaling is AnalyzeStack over estates of 1,000 and
// 10,000 resources: the cost per resource must not grow with the stack
// (quadratic scans once made the larger one several times dearer).
func BenchmarkAnalyzeStackScaling(b *testing.B) {
	pack := benchPack(b)
	opts := benchOptions(engineTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, size := range []int{1000, 10000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			rs := modelResources(estate.Generate(size, estate.DefaultSeed), true)
			b.ReportAllocs()
			n := 0
			cpu := cpuTime()
			for b.Loop() {
				pack.AnalyzeStack(ctx, gcp.NewStack(estate.Project, estate.Stack, rs), opts)
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(rs)), "ns/resource")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(n*len(rs)), "cpu-ns/resource")
		})
	}
}
