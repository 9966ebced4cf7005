package gcp

import (
	"sort"
	"strconv"
	"strings"
)

// Type tokens of the resources the stack-wide identity views resolve.
const (
	ServiceAccountResource               = "gcp:serviceaccount/account:Account"
	WorkloadIdentityPoolResource         = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
	WorkloadIdentityPoolProviderResource = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
	StorageBucketResource                = "gcp:storage/bucket:Bucket"
)

// Impersonation roles that let a workload identity pool principal act as a
// service account: holding one on an account makes the account a deployer.
const (
	RoleWorkloadIdentityUser = "roles/iam.workloadIdentityUser"
	RoleTokenCreator         = "roles/iam.serviceAccountTokenCreator"
)

// TopKey returns the top-level property of a path (`members[2]` → `members`,
// `workload.a.b` → `workload`), the key PropertyDependencies are recorded by.
func TopKey(path string) string {
	if strings.HasPrefix(path, "[") {
		// A quoted top-level key: `["odd.key"].x`.
		if end := strings.Index(path, "\"]"); end > 0 {
			return strings.ReplaceAll(path[2:end], `\"`, `"`)
		}
		return path
	}
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

// PropertyDeps returns the URNs the property at path of r depends on: its
// PropertyDependencies entry, or every dependency of r when that property
// has none recorded (a superset, so nothing is missed).
func PropertyDeps(r *Resource, path string) []string {
	if deps, ok := r.PropertyDependencies[TopKey(path)]; ok && len(deps) > 0 {
		return deps
	}
	return r.Dependencies
}

// AccountEmail resolves the email of a gcp:serviceaccount/account:Account:
// its `email` output, else `<accountId>@<project>.iam.gserviceaccount.com`
// with the project from the account or its provider (how Google derives it),
// so an account created in the same preview is still recognised.
func AccountEmail(r *Resource) (string, bool) {
	if r == nil || r.Type != ServiceAccountResource {
		return "", false
	}
	if e, ok := r.Get("email").String(); ok && strings.Contains(e, "@") {
		return strings.ToLower(strings.TrimSpace(e)), true
	}
	id, ok := r.Get("accountId").String()
	if !ok || id == "" {
		return "", false
	}
	if strings.Contains(id, "@") { // an email given as accountId is accepted too
		return strings.ToLower(strings.TrimSpace(id)), true
	}
	project, ok := r.Get("project").String()
	if !ok || project == "" {
		project, ok = r.Provider.Get("project").String()
	}
	if !ok || project == "" {
		return "", false
	}
	return strings.ToLower(id + "@" + project + ".iam.gserviceaccount.com"), true
}

// ResolveServiceAccount turns a known service account reference (email,
// `serviceAccount:` member, `projects/P/serviceAccounts/EMAIL` or a numeric
// unique ID such as `projects/-/serviceAccounts/1234`) into an email, looking
// unique IDs up among the stack's Account resources.
func (s *Stack) ResolveServiceAccount(ref string) (string, bool) {
	if email, ok := ServiceAccountEmail(ref); ok {
		return email, true
	}
	id := strings.TrimSpace(ref)
	if i := strings.LastIndex(id, "/"); i >= 0 {
		id = id[i+1:]
	}
	if id == "" {
		return "", false
	}
	for _, a := range s.OfType(ServiceAccountResource) {
		if u, ok := a.Get("uniqueId").String(); ok && u == id {
			return AccountEmail(a)
		}
	}
	return "", false
}

// Identity is one member of an IdentitySet.
type Identity struct {
	// Email is the lowercased service account email, "" when the account is
	// known only as an Account resource whose email is not known yet, or for
	// a workload identity pool principal.
	Email string
	// Principal is set for a workload identity pool principal.
	Principal bool
	// PoolReason says why a pool principal is a deployer (see
	// DeployerPools); empty without configuration. Pending is, for a pool
	// principal that may be a deployer, the value that would decide.
	PoolReason string
	Pending    *OrganizationRef
	// Certain is false when the account only may belong to the set (the
	// grant that would make it a member is not known yet).
	Certain bool
	// Secret is set when the email was read from a secret value anywhere, so
	// messages must not print it.
	Secret bool
	// Sources names the resources that made it a member (jobs, grants).
	Sources []string
}

func (id *Identity) addSource(name string) {
	for _, s := range id.Sources {
		if s == name {
			return
		}
	}
	id.Sources = append(id.Sources, name)
	sort.Strings(id.Sources)
}

// MemberMatch is whether a grant's member belongs to an IdentitySet.
type MemberMatch uint8

const (
	NotMember   MemberMatch = iota // known not to be in the set
	IsMember                       // certainly in the set
	MaybeMember                    // undecidable until some value is known
)

// IdentitySet is a set of service accounts (and, for deployers, workload
// identity pool principals) a stack policy checks the grants of.
type IdentitySet struct {
	stack    *Stack
	emails   map[string]*Identity
	accounts map[string]*Identity // Account URN -> identity
	// Open is set when some identity could not be resolved at all (an
	// unknown email that depends on no Account of the stack): any service
	// account may then belong to the set.
	Open bool
	// PoolPrincipals makes the principals of deployer pools (principal://
	// or principalSet:// of a workloadIdentityPools pool, see
	// DeployerPools) members.
	PoolPrincipals bool
	pools          *poolClassifier
	// unattached is set when some email names no Account of the stack, so an
	// Account whose email is not known yet could be it.
	unattached bool
	// opaque is set when some Account of the set has no known email, so a
	// known service account member could be it.
	opaque bool
}

func newIdentitySet(s *Stack) *IdentitySet {
	return &IdentitySet{stack: s, emails: map[string]*Identity{}, accounts: map[string]*Identity{}}
}

// Empty reports whether the set can match nothing.
func (set *IdentitySet) Empty() bool {
	return len(set.emails) == 0 && len(set.accounts) == 0 && !set.Open && !set.PoolPrincipals
}

// Emails lists the known emails of the set, sorted.
func (set *IdentitySet) Emails() []string {
	out := make([]string, 0, len(set.emails))
	for e := range set.emails {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the identity of an email (any case, `serviceAccount:`
// prefix accepted).
func (set *IdentitySet) Lookup(email string) (*Identity, bool) {
	e, ok := ServiceAccountEmail(email)
	if !ok {
		return nil, false
	}
	id, ok := set.emails[e]
	return id, ok
}

// AccountURNs lists the Account resources known to be in the set.
func (set *IdentitySet) AccountURNs() []string {
	out := make([]string, 0, len(set.accounts))
	for u := range set.accounts {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// addEmail adds an email; a certain addition upgrades an uncertain one.
func (set *IdentitySet) addEmail(email string, secret, certain bool, source string) *Identity {
	id := set.emails[email]
	if id == nil {
		id = &Identity{Email: email}
		set.emails[email] = id
	}
	id.Certain = id.Certain || certain
	id.Secret = id.Secret || secret
	id.addSource(source)
	return id
}

// addAccount adds an Account resource, with its email when it resolves.
func (set *IdentitySet) addAccount(acct *Resource, certain bool, source string) {
	id := set.accounts[acct.URN]
	if email, ok := AccountEmail(acct); ok {
		id = set.addEmail(email, acct.Get("email").Secret(), certain, source)
	} else if id == nil {
		id = &Identity{}
		set.opaque = true
	}
	id.Certain = id.Certain || certain
	id.addSource(source)
	set.accounts[acct.URN] = id
}

// addUnresolved records an identity whose value at path of r is unknown: the
// Accounts that value depends on are the identity; without any, the set is
// open.
func (set *IdentitySet) addUnresolved(r *Resource, path string, certain bool) {
	found := false
	for _, urn := range PropertyDeps(r, path) {
		if dep, ok := set.stack.Lookup(urn); ok && dep.Type == ServiceAccountResource {
			set.addAccount(dep, certain, r.Name)
			found = true
		}
	}
	if !found {
		set.Open = true
	}
}

// addRef adds a service account reference value read at path of r.
func (set *IdentitySet) addRef(r *Resource, ref Value, certain bool) {
	switch ref.State() {
	case Unknown:
		set.addUnresolved(r, ref.Path(), certain)
	case Set:
		s, _ := ref.String()
		// A known reference that names no account we can resolve (a unique ID
		// of an account outside the stack) is left out: it can never match a
		// member, as members name accounts by email.
		if email, ok := set.stack.ResolveServiceAccount(s); ok {
			set.addEmail(email, ref.Secret(), certain, r.Name)
		}
	}
}

// link attaches the stack's Account resources to the emails of the set, so
// a member that depends on such an account is recognised while its email is
// still unknown.
func (set *IdentitySet) link() {
	attached := map[string]bool{}
	for _, a := range set.stack.OfType(ServiceAccountResource) {
		email, ok := AccountEmail(a)
		if !ok {
			continue
		}
		if id, in := set.emails[email]; in {
			set.accounts[a.URN] = id
			attached[email] = true
		}
	}
	for e := range set.emails {
		if !attached[e] {
			set.unattached = true
		}
	}
}

// Match decides whether a grant member (read from r) belongs to the set and
// returns its identity when it does. A known member is matched by email
// (case-insensitively) or as a workload identity pool principal. An unknown
// member may belong to the set when it depends on one of the set's Accounts
// (or, with PoolPrincipals, on a workload identity pool), when the set is
// open, when it has no recorded dependency to judge by, or when it depends
// on an Account whose email is not known while some email of the set names
// no Account of the stack; otherwise it does not.
func (set *IdentitySet) Match(r *Resource, member Value) (MemberMatch, *Identity) {
	if set.Empty() {
		return NotMember, nil
	}
	if member.HasUnknown() {
		return set.matchUnknown(r, member.Path()), nil
	}
	raw, ok := member.String()
	if !ok {
		return NotMember, nil
	}
	m := ParseMember(raw)
	switch m.Kind {
	case MemberServiceAccount:
		email := m.Email
		if email == "" && m.AccountID != "" {
			// The deny-policy spelling by unique ID names an Account of the
			// stack, or an account none of whose unique IDs is known.
			if email, ok = set.stack.ResolveServiceAccount(m.AccountID); !ok {
				if set.uniqueIDsKnown() {
					return NotMember, nil
				}
				return MaybeMember, nil
			}
		}
		if id, in := set.emails[email]; in {
			if id.Certain {
				return IsMember, id
			}
			return MaybeMember, id
		}
		if set.Open || set.opaque {
			return MaybeMember, nil
		}
	case MemberServiceAccountSet:
		return set.matchContainer(*m.Container)
	case MemberPrincipal, MemberPrincipalSet:
		if !set.PoolPrincipals {
			break
		}
		switch v := set.pools.classifyMember(m); v.Deployer {
		case Yes:
			return IsMember, &Identity{Principal: true, Certain: true, Secret: member.Secret(), PoolReason: v.Reason}
		case Maybe:
			return MaybeMember, &Identity{Principal: true, Secret: member.Secret(), Pending: v.Pending}
		}
	}
	return NotMember, nil
}

// matchContainer decides whether every service account of a container
// (principalSet://cloudresourcemanager.googleapis.com/.../type/ServiceAccount)
// includes an identity of the set. It does unless the stack shows that the
// identity's project is another one: a folder or organization may hold any
// project, and a project named by number may be the identity's project when
// no Project resource of the stack tells the two apart, so both fail closed.
// The identity returned stands for every identity of the set the container
// may hold.
func (set *IdentitySet) matchContainer(c Container) (MemberMatch, *Identity) {
	var matched []*Identity
	seen := map[*Identity]bool{}
	consider := func(id *Identity, projectID, projectNumber string) {
		if seen[id] || !set.stack.ContainerMayHold(c, projectID, projectNumber) {
			return
		}
		seen[id] = true
		matched = append(matched, id)
	}
	for _, email := range set.Emails() {
		id, number := ServiceAccountHome(email)
		consider(set.emails[email], id, number)
	}
	for _, urn := range set.AccountURNs() {
		id := set.accounts[urn]
		if id.Email != "" {
			continue // judged by its email above
		}
		project := ""
		if acct, ok := set.stack.Lookup(urn); ok {
			project = accountProject(acct)
		}
		consider(id, project, "")
	}
	switch {
	case len(matched) == 0 && set.Open:
		return MaybeMember, nil
	case len(matched) == 0:
		return NotMember, nil
	case len(matched) == 1:
		return certainty(matched[0]), matched[0]
	}
	merged := &Identity{}
	for _, id := range matched {
		merged.Certain = merged.Certain || id.Certain
		merged.Secret = merged.Secret || id.Secret
		for _, src := range id.Sources {
			merged.addSource(src)
		}
	}
	return certainty(merged), merged
}

// uniqueIDsKnown reports whether every identity of the set is an Account of
// the stack whose unique ID is known, so a unique ID naming none of them
// names no identity of the set.
func (set *IdentitySet) uniqueIDsKnown() bool {
	if set.Open || set.opaque || set.unattached {
		return false
	}
	for urn := range set.accounts {
		acct, ok := set.stack.Lookup(urn)
		if !ok {
			return false
		}
		if u, known := acct.Get("uniqueId").String(); !known || u == "" {
			return false
		}
	}
	return true
}

func certainty(id *Identity) MemberMatch {
	if id.Certain {
		return IsMember
	}
	return MaybeMember
}

// accountProject is the project an Account is created in: its own project,
// else its provider's.
func accountProject(acct *Resource) string {
	project, ok := acct.Get("project").String()
	if !ok || project == "" {
		project, _ = acct.Provider.Get("project").String()
	}
	return strings.ToLower(strings.TrimSpace(project))
}

// ProjectResource is the type token of a project the stack creates; its
// `projectId` and `number` outputs tie a project's ID to its number.
const ProjectResource = "gcp:organizations/project:Project"

// ContainerMayHold reports whether a project, folder or organization may
// hold a service account of the project with the given ID or number (either
// may be empty when unknown). Only a project container can be told apart, by
// ID, by number, or by the stack's Project resources that pair the two;
// whatever the stack cannot tell apart may be the same project.
func (s *Stack) ContainerMayHold(c Container, projectID, projectNumber string) bool {
	if c.Type != "projects" || c.ID == "" || c.ID == "-" {
		return true
	}
	containerID, containerNumber := c.ID, ""
	if isDigits(c.ID) {
		containerID, containerNumber = "", c.ID
	}
	containerID, containerNumber = s.pairProject(containerID, containerNumber)
	projectID, projectNumber = s.pairProject(strings.ToLower(projectID), projectNumber)
	switch {
	case containerID != "" && projectID != "":
		return containerID == projectID
	case containerNumber != "" && projectNumber != "":
		return containerNumber == projectNumber
	}
	return true
}

// pairProject completes a project's ID from its number or the reverse, from
// a Project resource of the stack whose ID and number are both known.
func (s *Stack) pairProject(id, number string) (string, string) {
	if (id == "") == (number == "") {
		return id, number
	}
	for _, p := range s.OfType(ProjectResource) {
		pid, idKnown := p.Get("projectId").String()
		pnum, numKnown := projectNumberOf(p)
		if !idKnown || !numKnown || pid == "" || pnum == "" {
			continue
		}
		pid = strings.ToLower(strings.TrimSpace(pid))
		switch {
		case id == pid:
			return id, pnum
		case number == pnum:
			return pid, number
		}
	}
	return id, number
}

// projectNumberOf reads a Project's `number` output, a string in pulumi-gcp
// (a number is accepted too).
func projectNumberOf(p *Resource) (string, bool) {
	v := p.Get("number")
	if n, ok := v.String(); ok {
		n = strings.TrimSpace(n)
		return n, isDigits(n)
	}
	if f, ok := v.Number(); ok && f >= 0 && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10), true
	}
	return "", false
}

func (set *IdentitySet) matchUnknown(r *Resource, path string) MemberMatch {
	deps := PropertyDeps(r, path)
	if set.Open || len(deps) == 0 {
		return MaybeMember
	}
	for _, urn := range deps {
		if _, in := set.accounts[urn]; in {
			return MaybeMember
		}
		dep, ok := set.stack.Lookup(urn)
		if !ok {
			continue
		}
		switch dep.Type {
		case WorkloadIdentityPoolResource, WorkloadIdentityPoolProviderResource:
			if set.PoolPrincipals && set.pools.classifyResource(dep) != No {
				return MaybeMember
			}
		case ServiceAccountResource:
			if _, known := AccountEmail(dep); !known && set.unattached {
				return MaybeMember
			}
		}
	}
	return NotMember
}

// IsWorkloadPoolPrincipal reports whether a parsed member is a principal or
// principal set of a workload identity pool (external workloads such as
// CI), as opposed to a workforce pool (people) or a GKE or fleet pool
// (Kubernetes service accounts, in whichever of their two spellings).
func IsWorkloadPoolPrincipal(m Member) bool {
	return (m.Kind == MemberPrincipal || m.Kind == MemberPrincipalSet) && m.Pool != nil && !m.Pool.Workforce &&
		!m.Pool.Kubernetes
}

// WorkerIdentities returns the Dataflow worker service accounts of a stack:
// the serviceAccountEmail of every Job, FlexTemplateJob and Pipeline workload
// environment (never a Pipeline's schedulerServiceAccountEmail). An unknown
// email stands for the Accounts it depends on, or opens the set when it
// depends on none. A job without an email runs as the Compute Engine default
// account, whose address the stack does not know; it adds nothing.
func WorkerIdentities(s *Stack) *IdentitySet {
	set := newIdentitySet(s)
	for _, r := range s.OfType(DataflowTypes...) {
		for _, env := range s.views.WorkerEnvs(r) {
			if env.IsUnknown() {
				set.addUnresolved(r, env.Path(), true)
				continue
			}
			set.addRef(r, env.Get("serviceAccountEmail"), true)
		}
	}
	set.link()
	return set
}

// DeployerIdentities is DeployerIdentitiesOf with every workload identity
// pool taken for a deployer pool.
func DeployerIdentities(s *Stack) *IdentitySet { return DeployerIdentitiesOf(s, nil) }

// DeployerIdentitiesOf returns the deployer identities of a stack: every
// principal of a deployer pool (pools decides which pools federate CI; nil
// makes every workload identity pool one), and every service account on
// which such a principal holds roles/iam.workloadIdentityUser or
// roles/iam.serviceAccountTokenCreator (a grant at service account scope).
// An account is only possibly a deployer when that grant is not known yet:
// its role is unknown, its member is unknown and does not depend on a
// workload identity pool of the stack, or its member's pool may or may not
// be a deployer pool.
func DeployerIdentitiesOf(s *Stack, pools *DeployerPools) *IdentitySet {
	set := newIdentitySet(s)
	set.PoolPrincipals = true
	set.pools = newPoolClassifier(s, pools)
	for _, r := range s.OfType(GrantTypes()...) {
		grants, _ := s.views.Grants(r)
		for _, g := range grants {
			if g.Scope != ScopeServiceAccount {
				continue
			}
			certain, maybe := impersonationGrant(s, set.pools, r, g)
			if !certain && !maybe {
				continue
			}
			set.addRef(r, g.Target("serviceAccountId"), certain)
		}
	}
	set.link()
	return set
}

// IsImpersonationMechanism reports whether g is a grant that makes a
// deployer: a workload identity pool principal (known, or an unknown member
// that depends on a workload identity pool of the stack) given
// roles/iam.workloadIdentityUser or roles/iam.serviceAccountTokenCreator on a
// service account.
func IsImpersonationMechanism(s *Stack, r *Resource, g Grant) bool {
	certain, _ := impersonationGrant(s, newPoolClassifier(s, nil), r, g)
	return certain
}

// impersonationGrant says whether g certainly or possibly lets a principal
// of a deployer pool impersonate the service account it is on.
func impersonationGrant(s *Stack, pools *poolClassifier, r *Resource, g Grant) (certain, maybe bool) {
	if g.Scope != ScopeServiceAccount {
		return false, false
	}
	roleKnown, impersonation := false, false
	if role, ok := g.RoleName(); ok {
		roleKnown = true
		impersonation = role == RoleWorkloadIdentityUser || role == RoleTokenCreator
	} else if !g.Role.IsUnknown() {
		return false, false
	}
	if roleKnown && !impersonation {
		return false, false
	}
	pool, noPool := No, false
	if g.Member.HasUnknown() {
		var anyPool bool
		pool, anyPool = dependsOnWorkloadPool(s, pools, r, g.Member.Path())
		if !anyPool {
			pool, noPool = Maybe, true
		}
	} else if raw, ok := g.Member.String(); ok {
		pool = pools.classifyMember(ParseMember(raw)).Deployer
	}
	switch {
	case pool == No:
		return false, false
	case roleKnown && pool == Yes:
		return true, false
	case !roleKnown && noPool:
		return false, false // neither the role nor the member shows anything
	}
	// A computed member with no pool to show for it, a principal whose pool
	// may federate CI, or a deployer pool principal with a role not known yet.
	return false, true
}

// dependsOnWorkloadPool says whether the value at path of r depends on a
// deployer pool: a workload identity pool or pool provider of the stack
// whose pool federates CI. anyPool is false when it depends on no pool of
// the stack at all.
func dependsOnWorkloadPool(s *Stack, pools *poolClassifier, r *Resource, path string) (deployer Answer, anyPool bool) {
	deployer = No
	for _, urn := range PropertyDeps(r, path) {
		if dep, ok := s.Lookup(urn); ok &&
			(dep.Type == WorkloadIdentityPoolResource || dep.Type == WorkloadIdentityPoolProviderResource) {
			anyPool = true
			deployer = deployer.Or(pools.classifyResource(dep))
		}
	}
	return deployer, anyPool
}

// GCSLocation is one Cloud Storage location a Dataflow job names.
type GCSLocation struct {
	// Value is the property as read: its path, secrecy and unknown state.
	Value Value
	// Bucket is the bucket name of a known gs:// URL (lowercased), "" when
	// the value is unknown or not a gs:// URL.
	Bucket string
}

// gcsLocationPaths are the gs:// location properties of each Dataflow type,
// from the pulumi-gcp v9.6.0 args structs.
var gcsLocationPaths = map[string][][]string{
	DataflowJob:             {{"tempGcsLocation"}, {"templateGcsPath"}},
	DataflowFlexTemplateJob: {{"containerSpecGcsPath"}, {"stagingLocation"}, {"tempLocation"}},
	DataflowPipeline: {
		{"workload", "dataflowFlexTemplateRequest", "launchParameter", "containerSpecGcsPath"},
		{"workload", "dataflowFlexTemplateRequest", "launchParameter", "environment", "tempLocation"},
		{"workload", "dataflowLaunchTemplateRequest", "gcsPath"},
		{"workload", "dataflowLaunchTemplateRequest", "launchParameters", "environment", "tempLocation"},
	},
}

// GCSLocationProperties lists the location paths read for a Dataflow type
// token (dotted), for conformance tests.
func GCSLocationProperties(token string) []string {
	var out []string
	for _, p := range gcsLocationPaths[token] {
		out = append(out, strings.Join(p, "."))
	}
	return out
}

// JobGCSLocations returns the gs:// locations of a Dataflow resource that are
// set or unknown. An unknown Pipeline workload yields one unknown location.
func JobGCSLocations(r *Resource) []GCSLocation {
	var out []GCSLocation
	if r.Type == DataflowPipeline && r.Get("workload").IsUnknown() {
		return []GCSLocation{{Value: r.Get("workload")}}
	}
	for _, p := range gcsLocationPaths[r.Type] {
		v := r.At(p...)
		switch v.State() {
		case Unknown:
			out = append(out, GCSLocation{Value: v})
		case Set:
			s, _ := v.String()
			bucket, _ := GCSBucketName(s)
			out = append(out, GCSLocation{Value: v, Bucket: bucket})
		}
	}
	return out
}

// GCSBucketName returns the bucket of a `gs://bucket/path` URL, lowercased.
func GCSBucketName(url string) (string, bool) {
	s := strings.TrimSpace(url)
	if len(s) < 5 || !strings.EqualFold(s[:5], "gs://") {
		return "", false
	}
	bucket, _, _ := strings.Cut(s[5:], "/")
	if bucket == "" {
		return "", false
	}
	return strings.ToLower(bucket), true
}

// StackBuckets indexes the stack's Cloud Storage buckets by their `name`
// output (lowercased); buckets whose name is not known yet are listed apart.
func StackBuckets(s *Stack) (byName map[string][]*Resource, unnamed []*Resource) {
	byName = map[string][]*Resource{}
	for _, b := range s.OfType(StorageBucketResource) {
		name := b.Get("name")
		if n, ok := name.String(); ok && n != "" {
			key := strings.ToLower(n)
			byName[key] = append(byName[key], b)
		} else if name.IsUnknown() {
			unnamed = append(unnamed, b)
		}
	}
	return byName, unnamed
}

// IdentityPropertiesRead lists, per type token, the top-level properties the
// identity views read, for conformance tests. On an Account, `email` and
// `uniqueId` are outputs (the AccountState struct), on a Project `number`;
// the others are args.
var IdentityPropertiesRead = map[string][]string{
	ServiceAccountResource: {"accountId", "email", "project", "uniqueId"},
	StorageBucketResource:  {"name"},
	ProjectResource:        {"number", "projectId"},
}
