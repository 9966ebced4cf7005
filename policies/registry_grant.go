package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// grantPolicies returns the IAM grant policies (least privilege and key admin roles) and no-hmac-keys.
func grantPolicies() []*policy.Policy {
	return []*policy.Policy{
		IAMNoPrimitiveRoles(),
		IAMNoPublicMembers(),
		IAMNoBroadImpersonation(),
		IAMNoDefaultServiceAccountGrants(),
		IAMCustomRoleNoEscalation(),
		IAMNoKeyAdminRoles(),
		NoHmacKeys(),
	}
}
