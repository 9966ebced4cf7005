package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// IAMNoDefaultServiceAccountGrants forbids granting anything to the Compute
// Engine or App Engine default service account.
func IAMNoDefaultServiceAccountGrants() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "iam-no-default-service-account-grants",
		Title: "Nothing is granted to a default Compute Engine or App Engine service account",
		Description: "The Compute Engine default service account (PROJECT_NUMBER-compute@developer.gserviceaccount.com) " +
			"and the App Engine default service account (PROJECT_ID@appspot.gserviceaccount.com) are shared by every " +
			"VM, Dataflow job and App Engine service in the project that does not name its own account. Access " +
			"granted to them is access granted to all of those workloads. Grants made on a default account to " +
			"someone else are not grants to it and are not checked here.",
		Remediation: "Create a dedicated service account for the workload (for Dataflow, a worker account set as " +
			"serviceAccountEmail), grant the role to that account instead, and remove the grant to the default " +
			"account. Consider deprivileging the default accounts with projects.DefaultServiceAccounts.",
		URL:      "https://cloud.google.com/iam/docs/service-account-types#default",
		Severity: policy.Medium,
		Level:    policy.Mandatory,
		Family:   "least-privilege",
		Types:    gcp.GrantTypes(),
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		eachGrant(c, r, func(g gcp.Grant) {
			if g.Member.IsUnknown() {
				c.Unknown(g.Member.Path())
				return
			}
			m, ok := g.ParsedMember()
			if !ok || m.Kind == gcp.MemberDeleted || m.Email == "" || !gcp.IsDefaultServiceAccount(m.Email) {
				return
			}
			c.Violation(g.Member.Path(), "grants %s to the %s default service account %s%s; grant it to a dedicated service account for the workload instead",
				roleText(g), defaultAccountKind(m.Email), memberText(g), conditionNote(g))
		})
	})
}

func defaultAccountKind(email string) string {
	if strings.HasSuffix(strings.ToLower(email), "@appspot.gserviceaccount.com") {
		return "App Engine"
	}
	return "Compute Engine"
}
