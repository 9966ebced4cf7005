package analyzer_test

// Bad input, clear answers. Policy configuration that is wrong (wrong types
// for every field of every policy, typos in levels, unknown names) is
// rejected, or warned about, with a message naming the policy and the field,
// by the engine's Configure and by `check` alike. Very large and very deep
// property values (100,000-element lists and maps, 1,000-deep nesting) get a
// normal answer with bounded memory; nesting too deep for protobuf is refused
// by the gRPC layer before any handler runs, and the server keeps serving.
// Stack exports are covered in internal/stackfile/bigexport_test.go.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/cli"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const biSecureExport = "../../testdata/stacks/dataflow-secure.json"

func biServer(t *testing.T, extra ...*policy.Policy) (*analyzer.Server, *policy.Pack, *bytes.Buffer) {
	t.Helper()
	pack, err := policy.NewPack(policies.PackName, "0.1.0", "bad input", append(policies.All(), extra...))
	require.NoError(t, err)
	var log bytes.Buffer
	srv := analyzer.New(pack, analyzer.PackInfo{Provider: "gcp"}, &log)
	srv.SetEnv(func(string) (string, bool) { return "", false })
	return srv, pack, &log
}

// biCheck runs `check --policy-pack-config <config> <secure export>`.
func biCheck(t *testing.T, config string) (code int, stdout, stderr string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	pack, err := policies.NewPack("0.1.0", "bad input")
	require.NoError(t, err)
	var out, errb bytes.Buffer
	app := &cli.App{Pack: pack, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	code = app.Run(context.Background(), []string{"check", "--format", "json", "--policy-pack-config", path, biSecureExport})
	return code, out.String(), errb.String()
}

// biWrongValue is a value of another JSON type than the schema's.
func biWrongValue(schemaType string) any {
	switch schemaType {
	case "array":
		return 7.0
	case "string":
		return []any{1.0}
	case "object":
		return "not an object"
	case "boolean":
		return "yes"
	case "integer", "number":
		return "many"
	}
	return nil
}

type biField struct{ policy, field, typ string }

// biFields lists every top-level config field of every policy with its type.
func biFields(t *testing.T) []biField {
	t.Helper()
	var out []biField
	for _, p := range policies.All() {
		if p.ConfigSchema == "" {
			continue
		}
		var s struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		}
		require.NoError(t, json.Unmarshal([]byte(p.ConfigSchema), &s), p.Name)
		for name, prop := range s.Properties {
			if biWrongValue(prop.Type) != nil {
				out = append(out, biField{p.Name, name, prop.Type})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].policy != out[j].policy {
			return out[i].policy < out[j].policy
		}
		return out[i].field < out[j].field
	})
	require.NotEmpty(t, out)
	return out
}

// TestWrongTypeForEveryConfigFieldIsRejected sends a value of the wrong type
// for every config field of every policy, through the engine's Configure and
// through `check`: both reject it with a message naming the policy and the
// field, and the engine's previous configuration stays in place.
func TestWrongTypeForEveryConfigFieldIsRejected(t *testing.T) {
	srv, _, _ := biServer(t)
	ctx := context.Background()
	before, err := srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	for _, f := range biFields(t) {
		t.Run(f.policy+"/"+f.field, func(t *testing.T) {
			wrong := biWrongValue(f.typ)
			props, err := structpb.NewStruct(map[string]any{f.field: wrong})
			require.NoError(t, err)
			_, err = srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
				f.policy: {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: props},
			}})
			require.Error(t, err, "Configure accepted %s.%s = %v", f.policy, f.field, wrong)
			assert.Contains(t, err.Error(), f.policy+": "+f.field, "Configure names the policy and the field")

			cfg, err := json.Marshal(map[string]any{f.policy: map[string]any{f.field: wrong}})
			require.NoError(t, err)
			code, _, stderr := biCheck(t, string(cfg))
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, f.policy+": "+f.field, "check names the policy and the field")
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		})
	}
	after, err := srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.True(t, proto.Equal(before, after), "rejected configurations left the server as it was")
}

// TestLevelTyposAreRejected: a level the engine does not know, in the RPC or
// in a config file, fails naming the policy (and the bad value).
func TestLevelTyposAreRejected(t *testing.T) {
	srv, _, _ := biServer(t)
	_, err := srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"required-labels": {EnforcementLevel: pulumirpc.EnforcementLevel(99)},
	}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "required-labels")
	assert.Contains(t, err.Error(), "99")

	for name, tc := range map[string]struct{ config, policy, value string }{
		"capitalised":       {`{"required-labels": "Mandatory"}`, "required-labels", "Mandatory"},
		"misspelt":          {`{"iam-no-primitive-roles": "mandtory"}`, "iam-no-primitive-roles", "mandtory"},
		"in an object":      {`{"required-labels": {"enforcementLevel": "warn", "requiredLabels": ["env"]}}`, "required-labels", "warn"},
		"not a string":      {`{"required-labels": {"enforcementLevel": 3}}`, "required-labels", "enforcementLevel"},
		"under all":         {`{"all": "loud"}`, "all", "loud"},
		"version 2":         {`{"version": 2, "policies": {"no-hmac-keys": "block"}}`, "no-hmac-keys", "block"},
		"a number as level": {`{"no-hmac-keys": 1}`, "no-hmac-keys", "a number"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := biCheck(t, tc.config)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tc.policy)
			assert.Contains(t, stderr, tc.value)
		})
	}
}

// TestUnknownPolicyNamesOnlyWarn: names the pack does not have (typos, the
// engine's "all") must not fail a deployment, but are named in a warning,
// and the rest of the configuration applies.
func TestUnknownPolicyNamesOnlyWarn(t *testing.T) {
	srv, _, log := biServer(t)
	ctx := context.Background()
	_, err := srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"required-label":  {EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED},
		"required-labels": {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY},
	}})
	require.NoError(t, err)
	assert.Contains(t, log.String(), `"required-label"`)
	info, err := srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, biLevel(info, "required-labels"))

	code, stdout, stderr := biCheck(t, `{"required-label": "disabled", "no-hmac-key": {"enforcementLevel": "advisory"}, "required-labels": "advisory"}`)
	assert.NotEqual(t, 2, code, stderr)
	assert.Contains(t, stderr, `"required-label"`)
	assert.Contains(t, stderr, `"no-hmac-key"`)
	assert.NotEmpty(t, stdout)
}

// TestUnknownPropertyNamesAreNotSilentlyIgnored: a misspelt property
// (requiredLabel for requiredLabels) leaves the policy on its defaults. It
// must be rejected or at least warned about, naming the policy and field.
func TestUnknownPropertyNamesAreNotSilentlyIgnored(t *testing.T) {
	if !ccRun(biUnknownProperty) {
		t.Skip("known bug, see ccKnownBugs: " + biUnknownProperty)
	}
	srv, _, log := biServer(t)
	props, err := structpb.NewStruct(map[string]any{"requiredLabel": []any{"owner"}})
	require.NoError(t, err)
	_, err = srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"required-labels": {Properties: props},
	}})
	said := log.String()
	if err != nil {
		said += err.Error()
	}
	assert.Contains(t, said, "required-labels", "Configure says which policy")
	assert.Contains(t, said, "requiredLabel", "Configure says which field")

	code, _, stderr := biCheck(t, `{"required-labels": {"requiredLabel": ["owner"]}}`)
	_ = code
	assert.Contains(t, stderr, "requiredLabel", "check says which field")
}

func biLevel(info *pulumirpc.AnalyzerInfo, name string) pulumirpc.EnforcementLevel {
	for _, p := range info.GetPolicies() {
		if p.GetName() == name {
			return p.GetEnforcementLevel()
		}
	}
	return -1
}

const biUnknownProperty = "unknown-property-silent"

// ---- large and deep values ----

// biRaceBuild reports whether the test binary runs under the race detector,
// whose runtime makes sizes and memory figures meaningless.
func biRaceBuild() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return true
			}
		}
	}
	return false
}

// biPeakHeap runs f and returns the peak of live heap objects above what
// was live before, sampled every few milliseconds, and what f allocated.
func biPeakHeap(f func()) (peak, allocated uint64) {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	base, alloc0 := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	var max atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > max.Load() {
				max.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	metrics.Read(samples)
	if m := max.Load(); m > base {
		peak = m - base
	}
	return peak, samples[1].Value.Uint64() - alloc0
}

// biBigN is the size of the "huge" lists and maps: 100,000, or 10,000 with
// -short or under the race detector (the same code paths, at a pace they
// can afford).
func biBigN() int {
	if testing.Short() || biRaceBuild() {
		return 10_000
	}
	return 100_000
}

// biOptionsN sizes the cases that read pipeline options, which hit a known
// performance bug: 10,000 until it is fixed.
func biOptionsN() int {
	if !ccRun(biOptionReplacer) {
		return min(biBigN(), 10_000)
	}
	return biBigN()
}

const biOptionReplacer = "option-name-replacer"

func biStr(s string) *structpb.Value { return structpb.NewStringValue(s) }

func biList(n int, elem func(i int) *structpb.Value) *structpb.Value {
	vs := make([]*structpb.Value, n)
	for i := range vs {
		vs[i] = elem(i)
	}
	return structpb.NewListValue(&structpb.ListValue{Values: vs})
}

func biMap(n int, key func(i int) string, elem func(i int) *structpb.Value) *structpb.Value {
	fields := make(map[string]*structpb.Value, n)
	for i := range n {
		fields[key(i)] = elem(i)
	}
	return structpb.NewStructValue(&structpb.Struct{Fields: fields})
}

// biDeep nests leaf depth levels deep in maps (key k) or, with k "", lists.
func biDeep(depth int, k string, leaf *structpb.Value) *structpb.Value {
	v := leaf
	for range depth {
		if k == "" {
			v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
		} else {
			v = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{k: v}})
		}
	}
	return v
}

type biCase struct {
	name, typ string
	props     map[string]*structpb.Value
	// wantMost is the policy expected to report most, "" when none is.
	wantMost string
}

func biCases() []biCase {
	n, opts := biBigN(), biOptionsN()
	job, binding := "gcp:dataflow/job:Job", "gcp:projects/iAMBinding:IAMBinding"
	return []biCase{
		{"100k members with a basic role", binding, map[string]*structpb.Value{"role": biStr("roles/editor"), "project": biStr("etl-prod-1234"),
			"members": biList(n, func(i int) *structpb.Value { return biStr(fmt.Sprintf("user:u%d@example.com", i)) })}, "iam-no-primitive-roles"},
		{"100k public members", binding, map[string]*structpb.Value{"role": biStr("roles/dataflow.viewer"), "project": biStr("etl-prod-1234"),
			"members": biList(n, func(int) *structpb.Value { return biStr("allUsers") })}, "iam-no-public-members"},
		{"100k invalid labels", job, map[string]*structpb.Value{"labels": biMap(n, func(i int) string { return fmt.Sprintf("K%d", i) },
			func(int) *structpb.Value { return biStr("Not Valid") })}, "labels-valid-format"},
		{"100k experiments", job, map[string]*structpb.Value{"additionalExperiments": biList(opts, func(i int) *structpb.Value {
			return biStr(fmt.Sprintf("exp_%d", i))
		})}, ""},
		{"100k parameters", job, map[string]*structpb.Value{"parameters": biMap(opts, func(i int) string { return fmt.Sprintf("p%d", i) },
			func(int) *structpb.Value { return biStr("v") })}, ""},
		{"1,000-deep labels", job, map[string]*structpb.Value{"labels": biDeep(1000, "env", biStr("prod"))}, ""},
		{"1,000-deep parameters and experiments", job, map[string]*structpb.Value{
			"parameters": biDeep(1000, "serviceAccount", biStr("x@y.iam.gserviceaccount.com")), "additionalExperiments": biDeep(1000, "", biStr("use_public_ips"))}, ""},
		{"1,000-deep policyData", "gcp:projects/iAMPolicy:IAMPolicy", map[string]*structpb.Value{
			"project": biStr("etl-prod-1234"), "policyData": biDeep(1000, "bindings", biStr("roles/owner"))}, ""},
		{"1,000-deep policyData JSON", "gcp:projects/iAMPolicy:IAMPolicy", map[string]*structpb.Value{
			"project": biStr("etl-prod-1234"), "policyData": biStr(strings.Repeat(`{"bindings":`, 1000) + "[]" + strings.Repeat("}", 1000))}, ""},
		{"1,000-deep secrets", job, map[string]*structpb.Value{"serviceAccountEmail": biDeepSecret(1000, biStr("etl-worker@etl-prod-1234.iam.gserviceaccount.com"))}, ""},
	}
}

func biDeepSecret(depth int, leaf *structpb.Value) *structpb.Value {
	v := leaf
	for range depth {
		v = fzSecret(v)
	}
	return v
}

// TestHugeAndDeepValuesGetANormalAnswer sends each case to Analyze,
// Remediate (every remediable policy at remediate) and AnalyzeStack: no
// error, a well-formed response that encodes on the wire, no policy failing
// on "internal error" or a timeout, and bounded memory and response size.
func TestHugeAndDeepValuesGetANormalAnswer(t *testing.T) {
	srv, pack, _ := biServer(t)
	ctx := context.Background()
	cfg := map[string]*pulumirpc.PolicyConfig{}
	for _, p := range pack.Policies() {
		if p.CanRemediate() {
			cfg[p.Name] = &pulumirpc.PolicyConfig{EnforcementLevel: pulumirpc.EnforcementLevel_REMEDIATE}
		}
	}
	_, err := srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg})
	require.NoError(t, err)
	srv.SetTimeout(0) // memory, not time, is under test here
	checkDiags := func(t *testing.T, ds []*pulumirpc.AnalyzeDiagnostic) map[string]int {
		counts := map[string]int{}
		for _, d := range ds {
			counts[d.GetPolicyName()]++
			assert.Contains(t, []pulumirpc.EnforcementLevel{pulumirpc.EnforcementLevel_ADVISORY, pulumirpc.EnforcementLevel_MANDATORY}, d.GetEnforcementLevel())
			assert.NotContains(t, d.GetMessage(), ": internal error")
			assert.NotContains(t, d.GetMessage(), "could not be decoded")
		}
		return counts
	}
	for _, c := range biCases() {
		t.Run(c.name, func(t *testing.T) {
			urn := "urn:pulumi:dev::etl::" + c.typ + "::big"
			req := &pulumirpc.AnalyzeRequest{Type: c.typ, Urn: urn, Name: "big", Properties: &structpb.Struct{Fields: c.props}}
			var resp *pulumirpc.AnalyzeResponse
			var rem *pulumirpc.RemediateResponse
			var stack *pulumirpc.AnalyzeResponse
			start := time.Now()
			peak, allocated := biPeakHeap(func() {
				var err error
				resp, err = srv.Analyze(ctx, req)
				require.NoError(t, err)
				rem, err = srv.Remediate(ctx, req)
				require.NoError(t, err)
				stack, err = srv.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
					{Type: c.typ, Urn: urn, Name: "big", Properties: &structpb.Struct{Fields: c.props}},
				}})
				require.NoError(t, err)
			})
			counts := checkDiags(t, resp.GetDiagnostics())
			checkDiags(t, stack.GetDiagnostics())
			for _, r := range rem.GetRemediations() {
				assert.NotContains(t, r.GetDiagnostic(), ": internal error")
			}
			size := proto.Size(resp) + proto.Size(rem) + proto.Size(stack)
			for _, m := range []proto.Message{resp, rem, stack} {
				_, err := proto.Marshal(m)
				require.NoError(t, err, "the response encodes on the wire")
			}
			t.Logf("%s: %d diagnostics %v, %d remediations, %d stack diagnostics, responses %d KB, peak heap +%d MB, allocated %d MB, %s",
				c.name, len(resp.GetDiagnostics()), counts, len(rem.GetRemediations()), len(stack.GetDiagnostics()),
				size>>10, peak>>20, allocated>>20, time.Since(start).Round(time.Millisecond))
			if c.wantMost != "" {
				require.NotZero(t, counts[c.wantMost], "%s still reports", c.wantMost)
			}
			if !biRaceBuild() {
				assert.Less(t, peak, uint64(1<<30), "peak heap stays under 1 GiB")
				assert.Less(t, size, 64<<20, "responses stay far below the 400 MB message limit")
			}
		})
	}
}

// ---- through gRPC: protobuf's recursion limit ----

// biServe starts the real gRPC server and returns a client.
func biServe(t *testing.T, srv *analyzer.Server) pulumirpc.AnalyzerClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- analyzer.Serve(ctx, srv, pw, io.Discard) }()
	port, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(400<<20), grpc.MaxCallRecvMsgSize(400<<20)))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		<-served
		_ = pw.Close()
	})
	return pulumirpc.NewAnalyzerClient(conn)
}

// biCounting is a test policy that counts the resources it sees.
func biCounting(n *atomic.Int32) *policy.Policy {
	return policy.Resource(policy.Meta{
		Name: "test-counts", Title: "Counts", Description: "A test policy that counts calls.",
		Remediation: "None.", URL: "https://cloud.google.com/", Severity: policy.Low, Level: policy.Advisory,
		Family: "labels", Types: []string{"gcp:pubsub/topic:Topic"},
	}, func(*policy.Call, *gcp.Resource, *struct{}) { n.Add(1) })
}

// TestNestingBeyondProtobufsLimitIsRefusedBeforeAnyHandler: 1,000 levels of
// maps travel fine; 4,000 levels (each map level is three protobuf message
// levels, past protobuf's default limit of 10,000) are refused by the gRPC
// layer with an error, without reaching the handler, and the server keeps
// serving. The engine shows that error and aborts the deployment.
func TestNestingBeyondProtobufsLimitIsRefusedBeforeAnyHandler(t *testing.T) {
	var calls atomic.Int32
	srv, _, _ := biServer(t, biCounting(&calls))
	client := biServe(t, srv)
	ctx := context.Background()
	topic := func(labels *structpb.Value) *pulumirpc.AnalyzeRequest {
		return &pulumirpc.AnalyzeRequest{Type: "gcp:pubsub/topic:Topic", Urn: "urn:pulumi:dev::etl::gcp:pubsub/topic:Topic::t",
			Properties: &structpb.Struct{Fields: map[string]*structpb.Value{"labels": labels}}}
	}

	resp, err := client.Analyze(ctx, topic(biDeep(1000, "env", biStr("prod"))))
	require.NoError(t, err, "1,000 levels are fine")
	assert.NotEmpty(t, resp.GetDiagnostics())
	require.Equal(t, int32(1), calls.Load())

	_, err = client.Analyze(ctx, topic(biDeep(4000, "env", biStr("prod"))))
	require.Error(t, err, "4,000 levels exceed protobuf's recursion limit")
	t.Logf("the engine would see: %v", err)
	assert.Contains(t, err.Error(), "recursion", "the error says why")
	assert.Equal(t, int32(1), calls.Load(), "no handler ran")

	_, err = client.Analyze(ctx, topic(biDeep(3, "env", biStr("prod"))))
	require.NoError(t, err, "the server keeps serving")
	assert.Equal(t, int32(2), calls.Load())
}
