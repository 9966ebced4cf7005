package analyzer_test

// Concurrency: 64 goroutines issue Analyze, AnalyzeStack, Remediate,
// Configure (valid and invalid), Cancel and GetAnalyzerInfo against one
// server, as a misbehaving engine could, under -race. Two configurations
// differ in the level of every policy (A: all advisory; B: all mandatory,
// the remediable ones at remediate), so a response that mixes levels saw
// half of one configuration and half of the other. The invalid
// configuration (C: everything disabled plus one bad property) must never
// take effect, not even in part.

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const (
	ccGoroutines = 64
	ccCalls      = 7 // per goroutine: 448 calls in all
)

// ccConfigs returns configurations A (all advisory), B (all mandatory,
// remediable policies at remediate) and the invalid C.
func ccConfigs(pack *policy.Pack) (a, b, c map[string]*pulumirpc.PolicyConfig) {
	a, b, c = map[string]*pulumirpc.PolicyConfig{}, map[string]*pulumirpc.PolicyConfig{}, map[string]*pulumirpc.PolicyConfig{}
	for _, p := range pack.Policies() {
		a[p.Name] = &pulumirpc.PolicyConfig{EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY}
		lb := pulumirpc.EnforcementLevel_MANDATORY
		if p.CanRemediate() {
			lb = pulumirpc.EnforcementLevel_REMEDIATE
		}
		b[p.Name] = &pulumirpc.PolicyConfig{EnforcementLevel: lb}
		c[p.Name] = &pulumirpc.PolicyConfig{EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED}
	}
	bad, _ := structpb.NewStruct(map[string]any{"requiredLabels": "not-a-list"})
	c["required-labels"].Properties = bad
	return a, b, c
}

type ccFixture struct {
	srv       *analyzer.Server
	pack      *policy.Pack
	dep       *stackfile.Deployment
	a, b, c   map[string]*pulumirpc.PolicyConfig
	requests  []*pulumirpc.AnalyzeRequest
	stack     *pulumirpc.AnalyzeStackRequest
	expected  []map[string]bool // per request: the policies that report on it
	expectedS map[string]bool   // the stack policies that report
}

func ccSetup(t *testing.T) *ccFixture {
	t.Helper()
	pack, err := policy.NewPack(policies.PackName, "0.1.0", "concurrency", policies.All())
	require.NoError(t, err)
	srv := analyzer.New(pack, analyzer.PackInfo{Provider: "gcp"}, io.Discard)
	srv.SetEnv(func(string) (string, bool) { return "", false })
	srv.SetTimeout(0) // the race detector is slow: no deadline, only Cancel
	dep, err := stackfile.ReadFile("../../testdata/stacks/dataflow-insecure.json")
	require.NoError(t, err)
	f := &ccFixture{srv: srv, pack: pack, dep: dep}
	f.a, f.b, f.c = ccConfigs(pack)
	for _, r := range dep.Inputs {
		req := &pulumirpc.AnalyzeRequest{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: propertypb.Marshal(r.Props)}
		if r.Provider != nil {
			req.Provider = &pulumirpc.AnalyzerProviderResource{Type: r.Provider.Type, Urn: r.Provider.URN, Properties: propertypb.Marshal(r.Provider.Props)}
		}
		f.requests = append(f.requests, req)
	}
	f.stack = &pulumirpc.AnalyzeStackRequest{}
	for _, r := range dep.Outputs {
		f.stack.Resources = append(f.stack.Resources, &pulumirpc.AnalyzerResource{Type: r.Type, Urn: r.URN, Name: r.Name,
			Properties: propertypb.Marshal(r.Props), Parent: r.Parent, Dependencies: r.Dependencies})
	}
	// What each call reports when nothing else is going on (the same under
	// A and B: only levels differ).
	f.configure(t, f.a)
	ctx := context.Background()
	for _, req := range f.requests {
		resp, err := srv.Analyze(ctx, req)
		require.NoError(t, err)
		f.expected = append(f.expected, ccPolicies(resp.GetDiagnostics()))
	}
	resp, err := srv.AnalyzeStack(ctx, f.stack)
	require.NoError(t, err)
	f.expectedS = ccPolicies(resp.GetDiagnostics())
	require.NotEmpty(t, f.expectedS, "the insecure stack fails stack policies")
	return f
}

func (f *ccFixture) configure(t *testing.T, cfg map[string]*pulumirpc.PolicyConfig) {
	t.Helper()
	_, err := f.srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg})
	require.NoError(t, err)
}

func ccPolicies(ds []*pulumirpc.AnalyzeDiagnostic) map[string]bool {
	out := map[string]bool{}
	for _, d := range ds {
		out[d.GetPolicyName()] = true
	}
	return out
}

// ccLevel says which configuration a set of diagnostics came from: "A",
// "B", "" (nothing to tell: no violations) or "mixed".
func ccLevel(ds []*pulumirpc.AnalyzeDiagnostic) string {
	seen := ""
	for _, d := range ds {
		if strings.HasPrefix(d.GetMessage(), "can't run policy") {
			continue // preview advisories are advisory under any configuration
		}
		which := "A"
		if d.GetEnforcementLevel() == pulumirpc.EnforcementLevel_MANDATORY {
			which = "B"
		}
		if seen != "" && seen != which {
			return "mixed"
		}
		seen = which
	}
	return seen
}

// ccWellFormed checks what every response must hold whatever ran beside it.
func ccWellFormed(pack *policy.Pack, m proto.Message, ds []*pulumirpc.AnalyzeDiagnostic) error {
	if _, err := proto.Marshal(m); err != nil {
		return fmt.Errorf("does not encode: %w", err)
	}
	for _, d := range ds {
		if l := d.GetEnforcementLevel(); l != pulumirpc.EnforcementLevel_ADVISORY && l != pulumirpc.EnforcementLevel_MANDATORY {
			return fmt.Errorf("%s at level %s", d.GetPolicyName(), l)
		}
		if _, ok := pack.Lookup(d.GetPolicyName()); !ok {
			return fmt.Errorf("unregistered policy %q", d.GetPolicyName())
		}
		if strings.Contains(d.GetMessage(), ": internal error") || strings.Contains(d.GetMessage(), "timed out") {
			return fmt.Errorf("%s: %s", d.GetPolicyName(), d.GetMessage())
		}
	}
	return nil
}

// ccCovers checks that a response reports on at least the expected
// policies: a configuration applied in part (some policies disabled) would
// drop some. Cancel may add fail-closed findings, never remove any.
func ccCovers(got, want map[string]bool) error {
	var missing []string
	for name := range want {
		if !got[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("policies missing from the response: %v", missing)
	}
	return nil
}

func TestConcurrentCallsKeepTheServerConsistent(t *testing.T) {
	f := ccSetup(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, ccGoroutines*ccCalls)
	fail := func(format string, args ...any) { errs <- fmt.Errorf(format, args...) }
	for g := range ccGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ccCalls {
				k := (g*ccCalls + j) % len(f.requests)
				switch (g + j) % 7 {
				case 0, 1: // Analyze
					resp, err := f.srv.Analyze(ctx, f.requests[k])
					if err != nil {
						fail("Analyze: %v", err)
						continue
					}
					if err := ccWellFormed(f.pack, resp, resp.GetDiagnostics()); err != nil {
						fail("Analyze %s: %v", f.requests[k].GetUrn(), err)
					}
					if ccLevel(resp.GetDiagnostics()) == "mixed" {
						fail("Analyze %s mixes two configurations", f.requests[k].GetUrn())
					}
					if err := ccCovers(ccPolicies(resp.GetDiagnostics()), f.expected[k]); err != nil {
						fail("Analyze %s: %v", f.requests[k].GetUrn(), err)
					}
				case 2: // AnalyzeStack
					resp, err := f.srv.AnalyzeStack(ctx, f.stack)
					if err != nil {
						fail("AnalyzeStack: %v", err)
						continue
					}
					if err := ccWellFormed(f.pack, resp, resp.GetDiagnostics()); err != nil {
						fail("AnalyzeStack: %v", err)
					}
					if ccLevel(resp.GetDiagnostics()) == "mixed" {
						fail("AnalyzeStack mixes two configurations")
					}
					if err := ccCovers(ccPolicies(resp.GetDiagnostics()), f.expectedS); err != nil {
						fail("AnalyzeStack: %v", err)
					}
				case 3: // Remediate
					resp, err := f.srv.Remediate(ctx, f.requests[k])
					if err != nil {
						fail("Remediate: %v", err)
						continue
					}
					if _, err := proto.Marshal(resp); err != nil {
						fail("Remediate: does not encode: %v", err)
					}
					for _, rem := range resp.GetRemediations() {
						if _, ok := f.pack.Lookup(rem.GetPolicyName()); !ok {
							fail("Remediate: unregistered policy %q", rem.GetPolicyName())
						}
						if rem.GetProperties() == nil && rem.GetDiagnostic() == "" {
							fail("Remediate: %s sends neither properties nor a diagnostic", rem.GetPolicyName())
						}
						if strings.Contains(rem.GetDiagnostic(), ": internal error") {
							fail("Remediate: %s", rem.GetDiagnostic())
						}
					}
				case 4: // Configure A or B; now and then the invalid C
					cfg := f.a
					if (g+j)%2 == 1 {
						cfg = f.b
					}
					if g%9 == 0 {
						if _, err := f.srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: f.c}); err == nil {
							fail("the invalid configuration was accepted")
						}
						continue
					}
					if _, err := f.srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg}); err != nil {
						fail("Configure: %v", err)
					}
				case 5: // Cancel
					if !ccRun(ccCancelRace) {
						continue
					}
					if _, err := f.srv.Cancel(ctx, &emptypb.Empty{}); err != nil {
						fail("Cancel: %v", err)
					}
				case 6: // GetAnalyzerInfo
					info, err := f.srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
					if err != nil {
						fail("GetAnalyzerInfo: %v", err)
						continue
					}
					if len(info.GetPolicies()) != len(f.pack.Policies()) {
						fail("GetAnalyzerInfo lists %d policies", len(info.GetPolicies()))
					}
					for _, p := range info.GetPolicies() {
						if p.GetEnforcementLevel() == pulumirpc.EnforcementLevel_DISABLED {
							fail("GetAnalyzerInfo: %s is disabled: the invalid configuration took effect", p.GetName())
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The last Configure wins, whole.
	for _, cfg := range []map[string]*pulumirpc.PolicyConfig{f.a, f.b} {
		f.configure(t, cfg)
		info, err := f.srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
		require.NoError(t, err)
		for _, p := range info.GetPolicies() {
			assert.Equal(t, cfg[p.GetName()].GetEnforcementLevel(), p.GetEnforcementLevel(), p.GetName())
		}
		want := "A"
		if cfg["required-labels"].GetEnforcementLevel() != pulumirpc.EnforcementLevel_ADVISORY {
			want = "B"
		}
		for k, req := range f.requests {
			resp, err := f.srv.Analyze(ctx, req)
			require.NoError(t, err)
			if len(f.expected[k]) > 0 {
				assert.Equal(t, want, ccLevel(resp.GetDiagnostics()), req.GetUrn())
			}
			assert.Equal(t, f.expected[k], ccPolicies(resp.GetDiagnostics()), "after the storm, %s reports as before", req.GetUrn())
		}
		resp, err := f.srv.AnalyzeStack(ctx, f.stack)
		require.NoError(t, err)
		assert.Equal(t, want, ccLevel(resp.GetDiagnostics()))
		assert.Equal(t, f.expectedS, ccPolicies(resp.GetDiagnostics()))
	}
}

// ccFlip runs Configure A/B in a loop until stop closes.
func ccFlip(f *ccFixture, stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	ctx := context.Background()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		cfg := f.a
		if i%2 == 1 {
			cfg = f.b
		}
		_, _ = f.srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg})
	}
}

// TestConfigSwapsAreAtomicForEveryCall hammers the calls that read levels
// while Configure flips between A and B, and checks that no single response
// mixes the two: Analyze, AnalyzeStack, the fail-closed answer to
// undecodable properties, and GetAnalyzerInfo.
func TestConfigSwapsAreAtomicForEveryCall(t *testing.T) {
	f := ccSetup(t)
	ctx := context.Background()
	// A request whose properties cannot be decoded: every policy that
	// applies fails closed, at its configured level.
	malformed := &pulumirpc.AnalyzeRequest{Type: "gcp:dataflow/job:Job", Urn: "urn:pulumi:dev::etl::gcp:dataflow/job:Job::bad",
		Properties: &structpb.Struct{Fields: map[string]*structpb.Value{"labels": structpb.NewStructValue(&structpb.Struct{
			Fields: map[string]*structpb.Value{"4dabf18193072939515e22adb298388d": structpb.NewStringValue("no-such-signature")}})}}}
	infoLevels := func(info *pulumirpc.AnalyzerInfo) string {
		seen := map[string]bool{}
		for _, p := range info.GetPolicies() {
			switch p.GetEnforcementLevel() {
			case pulumirpc.EnforcementLevel_ADVISORY:
				seen["A"] = true
			default:
				seen["B"] = true
			}
		}
		if len(seen) > 1 {
			return "mixed"
		}
		return ""
	}
	calls := map[string]func() string{
		"Analyze": func() string {
			resp, err := f.srv.Analyze(ctx, f.requests[0])
			require.NoError(t, err)
			return ccLevel(resp.GetDiagnostics())
		},
		"AnalyzeStack": func() string {
			resp, err := f.srv.AnalyzeStack(ctx, f.stack)
			require.NoError(t, err)
			return ccLevel(resp.GetDiagnostics())
		},
		"Analyze of undecodable properties": func() string {
			resp, err := f.srv.Analyze(ctx, malformed)
			require.NoError(t, err)
			require.NotEmpty(t, resp.GetDiagnostics())
			return ccLevel(resp.GetDiagnostics())
		},
		"GetAnalyzerInfo": func() string {
			info, err := f.srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
			require.NoError(t, err)
			return infoLevels(info)
		},
	}
	names := make([]string, 0, len(calls))
	for name := range calls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if bug := ccNonAtomic[name]; bug != "" && !ccRun(bug) {
				t.Skip("known bug, see ccKnownBugs: " + bug)
			}
			stop := make(chan struct{})
			var done sync.WaitGroup
			done.Add(2)
			go ccFlip(f, stop, &done)
			go ccFlip(f, stop, &done)
			n := 1000
			if name == "AnalyzeStack" {
				n = 60 // the slowest call: fewer, still many swaps each
			}
			mixed := 0
			for range n {
				if calls[name]() == "mixed" {
					mixed++
				}
			}
			close(stop)
			done.Wait()
			assert.Zero(t, mixed, "%s: %d of %d responses mix two configurations", name, mixed, n)
		})
	}
}

// ccKnownBugs are bugs these tests found in non-test code, left unfixed by
// the tests' author. The parts of the tests that hit them are skipped unless
// DATAFLOW_GUARDRAILS_KNOWN_BUGS=1 (or names the bug); delete an entry once
// the bug is fixed.
var ccKnownBugs = map[string]string{}

const (
	ccCancelRace    = "cancel-race"
	ccFailAllLevels = "failall-levels"
)

// ccNonAtomic maps the calls of TestConfigSwapsAreAtomicForEveryCall to the
// known bug that makes them mix configurations.
var ccNonAtomic = map[string]string{
	"Analyze of undecodable properties": ccFailAllLevels,
}

// ccRun reports whether the code that hits a bug should run: always once
// the bug is fixed (gone from ccKnownBugs), else when asked to.
func ccRun(bug string) bool {
	if _, known := ccKnownBugs[bug]; !known {
		return true
	}
	v := os.Getenv("DATAFLOW_GUARDRAILS_KNOWN_BUGS")
	return v == "1" || strings.Contains(","+v+",", ","+bug+",")
}
