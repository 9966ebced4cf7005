package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// overridePolicies returns the policies against pipeline options that undo
// other guardrails from inside a job.
func overridePolicies() []*policy.Policy {
	return []*policy.Policy{
		DataflowNoGuardedOptionOverrides(),
	}
}
