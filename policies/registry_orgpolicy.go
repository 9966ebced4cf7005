package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// orgPolicyPolicies returns the organization-policy guardrails.
func orgPolicyPolicies() []*policy.Policy {
	return []*policy.Policy{
		OrgPolicyGuardrailsNotRelaxed(),
	}
}
