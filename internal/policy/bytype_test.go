package policy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

const topic = "gcp:pubsub/topic:Topic"

// says is a check that reports which check ran.
func says(what string) func(*policy.Call, *gcp.Resource, *struct{}) {
	return func(c *policy.Call, _ *gcp.Resource, _ *struct{}) { c.Violation("", "%s", what) }
}

func TestByTypeDispatchesOnTheResourceType(t *testing.T) {
	m := meta("p", policy.Mandatory)
	m.Types = nil
	p := policy.ByType(m, policy.On(says("bucket check"), bucket), policy.On(says("topic check"), topic))
	require.NoError(t, p.Validate())
	assert.Equal(t, []string{bucket, topic}, p.Types, "the checks' types are the policy's")
	pack := newPack(t, p)
	for typ, want := range map[string]string{bucket: "bucket check", topic: "topic check"} {
		fs, _ := pack.Analyze(context.Background(), &gcp.Resource{URN: "urn:pulumi:dev::etl::" + typ + "::r", Type: typ}, policy.Options{})
		require.Len(t, fs, 1, typ)
		assert.Equal(t, want, fs[0].Message)
	}
	_, na := pack.Analyze(context.Background(), &gcp.Resource{Type: "gcp:compute/network:Network"}, policy.Options{})
	assert.Len(t, na, 1)
}

func TestByTypeRefusesAMissingOrDoubleCheck(t *testing.T) {
	m := meta("p", policy.Mandatory)
	m.Types = []string{bucket, topic}
	assert.ErrorContains(t, policy.ByType(m, policy.On(says("bucket"), bucket)).Validate(), "no check for type "+topic)
	assert.ErrorContains(t, policy.ByType(m, policy.On(says("a"), bucket, topic), policy.On(says("b"), topic)).Validate(),
		"type "+topic+" has two checks")
	assert.NoError(t, policy.ByType(m, policy.On(says("any"), policy.AllTypes)).Validate(), "a check for every type covers them all")
}
