package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

type machine struct {
	CPU     string
	Cores   int
	Memory  string
	Kernel  string
	Go      string
	LoadPre string
}

func describeMachine() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), LoadPre: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(rest), &kb)
				m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadAverage is the 1, 5 and 15 minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

type report struct {
	Started, Finished time.Time
	Machine           machine
	LoadAfterRuns     string // after the analyzer runs, before the cold builds (which load the machine themselves)
	LoadAfter         string
	Command           string
	Seed              uint64
	Sizes             []int

	PackDir          string // set when the pack under test was built from elsewhere (-pack)
	PackBinaryBytes  int64
	FloorBinaryBytes int64
	NodeVersion      string
	NodePackages     string

	Workloads []workloadSummary
	Sessions  []sessionResult
	InProcess []inProcResult
	Startup   []startupResult
	Large     []largeResult
	Cold      []coldResult
}

func (r *report) session(variant string, n int) (sessionResult, bool) {
	for _, s := range r.Sessions {
		if s.Variant == variant && s.N == n && s.Err == nil {
			return s, true
		}
	}
	return sessionResult{}, false
}

func (r *report) inproc(n int) (inProcResult, bool) {
	for _, ip := range r.InProcess {
		if ip.N == n {
			return ip, true
		}
	}
	return inProcResult{}, false
}

func (r *report) cold(name string) (coldResult, bool) {
	for _, c := range r.Cold {
		if c.Name == name && c.Err == "" {
			return c, true
		}
	}
	return coldResult{}, false
}

// ---- formatting -------------------------------------------------------------

func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

func micros(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func mib(b int64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// ---- the report ---------------------------------------------------------------

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("## Run\n\n")
	p("- command: `%s` (from the repository root)\n", r.Command)
	p("- started %s, took %s\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Finished.Sub(r.Started).Round(time.Second))
	p("- machine: %s, %d cores, %s memory, Linux %s, %s", r.Machine.CPU, r.Machine.Cores, r.Machine.Memory, r.Machine.Kernel, r.Machine.Go)
	if r.NodeVersion != "" {
		p(", Node %s (%s)", r.NodeVersion, r.NodePackages)
	}
	p("\n- load average (1, 5, 15 min) before: %s", r.Machine.LoadPre)
	if r.LoadAfterRuns != "" {
		p(", after the analyzer runs: %s", r.LoadAfterRuns)
	}
	p(", at the end: %s", r.LoadAfter)
	if loadHigh(r.Machine.LoadPre) {
		p(" — **the machine was busy when the run started (load ≥ 1.5 on %d cores): timings are noisy and pessimistic**", r.Machine.Cores)
	} else {
		p(" (the harness and the analyzer under test themselves keep about 1–2 cores busy during the runs)")
	}
	p("\n")
	if len(r.Workloads) > 0 {
		p("- estate: seed %d; ", r.Seed)
		for i, w := range r.Workloads {
			if i > 0 {
				p("; ")
			}
			p("N=%d: %d types, mean Analyze request %d B, AnalyzeStack request %s", w.N, w.Types, w.MeanBytes, mib(int64(w.StackBytes)))
		}
		p("\n- most frequent types at N=%d: %s\n", r.Workloads[len(r.Workloads)-1].N, strings.Join(r.Workloads[len(r.Workloads)-1].TopTypes, ", "))
	}
	if r.PackDir != "" {
		p("- **the pack run over gRPC was built from %s, not from this repository** (-pack)\n", r.PackDir)
	}
	if r.PackBinaryBytes > 0 {
		p("- binaries: pack %s, decode-only analyzer %s\n", mib(r.PackBinaryBytes), mib(r.FloorBinaryBytes))
	}
	p("\n")

	if len(r.Sessions) > 0 {
		p("## Over gRPC, one process per row\n\n")
		p("Latency is the engine-side round trip of each Analyze call (request marshalled beforehand). CPU is the analyzer process's utime+stime over the Analyze calls (plus the proxy's, for the proxied Node pack) divided by N; RSS is its VmHWM after AnalyzeStack. Ready is process start to Configure answered.")
		if len(r.Sessions) > 0 && r.Sessions[0].Runs > 1 {
			p(" Each row is the median, measure by measure, of %d sessions run interleaved.", r.Sessions[0].Runs)
		}
		p("\n\n")
		p("| N | analyzer | policies | start → port | ready | Analyze median | p99 | mean | CPU / resource | peak RSS | AnalyzeStack | diagnostics (Analyze / stack) |\n")
		p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range r.Sessions {
			if s.Err != nil {
				p("| %d | %s | | | | failed: %s | | | | | | |\n", s.N, s.Name, oneLine(s.Err.Error()))
				continue
			}
			rss := mib(s.PeakRSS)
			if s.ProxyRSS > 0 {
				rss += " + " + mib(s.ProxyRSS) + " proxy"
			}
			cpu := micros(s.CPUPerRes)
			if s.ProxyCPU > 0 {
				cpu += fmt.Sprintf(" (proxy %s)", micros(s.ProxyCPU))
			}
			p("| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d / %d |\n", s.N, s.Name, s.Policies,
				dur(s.StartToPort), dur(s.Ready), micros(s.Median), micros(s.P99), micros(s.Mean), cpu, rss, dur(s.Stack),
				s.Diagnostics, s.StackDiags)
		}
		p("\n")
		r.ratios(&b)
	}

	if len(r.Startup) > 0 {
		p("## Start-up\n\n")
		p("Separate launches, nothing analyzed: process start to the port on stdout, and to Configure answered (after Handshake, ConfigureStack and GetAnalyzerInfo).\n\n")
		p("| analyzer | launches | start → port (median) | ready (median) | ready (min – max) |\n|---|---:|---:|---:|---:|\n")
		for _, s := range r.Startup {
			if s.Err != nil {
				p("| %s | %d | failed: %s | | |\n", s.Name, s.Runs, oneLine(s.Err.Error()))
				continue
			}
			p("| %s | %d | %s | %s | %s – %s |\n", s.Name, s.Runs, dur(s.PortMedian), dur(s.ReadyMedian), dur(s.ReadyMin), dur(s.ReadyMax))
		}
		p("\n")
	}
	if len(r.Large) > 0 {
		p("Large request: one AnalyzeStack of 257 resources with 1 MiB of content each")
		for _, l := range r.Large {
			if l.Accepted {
				p("; %s: %s accepted, answered in %s", l.Variant, mib(int64(l.Bytes)), dur(l.Took))
			} else {
				p("; %s: rejected (%s)", l.Variant, oneLine(l.Err))
			}
		}
		p(".\n\n")
	}

	if len(r.InProcess) > 0 {
		p("## In process (no transport)\n\n")
		p("Second of two passes over the estate. Decode: `propertyrpc.Unmarshal` of the properties and the provider's. Evaluator: `policy.Pack.Analyze`, whole catalog, as the server calls it (= `BenchmarkAnalyzeEstate/engine`). Server handler: `analyzer.Server.Analyze` (decode + evaluate + response). CPU: this process's user+system time per resource over the pass (garbage collection included), steadier than wall time on a busy machine.\n\n")
		p("| N | decode mean / median / CPU | evaluator mean / median / CPU | server handler mean / median / CPU | handler allocs / resource | handler bytes / resource | AnalyzeStack decode | AnalyzeStack handler |\n")
		p("|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, ip := range r.InProcess {
			p("| %d | %s / %s / %s | %s / %s / %s | %s / %s / %s | %.0f | %.0f | %s | %s |\n", ip.N,
				micros(ip.DecodeMean), micros(ip.DecodeMedian), micros(ip.DecodeCPU),
				micros(ip.EvalMean), micros(ip.EvalMedian), micros(ip.EvalCPU),
				micros(ip.ServerMean), micros(ip.ServerMedian), micros(ip.ServerCPU),
				ip.AllocsPerRes, ip.BytesPerRes, dur(ip.StackDecode), dur(ip.StackServer))
		}
		p("\n")
	}

	if len(r.Cold) > 0 {
		p("## Cold compile\n\n")
		p("`go build` with an empty GOCACHE (standard library included), modules already downloaded (`go mod download` first, so the build fetches nothing). Download size: the module zips of every module that provides a compiled package.\n\n")
		p("| build | what | cold go build | modules | module download | packages | binary |\n")
		p("|---|---|---:|---:|---:|---:|---:|\n")
		for _, c := range r.Cold {
			if c.Err != "" {
				p("| %s | %s | failed: %s | | | | |\n", c.Name, c.What, oneLine(c.Err))
				continue
			}
			p("| %s | %s | %s | %d | %s | %d | %s |\n", c.Name, c.What, dur(c.Build), c.Modules, mib(c.ZipBytes), c.Packages, mib(c.BinaryBytes))
		}
		p("\n")
	}

	p("## Targets\n\n")
	p("| target | want | got | |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		verdict := "**missed**"
		switch {
		case !t.known:
			verdict = "not measured"
		case t.met:
			verdict = "met"
		}
		p("| %s | %s | %s | %s |\n", t.name, t.want, t.got, verdict)
	}
	p("\n")
	return b.String()
}

func (r *report) ratios(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	pairs := []struct{ a, b string }{
		{varOursAll, varFloor}, {varOursSubset, varFloor}, {varOursAll, varOursSubset},
		{varNodeDirect, varOursAll}, {varNodeProxy, varOursAll},
		{varNodeDirect, varOursSubset}, {varNodeProxy, varOursSubset}, {varNodeProxy, varNodeDirect},
	}
	p("### Ratios within this run\n\n")
	p("| N | ratio | Analyze median | p99 | CPU / resource | peak RSS | AnalyzeStack | ready |\n")
	p("|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range r.Sizes {
		for _, pr := range pairs {
			a, okA := r.session(pr.a, n)
			c, okB := r.session(pr.b, n)
			if !okA || !okB {
				continue
			}
			p("| %d | %s / %s | %s | %s | %s | %s | %s | %s |\n", n, pr.a, pr.b,
				ratio(float64(a.Median), float64(c.Median)), ratio(float64(a.P99), float64(c.P99)),
				ratio(float64(a.CPUPerRes), float64(c.CPUPerRes)), ratio(float64(a.PeakRSS+a.ProxyRSS), float64(c.PeakRSS+c.ProxyRSS)),
				ratio(float64(a.Stack), float64(c.Stack)), ratio(float64(a.Ready), float64(c.Ready)))
		}
	}
	p("\n")
	if len(r.Sizes) > 1 {
		first := r.Sizes[0]
		p("Scaling: per-resource median latency and AnalyzeStack time per resource at each N relative to N=%d.\n\n", first)
		p("| analyzer |")
		for _, n := range r.Sizes[1:] {
			p(" median N=%d | stack/resource N=%d |", n, n)
		}
		p("\n|---|")
		for range r.Sizes[1:] {
			p("---:|---:|")
		}
		p("\n")
		for _, v := range allVariants {
			base, ok := r.session(v, first)
			if !ok {
				continue
			}
			p("| %s |", v)
			for _, n := range r.Sizes[1:] {
				s, ok := r.session(v, n)
				if !ok {
					p(" – | – |")
					continue
				}
				p(" %s | %s |", ratio(float64(s.Median), float64(base.Median)),
					ratio(float64(s.Stack)/float64(n), float64(base.Stack)/float64(first)))
			}
			p("\n")
		}
		p("\n")
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func loadHigh(load string) bool {
	var one float64
	if _, err := fmt.Sscan(load, &one); err != nil {
		return false
	}
	return one >= 1.5
}

// writeResults puts the generated report between the markers of path,
// keeping everything else (the hand-written analysis).
func writeResults(path, generated string) error {
	const begin, end = "<!-- BEGIN GENERATED (go -C e2e run ./bench -results bench/RESULTS.md) -->", "<!-- END GENERATED -->"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	section := begin + "\n\n" + generated + end
	i, j := strings.Index(text, begin), strings.Index(text, end)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + section + text[j+len(end):]
	case text == "":
		text = "# Benchmark results\n\n" + section + "\n"
	default:
		text = strings.TrimRight(text, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
