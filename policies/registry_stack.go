package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// stackIdentityPolicies returns the stack policies over worker and deployer identities and label consistency.
func stackIdentityPolicies() []*policy.Policy {
	return []*policy.Policy{
		DataflowWorkerLeastPrivilege(),
		DataflowWorkerGrantsFollowIO(),
		DeployerLeastPrivilege(),
		DataflowLabelConsistency(),
	}
}
