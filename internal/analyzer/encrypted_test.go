package analyzer_test

import (
	"context"
	"io"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// TestEngineKeepsUnknownSecretsAdvisory: the export on which `check` fails
// (an IAM member whose role is encrypted) is, sent to the analyzer, an
// unknown secret role, as the engine sends one at preview: the update checks
// it again once known, so the analyzer answers with the preview advisory
// only, never at the policy's level.
func TestEngineKeepsUnknownSecretsAdvisory(t *testing.T) {
	pack, err := policy.NewPack(policies.PackName, "0.1.0", "test pack", policies.All())
	require.NoError(t, err)
	srv := analyzer.New(pack, analyzer.PackInfo{Provider: "gcp"}, io.Discard)
	srv.SetEnv(func(string) (string, bool) { return "", false })
	ctx := context.Background()
	_, err = srv.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "dev", DryRun: true})
	require.NoError(t, err)

	dep, err := stackfile.ReadFile("../../testdata/stacks/encrypted-secret-role.json")
	require.NoError(t, err)
	require.NotEmpty(t, dep.EncryptedInputs, "the export holds an encrypted role")

	var diags []*pulumirpc.AnalyzeDiagnostic
	for _, r := range dep.Inputs {
		req := &pulumirpc.AnalyzeRequest{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: propertypb.Marshal(r.Props)}
		if r.Provider != nil {
			req.Provider = &pulumirpc.AnalyzerProviderResource{Type: r.Provider.Type, Urn: r.Provider.URN, Properties: propertypb.Marshal(r.Provider.Props)}
		}
		resp, err := srv.Analyze(ctx, req)
		require.NoError(t, err)
		diags = append(diags, resp.GetDiagnostics()...)
	}
	stack := &pulumirpc.AnalyzeStackRequest{}
	for _, r := range dep.Outputs {
		stack.Resources = append(stack.Resources, &pulumirpc.AnalyzerResource{Type: r.Type, Urn: r.URN, Name: r.Name,
			Properties: propertypb.Marshal(r.Props), Parent: r.Parent, Dependencies: r.Dependencies})
	}
	resp, err := srv.AnalyzeStack(ctx, stack)
	require.NoError(t, err)
	diags = append(diags, resp.GetDiagnostics()...)

	names := map[string]bool{}
	for _, d := range diags {
		names[d.GetPolicyName()] = true
		assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, d.GetEnforcementLevel(), d.GetPolicyName())
		assert.Equal(t, "can't run policy '"+d.GetPolicyName()+"' from policy pack 'dataflow-guardrails@v0.1.0' during preview: role can't be known during preview",
			d.GetMessage())
	}
	assert.True(t, names["iam-no-primitive-roles"], "the role decides iam-no-primitive-roles")
}
