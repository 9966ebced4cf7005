package gcp

import (
	"sort"
	"strings"
)

// PermissionActAs lets a principal attach a service account to a resource,
// for example launch a Dataflow job whose workers run as it.
const PermissionActAs = "iam.serviceAccounts.actAs"

// actAsPredefinedRoles are the predefined roles that include
// iam.serviceAccounts.actAs, from the "Included in roles" list of that
// permission in Google's role and permission index
// (https://cloud.google.com/iam/docs/roles-permissions/iam), checked against
// the IAM roles.list output of August 2026. Roles/iam.serviceAccountAdmin
// (it can grant itself actAs through setIamPolicy, but does not include it),
// serviceAccountTokenCreator, workloadIdentityUser, securityAdmin,
// dataflow.admin and composer.worker are not in it.
var actAsPredefinedRoles = map[string]struct{}{
	// Basic roles.
	"roles/owner":  {},
	"roles/editor": {},
	// IAM roles, including the job-function roles.
	"roles/iam.serviceAccountUser": {},
	"roles/iam.admin":              {},
	"roles/iam.editor":             {},
	"roles/iam.dataScientist":      {},
	"roles/iam.databasesAdmin":     {},
	"roles/iam.devOps":             {},
	// Service agent and operator roles, meant for Google's own service
	// agents; granted to anyone else they still let them act as accounts.
	"roles/aiplatform.colabServiceAgent":                {},
	"roles/aiplatform.serviceAgent":                     {},
	"roles/appengineflex.serviceAgent":                  {},
	"roles/backupdr.computeEngineOperator":              {},
	"roles/backupdr.serviceAgent":                       {},
	"roles/batch.serviceAgent":                          {},
	"roles/cloudconfig.serviceAgent":                    {},
	"roles/clouddeploy.serviceAgent":                    {},
	"roles/clouddeploymentmanager.serviceAgent":         {},
	"roles/cloudfunctions.serviceAgent":                 {},
	"roles/cloudtpu.serviceAgent":                       {},
	"roles/composer.serviceAgent":                       {},
	"roles/compute.instanceGroupManagerServiceAgent":    {},
	"roles/compute.serviceAgent":                        {},
	"roles/configdelivery.serviceAgent":                 {},
	"roles/container.serviceAgent":                      {},
	"roles/dataflow.serviceAgent":                       {},
	"roles/datapipelines.serviceAgent":                  {},
	"roles/dataplex.serviceAgent":                       {},
	"roles/dataprep.serviceAgent":                       {},
	"roles/dataproc.hubAgent":                           {},
	"roles/dataproc.serviceAgent":                       {},
	"roles/eventarc.serviceAgent":                       {},
	"roles/firebaseapphosting.serviceAgent":             {},
	"roles/firebasemods.serviceAgent":                   {},
	"roles/gameservices.serviceAgent":                   {},
	"roles/genomics.serviceAgent":                       {},
	"roles/hypercomputecluster.serviceAgent":            {},
	"roles/krmapihosting.anthosApiEndpointServiceAgent": {},
	"roles/krmapihosting.serviceAgent":                  {},
	"roles/lifesciences.serviceAgent":                   {},
	"roles/notebooks.serviceAgent":                      {},
	"roles/osconfig.serviceAgent":                       {},
	"roles/run.serviceAgent":                            {},
	"roles/runapps.serviceAgent":                        {},
	"roles/securitycenter.securityResponseServiceAgent": {},
	"roles/serverless.serviceAgent":                     {},
	"roles/workstations.serviceAgent":                   {},
}

// ActAsPredefinedRoles lists the predefined roles that include
// iam.serviceAccounts.actAs, sorted.
func ActAsPredefinedRoles() []string {
	out := make([]string, 0, len(actAsPredefinedRoles))
	for r := range actAsPredefinedRoles {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Answer is a three-valued answer: known no, known yes, or not known until
// apply.
type Answer uint8

const (
	No Answer = iota
	Yes
	Maybe
)

// Or is the answer to "a or b".
func (a Answer) Or(b Answer) Answer {
	switch {
	case a == Yes || b == Yes:
		return Yes
	case a == Maybe || b == Maybe:
		return Maybe
	}
	return No
}

// RoleActsAs says whether a known role name includes
// iam.serviceAccounts.actAs: a predefined role of the list above, or a custom
// role of the stack whose permissions include it. It is Maybe while a
// custom role that may be this one has permissions not known yet, and
// returns that role so the unknown can be reported where it is. A custom
// role the stack does not declare is not seen here: its permissions live
// outside the stack (iam-custom-role-no-escalation guards the custom roles a
// stack declares).
func (s *Stack) RoleActsAs(role string) (Answer, *Resource) {
	role = strings.TrimSpace(role)
	if _, ok := actAsPredefinedRoles[role]; ok {
		return Yes, nil
	}
	if !strings.HasPrefix(role, "projects/") && !strings.HasPrefix(role, "organizations/") {
		return No, nil
	}
	out := No
	var undecided *Resource
	for _, cr := range s.OfType(CustomRoleTypes()...) {
		named := customRoleNamed(cr, role)
		if named == No {
			continue
		}
		switch permissionsActAs(cr).And(named) {
		case Yes:
			return Yes, nil
		case Maybe:
			if out == No {
				out, undecided = Maybe, cr
			}
		}
	}
	return out, undecided
}

// And is the answer to "a and b".
func (a Answer) And(b Answer) Answer {
	switch {
	case a == No || b == No:
		return No
	case a == Maybe || b == Maybe:
		return Maybe
	}
	return Yes
}

// customRoleNamed says whether custom role cr is the role named name: by its
// `name` output, else by the name Google derives from its parent and roleId.
func customRoleNamed(cr *Resource, name string) Answer {
	if n, ok := cr.Get("name").String(); ok && n != "" {
		return boolAnswer(strings.TrimSpace(n) == name)
	}
	id := cr.Get("roleId")
	var parent Value
	prefix := "projects/"
	if cr.Type == OrganizationCustomRole {
		parent, prefix = cr.Get("orgId"), "organizations/"
	} else {
		parent = cr.Get("project")
		if parent.IsAbsent() && cr.Provider != nil {
			parent = cr.Provider.Get("project")
		}
	}
	roleID, idKnown := id.String()
	p, parentKnown := parent.String()
	switch {
	case idKnown && parentKnown:
		return boolAnswer(prefix+p+"/roles/"+roleID == name)
	case idKnown:
		// The parent is not known: the role ID still rules most names out.
		return boolAnswer(strings.HasPrefix(name, prefix) && strings.HasSuffix(name, "/roles/"+roleID)).And(Maybe)
	case id.IsUnknown():
		return boolAnswer(strings.HasPrefix(name, prefix)).And(Maybe)
	}
	return No
}

// permissionsActAs says whether a custom role's permissions include actAs.
func permissionsActAs(cr *Resource) Answer {
	perms := CustomRolePermissions(cr)
	if perms.IsUnknown() {
		return Maybe
	}
	out := No
	for _, p := range perms.Items() {
		if p.IsUnknown() {
			out = Maybe
			continue
		}
		if s, ok := p.String(); ok && permissionCovers(s, PermissionActAs) {
			return Yes
		}
	}
	return out
}

// permissionCovers reports whether a permission a custom role lists is
// perm, in any case, or a wildcard that could stand for it (the API rejects
// wildcards in custom roles; read one as the worst it could mean).
func permissionCovers(listed, perm string) bool {
	listed = strings.ToLower(strings.TrimSpace(listed))
	perm = strings.ToLower(perm)
	if prefix, _, wildcard := strings.Cut(listed, "*"); wildcard {
		return strings.HasPrefix(perm, prefix)
	}
	return listed == perm
}

func boolAnswer(b bool) Answer {
	if b {
		return Yes
	}
	return No
}

// SchedulerIdentities returns the service accounts Cloud Scheduler launches
// the stack's Dataflow data pipelines as (each Pipeline's
// schedulerServiceAccountEmail). Like WorkerIdentities, an unknown email
// stands for the Accounts it depends on, or opens the set.
func SchedulerIdentities(s *Stack) *IdentitySet {
	set := newIdentitySet(s)
	for _, r := range s.OfType(DataflowPipeline) {
		set.addRef(r, r.Get("schedulerServiceAccountEmail"), true)
	}
	set.link()
	return set
}

// AccountRef is one service account a value names: its lowercased email when
// known, and the stack's Account resource for it when there is one.
type AccountRef struct {
	Email   string
	Account *Resource
	// Secret is set when the email was read from a secret value.
	Secret bool
}

// AccountIndex is the stack's Account resources by email, for resolving
// many account references.
type AccountIndex map[string]*Resource

// IndexAccounts indexes the Accounts of a stack whose email is known or
// follows from accountId and project.
func IndexAccounts(s *Stack) AccountIndex {
	idx := AccountIndex{}
	for _, a := range s.OfType(ServiceAccountResource) {
		if e, ok := AccountEmail(a); ok {
			idx[e] = a
		}
	}
	return idx
}

// AccountRefs resolves a value naming one service account (a grant's
// serviceAccountId, say) read from r. A known value resolves to its email
// (unique IDs are looked up among the stack's Accounts) and the Account of
// accounts with that email; an unknown one to the Accounts of the stack it
// depends on, any of which it may turn out to be. ok is false when the value
// names no account that can be identified: an unknown value that depends on
// no Account, or a unique ID of an account the stack does not declare.
func (s *Stack) AccountRefs(r *Resource, v Value, accounts AccountIndex) (refs []AccountRef, ok bool) {
	switch v.State() {
	case Absent:
		return nil, true
	case Unknown:
		for _, urn := range PropertyDeps(r, v.Path()) {
			if dep, found := s.Lookup(urn); found && dep.Type == ServiceAccountResource {
				email, _ := AccountEmail(dep)
				// The email may be derived from accountId: either secret hides it.
				secret := dep.Get("email").Secret() || dep.Get("accountId").Secret()
				refs = append(refs, AccountRef{Email: email, Account: dep, Secret: secret})
			}
		}
		return refs, len(refs) > 0
	}
	raw, isString := v.String()
	if !isString {
		return nil, false
	}
	email, resolved := s.ResolveServiceAccount(raw)
	if !resolved {
		return nil, false
	}
	return []AccountRef{{Email: email, Account: accounts[email], Secret: v.Secret()}}, true
}

// AccountIdentity returns the set holding exactly one service account, so
// grants to it can be told by IdentitySet.Match, including members that are
// not known yet but depend on its Account. accounts finds the Account of a
// ref known only by email.
func AccountIdentity(s *Stack, ref AccountRef, accounts AccountIndex) *IdentitySet {
	set := newIdentitySet(s)
	if ref.Account == nil && ref.Email != "" {
		ref.Account = accounts[ref.Email]
	}
	switch {
	case ref.Account != nil:
		set.addAccount(ref.Account, true, ref.Account.Name)
	case ref.Email != "":
		set.addEmail(ref.Email, ref.Secret, true, "")
		set.unattached = true // no Account of the stack has this email
	}
	return set
}

// MatchAccount decides whether the service account ref belongs to the set,
// by email or by Account resource; it may when the set is open or when
// either side's email is not known yet.
func (set *IdentitySet) MatchAccount(ref AccountRef) MemberMatch {
	if set.Empty() {
		return NotMember
	}
	certain := func(id *Identity) MemberMatch {
		if id.Certain {
			return IsMember
		}
		return MaybeMember
	}
	if ref.Email != "" {
		if id, in := set.emails[ref.Email]; in {
			return certain(id)
		}
	}
	if ref.Account != nil {
		if id, in := set.accounts[ref.Account.URN]; in {
			return certain(id)
		}
	}
	switch {
	case set.Open:
		return MaybeMember
	case ref.Email != "" && ref.Account == nil && set.opaque:
		return MaybeMember // an Account of the set whose email is not known yet
	case ref.Email == "" && set.unattached:
		return MaybeMember // an email of the set that names no Account of the stack
	}
	return NotMember
}
