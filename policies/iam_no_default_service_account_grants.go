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
			"granted to them is access granted to all of those workloads. Every documented spelling counts " +
			"(https://cloud.google.com/iam/docs/principal-identifiers): serviceAccount: in any case, " +
			"principal://iam.googleapis.com/projects/-/serviceAccounts/EMAIL, a deleted:serviceAccount:...?uid= " +
			"member (Google gives the binding back to the account when it is undeleted, and default accounts are " +
			"the ones teams undelete), and principalSet://cloudresourcemanager.googleapis.com/.../type/ServiceAccount, " +
			"every service account of a project, or of every project in a folder or organization, default " +
			"accounts included. A default account a Privileged Access Manager entitlement makes eligible to request " +
			"a role holds it as surely, approval or not (" + docPAM + "). Grants made on a default account to " +
			"someone else are not grants to it and are not checked here.",
		Remediation: "Create a dedicated service account for the workload (for Dataflow, a worker account set as " +
			"serviceAccountEmail), grant the role to that account instead, and remove the grant to the default " +
			"account, to all service accounts of a container, or to a deleted default account. Consider " +
			"deprivileging the default accounts with projects.DefaultServiceAccounts.",
		URL:      "https://cloud.google.com/iam/docs/service-account-types#default",
		Severity: policy.Medium,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types:    gcp.GrantTypes(),
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		eachGrant(c, r, func(g gcp.Grant) {
			if g.Member.IsUnknown() {
				c.Unknown(g.Member.Path())
				return
			}
			m, ok := g.ParsedMember()
			if !ok || !m.GrantsDefaultServiceAccount() {
				return
			}
			if m.Restored().Kind == gcp.MemberServiceAccountSet {
				c.Violation(g.Member.Path(), "grants %s to %s, every service account of %s, which includes the Compute Engine and App Engine default service accounts there%s; grant it to a dedicated service account for the workload instead",
					roleText(g), memberText(g), containerText(*m.Container), grantNote(g))
				return
			}
			c.Violation(g.Member.Path(), "grants %s to the %s default service account %s%s%s; grant it to a dedicated service account for the workload instead",
				roleText(g), defaultAccountKind(m.Email), memberText(g), deletedNote(m), grantNote(g))
		})
	})
}

func defaultAccountKind(email string) string {
	if strings.HasSuffix(strings.ToLower(email), "@appspot.gserviceaccount.com") {
		return "App Engine"
	}
	return "Compute Engine"
}

// containerText names the projects whose service accounts a set covers.
func containerText(c gcp.Container) string {
	switch {
	case c.Type != "projects":
		return "every project in " + c.String()
	case c.ID == "" || c.ID == "-":
		return "any project"
	}
	return c.String()
}

// deletedNote says why a grant to a deleted principal still counts.
func deletedNote(m gcp.Member) string {
	if !m.Deleted {
		return ""
	}
	return " (deleted, but undeleting it restores the grant; remove the deleted member)"
}
