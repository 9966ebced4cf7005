package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
)

// exportTarget is one file `check` reads.
type exportTarget struct {
	path string
	size int64
	// sniff: found in a directory, so checked to be a stack export first;
	// files named on the command line are exports by the user's word.
	sniff bool
}

// exportTargets expands the arguments: files as given, directories to their
// *.json files (not recursing: pass each directory, or a shell glob).
func (a *App) exportTargets(args []string) ([]exportTarget, error) {
	var out []exportTarget
	stdin := false
	for _, arg := range args {
		if arg == "-" {
			if stdin {
				return nil, fmt.Errorf("- (stdin) given twice")
			}
			stdin = true
			out = append(out, exportTarget{path: "-"})
			continue
		}
		fi, err := os.Stat(arg)
		if err != nil || !fi.IsDir() {
			if err == nil {
				out = append(out, exportTarget{path: arg, size: fi.Size()})
			} else {
				out = append(out, exportTarget{path: arg}) // reported as unreadable
			}
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, fmt.Errorf("cannot read directory %s: %v", arg, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".json") {
				continue
			}
			var size int64
			if info, err := e.Info(); err == nil {
				size = info.Size()
			}
			out = append(out, exportTarget{path: filepath.Join(arg, e.Name()), size: size, sniff: true})
		}
	}
	return out, nil
}

// sniffLimit bounds what is read to tell a stack export from another JSON
// file: its top-level keys before "deployment".
const sniffLimit = 1 << 20

// isStackExport reports whether a file's top-level object has a
// "deployment" key, the mark of `pulumi stack export`, within its first
// MiB. A file that is cut short or corrupt after that key is an export (and
// then reported unreadable); a file that is not a JSON object is not.
func isStackExport(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true // let the reader report why it cannot be read
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(f, sniffLimit)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := tok.(string)
		if key == "deployment" {
			return true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

// stackResult is what became of one export target.
type stackResult struct {
	target  exportTarget
	res     *checked
	err     error
	skipped bool // not a stack export
}

// checkAll checks the exports in parallel, at most GOMAXPROCS at a time:
// each is streamed as one export alone is, so memory is bounded per stack
// times the workers. Results come back in target order.
func (a *App) checkAll(ctx context.Context, targets []exportTarget, allowEncrypted bool) []stackResult {
	results := make([]stackResult, len(targets))
	prog := a.startProgress(targets)
	workers := min(runtime.GOMAXPROCS(0), len(targets))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := targets[i]
				results[i].target = t
				if t.sniff && !isStackExport(t.path) {
					results[i].skipped = true
				} else {
					results[i].res, results[i].err = a.checkExport(ctx, t.path, allowEncrypted, prog.resourceRead)
				}
				prog.stackDone()
			}
		}()
	}
	for i := range targets {
		next <- i
	}
	close(next)
	wg.Wait()
	prog.stop()
	for _, r := range results {
		switch {
		case r.skipped:
			fmt.Fprintf(a.Stderr, "dataflow-guardrails: note: skipping %s: not a stack export (no top-level \"deployment\")\n", r.target.path)
		case r.res != nil && r.res.encrypted > 0:
			where := ""
			if len(targets) > 1 {
				where = " (" + r.target.path + ")"
			}
			fmt.Fprintf(a.Stderr, "dataflow-guardrails: warning: %d secret values are encrypted in this export%s and treated as unknown; export with `pulumi stack export --show-secrets` to check them\n", r.res.encrypted, where)
		}
	}
	return results
}

// buildReport puts every stack's findings into one report, grouped by
// stack in the order given, each finding noted with its stack and
// fingerprint. It applies the config file's exceptions. False when no
// target was a stack export.
func (a *App) buildReport(results []stackResult, file *packconfig.File) (*report.Report, bool) {
	type item struct {
		f     policy.Finding
		note  report.Note
		order int
	}
	var items []item
	var stacks []report.StackSummary
	names := map[string]bool{}
	rep := &report.Report{Version: 1, Pack: report.Pack{Name: a.Pack.Name, Version: a.Pack.Version}}
	for _, r := range results {
		if r.skipped {
			continue
		}
		shown := r.target.path
		if shown == "-" {
			shown = "stdin"
		}
		if r.err != nil {
			stacks = append(stacks, report.StackSummary{File: shown, Error: r.err.Error()})
			rep.Summary.Skipped++
			continue
		}
		name := r.res.stack.Project + "/" + r.res.stack.Stack
		if names[name] { // the same stack exported twice: keep them apart
			name += "@" + shown
		}
		names[name] = true
		stacks = append(stacks, report.StackSummary{File: shown, Name: name, Resources: r.res.total})
		rep.Summary.Resources += r.res.total
		rep.Stack = r.res.stack
		for _, f := range r.res.findings {
			if file != nil && len(file.Exceptions.Match(f.Policy, f.URN)) > 0 {
				f.Excepted = true
			}
			items = append(items, item{f, report.Note{Stack: name, Fingerprint: Fingerprint(f, r.res.digests[findingKey(f)])}, len(stacks)})
		}
	}
	if len(stacks) == 0 {
		return nil, false
	}
	if len(stacks) > 1 {
		rep.Stack = report.Stack{}
	}
	slices.SortStableFunc(items, func(x, y item) int {
		if c := cmp.Compare(x.order, y.order); c != 0 {
			return c
		}
		return compareFindings(x.f, y.f)
	})
	rep.Findings = make([]policy.Finding, len(items))
	rep.Notes = make([]report.Note, len(items))
	for i, it := range items {
		rep.Findings[i], rep.Notes[i] = it.f, it.note
	}
	rep.Stacks = stacks
	return rep, true
}

// compareFindings is policy.SortFindings' order.
func compareFindings(a, b policy.Finding) int {
	return cmp.Or(strings.Compare(a.URN, b.URN), strings.Compare(a.Policy, b.Policy),
		strings.Compare(a.Path, b.Path), strings.Compare(a.Message, b.Message))
}

// progress writes a line on stderr while a long run goes on: only when
// stderr is a terminal (never into a CI log) and only once the run has
// taken progressAfter.
type progress struct {
	stacks, resources atomic.Int64
	total             int
	done              chan struct{}
	finished          sync.WaitGroup
}

// progressAfter is how long a run goes before it shows progress.
var progressAfter = 2 * time.Second

// isTerminal reports whether w is a character device (a terminal).
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

func (a *App) startProgress(targets []exportTarget) *progress {
	p := &progress{total: len(targets), done: make(chan struct{})}
	if !isTerminal(a.Stderr) {
		return p
	}
	p.finished.Add(1)
	go func() {
		defer p.finished.Done()
		select {
		case <-p.done:
			return
		case <-time.After(progressAfter):
		}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			fmt.Fprintf(a.Stderr, "\rchecked %d of %d stacks, %d resources read", p.stacks.Load(), p.total, p.resources.Load())
			select {
			case <-p.done:
				fmt.Fprint(a.Stderr, "\r\x1b[K") // leave the terminal as it was
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *progress) resourceRead() { p.resources.Add(1) }
func (p *progress) stackDone()    { p.stacks.Add(1) }

func (p *progress) stop() {
	close(p.done)
	p.finished.Wait()
}
