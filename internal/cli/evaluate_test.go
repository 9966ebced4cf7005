package cli

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// TestEvaluationKeepsExportOrder: however the inputs arrive, the findings
// come out as Evaluate gives them, in export order.
func TestEvaluationKeepsExportOrder(t *testing.T) {
	pack, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
	dep, err := stackfile.ReadFile("../../testdata/stacks/dataflow-insecure.json")
	require.NoError(t, err)
	want := Evaluate(context.Background(), pack, dep, nil)
	require.NotEmpty(t, want)

	ev := newEvaluation(context.Background(), pack, nil)
	for i := len(dep.Inputs) - 1; i >= 0; i-- {
		ev.resource(stackfile.Inputs{Index: i, Resource: dep.Inputs[i], Project: dep.Project, Stack: dep.Stack})
	}
	assert.Equal(t, want, ev.finish(dep))
}
