package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type broadImpersonationConfig struct {
	ImpersonationRoles []string `json:"impersonationRoles"`
	roles              roleSet
}

// Validate builds the role set once per configuration.
func (c *broadImpersonationConfig) Validate() error {
	c.roles = newRoleSet(c.ImpersonationRoles)
	return nil
}

// IAMNoBroadImpersonation forbids granting the service account impersonation
// roles on a whole organization, folder or project.
func IAMNoBroadImpersonation() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "iam-no-broad-impersonation",
		Title: "Service account impersonation roles are granted on one service account, never on an organization, folder or project",
		Description: "roles/iam.serviceAccountUser, serviceAccountTokenCreator, workloadIdentityUser and " +
			"serviceAccountOpenIdTokenCreator let a member act as, or mint tokens for, a service account. Granted on " +
			"an organization, folder or project they apply to every service account in it, including the Dataflow " +
			"worker accounts and any created later, so one deployer or pipeline identity can become all of them. " +
			"Grants on a single service account or on another resource are fine; an IAM condition does not exempt " +
			"an organization, folder or project grant, and neither does making the role one that principals request " +
			"through a Privileged Access Manager entitlement, which always sits on an organization, folder or " +
			"project, with or without an approval step (" + docPAM + ").",
		Remediation: "Grant the role on the one service account that needs to be impersonated, with " +
			"gcp.serviceaccount.IAMMember (serviceAccountId = that account), and remove the organization, folder " +
			"or project grant.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-service-accounts#project-folder-grants",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "least-privilege",
		Types:    gcp.GrantTypes(),
		ConfigSchema: `{"type":"object","properties":{
			"impersonationRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":["roles/iam.serviceAccountUser","roles/iam.serviceAccountTokenCreator","roles/iam.workloadIdentityUser","roles/iam.serviceAccountOpenIdTokenCreator"],
				"description":"Roles that must only be granted on a single service account (replaces the default list)."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *broadImpersonationConfig) {
		eachGrant(c, r, func(g gcp.Grant) {
			switch g.Scope {
			case gcp.ScopeOrganization, gcp.ScopeFolder, gcp.ScopeProject:
			default:
				return
			}
			switch matchRole(g, cfg.roles) {
			case roleUnknown:
				c.Unknown(g.Role.Path())
			case roleMatches:
				c.Violation(g.Role.Path(), "grants %s to %s on the whole %s%s, which lets it impersonate every service account there; grant the role on the one service account instead (gcp.serviceaccount.IAMMember)",
					roleText(g), memberText(g), scopeText(g), grantNote(g))
			}
		})
	})
}
