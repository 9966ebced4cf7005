package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// Custom role type tokens.
const (
	projectCustomRole      = "gcp:projects/iAMCustomRole:IAMCustomRole"
	organizationCustomRole = "gcp:organizations/iAMCustomRole:IAMCustomRole"
)

type customRoleConfig struct {
	DeniedPermissions []string `json:"deniedPermissions"`
	denied            map[string]struct{}
}

// Validate indexes the denied permissions once per configuration.
func (c *customRoleConfig) Validate() error {
	c.denied = make(map[string]struct{}, len(c.DeniedPermissions))
	for _, p := range c.DeniedPermissions {
		c.denied[normalizePermission(p)] = struct{}{}
	}
	return nil
}

// permissions are compared without regard to case or surrounding space.
func normalizePermission(p string) string { return strings.ToLower(strings.TrimSpace(p)) }

// IAMCustomRoleNoEscalation forbids custom roles that carry a privilege
// escalation permission or a wildcard.
func IAMCustomRoleNoEscalation() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "iam-custom-role-no-escalation",
		Title: "Custom roles carry no privilege escalation permission and no wildcard",
		Description: "A custom role that includes permissions such as iam.serviceAccounts.actAs, " +
			"iam.serviceAccounts.getAccessToken, iam.serviceAccountKeys.create or *.setIamPolicy lets whoever holds " +
			"it impersonate service accounts, mint long-lived keys or rewrite IAM policy, that is, grant itself " +
			"anything. Hiding such permissions in a custom role defeats the checks on predefined roles. A " +
			"permission containing * is never precise enough for a custom role.",
		Remediation: "Remove the listed permissions from the role's permissions. Grant impersonation on the one " +
			"service account that needs it with a predefined role (for example roles/iam.serviceAccountUser " +
			"through gcp.serviceaccount.IAMMember) and keep IAM administration with a separate, audited group.",
		URL:      "https://cloud.google.com/iam/docs/understanding-custom-roles",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "least-privilege",
		Types:    []string{projectCustomRole, organizationCustomRole},
		ConfigSchema: `{"type":"object","properties":{
			"deniedPermissions":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":["iam.serviceAccountKeys.create","iam.serviceAccounts.getAccessToken","iam.serviceAccounts.getOpenIdToken",
					"iam.serviceAccounts.implicitDelegation","iam.serviceAccounts.signBlob","iam.serviceAccounts.signJwt",
					"iam.serviceAccounts.actAs","resourcemanager.projects.setIamPolicy","resourcemanager.folders.setIamPolicy",
					"resourcemanager.organizations.setIamPolicy","iam.roles.create","iam.roles.update","storage.hmacKeys.create",
					"orgpolicy.policy.set"],
				"description":"Permissions no custom role may include (replaces the default list). Permissions containing * are always denied."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *customRoleConfig) {
		perms := r.Get("permissions")
		if perms.IsUnknown() {
			c.Unknown(perms.Path())
			return
		}
		for _, p := range perms.Items() {
			if p.IsUnknown() {
				c.Unknown(p.Path())
				continue
			}
			s, ok := p.String()
			if !ok {
				continue
			}
			if strings.Contains(s, "*") {
				c.Violation(p.Path(), "is the wildcard permission %s, which can match escalation permissions; list the exact permissions the role needs", p.Display())
				continue
			}
			if _, denied := cfg.denied[normalizePermission(s)]; denied {
				c.Violation(p.Path(), "is %s, which lets holders of the role %s; remove it from the custom role",
					p.Display(), escalationReason(s))
			}
		}
	})
}

// escalationReason says what a denied permission lets a role holder do.
func escalationReason(perm string) string {
	p := normalizePermission(perm)
	switch {
	case strings.HasPrefix(p, "iam.serviceaccountkeys."), strings.HasPrefix(p, "storage.hmackeys."):
		return "create long-lived keys"
	case strings.HasPrefix(p, "iam.serviceaccounts."):
		return "act as or mint tokens for service accounts"
	case strings.HasSuffix(p, ".setiampolicy"):
		return "rewrite IAM policy and grant themselves any role"
	case strings.HasPrefix(p, "iam.roles."):
		return "create or widen custom roles"
	case strings.HasPrefix(p, "orgpolicy."):
		return "lift organization policy guardrails"
	}
	return "escalate their privileges"
}
