package gcp

import (
	"syscall"
	"testing"
	"time"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/estate"
)

// The model's hot paths over the generated estate (internal/estate). Each op
// is one resource. Run with
//
//	go test ./internal/gcp -run '^$' -bench . -benchmem
//
// They run only when -bench is given, so they do not slow the test suite.

// fresh returns a shallow copy of r and its provider, so that a result the
// model might memoize on a resource or provider is recomputed each op, as it
// is for each Analyze request (every request decodes its own resource and
// provider).
func fresh(r *Resource) *Resource {
	c := &Resource{URN: r.URN, Type: r.Type, Name: r.Name, Props: r.Props}
	if p := r.Provider; p != nil {
		c.Provider = &Provider{URN: p.URN, Type: p.Type, Name: p.Name, Props: p.Props}
	}
	return c
}

// cpuTime is the CPU time this process has used (user + system, every
// thread, the garbage collector included): on a shared machine it is a
// steadier cost measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// estateResources converts a generated estate into model resources, the
// providers shared as the analyzer's AnalyzeStack provider cache does.
func estateResources(n int, keep func(*Resource) bool) []*Resource {
	e := estate.Generate(n, estate.DefaultSeed)
	providers := map[*estate.Provider]*Provider{}
	var out []*Resource
	for _, er := range e.Resources {
		r := &Resource{URN: er.URN, Type: er.Type, Name: er.Name, Props: er.Inputs}
		if ep := er.Provider; ep != nil {
			p, ok := providers[ep]
			if !ok {
				p = &Provider{URN: ep.URN, Type: ep.Type, Name: ep.Name, Props: ep.Props}
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
	rs := estateResources(2000, func(r *Resource) bool {
		_, _, _, iam := IAMTypeInfo(r.Type)
		return iam || r.Type == BigQueryDataset || r.Type == BigQueryDatasetAccess
	})
	if len(rs) == 0 {
		b.Fatal("the estate has no grant resources")
	}
	b.ReportAllocs()
	grants := 0
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		gs, _ := Grants(fresh(rs[i%len(rs)]))
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
	rs := estateResources(2000, func(r *Resource) bool { return len(Labels(r)) > 0 })
	if len(rs) == 0 {
		b.Fatal("the estate has no labelled resources")
	}
	b.ReportAllocs()
	entries := 0
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		for _, set := range Labels(fresh(rs[i%len(rs)])) {
			set.Lookup("env")
			set.Lookup("team")
			entries += len(set.Entries())
		}
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
	b.ReportMetric(float64(entries)/float64(i), "labels/op")
}
