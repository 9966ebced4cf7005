package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/propertyrpc"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// inProcResult is the same estate without a transport: the floor (decoding
// each request into the property model), the pack's evaluator alone (the
// Go benchmark BenchmarkAnalyzeEstate/engine), and the pack's gRPC server
// handler called directly (decode, evaluate, build the response).
type inProcResult struct {
	N            int
	DecodeMean   time.Duration
	DecodeMedian time.Duration
	DecodeCPU    time.Duration // process CPU per resource over the measured pass
	EvalMean     time.Duration
	EvalMedian   time.Duration
	EvalCPU      time.Duration
	ServerCPU    time.Duration
	ServerMean   time.Duration
	ServerMedian time.Duration
	StackDecode  time.Duration
	StackServer  time.Duration
	AllocsPerRes float64 // server handler
	BytesPerRes  float64
}

// inProcPasses: the first pass warms up (caches, lazily compiled state); the
// second is measured.
const inProcPasses = 2

func measureInProcess(ctx context.Context, w *workload, cpuProfile string) (inProcResult, error) {
	res := inProcResult{N: w.n}
	noEnv := func(string) (string, bool) { return "", false }

	// Decoding alone.
	lat := make([]time.Duration, len(w.analyze))
	var cpu time.Duration
	perRes := func(d time.Duration) time.Duration { return d / time.Duration(max(1, len(w.analyze))) }
	for pass := 0; pass < inProcPasses; pass++ {
		cpu = cpuTime()
		for i, req := range w.analyze {
			t := time.Now()
			if _, err := propertyrpc.Unmarshal(req.GetProperties()); err != nil {
				return res, err
			}
			if p := req.GetProvider(); p != nil {
				if _, err := propertyrpc.Unmarshal(p.GetProperties()); err != nil {
					return res, err
				}
			}
			lat[i] = time.Since(t)
		}
	}
	res.DecodeCPU = perRes(cpuTime() - cpu)
	res.DecodeMean, res.DecodeMedian = meanMedian(lat)

	// The evaluator alone, on resources decoded beforehand, called as the
	// server calls it (a cancellable context and the default time limit).
	pack, err := policies.NewPack("0.0.0-bench", "benchmark")
	if err != nil {
		return res, err
	}
	rs := make([]*gcp.Resource, len(w.analyze))
	for i, req := range w.analyze {
		props, err := propertyrpc.Unmarshal(req.GetProperties())
		if err != nil {
			return res, err
		}
		r := &gcp.Resource{URN: req.GetUrn(), Type: req.GetType(), Name: req.GetName(), Props: props}
		if p := req.GetProvider(); p != nil {
			pp, err := propertyrpc.Unmarshal(p.GetProperties())
			if err != nil {
				return res, err
			}
			r.Provider = &gcp.Provider{URN: p.GetUrn(), Type: p.GetType(), Name: p.GetName(), Props: pp}
		}
		rs[i] = r
	}
	opts := policy.Options{Stack: policy.StackInfo{Project: "etl", Stack: "prod", Organization: "acme", DryRun: true},
		Env: noEnv, Mode: policy.EngineMode, Timeout: analyzer.DefaultTimeout}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for pass := 0; pass < inProcPasses; pass++ {
		cpu = cpuTime()
		for i, r := range rs {
			// A fresh shallow copy, as every request decodes its own
			// resource and provider (nothing memoized carries over).
			c := &gcp.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Props: r.Props}
			if p := r.Provider; p != nil {
				c.Provider = &gcp.Provider{URN: p.URN, Type: p.Type, Name: p.Name, Props: p.Props}
			}
			t := time.Now()
			pack.Analyze(cctx, c, opts)
			lat[i] = time.Since(t)
		}
	}
	res.EvalCPU = perRes(cpuTime() - cpu)
	res.EvalMean, res.EvalMedian = meanMedian(lat)

	// The server's handlers, every policy enabled.
	srv := analyzer.New(pack, analyzer.PackInfo{}, io.Discard)
	srv.SetEnv(noEnv)
	if _, err := srv.ConfigureStack(ctx, stackConfigure()); err != nil {
		return res, err
	}
	info, err := srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		return res, err
	}
	cfg, _, err := configFor(info, nil)
	if err != nil {
		return res, err
	}
	if _, err := srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg}); err != nil {
		return res, err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}
	var ms0, ms1 runtime.MemStats
	for pass := 0; pass < inProcPasses; pass++ {
		if pass == inProcPasses-1 {
			runtime.ReadMemStats(&ms0)
		}
		cpu = cpuTime()
		for i, req := range w.analyze {
			t := time.Now()
			if _, err := srv.Analyze(ctx, req); err != nil {
				return res, fmt.Errorf("in-process Analyze %s: %w", req.GetUrn(), err)
			}
			lat[i] = time.Since(t)
		}
	}
	res.ServerCPU = perRes(cpuTime() - cpu)
	runtime.ReadMemStats(&ms1)
	res.ServerMean, res.ServerMedian = meanMedian(lat)
	res.AllocsPerRes = float64(ms1.Mallocs-ms0.Mallocs) / float64(len(lat))
	res.BytesPerRes = float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(len(lat))

	// AnalyzeStack: decoding every resource (providers once) against the
	// server's handler.
	t := time.Now()
	seen := map[string]bool{}
	for _, r := range w.stack.GetResources() {
		if _, err := propertyrpc.Unmarshal(r.GetProperties()); err != nil {
			return res, err
		}
		if p := r.GetProvider(); p != nil && !seen[p.GetUrn()] {
			seen[p.GetUrn()] = true
			if _, err := propertyrpc.Unmarshal(p.GetProperties()); err != nil {
				return res, err
			}
		}
	}
	res.StackDecode = time.Since(t)
	t = time.Now()
	if _, err := srv.AnalyzeStack(ctx, w.stack); err != nil {
		return res, err
	}
	res.StackServer = time.Since(t)
	return res, nil
}

// cpuTime is the CPU time this process has used (user + system, every
// thread, the garbage collector included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func meanMedian(lat []time.Duration) (mean, median time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	var total time.Duration
	for _, l := range lat {
		total += l
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return total / time.Duration(len(lat)), percentile(s, 0.5)
}
