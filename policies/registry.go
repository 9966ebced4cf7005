// Package policies holds the guardrails, one file per policy, and the
// explicit registry of them.
package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// PackName is the pack's name everywhere: engine, Pulumi Cloud, reports.
const PackName = "dataflow-guardrails"

// All returns every policy of the pack, family by family in policy.Families
// order (a meta-test holds it to that), each family in catalog order. A new
// policy goes at the end of its family's block.
func All() []*policy.Policy {
	return []*policy.Policy{
		// least privilege
		DataflowDedicatedWorkerServiceAccount(),
		IAMNoPrimitiveRoles(),
		IAMNoPublicMembers(),
		IAMNoBroadImpersonation(),
		IAMNoDefaultServiceAccountGrants(),
		IAMCustomRoleNoEscalation(),
		DataflowWorkerLeastPrivilege(),
		DataflowWorkerGrantsFollowIO(),
		DeployerLeastPrivilege(),
		DataflowWorkerGrantAllowedRoles(),
		DeployerGrantAllowedRoles(),

		// no keys
		NoServiceAccountKeys(),
		IAMNoKeyAdminRoles(),
		NoHmacKeys(),
		ProviderFederatedCredentials(),
		DataflowNoInlineCredentials(),

		// labels
		RequiredLabels(),
		DataflowLabelConsistency(),
		LabelsValidFormat(),
		PropagateStackLabels(),

		// OIDC federation
		WIFProviderOIDCOnly(),
		WIFProviderAttributeCondition(),
		WIFNoPoolWidePrincipalSet(),

		// logging
		DataflowAuditLogging(),
		LoggingNoDataflowExclusions(),
		LoggingNoInterceptingSinks(),
		DataflowWorkerLogging(),

		// Dataflow hardening
		DataflowPrivateIPs(),
		DataflowCMEK(),
		DataflowExplicitSubnetwork(),
		DataflowStagingBucketHardening(),
		DataflowNoGuardedOptionOverrides(),

		// organization policy
		OrgPolicyGuardrailsNotRelaxed(),
	}
}

// NewPack builds the pack with every policy at its default configuration.
func NewPack(version, description string) (*policy.Pack, error) {
	return policy.NewPack(PackName, version, description, All())
}
