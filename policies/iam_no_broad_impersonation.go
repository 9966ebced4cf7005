package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type broadImpersonationConfig struct {
	ImpersonationRoles   []string `json:"impersonationRoles"`
	AllowedImpersonators []string `json:"allowedImpersonators"`
	roles                roleSet
	allowed              map[string]bool // gcp.Member.Key of each allowed impersonator
}

// Validate builds the role and member sets once per configuration.
func (c *broadImpersonationConfig) Validate() error {
	c.roles = newRoleSet(c.ImpersonationRoles)
	c.allowed = make(map[string]bool, len(c.AllowedImpersonators))
	for _, m := range c.AllowedImpersonators {
		c.allowed[gcp.ParseMember(m).Key()] = true
	}
	return nil
}

// docSecuringServiceAccounts is Google's guide to securing service
// accounts: a service account is a resource that other principals, users or
// groups, may impersonate, which enables privilege escalation, spoofing and
// actions that cannot be traced to a person.
const docSecuringServiceAccounts = "https://cloud.google.com/iam/docs/best-practices-for-securing-service-accounts"

// IAMNoBroadImpersonation forbids granting the service account impersonation
// roles on a whole organization, folder or project, or to a member that
// stands for many principals.
func IAMNoBroadImpersonation() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "iam-no-broad-impersonation",
		Title: "Service account impersonation roles are granted on one service account to one principal, never on an organization, folder or project",
		Description: "roles/iam.serviceAccountUser, serviceAccountTokenCreator, workloadIdentityUser and " +
			"serviceAccountOpenIdTokenCreator let a member act as, or mint tokens for, a service account. Granted on " +
			"an organization, folder or project they apply to every service account in it, including the Dataflow " +
			"worker accounts and any created later, so one deployer or pipeline identity can become all of them. " +
			"Grants on a single service account or on another resource are fine; an IAM condition does not exempt " +
			"an organization, folder or project grant, and neither does making the role one that principals request " +
			"through a Privileged Access Manager entitlement, which always sits on an organization, folder or " +
			"project, with or without an approval step (" + docPAM + "). On a single service account the role must go " +
			"to a single principal (a user, a service account, one workload identity): a member that stands for many " +
			"principals (a group, whose membership is managed outside the stack, a domain, a Cloud Identity customer, " +
			"a principal set of a pool, every service account of a container, a project's role holders, " +
			"allAuthenticatedUsers, allUsers) lets each of them impersonate the account, so anyone added to the group " +
			"or domain later can act as the Dataflow worker or deployer, and what they do is logged as the service " +
			"account, not as them (" + docSecuringServiceAccounts + "). This holds for any service account, since the " +
			"grant alone does not say which accounts are workers or deployers; a group whose membership is controlled " +
			"(for example through Privileged Access Manager or reviewed membership) can be listed in " +
			"allowedImpersonators.",
		Remediation: "Grant the role on the one service account that needs to be impersonated, with " +
			"gcp.serviceaccount.IAMMember (serviceAccountId = that account), and remove the organization, folder " +
			"or project grant. Grant it to the single user or service account that needs it rather than to a group, " +
			"domain or principal set, or list a controlled group in allowedImpersonators.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-service-accounts#project-folder-grants",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types:    gcp.GrantTypes(),
		ConfigSchema: `{"type":"object","properties":{
			"impersonationRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":["roles/iam.serviceAccountUser","roles/iam.serviceAccountTokenCreator","roles/iam.workloadIdentityUser","roles/iam.serviceAccountOpenIdTokenCreator"],
				"description":"Roles that must only be granted on a single service account (replaces the default list)."},
			"allowedImpersonators":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Members that stand for many principals (for example group:dataflow-deployers@example.com) that may still hold these roles on a single service account, because their membership is controlled."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *broadImpersonationConfig) {
		eachGrant(c, r, func(g gcp.Grant) {
			if g.Scope == gcp.ScopeServiceAccount {
				checkBroadImpersonator(c, g, cfg)
				return
			}
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

// checkBroadImpersonator judges an impersonation role on one service
// account: the member must be a single principal.
func checkBroadImpersonator(c *policy.Call, g gcp.Grant, cfg *broadImpersonationConfig) {
	match := matchRole(g, cfg.roles)
	if match == roleNoMatch {
		return
	}
	if g.Member.IsUnknown() {
		c.Unknown(g.Member.Path())
		return
	}
	m, ok := g.ParsedMember()
	if !ok || !manyImpersonators(m) || cfg.allowed[m.Key()] {
		return
	}
	if match == roleUnknown {
		c.Unknown(g.Role.Path())
		return
	}
	c.Violation(g.Member.Path(), "grants %s on service account %s to %s, which stands for many principals (%s), so each of them can impersonate the account; grant the role to the single user or service account that needs it, or list the member in allowedImpersonators if its membership is controlled%s",
		roleText(g), impersonatedAccountText(g), memberText(g), m.Restored().Kind, grantNote(g))
}

// impersonatedAccountText names the service account a grant is on.
func impersonatedAccountText(g gcp.Grant) string {
	v := g.Target("serviceAccountId")
	if s, ok := v.String(); ok && !v.Secret() {
		return quote(s)
	}
	return "(" + v.Path() + " not known until apply)"
}

// manyImpersonators reports whether a member stands for many principals
// that could each impersonate the account. A principal set of a workload
// identity pool narrowed by an attribute or group (one repository, one
// pipeline) is how Google documents granting an external workload access
// (https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines);
// its breadth is the provider's attribute condition, which
// wif-provider-attribute-condition judges. The whole pool, people of a
// workforce pool and the namespaces or clusters of a GKE pool are many.
func manyImpersonators(m gcp.Member) bool {
	m = m.Restored()
	if m.Single() {
		return false
	}
	if m.Kind == gcp.MemberPrincipalSet && m.Pool != nil && !m.Pool.Workforce && !m.Pool.Kubernetes {
		return m.Pool.AllIdentities()
	}
	return true
}
