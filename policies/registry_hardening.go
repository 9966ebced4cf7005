package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// hardeningPolicies returns the Dataflow hardening policies (private IPs,
// CMEK, explicit subnetwork, staging buckets).
func hardeningPolicies() []*policy.Policy {
	return []*policy.Policy{
		DataflowPrivateIPs(),
		DataflowCMEK(),
		DataflowExplicitSubnetwork(),
		DataflowStagingBucketHardening(),
	}
}
