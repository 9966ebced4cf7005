package analyzer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/sariftest"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const insecureExport = "../../testdata/stacks/dataflow-insecure.json"

// reportServer is newServer with DATAFLOW_GUARDRAILS_REPORT set to path.
func reportServer(t *testing.T, path string) (*analyzer.Server, *bytes.Buffer) {
	t.Helper()
	srv, log := newServer(t)
	srv.SetEnv(func(k string) (string, bool) {
		if k == analyzer.ReportEnv {
			return path, true
		}
		return "", false
	})
	return srv, log
}

// jsonReport is the `check --format json` document.
type jsonReport struct {
	Version int
	Pack    struct{ Name, Version string }
	Stack   struct{ Project, Stack string }
	Summary struct{ Resources, Mandatory, Advisory, Unknown int }
	// Findings as policy.Finding decodes them.
	Findings []policy.Finding
}

func readJSONReport(t *testing.T, path string) jsonReport {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc jsonReport
	dec := json.NewDecoder(bytes.NewReader(data))
	require.NoError(t, dec.Decode(&doc))
	return doc
}

// sentEvent is one diagnostic as the engine shows it: the resource it is
// about (the analyzed resource for Analyze), policy, level and message.
func sentEvent(urn string, d *pulumirpc.AnalyzeDiagnostic) string {
	if d.GetUrn() != "" {
		urn = d.GetUrn()
	}
	return fmt.Sprintf("%s|%s|%s|%s", urn, d.GetPolicyName(), d.GetEnforcementLevel(), d.GetMessage())
}

// reportedEvent renders a report finding the way the server sends it.
func reportedEvent(pack *policy.Pack, f policy.Finding) string {
	level := pulumirpc.EnforcementLevel_ADVISORY
	if f.Level == policy.Mandatory || f.Level == policy.Remediate {
		level = pulumirpc.EnforcementLevel_MANDATORY
	}
	msg := f.Message
	if f.Kind != policy.Unknown {
		p, _ := pack.Lookup(f.Policy)
		msg = analyzer.DiagnosticMessage(p.Title, f)
	}
	return fmt.Sprintf("%s|%s|%s|%s", f.URN, f.Policy, level, msg)
}

func providerRPC(p *gcp.Provider) *pulumirpc.AnalyzerProviderResource {
	if p == nil {
		return nil
	}
	return &pulumirpc.AnalyzerProviderResource{Type: p.Type, Urn: p.URN, Name: p.Name, Properties: propertypb.Marshal(p.Props)}
}

// replay sends a stack export through the server the way the engine does in
// one phase: Analyze per resource (inputs), then AnalyzeStack (outputs). It
// returns every diagnostic sent, as sentEvent strings, sorted.
func replay(t *testing.T, srv *analyzer.Server, dep *stackfile.Deployment) []string {
	t.Helper()
	ctx := context.Background()
	var sent []string
	for _, r := range dep.Inputs {
		resp, err := srv.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: r.Type, Urn: r.URN, Name: r.Name,
			Properties: propertypb.Marshal(r.Props), Provider: providerRPC(r.Provider)})
		require.NoError(t, err)
		for _, d := range resp.GetDiagnostics() {
			sent = append(sent, sentEvent(r.URN, d))
		}
	}
	req := &pulumirpc.AnalyzeStackRequest{}
	for _, r := range dep.Outputs {
		res := &pulumirpc.AnalyzerResource{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: propertypb.Marshal(r.Props),
			Parent: r.Parent, Dependencies: r.Dependencies, Provider: providerRPC(r.Provider)}
		if len(r.PropertyDependencies) > 0 {
			res.PropertyDependencies = map[string]*pulumirpc.AnalyzerPropertyDependencies{}
			for k, v := range r.PropertyDependencies {
				res.PropertyDependencies[k] = &pulumirpc.AnalyzerPropertyDependencies{Urns: v}
			}
		}
		req.Resources = append(req.Resources, res)
	}
	resp, err := srv.AnalyzeStack(ctx, req)
	require.NoError(t, err)
	for _, d := range resp.GetDiagnostics() {
		sent = append(sent, sentEvent("", d))
	}
	sort.Strings(sent)
	return sent
}

func reportedEvents(pack *policy.Pack, fs []policy.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, reportedEvent(pack, f))
	}
	sort.Strings(out)
	return out
}

func testPack(t *testing.T) *policy.Pack {
	pack, err := policy.NewPack(policies.PackName, "0.1.0", "test pack", policies.All())
	require.NoError(t, err)
	return pack
}

func TestReportHoldsExactlyTheFindingsSent(t *testing.T) {
	dep, err := stackfile.ReadFile(insecureExport)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "results.json")
	srv, log := reportServer(t, path)
	_, err = srv.ConfigureStack(context.Background(), &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "prod", DryRun: true})
	require.NoError(t, err)

	sent := replay(t, srv, dep)
	require.NotEmpty(t, sent)
	doc := readJSONReport(t, path)
	assert.Equal(t, 1, doc.Version)
	assert.Equal(t, "dataflow-guardrails", doc.Pack.Name)
	assert.Equal(t, "0.1.0", doc.Pack.Version)
	assert.Equal(t, "etl", doc.Stack.Project)
	assert.Equal(t, "prod", doc.Stack.Stack)
	assert.Equal(t, len(dep.Inputs), doc.Summary.Resources, "distinct resources analyzed")
	assert.Equal(t, sent, reportedEvents(testPack(t), doc.Findings), "the report holds what the engine was sent")
	assert.Equal(t, len(doc.Findings), doc.Summary.Mandatory+doc.Summary.Advisory+doc.Summary.Unknown)
	assert.Empty(t, log.String())

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "FAKE-KEY-FOR-TESTS", "no secret in the report")
	assert.NotContains(t, string(raw), "BEGIN PRIVATE KEY")
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temp file left behind")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
}

func TestReportSARIF(t *testing.T) {
	dep, err := stackfile.ReadFile(insecureExport)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "results.sarif")
	srv, _ := reportServer(t, path)
	sent := replay(t, srv, dep) // no ConfigureStack: `pulumi policy analyze`

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sariftest.Validate(t, data)
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name           string
					InformationURI string
					Rules          []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				Level     string
				Locations []struct {
					PhysicalLocation *struct{ ArtifactLocation struct{ URI string } }
					LogicalLocations []struct{ FullyQualifiedName string }
				}
			}
			Properties map[string]any
		}
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	require.Len(t, doc.Runs, 1)
	run := doc.Runs[0]
	assert.Equal(t, "dataflow-guardrails", run.Tool.Driver.Name)
	assert.Len(t, run.Tool.Driver.Rules, len(policies.All()))
	assert.Len(t, run.Results, len(sent))
	assert.Equal(t, "etl", run.Properties["project"], "project and stack from the URNs")
	assert.Equal(t, "prod", run.Properties["stack"])
	for _, res := range run.Results {
		require.Len(t, res.Locations, 1)
		assert.True(t, strings.HasPrefix(res.Locations[0].LogicalLocations[0].FullyQualifiedName, "urn:pulumi:prod::etl::"))
		assert.Contains(t, []string{"error", "warning", "note"}, res.Level)
	}
}

func TestReportOnCancelWhenAnalyzeStackNeverCame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	srv, _ := reportServer(t, path)
	resp := analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	require.NotEmpty(t, resp.GetDiagnostics())
	_, err := os.Stat(path)
	require.True(t, os.IsNotExist(err), "nothing is written before the run ends")

	_, err = srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	doc := readJSONReport(t, path)
	assert.Len(t, doc.Findings, len(resp.GetDiagnostics()))
	assert.Equal(t, 1, doc.Summary.Resources)
	assert.Equal(t, "etl", doc.Stack.Project)
	assert.Equal(t, "dev", doc.Stack.Stack)
	for _, f := range doc.Findings {
		assert.Equal(t, jobURN, f.URN, "Analyze findings name the analyzed resource")
	}

	// Nothing new since: a second Cancel leaves the file alone.
	require.NoError(t, os.Remove(path))
	_, err = srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err))
}

func TestCancelAfterAnalyzeStackKeepsTheReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	srv, _ := reportServer(t, path)
	analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	_, err := srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	require.FileExists(t, path)
	require.NoError(t, os.Remove(path))
	_, err = srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "the preview process, cancelled at the end of `pulumi up`, must not overwrite the update's report")
}

func TestNoReportWithoutAnalysis(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	srv, _ := reportServer(t, path)
	_, err := srv.GetAnalyzerInfo(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	_, err = srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "publish launches the pack and cancels it without analyzing anything")
}

func TestNoReportWhenUnset(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	srv, _ := newServer(t)
	analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	_, err := srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	_, err = srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// Preview and update run in two processes; the file reflects the last one.
func TestLastPhaseWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	preview, _ := reportServer(t, path)
	_, err := preview.ConfigureStack(context.Background(), &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "dev", DryRun: true})
	require.NoError(t, err)
	computed := property.New(property.Computed)
	analyze(t, preview, jobType, jobURN, map[string]property.Value{"serviceAccountEmail": computed, "labels": labels2()})
	_, err = preview.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	doc := readJSONReport(t, path)
	require.NotZero(t, doc.Summary.Unknown, "preview: the worker account is unknown")

	update, _ := reportServer(t, path)
	_, err = update.ConfigureStack(context.Background(), &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "dev"})
	require.NoError(t, err)
	analyze(t, update, jobType, jobURN, map[string]property.Value{"serviceAccountEmail": property.New(worker), "labels": labels2()})
	_, err = update.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)

	// The engine cancels both processes when the command ends.
	_, err = preview.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	_, err = update.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	doc = readJSONReport(t, path)
	assert.Zero(t, doc.Summary.Unknown, "the update's report")
}

func TestReportRecordsFailClosedFindings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	srv, _ := reportServer(t, path)
	resp, err := srv.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{Type: jobType, Urn: jobURN,
		Properties: mustStruct(t, map[string]any{"labels": map[string]any{"4dabf18193072939515e22adb298388d": "bogus"}})})
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetDiagnostics())
	_, err = srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	doc := readJSONReport(t, path)
	require.Len(t, doc.Findings, len(resp.GetDiagnostics()))
	for _, f := range doc.Findings {
		assert.Contains(t, f.Message, "could not be decoded")
		assert.Equal(t, jobURN, f.URN)
	}
}

func TestReportNeedsAKnownExtension(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.txt")
	srv, log := reportServer(t, path)
	analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	_, err := srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err, "a report problem never fails the deployment")
	assert.Contains(t, log.String(), "must end in .sarif")
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err))

	// An unwritable location only warns, too.
	srv, log = reportServer(t, filepath.Join(t.TempDir(), "missing", "results.json"))
	analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	_, err = srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	assert.Contains(t, log.String(), "writing the report")
}

// Analyze calls arrive concurrently; the file is replaced, never half
// written, while a reader keeps reading it.
func TestReportIsGoroutineSafeAndAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	srv, _ := reportServer(t, path)
	analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	_, err := srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)

	const workers, perWorker = 4, 15
	stop := make(chan struct{})
	var readErr error
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(path)
			if err != nil {
				readErr = err
				return
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				readErr = fmt.Errorf("half-written report (%d bytes): %w", len(data), err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				urn := fmt.Sprintf("urn:pulumi:dev::etl::gcp:dataflow/job:Job::job-%d-%d", w, i)
				resp, err := srv.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{Type: jobType, Urn: urn,
					Properties: props(t, map[string]property.Value{"labels": labels2()})})
				if err != nil || len(resp.GetDiagnostics()) == 0 {
					t.Errorf("Analyze %s: %v", urn, err)
				}
				if i%5 == 0 {
					if _, err := srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{}); err != nil {
						t.Errorf("AnalyzeStack: %v", err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	_, err = srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	close(stop)
	readers.Wait()
	require.NoError(t, readErr)
	doc := readJSONReport(t, path)
	assert.Equal(t, 1+workers*perWorker, doc.Summary.Resources)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temp file left behind")
}
