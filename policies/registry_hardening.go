package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// hardeningPolicies returns the Dataflow hardening policies (network, CMEK,
// option overrides, staging buckets).
func hardeningPolicies() []*policy.Policy {
	return []*policy.Policy{}
}
