package policy_test

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// everyType is a resource policy of every type that also reads the outputs:
// it reports each resource whose `flag` input (or output) is set.
func everyType() *policy.Policy {
	m := meta("every-type", policy.Mandatory)
	m.Types = []string{policy.AllTypes}
	p := policy.Resource(m, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		if r.Get("flag").IsSet() {
			c.Violation("flag", "input flag on %s", r.Type)
		}
	})
	return policy.WithStackCheck(p, func(c *policy.Call, s *gcp.Stack, _ *struct{}) {
		for _, r := range s.Resources {
			if r.Get("flag").IsSet() {
				c.ViolationOn(r, "flag", "output flag on %s", r.Type)
			}
		}
	})
}

func TestAllTypesAndStackCheck(t *testing.T) {
	named := reporter("named", policy.Mandatory)
	pack, err := policy.NewPack("test", "0.0.1", "d", []*policy.Policy{named, everyType()})
	require.NoError(t, err)
	every, _ := pack.Lookup("every-type")
	assert.False(t, every.IsStack(), "a resource policy with a stack check is a resource policy")
	assert.True(t, every.ReadsStack())
	assert.True(t, every.AppliesTo("kubernetes:core/v1:Secret"))
	assert.True(t, every.AppliesTo(bucket))

	flagged := property.NewMap(map[string]property.Value{"flag": property.New(true)})
	for _, typ := range []string{bucket, "kubernetes:core/v1:Secret", "command:local:Command"} {
		r := &gcp.Resource{URN: "urn:pulumi:dev::p::" + typ + "::x", Type: typ, Name: "x", Props: flagged}
		findings, na := pack.Analyze(context.Background(), r, policy.Options{})
		require.Len(t, findings, 1, typ)
		assert.Equal(t, "every-type", findings[0].Policy)
		assert.Equal(t, "input flag on "+typ, findings[0].Message)
		for _, n := range na {
			assert.NotEqual(t, "every-type", n.Policy, "it applies to %s", typ)
		}
		if typ != bucket {
			require.Len(t, na, 1)
			assert.Equal(t, "named", na[0].Policy)
		}
	}
	// The bucket runs both, in registration order.
	r := &gcp.Resource{URN: "urn:pulumi:dev::p::" + bucket + "::b", Type: bucket, Name: "b",
		Props: property.NewMap(map[string]property.Value{"flag": property.New(true), "report": property.New([]property.Value{property.New("violation")})})}
	findings, na := pack.Analyze(context.Background(), r, policy.Options{})
	assert.Empty(t, na)
	require.Len(t, findings, 2)
	assert.Equal(t, []string{"named", "every-type"}, []string{findings[0].Policy, findings[1].Policy})

	// Its stack check runs with the stack policies, on the outputs.
	out := &gcp.Resource{URN: "urn:pulumi:dev::p::command:local:Command::c", Type: "command:local:Command", Name: "c", Props: flagged}
	stackFindings := pack.AnalyzeStack(context.Background(), gcp.NewStack("p", "dev", []*gcp.Resource{out}), policy.Options{})
	require.Len(t, stackFindings, 1)
	assert.Equal(t, "every-type", stackFindings[0].Policy)
	assert.Equal(t, out.URN, stackFindings[0].URN)
	assert.Equal(t, "output flag on command:local:Command", stackFindings[0].Message)

	// Fail closed covers it for any type.
	failed := pack.FailClosed(false, "urn:x", "aws:s3/bucket:Bucket", "unreadable")
	require.Len(t, failed, 1)
	assert.Equal(t, "every-type", failed[0].Policy)
}

func TestAllTypesMustStandAlone(t *testing.T) {
	m := meta("mixed", policy.Mandatory)
	m.Types = []string{policy.AllTypes, bucket}
	p := policy.Resource(m, func(*policy.Call, *gcp.Resource, *struct{}) {})
	assert.ErrorContains(t, p.Validate(), "only type")

	m.Types = []string{policy.AllTypes}
	stack := policy.Stack(m, func(*policy.Call, *gcp.Stack, *struct{}) {})
	assert.ErrorContains(t, stack.Validate(), "resource policy")
}
