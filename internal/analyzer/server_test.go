package analyzer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const (
	jobType   = "gcp:dataflow/job:Job"
	jobURN    = "urn:pulumi:dev::etl::gcp:dataflow/job:Job::stream"
	worker    = "etl-worker@etl-prod-1234.iam.gserviceaccount.com"
	panicType = "gcp:storage/bucket:Bucket"
)

// panicking is a test-only policy that crashes on every bucket.
func panicking() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name: "test-panics", Title: "Panics", Description: "A test policy that panics.",
		Remediation: "None.", URL: "https://cloud.google.com/", Severity: policy.Low, Level: policy.Advisory,
		Family: "labels", Types: []string{panicType},
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		var m map[string]int
		m["boom"]++ // nil map write
	})
}

func newServer(t *testing.T, extra ...*policy.Policy) (*analyzer.Server, *bytes.Buffer) {
	t.Helper()
	pack, err := policy.NewPack(policies.PackName, "0.1.0", "test pack", append(policies.All(), extra...))
	require.NoError(t, err)
	var log bytes.Buffer
	srv := analyzer.New(pack, analyzer.PackInfo{Provider: "gcp", Readme: "# readme"}, &log)
	srv.SetEnv(func(string) (string, bool) { return "", false })
	return srv, &log
}

func props(t *testing.T, m map[string]property.Value) *structpb.Struct {
	t.Helper()
	return propertypb.Marshal(property.NewMap(m))
}

func labels(kv ...string) property.Value {
	m := map[string]property.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = property.New(kv[i+1])
	}
	return property.New(m)
}

func analyze(t *testing.T, srv *analyzer.Server, typ, urn string, p map[string]property.Value) *pulumirpc.AnalyzeResponse {
	t.Helper()
	resp, err := srv.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{
		Type: typ, Urn: urn, Name: urn[strings.LastIndex(urn, "::")+2:], Properties: props(t, p),
		Provider: &pulumirpc.AnalyzerProviderResource{Type: "pulumi:providers:gcp",
			Urn: "urn:pulumi:dev::etl::pulumi:providers:gcp::default_9_6_0", Properties: &structpb.Struct{}},
	})
	require.NoError(t, err, "Analyze must never return a gRPC error for resource data")
	return resp
}

func byPolicy(resp *pulumirpc.AnalyzeResponse) map[string][]*pulumirpc.AnalyzeDiagnostic {
	out := map[string][]*pulumirpc.AnalyzeDiagnostic{}
	for _, d := range resp.GetDiagnostics() {
		out[d.GetPolicyName()] = append(out[d.GetPolicyName()], d)
	}
	return out
}

func TestInfoWithoutConfigureStack(t *testing.T) {
	srv, _ := newServer(t)
	pi, err := srv.GetPluginInfo(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, "0.1.0", pi.GetVersion())

	info, err := srv.GetAnalyzerInfo(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, "dataflow-guardrails", info.GetName())
	assert.True(t, info.GetSupportsConfig())
	assert.Equal(t, "test pack", info.GetDescription())
	assert.Equal(t, "gcp", info.GetProvider())
	require.Len(t, info.GetPolicies(), len(policies.All()))
	for _, p := range info.GetPolicies() {
		assert.NotEmpty(t, p.GetDisplayName(), p.GetName())
		assert.NotEmpty(t, p.GetDescription(), p.GetName())
		assert.NotEmpty(t, p.GetUrl(), p.GetName())
		assert.NotEmpty(t, p.GetRemediationSteps(), p.GetName())
		assert.NotEmpty(t, p.GetTags(), p.GetName())
		assert.NotEqual(t, pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED, p.GetSeverity(), p.GetName())
		assert.NotEqual(t, pulumirpc.PolicyType_POLICY_TYPE_UNKNOWN, p.GetPolicyType(), p.GetName())
		want := pulumirpc.EnforcementLevel_MANDATORY
		if pol, ok := findPolicy(p.GetName()); ok && pol.Level == policy.Advisory {
			want = pulumirpc.EnforcementLevel_ADVISORY
		}
		assert.Equal(t, want, p.GetEnforcementLevel(), "the resolved default level of %s", p.GetName())
	}
	labels := findInfo(info, "required-labels")
	require.NotNil(t, labels.GetConfigSchema())
	def := labels.GetConfigSchema().GetProperties().AsMap()["requiredLabels"].(map[string]any)["default"]
	assert.Equal(t, []any{"env", "team"}, def)
	assert.NotContains(t, labels.GetConfigSchema().GetProperties().AsMap(), "enforcementLevel")

	// Analyze works without ConfigureStack too (`pulumi policy analyze`).
	resp := analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	assert.Contains(t, byPolicy(resp), "dataflow-dedicated-worker-service-account")
}

func findPolicy(name string) (*policy.Policy, bool) {
	for _, p := range policies.All() {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

func labels2() property.Value { return labels("env", "prod", "team", "data") }

func findInfo(info *pulumirpc.AnalyzerInfo, name string) *pulumirpc.PolicyInfo {
	for _, p := range info.GetPolicies() {
		if p.GetName() == name {
			return p
		}
	}
	return nil
}

func TestConfigureOverridesLevelsAndProperties(t *testing.T) {
	srv, log := newServer(t)
	cfg, err := structpb.NewStruct(map[string]any{"requiredLabels": []any{"owner"}})
	require.NoError(t, err)
	_, err = srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"dataflow-dedicated-worker-service-account": {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY},
		"required-labels":         {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: cfg},
		"no-service-account-keys": {EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED},
		"all":                     {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY},
		"not-a-policy":            {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY},
	}})
	require.NoError(t, err, "unknown names and `all` must not fail Configure")
	assert.Contains(t, log.String(), `"not-a-policy"`)

	info, err := srv.GetAnalyzerInfo(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, findInfo(info, "dataflow-dedicated-worker-service-account").GetEnforcementLevel())
	assert.Equal(t, pulumirpc.EnforcementLevel_DISABLED, findInfo(info, "no-service-account-keys").GetEnforcementLevel())

	resp := analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	got := byPolicy(resp)
	require.Len(t, got["dataflow-dedicated-worker-service-account"], 1)
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, got["dataflow-dedicated-worker-service-account"][0].GetEnforcementLevel())
	require.Len(t, got["required-labels"], 1)
	assert.Contains(t, got["required-labels"][0].GetMessage(), `required label "owner" is missing`)

	key := analyze(t, srv, "gcp:serviceaccount/key:Key", "urn:pulumi:dev::etl::gcp:serviceaccount/key:Key::ci", nil)
	assert.Empty(t, key.GetDiagnostics(), "a disabled policy must not run")

	_, err = srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"required-labels": {Properties: mustStruct(t, map[string]any{"requiredLabels": "env"})},
	}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "required-labels: requiredLabels")
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	require.NoError(t, err)
	return s
}

func TestRemediateLevelIsReportedAsMandatory(t *testing.T) {
	srv, _ := newServer(t)
	_, err := srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"required-labels": {EnforcementLevel: pulumirpc.EnforcementLevel_REMEDIATE},
	}})
	require.NoError(t, err)
	resp := analyze(t, srv, jobType, jobURN, map[string]property.Value{"serviceAccountEmail": property.New(worker)})
	for _, d := range resp.GetDiagnostics() {
		assert.Contains(t, []pulumirpc.EnforcementLevel{pulumirpc.EnforcementLevel_ADVISORY, pulumirpc.EnforcementLevel_MANDATORY},
			d.GetEnforcementLevel(), "never send DISABLED or REMEDIATE")
	}
	require.NotEmpty(t, byPolicy(resp)["required-labels"])
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, byPolicy(resp)["required-labels"][0].GetEnforcementLevel())
}

func TestUnknownValuesBecomeAdvisories(t *testing.T) {
	srv, _ := newServer(t)
	_, err := srv.ConfigureStack(context.Background(), &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "dev", DryRun: true})
	require.NoError(t, err)
	computed := property.New(property.Computed)
	resp := analyze(t, srv, jobType, jobURN, map[string]property.Value{
		"serviceAccountEmail": computed,
		"labels":              computed.WithSecret(true),
	})
	got := byPolicy(resp)
	require.Len(t, got["dataflow-dedicated-worker-service-account"], 1)
	d := got["dataflow-dedicated-worker-service-account"][0]
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, d.GetEnforcementLevel())
	assert.Equal(t, "can't run policy 'dataflow-dedicated-worker-service-account' from policy pack 'dataflow-guardrails@v0.1.0' during preview: serviceAccountEmail can't be known during preview", d.GetMessage())
	require.NotEmpty(t, got["required-labels"], "a secret-wrapped unknown is unknown too")
	assert.Contains(t, got["required-labels"][0].GetMessage(), "can't be known during preview")
}

func TestSecretValuesAreReadButNeverPrinted(t *testing.T) {
	srv, _ := newServer(t)
	_, err := srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"required-labels": {Properties: mustStruct(t, map[string]any{"allowedValues": map[string]any{"team": "data|ml"}})},
	}})
	require.NoError(t, err)
	const sa = "123456789012-compute@developer.gserviceaccount.com"
	resp := analyze(t, srv, jobType, jobURN, map[string]property.Value{
		"serviceAccountEmail": property.New(sa).WithSecret(true),
		"labels":              labels("env", "prod", "team", "finance-secret-team").WithSecret(true),
	})
	got := byPolicy(resp)
	require.Len(t, got["dataflow-dedicated-worker-service-account"], 1, "the secret default account is still detected")
	require.Len(t, got["required-labels"], 1, "the secret label value is still checked")
	for _, d := range resp.GetDiagnostics() {
		assert.NotContains(t, d.GetMessage(), sa)
		assert.NotContains(t, d.GetMessage(), "finance-secret-team")
	}
}

func TestNotApplicable(t *testing.T) {
	srv, _ := newServer(t)
	resp := analyze(t, srv, "gcp:serviceaccount/account:Account", "urn:pulumi:dev::etl::gcp:serviceaccount/account:Account::w",
		map[string]property.Value{"accountId": property.New("w")})
	assert.Empty(t, resp.GetDiagnostics())
	reasons := map[string]string{}
	for _, na := range resp.GetNotApplicable() {
		reasons[na.GetPolicyName()] = na.GetReason()
	}
	// no-service-account-keys reads every resource (a key can sit in any
	// string), so it always applies.
	assert.NotContains(t, reasons, "no-service-account-keys")
	assert.Contains(t, reasons, "dataflow-dedicated-worker-service-account")
	assert.Contains(t, reasons["dataflow-dedicated-worker-service-account"], "Policy only applies to")
}

func TestPanickingPolicyFailsClosed(t *testing.T) {
	srv, _ := newServer(t, panicking())
	resp := analyze(t, srv, panicType, "urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::temp",
		map[string]property.Value{"labels": labels2()})
	got := byPolicy(resp)
	require.Len(t, got["test-panics"], 1)
	d := got["test-panics"][0]
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, d.GetEnforcementLevel(), "at the policy's own level")
	assert.Contains(t, d.GetMessage(), "could not evaluate test-panics on urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::temp: internal error")
	assert.Empty(t, got["required-labels"], "the other policies still run")
}

func TestMalformedPropertiesFailClosed(t *testing.T) {
	srv, _ := newServer(t)
	bad := &structpb.Struct{Fields: map[string]*structpb.Value{
		"labels": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"4dabf18193072939515e22adb298388d": structpb.NewStringValue("not-a-known-signature"),
		}}),
	}}
	resp, err := srv.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{Type: jobType, Urn: jobURN, Properties: bad})
	require.NoError(t, err)
	got := byPolicy(resp)
	require.NotEmpty(t, got["required-labels"])
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, got["required-labels"][0].GetEnforcementLevel())
	assert.Contains(t, got["required-labels"][0].GetMessage(), "could not be decoded")
}

func TestAnalyzeStackReportsOnTheOffendingResource(t *testing.T) {
	srv, _ := newServer(t)
	resp, err := srv.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		{Type: jobType, Urn: jobURN, Properties: props(t, map[string]property.Value{"labels": labels2()})},
	}})
	require.NoError(t, err)
	for _, d := range resp.GetDiagnostics() {
		assert.Equal(t, jobURN, d.GetUrn(), "%s reports on the job, not on the stack", d.GetPolicyName())
	}
}

func TestCancelKeepsServing(t *testing.T) {
	srv, _ := newServer(t)
	_, err := srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	resp := analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	got := byPolicy(resp)
	require.Len(t, got["dataflow-dedicated-worker-service-account"], 1)
	assert.NotContains(t, got["dataflow-dedicated-worker-service-account"][0].GetMessage(), "cancelled")
}
