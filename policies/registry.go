// Package policies holds the guardrails, one file per policy, and the
// explicit registry of them.
package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// PackName is the pack's name everywhere: engine, Pulumi Cloud, reports.
const PackName = "dataflow-guardrails"

// All returns every policy of the pack, in a stable order: by family, each
// family listing its policies in the order of the catalog.
func All() []*policy.Policy {
	all := []*policy.Policy{
		NoServiceAccountKeys(),
		DataflowDedicatedWorkerServiceAccount(),
		RequiredLabels(),
	}
	for _, family := range [][]*policy.Policy{
		grantPolicies(),
		stackIdentityPolicies(),
		credentialAndFederationPolicies(),
		labelPolicies(),
		loggingPolicies(),
		hardeningPolicies(),
		overridePolicies(),
		orgPolicyPolicies(),
	} {
		all = append(all, family...)
	}
	return all
}

// NewPack builds the pack with every policy at its default configuration.
func NewPack(version, description string) (*policy.Pack, error) {
	return policy.NewPack(PackName, version, description, All())
}
