package policy_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// TestDetailedViolationOn: structured details travel beside the message
// into the finding, marshal as themselves, are scrubbed of secrets like the
// message, and leave a finding comparable.
func TestDetailedViolationOn(t *testing.T) {
	type grant struct {
		Role     string `json:"role"`
		Resource string `json:"resource"`
	}
	p := policy.Stack(meta("detailed", policy.Advisory), func(c *policy.Call, s *gcp.Stack, _ *struct{}) {
		for _, r := range s.Resources {
			token, _ := r.Get("token").String()
			c.DetailedViolationOn(r, map[string][]grant{"grants": {{"roles/x", "b-" + token}}}, "role", "too wide")
			c.DetailedViolationOn(r, func() {}, "other", "details that do not marshal are dropped")
		}
	})
	pack, err := policy.NewPack("test", "0.0.1", "d", []*policy.Policy{p})
	require.NoError(t, err)
	r := &gcp.Resource{URN: "urn:pulumi:dev::p::" + bucket + "::b", Type: bucket, Name: "b",
		Props: property.NewMap(map[string]property.Value{"token": property.New("hunter2-secret").WithSecret(true)})}
	findings := pack.AnalyzeStack(context.Background(), gcp.NewStack("p", "dev", []*gcp.Resource{r}), policy.Options{})
	require.Len(t, findings, 2)
	byPath := map[string]policy.Finding{}
	for _, f := range findings {
		byPath[f.Path] = f
	}
	assert.JSONEq(t, `{"grants":[{"role":"roles/x","resource":"b-[secret]"}]}`, string(byPath["role"].Details))
	assert.Empty(t, byPath["other"].Details)
	assert.True(t, byPath["role"] == byPath["role"], "a finding stays comparable")

	out, err := json.Marshal(byPath["role"])
	require.NoError(t, err)
	assert.Contains(t, string(out), `"details":{"grants":[{"role":"roles/x","resource":"b-[secret]"}]}`)
	out, err = json.Marshal(byPath["other"])
	require.NoError(t, err)
	assert.NotContains(t, string(out), `"details":`)

	var back policy.Finding
	require.NoError(t, json.Unmarshal([]byte(`{"policy":"x","details":{"a":1}}`), &back))
	assert.JSONEq(t, `{"a":1}`, string(back.Details))
}
