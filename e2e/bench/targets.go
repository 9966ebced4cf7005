package main

import (
	"fmt"
	"strings"
	"time"
)

type target struct {
	name, want, got string
	met, known      bool
}

// targetSizes are the estate sizes the per-resource targets are judged at:
// 1,000 and 10,000 when the run has them (at 100 the CPU clock ticks of
// 10 ms are too coarse), else the largest size run.
func (r *report) targetSizes() []int {
	var out []int
	for _, n := range r.Sizes {
		if n >= 1000 {
			out = append(out, n)
		}
	}
	if len(out) == 0 && len(r.Sizes) > 0 {
		out = []int{r.Sizes[len(r.Sizes)-1]}
	}
	return out
}

func (r *report) largest() int {
	m := 0
	for _, n := range r.Sizes {
		m = max(m, n)
	}
	return m
}

// ratioTarget checks a/b <= limit (or >= limit when atLeast) at each size.
func (r *report) ratioTarget(name, want string, limit float64, atLeast bool, sizes []int,
	get func(n int) (a, b float64, ok bool)) target {
	t := target{name: name, want: want, met: true}
	var parts []string
	for _, n := range sizes {
		a, b, ok := get(n)
		if !ok || a <= 0 || b <= 0 {
			parts = append(parts, fmt.Sprintf("N=%d: –", n))
			continue
		}
		t.known = true
		q := a / b
		parts = append(parts, fmt.Sprintf("N=%d: %.2f×", n, q))
		if (atLeast && q < limit) || (!atLeast && q > limit) {
			t.met = false
		}
	}
	t.got = strings.Join(parts, ", ")
	if !t.known {
		t.met = false
	}
	return t
}

func (r *report) pair(a, b string, f func(s sessionResult) float64) func(n int) (float64, float64, bool) {
	return func(n int) (float64, float64, bool) {
		x, ok1 := r.session(a, n)
		y, ok2 := r.session(b, n)
		return f(x), f(y), ok1 && ok2
	}
}

func (r *report) targets() []target {
	sizes := r.targetSizes()
	median := func(s sessionResult) float64 { return float64(s.Median) }
	var out []target

	out = append(out, r.ratioTarget("Analyze median latency, every policy, vs the decode-only analyzer over gRPC", "≤ 1.3×", 1.3, false, sizes,
		r.pair(varOursAll, varFloor, median)))
	out = append(out, r.ratioTarget("analyzer CPU per resource, every policy, vs the decode-only analyzer", "≤ 1.3×", 1.3, false, sizes,
		r.pair(varOursAll, varFloor, func(s sessionResult) float64 { return float64(s.CPUPerRes) })))
	out = append(out, r.ratioTarget("Node pack behind the proxy vs the pack (every policy), per resource (median)", "≥ 3×", 3, true, sizes,
		r.pair(varNodeProxy, varOursAll, median)))
	out = append(out, r.ratioTarget("Node pack direct vs the pack (every policy), per resource (median)", "≥ 1.8×", 1.8, true, sizes,
		r.pair(varNodeDirect, varOursAll, median)))

	// The evaluator in process.
	{
		t := target{name: "evaluator in process, whole catalog, per resource (mean)", want: "≤ 10 µs"}
		var parts []string
		t.met = true
		for _, ip := range r.InProcess {
			t.known = true
			parts = append(parts, fmt.Sprintf("N=%d: %s (CPU %s)", ip.N, micros(ip.EvalMean), micros(ip.EvalCPU)))
			if ip.EvalMean > 10*time.Microsecond {
				t.met = false
			}
		}
		t.got = strings.Join(parts, ", ")
		t.met = t.met && t.known
		out = append(out, t)
	}

	stackAt := 10000
	if _, ok := r.session(varOursAll, stackAt); !ok {
		stackAt = r.largest()
	}
	stackName := "AnalyzeStack at 10,000 resources vs the decode-only analyzer"
	if stackAt != 10000 {
		stackName = fmt.Sprintf("AnalyzeStack at %d resources (10,000 not run) vs the decode-only analyzer", stackAt)
	}
	out = append(out, r.ratioTarget(stackName, "≤ 1.3×", 1.3, false, []int{stackAt},
		r.pair(varOursAll, varFloor, func(s sessionResult) float64 { return float64(s.Stack) })))
	{
		t := target{name: "the server accepts an AnalyzeStack request of at least 256 MiB", want: "accepted"}
		for _, lr := range r.Large {
			if lr.Variant != varOursAll {
				continue
			}
			t.known = true
			if lr.Accepted {
				t.met = true
				t.got = fmt.Sprintf("%s accepted, answered in %s", mib(int64(lr.Bytes)), dur(lr.Took))
			} else {
				t.got = "rejected: " + oneLine(lr.Err)
			}
		}
		out = append(out, t)
	}

	{
		t := target{name: "process start to ready (Configure answered), every policy", want: "< 50 ms"}
		var parts []string
		for _, s := range r.Startup {
			if s.Err != nil {
				continue
			}
			switch s.Variant {
			case varOursAll:
				t.known = true
				t.met = s.ReadyMedian < 50*time.Millisecond
				parts = append([]string{fmt.Sprintf("median of %d launches: %s", s.Runs, dur(s.ReadyMedian))}, parts...)
			case varFloor:
				parts = append(parts, fmt.Sprintf("(decode-only: %s", dur(s.ReadyMedian))+")")
			case varNodeDirect:
				parts = append(parts, fmt.Sprintf("(Node direct: %s", dur(s.ReadyMedian))+")")
			case varNodeProxy:
				parts = append(parts, fmt.Sprintf("(Node behind the proxy: %s", dur(s.ReadyMedian))+")")
			}
		}
		t.got = strings.Join(parts, " ")
		out = append(out, t)
	}

	{
		pack, ok1 := r.cold("dataflow-guardrails")
		px, ok2 := r.cold("policyx minimal pack")
		t := target{name: "cold go build vs the policyx pack", want: "< 0.5×"}
		t2 := target{name: "module download vs the policyx pack", want: "< 0.5×"}
		if ok1 && ok2 {
			t.known, t2.known = true, true
			q := pack.Build.Seconds() / px.Build.Seconds()
			t.got = fmt.Sprintf("%s vs %s: %.2f×", dur(pack.Build), dur(px.Build), q)
			t.met = q < 0.5
			q2 := float64(pack.ZipBytes) / float64(px.ZipBytes)
			t2.got = fmt.Sprintf("%s vs %s: %.2f×", mib(pack.ZipBytes), mib(px.ZipBytes), q2)
			t2.met = q2 < 0.5
		}
		out = append(out, t, t2)
	}

	rssAt := 10000
	if _, ok := r.session(varOursAll, rssAt); !ok {
		rssAt = r.largest()
	}
	rssName := "peak RSS at 10,000 resources vs the decode-only analyzer"
	if rssAt != 10000 {
		rssName = fmt.Sprintf("peak RSS at %d resources (10,000 not run) vs the decode-only analyzer", rssAt)
	}
	out = append(out, r.ratioTarget(rssName, "≤ 1.3×", 1.3, false, []int{rssAt},
		r.pair(varOursAll, varFloor, func(s sessionResult) float64 { return float64(s.PeakRSS) })))
	return out
}
