package gcp

import "strings"

// MemberKind classifies an IAM principal.
type MemberKind uint8

const (
	MemberOther MemberKind = iota
	MemberUser
	MemberGroup
	MemberServiceAccount
	MemberDomain
	MemberAllUsers
	MemberAllAuthenticatedUsers
	MemberPrincipal    // principal://
	MemberPrincipalSet // principalSet://
	MemberDeleted      // deleted:user:..., deleted:serviceAccount:...
	MemberProjectRole  // projectOwner:, projectEditor:, projectViewer:
)

// Member is a parsed IAM member string.
type Member struct {
	Raw  string
	Kind MemberKind
	// Email is the address of a user, group or service account (lowercased).
	Email string
	// Pool is set for principal:// and principalSet:// members.
	Pool *PoolPrincipal
}

// PoolPrincipal is the identity-pool part of a principal:// or
// principalSet:// member.
type PoolPrincipal struct {
	// Workforce is true for workforcePools (people), false for
	// workloadIdentityPools (workloads).
	Workforce bool
	// PoolName is the full pool resource name, e.g.
	// projects/123/locations/global/workloadIdentityPools/github.
	PoolName string
	PoolID   string
	// Selector is what follows the pool: `*`, `subject/X`, `group/X`,
	// `attribute.NAME/VALUE`.
	Selector string
}

// ParseMember classifies a member string. Prefixes are matched without
// regard to case, as the API accepts.
func ParseMember(raw string) Member {
	s := strings.TrimSpace(raw)
	m := Member{Raw: raw}
	lower := strings.ToLower(s)
	switch {
	case lower == "allusers":
		m.Kind = MemberAllUsers
	case lower == "allauthenticatedusers":
		m.Kind = MemberAllAuthenticatedUsers
	case strings.HasPrefix(lower, "deleted:"):
		m.Kind = MemberDeleted
	case strings.HasPrefix(lower, "principalset://"):
		m.Kind = MemberPrincipalSet
		m.Pool = parsePool(s[len("principalSet://"):])
	case strings.HasPrefix(lower, "principal://"):
		m.Kind = MemberPrincipal
		m.Pool = parsePool(s[len("principal://"):])
	default:
		prefix, rest, found := strings.Cut(s, ":")
		if !found {
			return m
		}
		switch strings.ToLower(prefix) {
		case "user":
			m.Kind, m.Email = MemberUser, emailPart(rest)
		case "group":
			m.Kind, m.Email = MemberGroup, emailPart(rest)
		case "serviceaccount":
			m.Kind, m.Email = MemberServiceAccount, emailPart(rest)
		case "domain":
			m.Kind = MemberDomain
		case "projectowner", "projecteditor", "projectviewer":
			m.Kind = MemberProjectRole
		}
	}
	return m
}

// emailPart lowercases an address and drops a `?uid=` suffix.
func emailPart(s string) string {
	s, _, _ = strings.Cut(s, "?")
	return strings.ToLower(strings.TrimSpace(s))
}

// parsePool reads `iam.googleapis.com/<pool name>/<selector>`.
func parsePool(rest string) *PoolPrincipal {
	rest = strings.TrimPrefix(rest, "iam.googleapis.com/")
	for _, marker := range []struct {
		segment   string
		workforce bool
	}{{"/workloadIdentityPools/", false}, {"/workforcePools/", true}} {
		i := strings.Index(rest, marker.segment)
		if i < 0 {
			continue
		}
		after := rest[i+len(marker.segment):]
		id, selector, _ := strings.Cut(after, "/")
		return &PoolPrincipal{Workforce: marker.workforce, PoolName: rest[:i+len(marker.segment)] + id,
			PoolID: id, Selector: selector}
	}
	return nil
}

// ServiceAccountEmail extracts the email from the ways pulumi-gcp names a
// service account: an email, `serviceAccount:<email>`,
// `projects/<p>/serviceAccounts/<email>`. ok is false for a numeric unique
// ID or anything else.
func ServiceAccountEmail(ref string) (string, bool) {
	s := strings.TrimSpace(ref)
	if i := strings.LastIndex(s, "/serviceAccounts/"); i >= 0 {
		s = s[i+len("/serviceAccounts/"):]
	}
	s = strings.TrimPrefix(s, "serviceAccount:")
	if !strings.Contains(s, "@") {
		return "", false
	}
	return strings.ToLower(s), true
}
