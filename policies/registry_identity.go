package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// credentialAndFederationPolicies returns the provider credentials, inline credentials and workload identity federation.
func credentialAndFederationPolicies() []*policy.Policy {
	return []*policy.Policy{
		ProviderFederatedCredentials(),
		DataflowNoInlineCredentials(),
		WIFProviderOIDCOnly(),
		WIFProviderAttributeCondition(),
		WIFNoPoolWidePrincipalSet(),
	}
}
