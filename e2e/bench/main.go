// Command bench is the pack's benchmark harness. It plays the Pulumi engine
// against policy pack processes: launches each one, reads its port, then
// sends Handshake, ConfigureStack, GetAnalyzerInfo, Configure, one Analyze
// per resource and one AnalyzeStack over a generated, seeded Dataflow estate
// (e2e/estate) at several sizes. It measures:
//
//   - the pack with every policy enabled, and with only the six policies the
//     Node peer implements (the others configured `disabled`);
//   - the floor: an analyzer that only decodes each request (decodeonly/);
//   - the Node peer (nodepack/, @pulumi/policy) launched the way the Node
//     runtime launches packs, directly and behind sdk/v3's PolicyProxy
//     (langhost/), which the Node language host puts in front of it;
//   - decoding and evaluating in process;
//   - cold `go build` of the pack and of a minimal policyx pack
//     (policyxpack/), with the module download size of each graph;
//   - with -runner, only what a runner enforcing the pack from Pulumi Cloud
//     pays on empty caches (runner.go), printed, not written to -results;
//   - with -check-throughput, only `check` over 1,000 stack exports and one
//     large export against reading them alone (throughput.go), printed;
//
// and prints the table, the ratios and every target of issue 7 as met or
// missed. With -results it also writes the table into bench/RESULTS.md.
//
//	go -C e2e run ./bench -results bench/RESULTS.md   # the whole table, from the repository root
//	go -C e2e run ./bench -n 100 -cold=false          # a quick check
//	go -C e2e run ./bench -runner -runner-revs HEAD~1  # install and compile on empty caches, HEAD~1 and the work tree
//	go -C e2e run ./bench -check-throughput -repeat 3  # check over many exports and one large, against the floor
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	sizes      []int
	seed       uint64
	variants   map[string]bool
	cold       bool
	coldOnly   bool
	results    string
	cpuProfile string
	workDir    string
	keep       bool
	starts     int
	nodeStarts int
	packDir    string
	repeat     int
	runner     bool
	runnerRevs []string

	checkThroughput bool
	checkStacks     int
	checkLarge      int
}

func main() {
	var o options
	sizes := flag.String("n", "100,1000,10000", "estate sizes (resources analyzed one by one), comma-separated")
	seed := flag.Uint64("seed", 20261128, "estate generator seed")
	variants := flag.String("variants", strings.Join(allVariants, ","), "analyzers to run, comma-separated")
	flag.BoolVar(&o.cold, "cold", true, "time cold `go build` of the pack, the policyx pack and the decode-only analyzer")
	flag.BoolVar(&o.coldOnly, "cold-only", false, "only time the cold builds")
	flag.StringVar(&o.results, "results", "", "write the report into this Markdown file, relative to the repository root (between its generated-section markers), e.g. bench/RESULTS.md")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the pack's server handling the largest estate in process")
	flag.StringVar(&o.workDir, "workdir", "", "directory for binaries and scratch files (default: a temporary directory)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.IntVar(&o.repeat, "repeat", 1, "sessions per analyzer and size, interleaved; the report shows the median of each measure")
	flag.StringVar(&o.packDir, "pack", "", "build the pack run over gRPC from this directory instead of the repository (to A/B a change; in-process rows still use the repository's code)")
	diags := flag.String("diagnostics", "", "write every diagnostic the analyzers return to this file (JSON lines)")
	flag.IntVar(&o.starts, "starts", 15, "launches of each Go analyzer to time start-up (start to Configure answered)")
	flag.IntVar(&o.nodeStarts, "node-starts", 3, "launches of each Node variant to time start-up")
	flag.BoolVar(&o.runner, "runner", false, "only measure what an enforcing runner pays on empty caches: install, first and warm compile of the publish tarball, against `go build` alone (downloads through GOPROXY)")
	flag.BoolVar(&o.checkThroughput, "check-throughput", false, "only measure `check` (in process) over a directory of stack exports and one large export against the decode-only floor, at GOMAXPROCS 1 and all cores (issue 15); -repeat runs each, -cpuprofile writes <path>.dir and <path>.large; printed, not written to -results")
	flag.IntVar(&o.checkStacks, "check-stacks", 1000, "with -check-throughput, stack exports in the directory (20 to 100 resources each)")
	flag.IntVar(&o.checkLarge, "check-large", 10000, "with -check-throughput, resources of the single large export (besides its root stack)")
	runnerRevs := flag.String("runner-revs", "", "with -runner, also measure the tarballs of these git revisions, comma-separated (e.g. the commit before a change)")
	flag.Parse()

	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatalf("-n: %q is not a positive number", s)
		}
		o.sizes = append(o.sizes, n)
	}
	o.seed = *seed
	for _, r := range strings.Split(*runnerRevs, ",") {
		if r = strings.TrimSpace(r); r != "" {
			o.runnerRevs = append(o.runnerRevs, r)
		}
	}
	o.variants = map[string]bool{}
	for _, v := range strings.Split(*variants, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if !contains(allVariants, v) {
			fatalf("-variants: unknown %q (have %s)", v, strings.Join(allVariants, ", "))
		}
		o.variants[v] = true
	}

	if *diags != "" {
		f, err := os.Create(*diags)
		if err != nil {
			fatalf("%v", err)
		}
		defer f.Close()
		diagLog = json.NewEncoder(f)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	work := o.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "dataflow-guardrails-bench-*"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}

	if o.runner {
		started, m := time.Now(), describeMachine()
		fmt.Print(runnerMarkdown(runnerRows(ctx, root, work, o.runnerRevs), m, started, commandLine()))
		return nil
	}

	if o.checkThroughput {
		return measureCheckThroughput(ctx, o, work)
	}

	rep := &report{Started: time.Now(), Machine: describeMachine(), Seed: o.seed, Sizes: o.sizes,
		Command: commandLine()}

	if !o.coldOnly {
		if err := measureRuns(ctx, o, root, work, rep); err != nil {
			return err
		}
		rep.LoadAfterRuns = loadAverage()
	}
	if o.cold || o.coldOnly {
		rep.Cold = coldBuilds(ctx, root, work)
	}
	rep.Finished = time.Now()
	rep.LoadAfter = loadAverage()

	md := rep.markdown()
	fmt.Print(md)
	if o.results != "" {
		path := o.results
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		if err := writeResults(path, md); err != nil {
			return err
		}
		logf("wrote %s", path)
	}
	return nil
}

func measureRuns(ctx context.Context, o options, root, work string, rep *report) (err error) {
	logf("building the pack, the decode-only analyzer and the language host stand-in")
	packDir := root
	if o.packDir != "" {
		if packDir, err = filepath.Abs(o.packDir); err != nil {
			return err
		}
		rep.PackDir = packDir
	}
	bins, err := buildBinaries(ctx, root, packDir, work)
	if err != nil {
		return err
	}
	rep.PackBinaryBytes = fileSize(bins.pack)
	rep.FloorBinaryBytes = fileSize(bins.decodeOnly)

	var node *nodeSetup
	if o.variants[varNodeDirect] || o.variants[varNodeProxy] {
		logf("setting up the Node peer (npm ci on first use)")
		if node, err = setupNode(ctx); err != nil {
			return fmt.Errorf("node peer: %w", err)
		}
		rep.NodeVersion, rep.NodePackages = node.version, node.packages
	}

	eng, err := startEngine()
	if err != nil {
		return err
	}
	defer eng.stop()

	for i, n := range o.sizes {
		logf("N=%d: generating the estate and marshalling the requests", n)
		w, err := buildWorkload(n, o.seed)
		if err != nil {
			return err
		}
		rep.Workloads = append(rep.Workloads, w.summary())
		vs := variantsFor(o, bins, node, eng.addr)
		runs := make([][]sessionResult, len(vs))
		for r := 0; r < max(1, o.repeat); r++ {
			for i, v := range vs {
				logf("N=%d: %s (session %d of %d)", n, v.name, r+1, max(1, o.repeat))
				res := runSession(ctx, v, w)
				if res.Err != nil {
					logf("N=%d: %s failed: %v", n, v.name, res.Err)
				}
				runs[i] = append(runs[i], res)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
		for _, rs := range runs {
			rep.Sessions = append(rep.Sessions, medianSession(rs))
		}
		logf("N=%d: in process", n)
		profile := ""
		if i == len(o.sizes)-1 {
			profile = o.cpuProfile
		}
		ip, err := measureInProcess(ctx, w, profile)
		if err != nil {
			return err
		}
		rep.InProcess = append(rep.InProcess, ip)
	}
	for _, v := range variantsFor(o, bins, node, eng.addr) {
		runs := o.starts
		if v.key == varNodeDirect || v.key == varNodeProxy {
			runs = o.nodeStarts
		}
		if runs <= 0 {
			continue
		}
		logf("start-up: %s ×%d", v.name, runs)
		st := measureStartup(ctx, v, runs)
		if st.Err != nil {
			logf("start-up: %s failed: %v", v.name, st.Err)
		}
		rep.Startup = append(rep.Startup, st)
	}
	for _, v := range variantsFor(o, bins, node, eng.addr) {
		if v.key != varOursAll && v.key != varFloor {
			continue
		}
		logf("sending a 256 MiB AnalyzeStack to the %s", v.name)
		lr := checkLargeRequest(ctx, v)
		lr.Variant = v.key
		rep.Large = append(rep.Large, lr)
	}
	return nil
}

// repoRoot finds the pack module's root from the working directory (the
// repository or its e2e/ module).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/dataflow-guardrails/dataflow-guardrails\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run the harness inside the dataflow-guardrails repository (from %s)", dir)
		}
	}
}

func commandLine() string {
	args := []string{"go -C e2e run ./bench"}
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " \t'\"") {
			a = strconv.Quote(a)
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
