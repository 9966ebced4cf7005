package gcp

import (
	"strings"
	"unicode/utf8"
)

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
	// Compared as strings.ToLower(s) would be, without the lowered copy for
	// an ASCII member.
	ascii := isASCII(s)
	lower := s
	if !ascii {
		lower = strings.ToLower(s)
	}
	is := func(want string) bool {
		if ascii {
			return strings.EqualFold(s, want)
		}
		return lower == want
	}
	hasPrefix := func(prefix string) bool {
		if ascii {
			return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
		}
		return strings.HasPrefix(lower, prefix)
	}
	switch {
	case is("allusers"):
		m.Kind = MemberAllUsers
	case is("allauthenticatedusers"):
		m.Kind = MemberAllAuthenticatedUsers
	case hasPrefix("deleted:"):
		m.Kind = MemberDeleted
	case hasPrefix("principalset://"):
		m.Kind = MemberPrincipalSet
		m.Pool = parsePool(s[len("principalSet://"):])
	case hasPrefix("principal://"):
		m.Kind = MemberPrincipal
		m.Pool = parsePool(s[len("principal://"):])
	default:
		prefix, rest, found := strings.Cut(s, ":")
		if !found {
			return m
		}
		switch {
		case equalLower(prefix, "user"):
			m.Kind, m.Email = MemberUser, emailPart(rest)
		case equalLower(prefix, "group"):
			m.Kind, m.Email = MemberGroup, emailPart(rest)
		case equalLower(prefix, "serviceaccount"):
			m.Kind, m.Email = MemberServiceAccount, emailPart(rest)
		case equalLower(prefix, "domain"):
			m.Kind = MemberDomain
		case equalLower(prefix, "projectowner"), equalLower(prefix, "projecteditor"), equalLower(prefix, "projectviewer"):
			m.Kind = MemberProjectRole
		}
	}
	return m
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// equalLower reports whether strings.ToLower(s) == lower, for a lower-case
// ASCII lower, without allocating for ASCII s.
func equalLower(s, lower string) bool {
	if isASCII(s) {
		return strings.EqualFold(s, lower)
	}
	return strings.ToLower(s) == lower
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
