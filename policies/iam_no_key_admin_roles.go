package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

var keyAdminRoles = newRoleSet([]string{"roles/iam.serviceAccountKeyAdmin", "roles/storage.hmacKeyAdmin"})

// IAMNoKeyAdminRoles forbids granting the roles that create service account
// keys and HMAC keys.
func IAMNoKeyAdminRoles() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "iam-no-key-admin-roles",
		Title: "No grant of the service account key admin or HMAC key admin roles",
		Description: "roles/iam.serviceAccountKeyAdmin can create service account keys and roles/storage.hmacKeyAdmin " +
			"can create HMAC keys for any service account in scope: long-lived credentials that work from anywhere " +
			"until deleted. A pack that forbids key resources must also keep anyone from minting keys outside the " +
			"stack. Every grant is checked, at every scope, conditions included, and so is every role a Privileged " +
			"Access Manager entitlement lets its eligible principals request, approval or not (" + docPAM + ").",
		Remediation: "Remove the grant. Deployers and workloads should authenticate through workload identity " +
			"federation or an attached service account and never need keys; enforce the organization policies " +
			"iam.disableServiceAccountKeyCreation and storage.restrictAuthTypes as well.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyNoKeys,
		Types:    gcp.GrantTypes(),
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		eachGrant(c, r, func(g gcp.Grant) {
			switch matchRole(g, keyAdminRoles) {
			case roleUnknown:
				c.Unknown(g.Role.Path())
			case roleMatches:
				c.Violation(g.Role.Path(), "grants %s to %s%s, which lets it create long-lived keys; remove the grant and use workload identity federation or attached service accounts instead of keys",
					roleText(g), memberText(g), grantNote(g))
			}
		})
	})
}
