package policies

import (
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// docPAM is Google's overview of Privileged Access Manager: an entitlement
// lets its eligible principals request its roles, with or without approval.
const docPAM = "https://cloud.google.com/iam/docs/pam-overview"

// eachGrant runs fn over every grant gcp.Grants extracts from r. A policyData
// the model cannot read is a violation: an unreadable policy could grant
// anything, so the grant policies fail closed on it.
func eachGrant(c *policy.Call, r *gcp.Resource, fn func(g gcp.Grant)) {
	grants, problems := c.Views().Grants(r)
	for _, p := range problems {
		c.Violation(p.Path, "cannot be read (%s), so its grants cannot be checked; set it to a JSON IAM policy document, for example from organizations.getIAMPolicy", p.Message)
	}
	for _, g := range grants {
		fn(g)
	}
}

// roleSet is a set of IAM role names, compared after gcp.NormalizeRole.
type roleSet map[string]struct{}

func newRoleSet(roles []string) roleSet {
	s := make(roleSet, len(roles))
	for _, r := range roles {
		s[gcp.NormalizeRole(r)] = struct{}{}
	}
	return s
}

func (s roleSet) has(role string) bool {
	_, ok := s[gcp.NormalizeRole(role)]
	return ok
}

// roleMatch is what is known about whether a grant's role is in a set.
type roleMatch uint8

const (
	roleNoMatch roleMatch = iota // known and not in the set, or no role at all
	roleMatches
	roleUnknown // computed: it could be in the set
)

// matchRole decides whether g grants one of roles.
func matchRole(g gcp.Grant, roles roleSet) roleMatch {
	if g.Role.IsUnknown() {
		return roleUnknown
	}
	if name, ok := g.RoleName(); ok && roles.has(name) {
		return roleMatches
	}
	return roleNoMatch
}

// isPublicMember reports whether an IAM member string is allUsers or
// allAuthenticatedUsers, in any case, also as the `specialGroup:` form the
// model gives a BigQuery access entry with an unusually spelt special group.
func isPublicMember(member string) bool {
	m := gcp.ParseMember(member)
	if m.Kind == gcp.MemberAllUsers || m.Kind == gcp.MemberAllAuthenticatedUsers {
		return true
	}
	prefix, rest, found := strings.Cut(strings.TrimSpace(member), ":")
	return found && strings.EqualFold(prefix, "specialGroup") && gcp.IsPublicACLEntity(rest)
}

// publicAudience says who a public member or ACL entity lets in.
func publicAudience(member string) string {
	m := strings.ToLower(strings.TrimSpace(member))
	if strings.HasSuffix(m, "allauthenticatedusers") {
		return "anyone signed in with any Google account"
	}
	return "anyone on the internet"
}

// roleText renders a grant's role for a message.
func roleText(g gcp.Grant) string {
	switch {
	case g.Role.IsUnknown():
		return "a role not known until apply"
	case g.Role.Secret():
		return "a secret role"
	}
	if name, ok := g.RoleName(); ok {
		return quote(name)
	}
	return "a role"
}

// memberText renders a grant's member for a message.
func memberText(g gcp.Grant) string {
	switch {
	case g.Member.IsUnknown():
		return "a member not known until apply"
	case g.Member.Secret():
		return "a secret member"
	}
	if s, ok := g.Member.String(); ok {
		return quote(strings.TrimSpace(s))
	}
	return "a member"
}

// conditionNote reminds that an IAM condition does not make a grant compliant.
func conditionNote(g gcp.Grant) string {
	if g.Condition.IsAbsent() {
		return ""
	}
	return " (its condition does not exempt it)"
}

// scopeText names the level a grant is on, also when it is not known yet.
func scopeText(g gcp.Grant) string {
	if g.ScopeUndecided() {
		return g.Scope.String() + " (or above: " + g.ScopeValue.Path() + " is not known until apply)"
	}
	return g.Scope.String()
}

// grantNote is what a message says after the member about how the grant is
// held: through an entitlement, and under a condition; neither exempts it.
func grantNote(g gcp.Grant) string { return eligibilityNote(g) + conditionNote(g) }

// eligibilityNote says that the member obtains the role on request through
// a Privileged Access Manager entitlement, and who approves the request: a
// role a principal can obtain is a role it holds, approved or not.
func eligibilityNote(g gcp.Grant) string {
	e := g.Eligible
	if e == nil {
		return ""
	}
	how := "on request without approval"
	switch e.NeedsApproval() {
	case gcp.Yes:
		how = "on request once approved by " + approversText(e.Approvers)
	case gcp.Maybe:
		how = "on request (whether it needs approval is not known until apply)"
	}
	return " through Privileged Access Manager entitlement " + e.Entitlement.Display() + ", " + how
}

// approversText lists the first few approvers of an entitlement.
func approversText(approvers []gcp.Value) string {
	const shown = 3
	if len(approvers) == 0 {
		return "its approvers"
	}
	names := make([]string, 0, shown)
	for i, a := range approvers {
		if i == shown {
			return strings.Join(names, ", ") + " and " + strconv.Itoa(len(approvers)-shown) + " more"
		}
		names = append(names, a.Display())
	}
	return strings.Join(names, ", ")
}

func quote(s string) string { return strconv.Quote(s) }
