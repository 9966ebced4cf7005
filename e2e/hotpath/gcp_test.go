package hotpath_test

import (
	"testing"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// The model's hot paths over the generated estate. Each op is one resource.

// estateResources converts a generated estate into model resources, the
// providers shared as the analyzer's AnalyzeStack provider cache does.
func estateResources(n int, keep func(*gcp.Resource) bool) []*gcp.Resource {
	e := estate.Generate(n, estate.DefaultSeed)
	providers := map[*estate.Provider]*gcp.Provider{}
	var out []*gcp.Resource
	for _, er := range e.Resources {
		r := &gcp.Resource{URN: er.URN, Type: er.Type, Name: er.Name, Props: er.Inputs}
		if ep := er.Provider; ep != nil {
			p, ok := providers[ep]
			if !ok {
				p = &gcp.Provider{URN: ep.URN, Type: ep.Type, Name: ep.Name, Props: ep.Props}
				providers[ep] = p
			}
			r.Provider = p
		}
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// BenchmarkGrants extracts every grant of the estate's IAM members, bindings,
// policies (policyData parsed each time, as each policy call does) and
// BigQuery datasets.
func BenchmarkGrants(b *testing.B) {
	rs := estateResources(2000, func(r *gcp.Resource) bool {
		_, _, _, iam := gcp.IAMTypeInfo(r.Type)
		return iam || r.Type == gcp.BigQueryDataset || r.Type == gcp.BigQueryDatasetAccess
	})
	if len(rs) == 0 {
		b.Fatal("the estate has no grant resources")
	}
	b.ReportAllocs()
	grants := 0
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		gs, _ := gcp.Grants(fresh(rs[i%len(rs)]))
		grants += len(gs)
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
	b.ReportMetric(float64(grants)/float64(i), "grants/op")
}

// BenchmarkLabels reads every labels field of the estate's label-capable
// resources and merges it with the provider's defaultLabels (parsed from the
// stack config JSON string or read from an explicit provider's map): the
// lookups required-labels makes and the merged entries labels-valid-format
// walks.
func BenchmarkLabels(b *testing.B) {
	rs := estateResources(2000, func(r *gcp.Resource) bool { return len(gcp.Labels(r)) > 0 })
	if len(rs) == 0 {
		b.Fatal("the estate has no labelled resources")
	}
	b.ReportAllocs()
	entries := 0
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		for _, set := range gcp.Labels(fresh(rs[i%len(rs)])) {
			set.Lookup("env")
			set.Lookup("team")
			entries += len(set.Entries())
		}
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
	b.ReportMetric(float64(entries)/float64(i), "labels/op")
}
