package policy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// TestDeploymentKeepsExportOrder: however the inputs arrive, the findings
// come out as Evaluate gives them, in export order.
func TestDeploymentKeepsExportOrder(t *testing.T) {
	pack, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
	dep, err := stackfile.ReadFile("../../testdata/stacks/dataflow-insecure.json")
	require.NoError(t, err)
	want := pack.Evaluate(context.Background(), dep, policy.DeploymentOptions{})
	require.NotEmpty(t, want)

	d := pack.NewDeployment(context.Background(), policy.DeploymentOptions{})
	for i := len(dep.Inputs) - 1; i >= 0; i-- {
		d.Resource(stackfile.Inputs{Index: i, Resource: dep.Inputs[i], Project: dep.Project, Stack: dep.Stack})
	}
	assert.Equal(t, want, d.Finish(dep))
}
