package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type deployerLeastPrivilegeConfig struct {
	AllowedRoles []string `json:"allowedRoles"`
}

// DeployerLeastPrivilege limits the roles of the identities CI deploys with:
// service accounts a workload identity pool principal can impersonate, and
// pool principals granted roles directly.
func DeployerLeastPrivilege() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "deployer-least-privilege",
		Title: "Federated deployer identities hold only the roles to launch Dataflow jobs",
		Description: "CI pipelines authenticate through a workload identity pool and either impersonate a " +
			"deployer service account (roles/iam.workloadIdentityUser or roles/iam.serviceAccountTokenCreator on " +
			"it) or are granted roles directly as principal:// or principalSet:// members. Whoever can push to the " +
			"repository holds those roles, so they should only launch and inspect Dataflow jobs, read templates " +
			"and act as the worker account. The impersonation grants themselves are the federation mechanism and " +
			"are not checked here; workforce pool principals are people, not deployers. Every grant in the stack " +
			"counts, at every scope, with or without a condition.",
		Remediation: "Grant the deployer only roles/dataflow.developer (or dataflow.admin / dataflow.viewer), " +
			"roles/storage.objectViewer on the template bucket and roles/iam.serviceAccountUser on the worker " +
			"service account; manage infrastructure roles from a separate, more tightly guarded pipeline, or add " +
			"a role to allowedRoles when the deployer really needs it.",
		URL:      "https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "least-privilege",
		Types:    gcp.GrantTypes(),
		ConfigSchema: `{"type":"object","properties":{
			"allowedRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":["roles/dataflow.admin","roles/dataflow.developer","roles/dataflow.viewer",
					"roles/storage.objectViewer","roles/iam.serviceAccountUser"],
				"description":"Roles a deployer identity may be granted; a list given here replaces the default."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *deployerLeastPrivilegeConfig) {
		checkIdentityGrants(c, s, identityGrantRule{
			set:     gcp.DeployerIdentities(s),
			allowed: cfg.AllowedRoles,
			skip: func(r *gcp.Resource, g gcp.Grant) bool {
				return gcp.IsImpersonationMechanism(s, r, g)
			},
			unreadable: "cannot be read (%s), so its grants to deployer identities cannot be checked; set it to a " +
				"JSON IAM policy document, for example from organizations.getIAMPolicy",
			violation: func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity) {
				who := "workload identity pool principal " + g.Member.Display()
				if !id.Principal {
					who = "deployer service account " + identityMemberDisplay(g, id) +
						" (impersonated by workload identity pool principals through " + identityQuotedNames("grant", id.Sources) + ")"
				}
				c.ViolationOn(r, g.Role.Path(),
					"grants %s at %s scope to %s, and the role is not in allowedRoles; a deployer should only launch "+
						"Dataflow jobs (roles/dataflow.developer, roles/storage.objectViewer, roles/iam.serviceAccountUser "+
						"on the worker account): remove the grant or add the role to allowedRoles",
					identityRoleDisplay(g), g.Scope, who)
			},
		})
	})
}
