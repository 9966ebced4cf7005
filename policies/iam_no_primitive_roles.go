package policies

import (
	"slices"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type primitiveRolesConfig struct {
	ExemptMembers []string `json:"exemptMembers"`
}

var primitiveRoles = newRoleSet([]string{"roles/owner", "roles/editor", "roles/viewer"})

// IAMNoPrimitiveRoles forbids the basic roles owner, editor and viewer in
// every grant, at every scope.
func IAMNoPrimitiveRoles() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "iam-no-primitive-roles",
		Title: "No grant uses the basic roles owner, editor or viewer",
		Description: "The basic roles roles/owner, roles/editor and roles/viewer each carry thousands of permissions " +
			"across every Google Cloud service, so a member holding one can read or change far more than a " +
			"Dataflow pipeline or its operators need. Every grant is checked wherever it is declared: IAMMember, " +
			"IAMBinding, each binding of an IAMPolicy's policyData, each role of a Privileged Access Manager " +
			"entitlement for each principal eligible to request it, with or without an approval step (" + docPAM + "), " +
			"at organization, folder, project or resource scope; an IAM condition does not exempt a grant.",
		Remediation: "Replace the basic role with the predefined roles that cover what the member actually does " +
			"(for example roles/dataflow.developer, roles/storage.objectViewer, roles/bigquery.dataEditor) or a " +
			"custom role. A break-glass principal that must keep a basic role can be listed in exemptMembers.",
		URL:      "https://cloud.google.com/iam/docs/roles-overview#basic",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types:    gcp.GrantTypes(),
		ConfigSchema: `{"type":"object","properties":{
			"exemptMembers":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Exact member strings (such as group:break-glass@example.com) that may hold a basic role."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *primitiveRolesConfig) {
		exempt := func(g gcp.Grant) (exempted, known bool) {
			if len(cfg.ExemptMembers) == 0 {
				return false, true
			}
			if g.Member.IsUnknown() {
				return false, false
			}
			s, ok := g.Member.String()
			return ok && slices.Contains(cfg.ExemptMembers, s), true
		}
		eachGrant(c, r, func(g gcp.Grant) {
			switch matchRole(g, primitiveRoles) {
			case roleNoMatch:
				return
			case roleUnknown:
				if exempted, known := exempt(g); !exempted || !known {
					c.Unknown(g.Role.Path())
				}
				return
			}
			exempted, known := exempt(g)
			switch {
			case !known:
				c.Unknown(g.Member.Path())
			case !exempted:
				c.Violation(g.Role.Path(), "grants the basic role %s to %s%s; grant predefined or custom roles that cover only what the member needs, or add the member to exemptMembers if it is a break-glass principal",
					roleText(g), memberText(g), grantNote(g))
			}
		})
	})
}
