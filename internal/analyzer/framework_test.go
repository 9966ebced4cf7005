package analyzer_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/compliance"
)

// GetAnalyzerInfo carries each policy's compliance framework and tags, as
// Pulumi Cloud shows them in its compliance columns.
func TestAnalyzerInfoCompliance(t *testing.T) {
	srv, _ := newServer(t)
	info, err := srv.GetAnalyzerInfo(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	withFramework := 0
	for _, p := range info.GetPolicies() {
		pol, ok := findPolicy(p.GetName())
		require.True(t, ok, p.GetName())
		assert.Equal(t, compliance.Tags(p.GetName(), string(pol.Family)), p.GetTags(), p.GetName())
		f := compliance.FrameworkOf(p.GetName())
		if f == nil {
			assert.Nil(t, p.GetFramework(), p.GetName())
			continue
		}
		withFramework++
		got := p.GetFramework()
		require.NotNil(t, got, p.GetName())
		assert.Equal(t, "CIS Google Cloud Platform Foundation Benchmark", got.GetName())
		assert.Equal(t, f.Version, got.GetVersion())
		assert.Equal(t, f.Reference, got.GetReference(), p.GetName())
		assert.Equal(t, f.Specification, got.GetSpecification(), p.GetName())
	}
	assert.GreaterOrEqual(t, withFramework, 6)
}
