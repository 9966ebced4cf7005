package main

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
)

// workload is one estate as the engine sends it: one AnalyzeRequest per
// resource (inputs) and one AnalyzeStackRequest (outputs), marshalled once
// up front with the engine's own options so every analyzer gets the same
// bytes and the engine-side cost stays out of the timings.
type workload struct {
	n       int
	seed    uint64
	analyze []*pulumirpc.AnalyzeRequest
	stack   *pulumirpc.AnalyzeStackRequest
	types   map[string]int

	analyzeBytes int // all Analyze requests
	stackBytes   int
}

// marshal is what the engine's analyzer client does (sdk/v3
// resource/plugin/analyzer_plugin.go): keep unknowns and secrets, skip
// internal keys.
func marshal(m property.Map) (*structpb.Struct, error) {
	return plugin.MarshalProperties(resource.ToResourcePropertyMap(m),
		plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true})
}

func buildWorkload(n int, seed uint64) (*workload, error) {
	e := estate.Generate(n, seed)
	w := &workload{n: n, seed: seed, types: map[string]int{}}
	providers := map[*estate.Provider]*pulumirpc.AnalyzerProviderResource{}
	provider := func(p *estate.Provider) (*pulumirpc.AnalyzerProviderResource, error) {
		if p == nil {
			return nil, nil
		}
		if pr, ok := providers[p]; ok {
			return pr, nil
		}
		props, err := marshal(p.Props)
		if err != nil {
			return nil, err
		}
		pr := &pulumirpc.AnalyzerProviderResource{Urn: p.URN, Type: p.Type, Name: p.Name, Properties: props}
		providers[p] = pr
		return pr, nil
	}
	options := func(r *estate.Resource) *pulumirpc.AnalyzerResourceOptions {
		return &pulumirpc.AnalyzerResourceOptions{Parent: r.Parent,
			CustomTimeouts: &pulumirpc.AnalyzerResourceOptions_CustomTimeouts{}}
	}
	for _, r := range e.Resources {
		props, err := marshal(r.Inputs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.URN, err)
		}
		prov, err := provider(r.Provider)
		if err != nil {
			return nil, err
		}
		req := &pulumirpc.AnalyzeRequest{Urn: r.URN, Type: r.Type, Name: r.Name, Properties: props,
			Options: options(r), Provider: prov}
		w.analyze = append(w.analyze, req)
		w.analyzeBytes += proto.Size(req)
		w.types[r.Type]++
	}
	w.stack = &pulumirpc.AnalyzeStackRequest{}
	for _, r := range e.StackResources() {
		props, err := marshal(r.Outputs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.URN, err)
		}
		prov, err := provider(r.Provider)
		if err != nil {
			return nil, err
		}
		ar := &pulumirpc.AnalyzerResource{Urn: r.URN, Type: r.Type, Name: r.Name, Properties: props,
			Options: options(r), Provider: prov, Parent: r.Parent, Dependencies: r.Dependencies}
		if len(r.PropertyDependencies) > 0 {
			ar.PropertyDependencies = map[string]*pulumirpc.AnalyzerPropertyDependencies{}
			for k, urns := range r.PropertyDependencies {
				ar.PropertyDependencies[k] = &pulumirpc.AnalyzerPropertyDependencies{Urns: urns}
			}
		}
		w.stack.Resources = append(w.stack.Resources, ar)
	}
	w.stackBytes = proto.Size(w.stack)
	return w, nil
}

// workloadSummary describes an estate in the report.
type workloadSummary struct {
	N          int
	Types      int
	TopTypes   []string
	MeanBytes  int
	StackBytes int
}

func (w *workload) summary() workloadSummary {
	type tc struct {
		t string
		c int
	}
	var all []tc
	for t, c := range w.types {
		all = append(all, tc{t, c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].c != all[j].c {
			return all[i].c > all[j].c
		}
		return all[i].t < all[j].t
	})
	s := workloadSummary{N: w.n, Types: len(all), MeanBytes: w.analyzeBytes / max(1, w.n), StackBytes: w.stackBytes}
	for i := 0; i < len(all) && i < 5; i++ {
		s.TopTypes = append(s.TopTypes, fmt.Sprintf("%s ×%d", shortType(all[i].t), all[i].c))
	}
	return s
}

// shortType drops the package prefix of a type token for the report.
func shortType(t string) string {
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == ':' {
			return t[i+1:]
		}
	}
	return t
}
