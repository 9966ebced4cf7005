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
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// gRPC Remediate tests for propagate-stack-labels. The helpers are copies of
// server_test.go's under their own names.

const (
	remPolicy     = "propagate-stack-labels"
	remBucketType = "gcp:storage/bucket:Bucket"
	remBucketURN  = "urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::temp"
	// The engine's secret signature on the wire.
	remSigKey    = "4dabf18193072939515e22adb298388d"
	remSigSecret = "1b47061264138c4ac30d75fd1eb44270"
)

func remServer(t *testing.T) *analyzer.Server {
	t.Helper()
	pack, err := policies.NewPack("0.1.0", "test pack")
	require.NoError(t, err)
	var log bytes.Buffer
	srv := analyzer.New(pack, analyzer.PackInfo{Provider: "gcp"}, &log)
	srv.SetEnv(func(string) (string, bool) { return "", false })
	_, err = srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		remPolicy: {EnforcementLevel: pulumirpc.EnforcementLevel_REMEDIATE},
	}})
	require.NoError(t, err)
	return srv
}

func remConfigureStack(t *testing.T, srv *analyzer.Server, project, stack string) {
	t.Helper()
	_, err := srv.ConfigureStack(context.Background(), &pulumirpc.AnalyzerStackConfigureRequest{Project: project, Stack: stack})
	require.NoError(t, err)
}

func remLabels(kv ...string) property.Value {
	m := map[string]property.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = property.New(kv[i+1])
	}
	return property.New(m)
}

func remRequest(typ, urn string, props map[string]property.Value) *pulumirpc.AnalyzeRequest {
	return &pulumirpc.AnalyzeRequest{
		Type: typ, Urn: urn, Name: urn[strings.LastIndex(urn, "::")+2:],
		Properties: propertypb.Marshal(property.NewMap(props)),
		Provider: &pulumirpc.AnalyzerProviderResource{Type: gcp.ProviderType,
			Urn: "urn:pulumi:dev::etl::pulumi:providers:gcp::default_9_6_0", Properties: &structpb.Struct{}},
	}
}

func remRemediate(t *testing.T, srv *analyzer.Server, req *pulumirpc.AnalyzeRequest) []*pulumirpc.Remediation {
	t.Helper()
	resp, err := srv.Remediate(context.Background(), req)
	require.NoError(t, err, "Remediate must never return a gRPC error for resource data")
	return resp.GetRemediations()
}

// remOnly returns the one remediation of propagate-stack-labels, decoded.
func remOnly(t *testing.T, rems []*pulumirpc.Remediation) (*pulumirpc.Remediation, property.Map) {
	t.Helper()
	require.Len(t, rems, 1)
	rem := rems[0]
	assert.Equal(t, remPolicy, rem.GetPolicyName())
	assert.Equal(t, policies.PackName, rem.GetPolicyPackName())
	assert.Equal(t, "0.1.0", rem.GetPolicyPackVersion())
	assert.NotEmpty(t, rem.GetDescription())
	assert.Empty(t, rem.GetDiagnostic())
	require.NotNil(t, rem.GetProperties())
	m, err := propertypb.Unmarshal(rem.GetProperties())
	require.NoError(t, err)
	return rem, m
}

// remDiagnostics analyzes the inputs and returns the diagnostics of
// propagate-stack-labels.
func remDiagnostics(t *testing.T, srv *analyzer.Server, req *pulumirpc.AnalyzeRequest) []*pulumirpc.AnalyzeDiagnostic {
	t.Helper()
	resp, err := srv.Analyze(context.Background(), req)
	require.NoError(t, err)
	var out []*pulumirpc.AnalyzeDiagnostic
	for _, d := range resp.GetDiagnostics() {
		if d.GetPolicyName() == remPolicy {
			out = append(out, d)
		}
	}
	return out
}

func TestRemediateRoundTripsSecrets(t *testing.T) {
	srv := remServer(t)
	remConfigureStack(t, srv, "etl", "dev")
	const kmsKey = "projects/etl-prod-1234/locations/eu/keyRings/r/cryptoKeys/k"
	inputs := map[string]property.Value{
		"name":       property.New("etl-prod-1234-temp"),
		"location":   property.New("EU"),
		"labels":     remLabels("env", "prod", "owner", "finance-secret-team").WithSecret(true),
		"encryption": property.New(map[string]property.Value{"defaultKmsKeyName": property.New(kmsKey).WithSecret(true)}),
		"__defaults": property.New([]property.Value{property.New("forceDestroy")}),
	}
	req := remRequest(remBucketType, remBucketURN, inputs)

	before := remDiagnostics(t, srv, req)
	require.Len(t, before, 2, "at remediate, Analyze still reports what is missing")
	for _, d := range before {
		assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, d.GetEnforcementLevel())
		assert.NotContains(t, d.GetMessage(), "finance-secret-team")
	}

	rem, got := remOnly(t, remRemediate(t, srv, req))

	// On the wire the labels map is still wrapped in the secret signature.
	wire := rem.GetProperties().GetFields()["labels"].GetStructValue().GetFields()
	assert.Equal(t, remSigSecret, wire[remSigKey].GetStringValue(), "labels stay secret on the wire")

	labels := got.Get("labels")
	assert.True(t, labels.Secret())
	assert.Equal(t, remLabels("env", "prod", "owner", "finance-secret-team", "pulumi-project", "etl", "pulumi-stack", "dev").WithSecret(true), labels)
	key := got.Get("encryption").AsMap().Get("defaultKmsKeyName")
	assert.True(t, key.Secret(), "other secret inputs stay secret")
	assert.Equal(t, kmsKey, key.AsString())
	for _, k := range []string{"name", "location", "__defaults"} {
		assert.Equal(t, inputs[k], got.Get(k), k)
	}

	// The remediated inputs pass the policy and need no further remediation.
	fixed := remRequest(remBucketType, remBucketURN, got.AsMap())
	assert.Empty(t, remDiagnostics(t, srv, fixed))
	assert.Empty(t, remRemediate(t, srv, fixed))
}

func TestRemediateKeepsASecretValue(t *testing.T) {
	srv := remServer(t)
	remConfigureStack(t, srv, "etl", "dev")
	labels := property.New(map[string]property.Value{
		"pulumi-project": property.New("legacy-secret-project").WithSecret(true),
		"env":            property.New("prod"),
	})
	_, got := remOnly(t, remRemediate(t, srv, remRequest(remBucketType, remBucketURN, map[string]property.Value{"labels": labels})))
	m := got.Get("labels").AsMap()
	assert.False(t, got.Get("labels").Secret())
	assert.Equal(t, property.New("legacy-secret-project").WithSecret(true), m.Get("pulumi-project"), "a present value is kept, still secret")
	assert.Equal(t, property.New("dev"), m.Get("pulumi-stack"))
}

func TestRemediateUsesTheURNWithoutConfigureStack(t *testing.T) {
	srv := remServer(t) // publish and `pulumi policy analyze` never call ConfigureStack
	urn := "urn:pulumi:Prod.EU::Data-Platform::gcp:storage/bucket:Bucket::temp"
	_, got := remOnly(t, remRemediate(t, srv, remRequest(remBucketType, urn, map[string]property.Value{"name": property.New("b")})))
	assert.Equal(t, remLabels("pulumi-project", "data-platform", "pulumi-stack", "prod-eu"), got.Get("labels"))
	assert.Empty(t, remDiagnostics(t, srv, remRequest(remBucketType, urn, got.AsMap())))
}

func TestRemediatePipelineOverGRPC(t *testing.T) {
	srv := remServer(t)
	remConfigureStack(t, srv, "etl", "dev")
	env := property.New(map[string]property.Value{
		"serviceAccountEmail":  property.New("etl-worker@etl-prod-1234.iam.gserviceaccount.com").WithSecret(true),
		"additionalUserLabels": remLabels("env", "prod"),
	})
	inputs := map[string]property.Value{"name": property.New("nightly"), "workload": property.New(map[string]property.Value{
		"dataflowFlexTemplateRequest": property.New(map[string]property.Value{
			"projectId": property.New("etl-prod-1234"),
			"launchParameter": property.New(map[string]property.Value{
				"jobName": property.New("nightly"), "environment": env,
			}),
		}),
	})}
	urn := "urn:pulumi:dev::etl::gcp:dataflow/pipeline:Pipeline::nightly"
	_, got := remOnly(t, remRemediate(t, srv, remRequest(gcp.DataflowPipeline, urn, inputs)))
	e := got.Get("workload").AsMap().Get("dataflowFlexTemplateRequest").AsMap().Get("launchParameter").AsMap().Get("environment").AsMap()
	assert.Equal(t, remLabels("env", "prod", "pulumi-project", "etl", "pulumi-stack", "dev"), e.Get("additionalUserLabels"))
	assert.True(t, e.Get("serviceAccountEmail").Secret())
	assert.Empty(t, remDiagnostics(t, srv, remRequest(gcp.DataflowPipeline, urn, got.AsMap())))
}

func TestRemediateNothingToDo(t *testing.T) {
	srv := remServer(t)
	remConfigureStack(t, srv, "etl", "dev")
	done := remRequest(remBucketType, remBucketURN, map[string]property.Value{"labels": remLabels("pulumi-project", "etl", "pulumi-stack", "dev")})
	assert.Empty(t, remRemediate(t, srv, done))

	resp, err := srv.Remediate(context.Background(), remRequest("gcp:serviceaccount/account:Account",
		"urn:pulumi:dev::etl::gcp:serviceaccount/account:Account::w", map[string]property.Value{"accountId": property.New("w")}))
	require.NoError(t, err)
	assert.Empty(t, resp.GetRemediations())
	var names []string
	for _, na := range resp.GetNotApplicable() {
		names = append(names, na.GetPolicyName())
	}
	assert.Contains(t, names, remPolicy)
}

func TestRemediateUnknownLabelsGiveADiagnostic(t *testing.T) {
	srv := remServer(t)
	remConfigureStack(t, srv, "etl", "dev")
	req := remRequest(remBucketType, remBucketURN, map[string]property.Value{"labels": property.New(property.Computed).WithSecret(true)})
	rems := remRemediate(t, srv, req)
	require.Len(t, rems, 1)
	assert.Nil(t, rems[0].GetProperties(), "unknown inputs are left alone")
	assert.Equal(t, "can't run remediation 'propagate-stack-labels' from policy pack 'dataflow-guardrails@v0.1.0' during preview: labels can't be known during preview",
		rems[0].GetDiagnostic())
}
