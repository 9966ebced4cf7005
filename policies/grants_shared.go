package policies

import (
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

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

func quote(s string) string { return strconv.Quote(s) }
