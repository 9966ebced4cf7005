package hotpath_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/propertyrpc"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// The server's handlers over the generated estate, the whole catalog enabled
// and configured as the engine configures it.

// engineConfig is the Configure request the engine sends: every policy at
// its advertised level with the defaults of its schema as properties.
func engineConfig(tb testing.TB, info *pulumirpc.AnalyzerInfo) *pulumirpc.ConfigureAnalyzerRequest {
	tb.Helper()
	cfg := map[string]*pulumirpc.PolicyConfig{}
	for _, p := range info.GetPolicies() {
		defaults := map[string]any{}
		for k, schema := range p.GetConfigSchema().GetProperties().GetFields() {
			if d, ok := schema.GetStructValue().GetFields()["default"]; ok {
				defaults[k] = d.AsInterface()
			}
		}
		props, err := structpb.NewStruct(defaults)
		if err != nil {
			tb.Fatal(err)
		}
		cfg[p.GetName()] = &pulumirpc.PolicyConfig{EnforcementLevel: p.GetEnforcementLevel(), Properties: props}
	}
	return &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg}
}

// benchServer is a configured server as the engine leaves it before the
// first Analyze.
func benchServer(tb testing.TB) *analyzer.Server {
	tb.Helper()
	ctx := context.Background()
	pack, err := policies.NewPack("0.0.0-bench", "benchmark")
	if err != nil {
		tb.Fatal(err)
	}
	srv := analyzer.New(pack, analyzer.PackInfo{}, io.Discard)
	srv.SetEnv(func(string) (string, bool) { return "", false })
	if _, err := srv.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
		Project: estate.Project, Stack: estate.Stack, DryRun: true}); err != nil {
		tb.Fatal(err)
	}
	info, err := srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := srv.Configure(ctx, engineConfig(tb, info)); err != nil {
		tb.Fatal(err)
	}
	return srv
}

// BenchmarkStartup is the pack's own share of start-up: building the pack,
// then GetAnalyzerInfo and Configure as the engine sends them. Package
// initialisation and the process launch are not in it.
func BenchmarkStartup(b *testing.B) {
	b.ReportAllocs()
	cpu := cpuTime()
	n := 0
	for b.Loop() {
		benchServer(b)
		n++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/op")
}

// estateRequests marshals the estate as the engine sends it: one
// AnalyzeRequest per resource (inputs) and one AnalyzeStackRequest (outputs).
func estateRequests(tb testing.TB, n int) ([]*pulumirpc.AnalyzeRequest, *pulumirpc.AnalyzeStackRequest) {
	tb.Helper()
	e := estate.Generate(n, estate.DefaultSeed)
	providers := map[*estate.Provider]*pulumirpc.AnalyzerProviderResource{}
	provider := func(p *estate.Provider) *pulumirpc.AnalyzerProviderResource {
		if p == nil {
			return nil
		}
		if pr, ok := providers[p]; ok {
			return pr
		}
		pr := &pulumirpc.AnalyzerProviderResource{Urn: p.URN, Type: p.Type, Name: p.Name, Properties: propertyrpc.Marshal(p.Props)}
		providers[p] = pr
		return pr
	}
	var reqs []*pulumirpc.AnalyzeRequest
	for _, r := range e.Resources {
		reqs = append(reqs, &pulumirpc.AnalyzeRequest{Urn: r.URN, Type: r.Type, Name: r.Name,
			Properties: propertyrpc.Marshal(r.Inputs), Provider: provider(r.Provider)})
	}
	stack := &pulumirpc.AnalyzeStackRequest{}
	for _, r := range e.StackResources() {
		ar := &pulumirpc.AnalyzerResource{Urn: r.URN, Type: r.Type, Name: r.Name,
			Properties: propertyrpc.Marshal(r.Outputs), Provider: provider(r.Provider),
			Parent: r.Parent, Dependencies: r.Dependencies}
		if len(r.PropertyDependencies) > 0 {
			ar.PropertyDependencies = map[string]*pulumirpc.AnalyzerPropertyDependencies{}
			for k, urns := range r.PropertyDependencies {
				ar.PropertyDependencies[k] = &pulumirpc.AnalyzerPropertyDependencies{Urns: urns}
			}
		}
		stack.Resources = append(stack.Resources, ar)
	}
	return reqs, stack
}

// BenchmarkServerAnalyze is the Analyze handler per resource: decoding the
// request, the model, every policy and the response.
func BenchmarkServerAnalyze(b *testing.B) {
	srv := benchServer(b)
	reqs, _ := estateRequests(b, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		if _, err := srv.Analyze(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
}

// BenchmarkServerAnalyzeStack is one AnalyzeStack handler call over the
// whole estate's outputs at several sizes; per-resource cost should not grow
// with the size.
func BenchmarkServerAnalyzeStack(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			_, stack := estateRequests(b, n)
			b.ReportAllocs()
			cpu := cpuTime()
			calls := 0
			for b.Loop() {
				if _, err := srv.AnalyzeStack(ctx, stack); err != nil {
					b.Fatal(err)
				}
				calls++
			}
			per := float64(calls * len(stack.GetResources()))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/resource")
			b.ReportMetric(float64(cpuTime()-cpu)/per, "cpu-ns/resource")
		})
	}
}
