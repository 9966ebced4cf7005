package gcp

import (
	"strings"
	"unicode/utf8"
)

// The principal model: every identifier form Google documents for allow
// policies (https://cloud.google.com/iam/docs/principal-identifiers), plus the
// deny-policy spellings of the same principals, parsed into what it denotes.
// Prefixes, hosts and keywords are matched without regard to ASCII case and
// surrounding whitespace is dropped, so a spelling the API may normalise never
// reads as a different principal. Every policy that asks "who is this member"
// asks here.

// MemberKind classifies what an IAM member denotes.
type MemberKind uint8

const (
	MemberOther MemberKind = iota
	// MemberUser is one Google Account: user:EMAIL, principal://goog/subject/EMAIL.
	MemberUser
	// MemberGroup is a Google group: group:EMAIL, principalSet://goog/group/EMAIL.
	MemberGroup
	// MemberServiceAccount is one service account: serviceAccount:EMAIL, or
	// the deny-policy form principal://iam.googleapis.com/projects/-/serviceAccounts/EMAIL_OR_UNIQUE_ID.
	MemberServiceAccount
	// MemberDomain is every account of a Google Workspace or Cloud Identity
	// domain: domain:DOMAIN.
	MemberDomain
	// MemberCustomer is every account of a Google Workspace or Cloud Identity
	// customer (all its domains): principalSet://goog/cloudIdentityCustomerId/C....
	MemberCustomer
	// MemberAllUsers is anyone on the internet: allUsers, principalSet://goog/public:all.
	MemberAllUsers
	// MemberAllAuthenticatedUsers is anyone signed in to a Google Account or
	// service account.
	MemberAllAuthenticatedUsers
	// MemberPrincipal is one identity of a workforce or workload identity
	// pool (GKE's serviceAccount:PROJECT.svc.id.goog[NS/KSA] included), or of
	// another principal:// namespace (agent identities), with Pool set for a
	// pool.
	MemberPrincipal
	// MemberPrincipalSet is a set of identities of a pool (a group, an
	// attribute value, a GKE namespace or cluster, the whole pool), with Pool
	// set, or of another principalSet:// namespace, whose breadth is unknown.
	MemberPrincipalSet
	// MemberServiceAccountSet is every service account of a project, or of
	// every project in a folder or organization:
	// principalSet://cloudresourcemanager.googleapis.com/{projects|folders|organizations}/N/type/ServiceAccount.
	MemberServiceAccountSet
	// MemberProjectRole is a convenience value for the holders of a basic
	// role on a project: projectOwner:, projectEditor:, projectViewer:.
	MemberProjectRole
	// MemberDeleted is a deleted:KIND:...?uid=N member, a binding to a
	// principal that was deleted; Undeleted is the kind it reverts to.
	MemberDeleted
)

var memberKindNames = [...]string{"other", "user", "group", "service account", "domain", "customer", "all users",
	"all authenticated users", "principal", "principal set", "all service accounts of a container", "project role holders",
	"deleted principal"}

func (k MemberKind) String() string {
	if int(k) < len(memberKindNames) {
		return memberKindNames[k]
	}
	return "invalid"
}

// Member is a parsed IAM member string.
type Member struct {
	Raw  string
	Kind MemberKind
	// Email is the lowercased address of a user, group or service account,
	// without a `?uid=` suffix.
	Email string
	// AccountID is the numeric unique ID of a service account named by it
	// (principal://iam.googleapis.com/projects/-/serviceAccounts/UNIQUE_ID).
	AccountID string
	// Domain is the lowercased domain of a domain: member.
	Domain string
	// Customer is the Workspace or Cloud Identity customer ID of a
	// cloudIdentityCustomerId principal set.
	Customer string
	// Project and ProjectRole ("owner", "editor", "viewer") are set for a
	// projectOwner:/projectEditor:/projectViewer: member.
	Project     string
	ProjectRole string
	// Container is set for a MemberServiceAccountSet.
	Container *Container
	// Pool is set for a principal or principal set of an identity pool.
	Pool *PoolPrincipal
	// Deleted is set for a deleted:KIND:...?uid=N member (Kind
	// MemberDeleted): the principal was deleted and the binding names that
	// identity, not a new principal created later with the same name.
	// Undeleted is the kind the binding reverts to when it is undeleted
	// ("If the service account is undeleted, this value reverts to
	// serviceAccount:{emailid} and the undeleted service account retains the
	// role in the binding", IAM Binding reference), and the fields above
	// describe that principal. Restored reads the member as undeleted.
	Deleted   bool
	Undeleted MemberKind
	// UID is the `?uid=` unique ID of a deleted member.
	UID string
}

// Restored is the member as it reads once its principal is undeleted: the
// member itself unless it is deleted.
func (m Member) Restored() Member {
	if m.Kind == MemberDeleted {
		m.Kind = m.Undeleted
	}
	return m
}

// Container is the project, folder or organization whose service accounts a
// MemberServiceAccountSet covers.
type Container struct {
	// Type is "projects", "folders" or "organizations".
	Type string
	// ID is as written, lowercased: Google documents a number, a project may
	// also be named by its ID, and "-" or "" names none in particular.
	ID string
}

// String names the container for a message: `project 123`, `folder 5`.
func (c Container) String() string {
	return strings.TrimSuffix(c.Type, "s") + " " + c.ID
}

// PoolPrincipal is the identity-pool part of a principal:// or
// principalSet:// member.
type PoolPrincipal struct {
	// Workforce is true for workforcePools (people), false for
	// workloadIdentityPools (workloads).
	Workforce bool
	// Kubernetes is set for the pools GKE and fleets manage
	// (PROJECT_ID.svc.id.goog, PROJECT_ID.hub.id.goog): their identities are
	// Kubernetes service accounts of clusters, not external workloads.
	Kubernetes bool
	// PoolName is the full pool resource name, e.g.
	// projects/123/locations/global/workloadIdentityPools/github (with
	// projects/- for a GKE pool named by serviceAccount:POOL[NS/KSA]).
	PoolName string
	// PoolID is the lowercased pool ID.
	PoolID string
	// Selector is what follows the pool, without surrounding slashes: `*`,
	// `subject/X`, `group/X`, `attribute.NAME/VALUE`, and for GKE pools
	// `subject/ns/NS/sa/KSA`, `namespace/NS`, `kubernetes.cluster/URL`,
	// `kubernetes.serviceaccount.uid/UID`.
	Selector string
}

// AllIdentities reports whether the selector names every identity of the
// pool: `*`, or nothing at all (read as the whole pool, to fail closed).
func (p *PoolPrincipal) AllIdentities() bool {
	return p != nil && (p.Selector == "*" || p.Selector == "")
}

// ParseMember classifies a member string. Bad input never panics; what is not
// a documented form is MemberOther (or a principal/principal set without a
// Pool).
func ParseMember(raw string) Member {
	m := Member{Raw: raw}
	parseMember(&m, strings.TrimSpace(raw), true)
	return m
}

func parseMember(m *Member, s string, deletedAllowed bool) {
	switch {
	case foldEqual(s, "allusers"):
		m.Kind = MemberAllUsers
	case foldEqual(s, "allauthenticatedusers"):
		m.Kind = MemberAllAuthenticatedUsers
	case deletedAllowed && foldPrefix(s, "deleted:"):
		var rest string
		rest, m.UID = cutUID(strings.TrimSpace(s[len("deleted:"):]))
		parseMember(m, rest, false)
		m.Deleted, m.Undeleted, m.Kind = true, m.Kind, MemberDeleted
	case foldPrefix(s, "principalset://"):
		parseFederated(m, s[len("principalset://"):], true)
	case foldPrefix(s, "principal://"):
		parseFederated(m, s[len("principal://"):], false)
	default:
		parsePrefixed(m, s)
	}
}

// parsePrefixed reads the `kind:value` forms.
func parsePrefixed(m *Member, s string) {
	prefix, rest, found := strings.Cut(s, ":")
	if !found {
		return
	}
	prefix, rest = strings.TrimSpace(prefix), strings.TrimSpace(rest)
	switch {
	case foldEqual(prefix, "user"):
		m.Kind, m.Email = MemberUser, emailPart(rest)
	case foldEqual(prefix, "group"):
		m.Kind, m.Email = MemberGroup, emailPart(rest)
	case foldEqual(prefix, "serviceaccount"):
		if pool, subject, ok := kubernetesSubject(rest); ok {
			m.Kind, m.Pool = MemberPrincipal, kubernetesPrincipal(pool, subject)
			return
		}
		m.Kind, m.Email = MemberServiceAccount, emailPart(rest)
	case foldEqual(prefix, "domain"):
		m.Kind, m.Domain = MemberDomain, strings.ToLower(strings.TrimRight(rest, "."))
	case foldEqual(prefix, "projectowner"):
		m.Kind, m.ProjectRole, m.Project = MemberProjectRole, "owner", strings.ToLower(rest)
	case foldEqual(prefix, "projecteditor"):
		m.Kind, m.ProjectRole, m.Project = MemberProjectRole, "editor", strings.ToLower(rest)
	case foldEqual(prefix, "projectviewer"):
		m.Kind, m.ProjectRole, m.Project = MemberProjectRole, "viewer", strings.ToLower(rest)
	}
}

// kubernetesSubject splits the legacy GKE form POOL[SUBJECT] of a
// serviceAccount: member (PROJECT_ID.svc.id.goog[NAMESPACE/KSA]).
func kubernetesSubject(s string) (pool, subject string, ok bool) {
	open := strings.IndexByte(s, '[')
	if open <= 0 || !strings.HasSuffix(s, "]") || strings.Contains(s[:open], "@") {
		return "", "", false
	}
	return strings.ToLower(strings.TrimSpace(s[:open])), strings.TrimSpace(s[open+1 : len(s)-1]), true
}

// kubernetesPrincipal is the principal:// pool form of POOL[SUBJECT]: a GKE
// NAMESPACE/KSA is subject/ns/NAMESPACE/sa/KSA, as Google documents both
// spellings for the same Kubernetes service account.
func kubernetesPrincipal(pool, subject string) *PoolPrincipal {
	selector := "subject/" + subject
	if ns, ksa, found := strings.Cut(subject, "/"); found && !strings.Contains(ksa, "/") {
		selector = "subject/ns/" + ns + "/sa/" + ksa
	}
	return &PoolPrincipal{Kubernetes: isKubernetesPool(pool),
		PoolName: "projects/-/locations/global/workloadIdentityPools/" + pool, PoolID: pool, Selector: selector}
}

// isKubernetesPool reports whether a pool ID is one GKE or a fleet manages.
// Pools users create cannot contain a dot.
func isKubernetesPool(id string) bool {
	return strings.HasSuffix(id, ".svc.id.goog") || strings.HasSuffix(id, ".hub.id.goog")
}

// parseFederated reads what follows principal:// or principalSet://.
func parseFederated(m *Member, path string, set bool) {
	path = strings.TrimRight(strings.TrimSpace(path), "/")
	host, rest, _ := strings.Cut(path, "/")
	m.Kind = MemberPrincipal
	if set {
		m.Kind = MemberPrincipalSet
	}
	switch {
	case foldEqual(host, "goog"):
		switch {
		case !set && foldPrefix(rest, "subject/"):
			m.Kind, m.Email = MemberUser, emailPart(rest[len("subject/"):])
		case set && foldPrefix(rest, "group/"):
			m.Kind, m.Email = MemberGroup, emailPart(rest[len("group/"):])
		case set && foldEqual(rest, "public:all"):
			m.Kind = MemberAllUsers
		case set && foldPrefix(rest, "cloudidentitycustomerid/"):
			m.Kind, m.Customer = MemberCustomer, strings.TrimSpace(rest[len("cloudidentitycustomerid/"):])
		}
		return
	case set && foldEqual(host, "cloudresourcemanager.googleapis.com"):
		if c, ok := parseServiceAccountSet(rest); ok {
			m.Kind, m.Container = MemberServiceAccountSet, c
		}
		return
	case !set && foldEqual(host, "iam.googleapis.com"):
		if id, ok := serviceAccountPath(rest); ok {
			m.Kind = MemberServiceAccount
			if strings.Contains(id, "@") {
				m.Email = emailPart(id)
			} else {
				m.AccountID = id
			}
			return
		}
	}
	// A pool form under another host is still read as one: the API rejects
	// it, and reading it fails closed.
	if foldEqual(host, "iam.googleapis.com") {
		m.Pool = parsePool(rest)
	} else {
		m.Pool = parsePool(path)
	}
}

// parseServiceAccountSet reads `{projects|folders|organizations}/N/type/ServiceAccount`.
func parseServiceAccountSet(rest string) (*Container, bool) {
	parts := strings.FieldsFunc(rest, func(r rune) bool { return r == '/' }) // a doubled slash names nothing new
	if len(parts) != 4 || !foldEqual(parts[2], "type") || !foldEqual(parts[3], "serviceaccount") {
		return nil, false
	}
	c := &Container{ID: strings.ToLower(strings.TrimSpace(parts[1]))}
	switch t := parts[0]; {
	case foldEqual(t, "projects"), foldEqual(t, "project"):
		c.Type = "projects"
	case foldEqual(t, "folders"), foldEqual(t, "folder"):
		c.Type = "folders"
	case foldEqual(t, "organizations"), foldEqual(t, "organization"):
		c.Type = "organizations"
	default:
		return nil, false
	}
	return c, true
}

// serviceAccountPath reads `projects/P/serviceAccounts/ID`.
func serviceAccountPath(rest string) (string, bool) {
	if !foldPrefix(rest, "projects/") {
		return "", false
	}
	i := foldIndex(rest, "/serviceaccounts/")
	if i < 0 {
		return "", false
	}
	id := strings.TrimSpace(rest[i+len("/serviceaccounts/"):])
	if id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}

// parsePool reads `<pool name>/<selector>`, the pool name ending in
// workloadIdentityPools/ID or workforcePools/ID.
func parsePool(rest string) *PoolPrincipal {
	for _, marker := range []struct {
		segment   string
		workforce bool
	}{{"/workloadidentitypools/", false}, {"/workforcepools/", true}} {
		i := foldIndex(rest, marker.segment)
		if i < 0 {
			continue
		}
		after := strings.TrimLeft(rest[i+len(marker.segment):], "/")
		id, selector, _ := strings.Cut(after, "/")
		id = strings.ToLower(id)
		return &PoolPrincipal{Workforce: marker.workforce, Kubernetes: !marker.workforce && isKubernetesPool(id),
			PoolName: rest[:i+len(marker.segment)] + id, PoolID: id, Selector: strings.Trim(selector, "/")}
	}
	return nil
}

// cutUID splits a `?uid=N` suffix off a deleted member.
func cutUID(s string) (rest, uid string) {
	rest, query, found := strings.Cut(s, "?")
	if !found {
		return s, ""
	}
	for _, kv := range strings.Split(query, "&") {
		if k, v, _ := strings.Cut(kv, "="); foldEqual(strings.TrimSpace(k), "uid") {
			uid = strings.TrimSpace(v)
		}
	}
	return strings.TrimSpace(rest), uid
}

// emailPart lowercases an address and drops a `?uid=` suffix.
func emailPart(s string) string {
	s, _, _ = strings.Cut(s, "?")
	return strings.ToLower(strings.TrimSpace(s))
}

// foldPrefix reports whether s begins with lower (lower-case ASCII) in any
// ASCII case, without allocating.
func foldPrefix(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
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

// foldEqual reports whether s is lower (lower-case ASCII) in any ASCII case.
func foldEqual(s, lower string) bool { return len(s) == len(lower) && foldPrefix(s, lower) }

// foldIndex is strings.Index(asciiLower(s), lower) without the copy.
func foldIndex(s, lower string) int {
	for i := 0; i+len(lower) <= len(s); i++ {
		if foldPrefix(s[i:], lower) {
			return i
		}
	}
	return -1
}

// Public reports whether the member lets in anyone on the internet or anyone
// with a Google account. Like the other questions below, it is answered for
// the principal a deleted member reverts to.
func (m Member) Public() bool {
	k := m.Restored().Kind
	return k == MemberAllUsers || k == MemberAllAuthenticatedUsers
}

// Single reports whether the member names one principal rather than a set.
func (m Member) Single() bool {
	k := m.Restored().Kind
	return k == MemberUser || k == MemberServiceAccount || k == MemberPrincipal
}

// MayContainServiceAccounts reports whether the member is, or may include,
// Google service accounts: a service account, every service account of a
// container, the public sets (allAuthenticatedUsers includes every service
// account), a group (groups can have service accounts as members) and a
// project's basic role holders. Domains, customers and pool identities are
// never service accounts.
func (m Member) MayContainServiceAccounts() bool {
	switch m.Restored().Kind {
	case MemberServiceAccount, MemberServiceAccountSet, MemberAllUsers, MemberAllAuthenticatedUsers,
		MemberGroup, MemberProjectRole:
		return true
	}
	return false
}

// GrantsDefaultServiceAccount reports whether a grant to the member is a
// grant to a Compute Engine or App Engine default service account by its
// spelling: such an account itself (deleted too: default accounts cannot be
// recreated, only undeleted, which restores the binding), or every service
// account of a project, folder or organization, which includes the default
// accounts of every project there. Groups and basic role holders may contain
// a default account too, but their membership is not in the grant; the
// public sets are judged by iam-no-public-members.
func (m Member) GrantsDefaultServiceAccount() bool {
	switch m.Restored().Kind {
	case MemberServiceAccount:
		return IsDefaultServiceAccount(m.Email)
	case MemberServiceAccountSet:
		return true
	}
	return false
}

// Key is a canonical spelling of the principal the member denotes: two
// members with the same Key are the same principal (the GKE
// serviceAccount:POOL[NS/KSA] and principal://.../POOL/subject/ns/NS/sa/KSA
// forms, prefix case, whitespace, `?uid=`, a deleted member and the one it
// reverts to when undeleted).
func (m Member) Key() string {
	switch m.Kind {
	case MemberDeleted:
		if m.Undeleted == MemberOther {
			return strings.TrimSpace(m.Raw)
		}
		return m.Restored().Key()
	case MemberUser:
		return "user:" + m.Email
	case MemberGroup:
		return "group:" + m.Email
	case MemberServiceAccount:
		if m.Email == "" && m.AccountID != "" {
			return "serviceAccount:uid/" + m.AccountID
		}
		return "serviceAccount:" + m.Email
	case MemberDomain:
		return "domain:" + m.Domain
	case MemberCustomer:
		return "principalSet://goog/cloudIdentityCustomerId/" + m.Customer
	case MemberAllUsers:
		return "allUsers"
	case MemberAllAuthenticatedUsers:
		return "allAuthenticatedUsers"
	case MemberServiceAccountSet:
		return "principalSet://cloudresourcemanager.googleapis.com/" + m.Container.Type + "/" + m.Container.ID + "/type/ServiceAccount"
	case MemberProjectRole:
		return "project" + m.ProjectRole + ":" + m.Project
	case MemberPrincipal, MemberPrincipalSet:
		scheme := "principal://"
		if m.Kind == MemberPrincipalSet {
			scheme = "principalSet://"
		}
		if p := m.Pool; p != nil {
			name := p.PoolName
			if p.Kubernetes {
				// The pool ID names the project; the number in the
				// principal:// form adds nothing.
				name = "projects/-/locations/global/workloadIdentityPools/" + p.PoolID
			}
			return scheme + "iam.googleapis.com/" + name + "/" + p.Selector
		}
		rest := strings.TrimSpace(m.Raw)
		if i := strings.Index(rest, "://"); i >= 0 {
			rest = rest[i+len("://"):]
		}
		return scheme + rest
	}
	return strings.TrimSpace(m.Raw)
}

// ServiceAccountEmail extracts the email from the ways pulumi-gcp names a
// service account: an email, `serviceAccount:<email>` (any case),
// `projects/<p>/serviceAccounts/<email>`. ok is false for a numeric unique
// ID or anything else.
func ServiceAccountEmail(ref string) (string, bool) {
	s := strings.TrimSpace(ref)
	if i := foldIndex(s, "/serviceaccounts/"); i >= 0 {
		s = s[i+len("/serviceaccounts/"):]
	}
	if foldPrefix(s, "serviceaccount:") {
		s = s[len("serviceaccount:"):]
	}
	s = emailPart(s)
	if !strings.Contains(s, "@") {
		return "", false
	}
	return s, true
}

// ServiceAccountHome is what a service account's email says of the project
// it belongs to: the project ID of a user-managed account
// (NAME@PROJECT_ID.iam.gserviceaccount.com) or an App Engine default account
// (PROJECT_ID@appspot.gserviceaccount.com), the project number of a Compute
// Engine default account (NUMBER-compute@developer.gserviceaccount.com).
// Both are empty when the email does not say (a domain-scoped project,
// a Google-managed account).
func ServiceAccountHome(email string) (projectID, projectNumber string) {
	email, ok := ServiceAccountEmail(email)
	if !ok {
		return "", ""
	}
	local, domain, _ := strings.Cut(email, "@")
	switch {
	case domain == "developer.gserviceaccount.com":
		if n, found := strings.CutSuffix(local, "-compute"); found && isDigits(n) {
			return "", n
		}
	case domain == "appspot.gserviceaccount.com":
		if local != "" && !strings.ContainsAny(local, ".:") {
			return local, ""
		}
	default:
		if p, found := strings.CutSuffix(domain, ".iam.gserviceaccount.com"); found && p != "" && !strings.Contains(p, ".") {
			return p, ""
		}
	}
	return "", ""
}

// isDigits reports whether s is a non-empty run of ASCII digits, as a project,
// folder or organization number is.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
