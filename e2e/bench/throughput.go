package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/cli"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// Issue 15: `check` over many exports and over one large export, against
// the floor of reading the same bytes with the same streaming reader
// (every resource's inputs and outputs converted into property values, no
// policy run). Both run in process: `check` through cli.App.Run exactly as
// the binary's main calls it (JSON report into a buffer), the floor through
// stackfile.StreamFile with the same number of workers as `check` uses
// (GOMAXPROCS, one per export).

// Bench estate as exports: sizes per stack and of the single export.
const (
	throughputMinPerStack = 20
	throughputMaxPerStack = 100
)

type throughputInput struct {
	name      string
	paths     []string // one export, or every export of the directory
	arg       string   // what `check` is given: the file or the directory
	resources int      // resource entries over all exports
	bytes     int64
}

type throughputRow struct {
	input               *throughputInput
	procs               int
	check, floor        time.Duration // medians
	checkCPU, floorCPU  time.Duration // medians, process CPU
	checkRuns, floorRun []time.Duration
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// writeThroughputEstate writes the directory of stack exports and the
// single large export under work, from the estate generator.
func writeThroughputEstate(work string, stacks, large int, seed uint64) (dir, single *throughputInput, err error) {
	dir = &throughputInput{name: fmt.Sprintf("%d stacks (directory)", stacks), arg: filepath.Join(work, "stacks")}
	if err := os.MkdirAll(dir.arg, 0o755); err != nil {
		return nil, nil, err
	}
	for i, n := range estate.StackSizes(stacks, throughputMinPerStack, throughputMaxPerStack, seed) {
		b, err := estate.Generate(n, seed+uint64(i)).Export(fmt.Sprintf("prod-%04d", i))
		if err != nil {
			return nil, nil, err
		}
		path := filepath.Join(dir.arg, fmt.Sprintf("stack-%04d.json", i))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, nil, err
		}
		dir.paths = append(dir.paths, path)
		dir.resources += n + 1 // and the root stack resource
		dir.bytes += int64(len(b))
	}
	b, err := estate.Generate(large, seed).Export("")
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(work, "large.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, nil, err
	}
	single = &throughputInput{name: fmt.Sprintf("one export of %d resources", large+1), arg: path,
		paths: []string{path}, resources: large + 1, bytes: int64(len(b))}
	return dir, single, nil
}

// runCheck runs `check --format json` on in.arg and verifies that it read
// every resource.
func runCheck(ctx context.Context, in *throughputInput) (time.Duration, time.Duration, error) {
	pack, err := policies.NewPack("0.0.0-bench", "bench")
	if err != nil {
		return 0, 0, err
	}
	var stdout, stderr bytes.Buffer
	app := &cli.App{Pack: pack, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	runtime.GC()
	cpu, t := cpuTime(), time.Now()
	code := app.Run(ctx, []string{"check", "--format", "json", in.arg})
	took, cpuTook := time.Since(t), cpuTime()-cpu
	if code != 0 && code != 1 {
		return 0, 0, fmt.Errorf("check %s exited %d: %s", in.arg, code, firstLine(stderr.String()))
	}
	var rep struct {
		Summary struct {
			Resources  int `json:"resources"`
			Unreadable int `json:"unreadable"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return 0, 0, fmt.Errorf("check %s: report: %v", in.arg, err)
	}
	if rep.Summary.Resources != in.resources || rep.Summary.Unreadable != 0 {
		return 0, 0, fmt.Errorf("check %s read %d resources (%d exports unreadable), want %d", in.arg,
			rep.Summary.Resources, rep.Summary.Unreadable, in.resources)
	}
	return took, cpuTook, nil
}

// runFloor reads every export with the streaming reader, GOMAXPROCS at a
// time, converting inputs and outputs and dropping them.
func runFloor(in *throughputInput) (time.Duration, time.Duration, error) {
	runtime.GC()
	cpu, t := cpuTime(), time.Now()
	next := make(chan string)
	var mu sync.Mutex
	var firstErr error
	total := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(in.paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range next {
				d, err := stackfile.StreamFile(path, func(stackfile.Inputs) {})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					total += d.Total
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range in.paths {
		next <- p
	}
	close(next)
	wg.Wait()
	took, cpuTook := time.Since(t), cpuTime()-cpu
	if firstErr != nil {
		return 0, 0, firstErr
	}
	if total != in.resources {
		return 0, 0, fmt.Errorf("floor read %d resources of %d", total, in.resources)
	}
	return took, cpuTook, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// measureCheckThroughput writes the estate, then for GOMAXPROCS 1 and 2
// runs floor and check, interleaved, repeat times over each input. With a
// CPU profile path it also profiles one more check of each input at the
// machine's GOMAXPROCS (<path>.dir, <path>.large).
func measureCheckThroughput(ctx context.Context, o options, work string) error {
	logf("check throughput: writing %d stack exports and one of %d resources", o.checkStacks, o.checkLarge)
	dir, single, err := writeThroughputEstate(work, o.checkStacks, o.checkLarge, o.seed)
	if err != nil {
		return err
	}
	loadBefore := loadAverage()
	procs := []int{1, runtime.NumCPU()}
	if procs[1] == 1 {
		procs = procs[:1]
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	// A first pass of each warms the page cache and the policies' lazy state.
	for _, in := range []*throughputInput{dir, single} {
		if _, _, err := runFloor(in); err != nil {
			return err
		}
		if _, _, err := runCheck(ctx, in); err != nil {
			return err
		}
	}
	var rows []throughputRow
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		for _, in := range []*throughputInput{dir, single} {
			row := throughputRow{input: in, procs: p}
			var checkCPU, floorCPU []time.Duration
			for r := 0; r < max(1, o.repeat); r++ {
				logf("check throughput: %s, GOMAXPROCS=%d, run %d of %d", in.name, p, r+1, max(1, o.repeat))
				d, c, err := runFloor(in)
				if err != nil {
					return err
				}
				row.floorRun, floorCPU = append(row.floorRun, d), append(floorCPU, c)
				if d, c, err = runCheck(ctx, in); err != nil {
					return err
				}
				row.checkRuns, checkCPU = append(row.checkRuns, d), append(checkCPU, c)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
			row.check, row.floor = median(row.checkRuns), median(row.floorRun)
			row.checkCPU, row.floorCPU = median(checkCPU), median(floorCPU)
			rows = append(rows, row)
		}
	}
	loadAfter := loadAverage()
	if o.cpuProfile != "" {
		runtime.GOMAXPROCS(procs[len(procs)-1])
		for _, in := range []struct {
			in     *throughputInput
			suffix string
		}{{dir, ".dir"}, {single, ".large"}} {
			f, err := os.Create(o.cpuProfile + in.suffix)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				f.Close()
				return err
			}
			_, _, err = runCheck(ctx, in.in)
			pprof.StopCPUProfile()
			f.Close()
			if err != nil {
				return err
			}
			logf("wrote %s", o.cpuProfile+in.suffix)
		}
	}
	fmt.Print(throughputMarkdown(rows, dir, single, loadBefore, loadAfter, o.repeat))
	return nil
}

func throughputMarkdown(rows []throughputRow, dir, single *throughputInput, loadBefore, loadAfter string, repeat int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", commandLine())
	fmt.Fprintf(&b, "Inputs: %d exports, %d resources, %.1f MiB; one export of %d resources, %.1f MiB. "+
		"Median of %d runs; load average %s before, %s after.\n\n",
		len(dir.paths), dir.resources, float64(dir.bytes)/(1<<20), single.resources, float64(single.bytes)/(1<<20),
		max(1, repeat), loadBefore, loadAfter)
	b.WriteString("| input | GOMAXPROCS | floor (decode only) | check | check / floor | floor CPU | check CPU | check runs |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		var runs []string
		for _, d := range r.checkRuns {
			runs = append(runs, fmt.Sprintf("%.2f s", d.Seconds()))
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f res/s (%.2f s) | %.0f res/s (%.2f s) | %.2f | %.2f s | %.2f s | %s |\n",
			r.input.name, r.procs, rate(r.input.resources, r.floor), r.floor.Seconds(),
			rate(r.input.resources, r.check), r.check.Seconds(), r.floor.Seconds()/r.check.Seconds(),
			r.floorCPU.Seconds(), r.checkCPU.Seconds(), strings.Join(runs, ", "))
	}
	b.WriteString("\nParallel speed-up (wall time at GOMAXPROCS=1 over the highest):\n\n")
	for _, in := range []*throughputInput{dir, single} {
		var one, many *throughputRow
		for i := range rows {
			if rows[i].input != in {
				continue
			}
			if rows[i].procs == 1 {
				one = &rows[i]
			} else {
				many = &rows[i]
			}
		}
		if one == nil || many == nil {
			continue
		}
		fmt.Fprintf(&b, "- %s: check ×%.2f, floor ×%.2f (GOMAXPROCS %d)\n", in.name,
			one.check.Seconds()/many.check.Seconds(), one.floor.Seconds()/many.floor.Seconds(), many.procs)
	}
	return b.String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
