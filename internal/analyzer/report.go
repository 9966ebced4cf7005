package analyzer

// The in-engine report: with DATAFLOW_GUARDRAILS_REPORT naming a file, the
// server keeps every finding it sends to the engine and writes them when the
// run ends, because `pulumi preview --json` drops policy events and CI has
// no other machine-readable record of them.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
)

// ReportEnv names the file the in-engine report is written to: `.sarif` (or
// `.sarif.json`) for SARIF 2.1.0, `.json` for the `check --format json`
// shape. Unset or empty: no report.
const ReportEnv = "DATAFLOW_GUARDRAILS_REPORT"

// recorder collects the findings of one pack process. The engine runs each
// phase of `pulumi up` (preview, update) in its own process, so each process
// rewrites the whole file and the file reflects the last phase.
type recorder struct {
	once sync.Once
	path string // "" when disabled

	mu        sync.Mutex
	findings  []policy.Finding
	resources map[string]struct{}
	firstURN  string
	started   bool // an analysis call was recorded
	dirty     bool // recorded since the last write

	writeMu sync.Mutex // one write at a time (AnalyzeStack racing Cancel)
}

// reportPath resolves the report file once, through the server's
// environment lookup.
func (s *Server) reportPath() string {
	s.rec.once.Do(func() {
		if p, ok := s.env(ReportEnv); ok {
			s.rec.path = strings.TrimSpace(p)
		}
	})
	return s.rec.path
}

// record keeps findings sent for the resources named in urns (the analyzed
// resources, counted for the report's summary). Cheap when the report is
// off; otherwise an append under a mutex.
func (s *Server) record(fs []policy.Finding, urns ...string) {
	if s.reportPath() == "" {
		return
	}
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	s.rec.started, s.rec.dirty = true, true
	s.rec.findings = append(s.rec.findings, fs...)
	if s.rec.resources == nil {
		s.rec.resources = map[string]struct{}{}
	}
	for _, u := range urns {
		if u == "" {
			continue
		}
		if s.rec.firstURN == "" {
			s.rec.firstURN = u
		}
		s.rec.resources[u] = struct{}{}
	}
}

// recordStack keeps the findings of AnalyzeStack; every resource of the
// request counts as analyzed.
func (s *Server) recordStack(fs []policy.Finding, resources []*pulumirpc.AnalyzerResource) {
	if s.reportPath() == "" {
		return
	}
	urns := make([]string, 0, len(resources))
	for _, r := range resources {
		urns = append(urns, r.GetUrn())
	}
	s.record(fs, urns...)
}

// flushReport writes the report. At the end of AnalyzeStack it always
// writes; on Cancel (force false) only when something was recorded since the
// last write, so the preview process of `pulumi up`, cancelled when the
// whole command ends, does not overwrite the update's report.
func (s *Server) flushReport(force bool) {
	path := s.reportPath()
	if path == "" {
		return
	}
	s.rec.writeMu.Lock()
	defer s.rec.writeMu.Unlock()

	s.rec.mu.Lock()
	if !s.rec.started || (!force && !s.rec.dirty) {
		s.rec.mu.Unlock()
		return
	}
	findings := append([]policy.Finding(nil), s.rec.findings...)
	resources, firstURN := len(s.rec.resources), s.rec.firstURN
	s.rec.dirty = false
	s.rec.mu.Unlock()

	stack := s.options().Stack
	if stack.Project == "" && firstURN != "" {
		stack.Stack, stack.Project, _, _ = gcp.ParseURN(firstURN)
	}
	rep := report.New(report.Pack{Name: s.pack.Name, Version: s.pack.Version},
		report.Stack{Project: stack.Project, Stack: stack.Stack}, resources, dedupe(findings))
	if err := writeReport(path, rep, report.SARIFOptions{Policies: s.pack.Policies(), InformationURI: s.info.Repository}); err != nil {
		s.warnf("writing the report %s: %v", path, err)
	}
}

// dedupe drops exact repeats (the engine analyzing a resource twice in one
// process); the order is report.New's.
func dedupe(fs []policy.Finding) []policy.Finding {
	policy.SortFindings(fs)
	out := fs[:0]
	for i, f := range fs {
		if i > 0 && f == fs[i-1] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// reportFormat picks the format from the file name.
func reportFormat(path string) (string, error) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".sarif"), strings.HasSuffix(lower, ".sarif.json"):
		return "sarif", nil
	case strings.HasSuffix(lower, ".json"):
		return "json", nil
	}
	return "", fmt.Errorf("%s must end in .sarif (SARIF 2.1.0) or .json (the `check --format json` shape)", ReportEnv)
}

// writeReport replaces path atomically: a temp file in the same directory,
// synced, then renamed over it, so a reader never sees half a report.
func writeReport(path string, rep *report.Report, opts report.SARIFOptions) (err error) {
	format, err := reportFormat(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if format == "sarif" {
		// The pack process runs in the Pulumi project's directory. The engine
		// sends no source positions to analyzers, so results point at the
		// project file, where code scanning can show them.
		if wd, werr := os.Getwd(); werr == nil {
			opts.SourceRoot, opts.ProjectFile = report.LocateProject(wd)
		}
		err = rep.WriteSARIF(tmp, opts)
	} else {
		err = rep.WriteJSON(tmp)
	}
	if err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
