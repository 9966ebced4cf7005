package gcp

import "strings"

// PAMEntitlement is the Privileged Access Manager entitlement type token.
// pulumi-gcp v9.6.0 registers it with a lower-case last segment
// (privilegedaccessmanager.NewEntitlement calls RegisterResource with it).
const PAMEntitlement = "gcp:privilegedaccessmanager/entitlement:entitlement"

// Eligibility is how the members of a grant obtain its role when the grant is
// a Privileged Access Manager entitlement: each eligible principal requests
// it and holds it, for up to maxRequestDuration, once any approval is given
// (https://cloud.google.com/iam/docs/pam-overview). A role a principal can
// obtain is a role it holds for least privilege, so such a grant is judged
// like a standing one; Eligibility only lets messages say how it is held.
type Eligibility struct {
	// Entitlement is the entitlementId.
	Entitlement Value
	// Approval is approvalWorkflow: absent when a request is granted
	// without approval.
	Approval Value
	// Approvers are the principals of every approval step, as read.
	Approvers []Value
}

// NeedsApproval says whether a request must be approved: Yes when the
// approvalWorkflow has a step, No without one, Maybe while it is not known.
func (e *Eligibility) NeedsApproval() Answer {
	steps := e.Approval.At("manualApprovals", "steps")
	switch {
	case steps.IsUnknown():
		return Maybe
	case steps.IsArray() && len(steps.Items()) > 0:
		return Yes
	}
	return No
}

// entitlementGrants reads an entitlement as one grant of each role binding
// to each eligible principal, on the resource of its gcpIamAccess. An
// unknown list yields grants whose Role or Member is that unknown value.
func entitlementGrants(r *Resource) ([]Grant, []Problem) {
	access := r.At("privilegedAccess", "gcpIamAccess")
	scope, scopeValue := entitlementScope(r, access)
	base := Grant{Scope: scope, ScopeValue: scopeValue, Eligible: readEligibility(r), res: r}

	var problems []Problem
	bindings := access.Get("roleBindings")
	type roleBinding struct{ role, condition Value }
	var roles []roleBinding
	switch {
	case bindings.IsUnknown():
		roles = []roleBinding{{role: bindings}}
	case bindings.IsArray():
		for _, b := range bindings.Items() {
			if b.IsUnknown() {
				roles = append(roles, roleBinding{role: b})
				continue
			}
			cond := b.Get("conditionExpression")
			if s, ok := cond.String(); ok && strings.TrimSpace(s) == "" {
				cond = Value{} // an empty expression is no condition
			}
			roles = append(roles, roleBinding{role: b.Get("role"), condition: cond})
		}
	case bindings.IsSet():
		problems = append(problems, Problem{Path: bindings.Path(), Message: "roleBindings is not a list"})
	}

	var members []Value
	users := r.Get("eligibleUsers")
	switch {
	case users.IsUnknown():
		members = []Value{users}
	case users.IsArray():
		for _, u := range users.Items() {
			principals := u.Get("principals")
			switch {
			case principals.IsUnknown():
				members = append(members, principals)
			case principals.IsArray():
				members = append(members, principals.Items()...)
			case principals.IsSet() || (u.IsSet() && !u.IsMap()):
				problems = append(problems, Problem{Path: u.Path(), Message: "eligibleUsers entry has no list of principals"})
			}
		}
	case users.IsSet():
		problems = append(problems, Problem{Path: users.Path(), Message: "eligibleUsers is not a list"})
	}

	out := make([]Grant, 0, len(roles)*len(members))
	for _, rb := range roles {
		for _, m := range members {
			g := base
			g.Role, g.Member, g.Condition = rb.role, m, rb.condition
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return out, problems
}

// readEligibility reads how an entitlement's role is obtained.
func readEligibility(r *Resource) *Eligibility {
	e := &Eligibility{Entitlement: r.Get("entitlementId"), Approval: r.Get("approvalWorkflow")}
	for _, step := range e.Approval.At("manualApprovals", "steps").Items() {
		approvers := step.Get("approvers")
		// pulumi-gcp flattens the one-item approvers block to an object;
		// read a list of them too.
		blocks := []Value{approvers}
		if approvers.IsArray() {
			blocks = approvers.Items()
		}
		for _, b := range blocks {
			e.Approvers = append(e.Approvers, b.Get("principals").Items()...)
		}
	}
	return e
}

// entitlementScope reads the level an entitlement grants on from
// privilegedAccess.gcpIamAccess.resourceType, its resource and the
// entitlement's parent: the broadest level any known one names, so a
// mismatch cannot make a grant look narrower than it is. When none of them
// is known yet the scope is a project, the narrowest an entitlement can
// have, and ScopeValue is the unknown value that may make it broader.
func entitlementScope(r *Resource, access Value) (Scope, Value) {
	resourceType, resource, parent := access.Get("resourceType"), access.Get("resource"), r.Get("parent")
	best, bestValue := Scope(0), Value{}
	for _, c := range []struct {
		v  Value
		of func(string) Scope
	}{{resourceType, resourceTypeScope}, {resource, fullResourceScope}, {parent, scopeOf}} {
		s, ok := c.v.String()
		if !ok {
			continue
		}
		if level := c.of(s); level != 0 && (best == 0 || broader(level, best)) {
			best, bestValue = level, c.v
		}
	}
	if best != 0 {
		return best, bestValue
	}
	for _, v := range []Value{resourceType, resource, parent} {
		if v.IsUnknown() {
			return ScopeProject, v
		}
	}
	// Nothing names a level the API accepts: it would refuse the
	// entitlement, so the narrowest level does no harm.
	return ScopeProject, resourceType
}

// broader reports whether hierarchy level a is above b.
func broader(a, b Scope) bool {
	rank := func(s Scope) int {
		switch s {
		case ScopeOrganization:
			return 3
		case ScopeFolder:
			return 2
		case ScopeProject:
			return 1
		}
		return 0
	}
	return rank(a) > rank(b)
}

// resourceTypeScope reads a gcpIamAccess resourceType such as
// cloudresourcemanager.googleapis.com/Project.
func resourceTypeScope(t string) Scope {
	service, kind, found := strings.Cut(strings.TrimSpace(t), "/")
	if !found || !strings.EqualFold(service, "cloudresourcemanager.googleapis.com") {
		return 0
	}
	switch {
	case strings.EqualFold(kind, "Organization"):
		return ScopeOrganization
	case strings.EqualFold(kind, "Folder"):
		return ScopeFolder
	case strings.EqualFold(kind, "Project"):
		return ScopeProject
	}
	return 0
}

// fullResourceScope reads a full resource name such as
// //cloudresourcemanager.googleapis.com/projects/P.
func fullResourceScope(name string) Scope {
	rest, ok := strings.CutPrefix(strings.TrimSpace(name), "//")
	if !ok {
		return scopeOf(name)
	}
	host, path, _ := strings.Cut(rest, "/")
	if !strings.EqualFold(host, "cloudresourcemanager.googleapis.com") {
		return 0
	}
	return scopeOf(path)
}

// ScopeUndecided reports whether the level a grant is on is not known yet
// and may be broader than Scope (an entitlement whose resourceType is
// computed).
func (g Grant) ScopeUndecided() bool { return g.ScopeValue.IsUnknown() }
