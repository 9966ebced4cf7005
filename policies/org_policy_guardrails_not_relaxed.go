package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type orgPolicyGuardrailsConfig struct {
	Constraints          []string `json:"constraints"`
	AllowedIssuers       []string `json:"allowedIssuers"`
	AllowedOrganizations []string `json:"allowedOrganizations"`
	AllowedCustomerIDs   []string `json:"allowedCustomerIds"`
	AllowedMembers       []string `json:"allowedMembers"`

	guarded     map[string]string // canonical name -> name as configured
	anyDenyList bool              // a guarded constraint is enforced by denying values
	issuers     []string          // normalised
	orgs        map[string]bool   // numeric IDs
	members     map[string]bool   // principal model keys
}

// Validate indexes the guarded constraints by canonical name and normalises
// the approved identities.
func (c *orgPolicyGuardrailsConfig) Validate() error {
	c.guarded = map[string]string{}
	for _, n := range c.Constraints {
		key := gcp.CanonicalConstraintName(n)
		if key == "" {
			return fmt.Errorf("constraints: empty constraint name")
		}
		c.guarded[key] = strings.TrimPrefix(strings.TrimSpace(n), "constraints/")
		c.anyDenyList = c.anyDenyList || gcp.IsDenyListConstraint(key)
	}
	issuers, err := gcp.NormalizeIssuers("allowedIssuers", c.AllowedIssuers)
	if err != nil {
		return err
	}
	c.issuers = issuers
	c.orgs = map[string]bool{}
	for _, o := range c.AllowedOrganizations {
		id, ok := gcp.OrganizationIDOf(o)
		if !ok {
			return fmt.Errorf("allowedOrganizations: %q is not an organization ID (123456789012 or organizations/123456789012)", o)
		}
		c.orgs[id] = true
	}
	for _, id := range c.AllowedCustomerIDs {
		if gcp.OrgPolicyValue(id) == "" {
			return fmt.Errorf("allowedCustomerIds: empty customer ID")
		}
	}
	c.members = map[string]bool{}
	for _, m := range c.AllowedMembers {
		if id, ok := gcp.OrganizationPrincipalSet(m); ok {
			c.orgs[id] = true
			continue
		}
		parsed := gcp.ParseMember(gcp.OrgPolicyValue(m))
		if parsed.Public() {
			return fmt.Errorf("allowedMembers: %q is public; an organization policy override may never let it be granted roles", m)
		}
		c.members[parsed.Key()] = true
	}
	return nil
}

func (c *orgPolicyGuardrailsConfig) issuerApproved(value string) bool {
	parsed, ok := gcp.ParseIssuer(gcp.OrgPolicyValue(value))
	return ok && slices.Contains(c.issuers, parsed.Normalized)
}

func (c *orgPolicyGuardrailsConfig) customerApproved(value string) bool {
	value = gcp.OrgPolicyValue(value)
	return slices.ContainsFunc(c.AllowedCustomerIDs, func(id string) bool {
		return strings.EqualFold(gcp.OrgPolicyValue(id), value)
	})
}

// defaultApprovedIssuers are the OIDC issuers the pack approves by default:
// wif-provider-oidc-only's allowedIssuers and this policy's, which an
// override of iam.workloadIdentityPoolProviders may allow. Both policies
// take their default from here; configured lists must be kept in step by
// hand (a policy cannot read another's config).
var defaultApprovedIssuers = []string{"https://token.actions.githubusercontent.com", "https://gitlab.com", "https://api.pulumi.com/oidc"}

// OrgPolicyGuardrailsNotRelaxed forbids organization policies that disable,
// reset, allow all of, or widen the constraints that back the pack's
// guardrails, including every constraint another policy recommends
// (guarded_constraints_test.go keeps the default list complete). An
// override of an identity constraint is judged by what it lets through.
func OrgPolicyGuardrailsNotRelaxed() *policy.Policy {
	p := policy.Resource(policy.Meta{
		Name:  "org-policy-guardrails-not-relaxed",
		Title: "Organization policies do not relax the guardrail constraints",
		Description: "The organization policy constraints behind the pack's guardrails (no service account keys, " +
			"federation allowlists, no automatic grants to default service accounts, domain-restricted sharing, no " +
			"external IPs, the Dataflow default service account check, and for Cloud Storage public access " +
			"prevention, uniform bucket-level access and no HMAC authentication: storage.publicAccessPrevention, " +
			"storage.uniformBucketLevelAccess, storage.restrictAuthTypes, " +
			"https://cloud.google.com/storage/docs/org-policy-constraints) are the last line of defence when a stack " +
			"gets something wrong, and a stack can switch them off for itself with one resource. Every constraint " +
			"another policy's text recommends is guarded by default (a test keeps it so). The policy reads " +
			"gcp.orgpolicy.Policy (constraint from `name`, with or without the `<parent>/policies/` and " +
			"`constraints/` parts; both `spec` and `dryRunSpec`, a dry-run relaxation being one about to happen) and " +
			"the legacy gcp.organizations.Policy, gcp.folder.OrganizationPolicy and gcp.projects.OrganizationPolicy " +
			"(`constraint`, booleanPolicy, listPolicy, restorePolicy) for the constraints in `constraints` (any case). " +
			"A policy relaxes a constraint when: a rule has enforce FALSE (any case; booleanPolicy.enforced false), " +
			"unconditionally or under a condition (it then stops applying to the resources the condition matches), " +
			"or an enforce the provider sends as no value (anything but TRUE or FALSE, such as \"1\" or \" TRUE\"; " +
			"denyAll is read as strictly); " +
			"a rule has allowAll TRUE (listPolicy.allow.all true), conditional or not; reset is true " +
			"(restorePolicy.default true), which drops everything set above and restores Google's default; a v2 spec " +
			"has no rules, no reset and does not inherit (inheritFromParent not true), so the constraint falls back to " +
			"its default. Below the organization (a folder or project parent, or name when the parent is computed; " +
			"a parent that is no hierarchy name counts as below; a legacy folder or project policy), a policy also " +
			"relaxes a list constraint when a rule lists allowed values (values.allowedValues, " +
			"listPolicy.allow.values), which either adds them to the organization's list (inheritFromParent true) or " +
			"replaces it; when a managed-constraint rule sets its own parameters, which replace the organization's; " +
			"or when a list spec that has rules does not " +
			"inherit and has no unconditional denyAll, since it then replaces the inherited rules (a deny list alone " +
			"lets through every other value). " +
			"What an override lets through decides for the constraints whose values name identities: below the " +
			"organization, each allowed value of iam.workloadIdentityPoolProviders and iam.allowedPolicyMemberDomains, " +
			"and each entry of iam.managed.allowedPolicyMembers' allowedMemberSubjects and allowedPrincipalSets " +
			"parameters, is compared with what the pack knows is approved; an override that lets through only " +
			"approved identities narrows or repeats the organization's policy and passes, and each other value is a " +
			"violation. Approved are: an issuer in allowedIssuers (by default the issuers wif-provider-oidc-only " +
			"approves; the two lists must be kept in step), since the constraint's values are the issuer URIs of the " +
			"providers a pool may trust (https://cloud.google.com/iam/docs/manage-workload-identity-pools-providers#restrict); " +
			"a Workspace or Cloud Identity customer ID in allowedCustomerIds; an organization's principal set " +
			"(//cloudresourcemanager.googleapis.com/organizations/N or principalSet://iam.googleapis.com/organizations/N, " +
			"with or without is:), every principal of that organization, when the stack's own resources name that " +
			"organization (a project's orgId, the parent of a folder, tag key or organization policy, the orgId of " +
			"organization IAM, audit configs and log sinks) or allowedOrganizations lists it (when allowedOrganizations " +
			"is set it alone decides: a stack's author can name any organization, even with a resource that fails " +
			"to deploy after the override was applied, so a platform that does not trust its stacks sets it); a " +
			"principal listed in " +
			"allowedMembers (https://cloud.google.com/organization-policy/restrict-domains). allUsers and " +
			"allAuthenticatedUsers never are. When there is nothing to compare a value to (the list for its kind is " +
			"empty and, for principals, the stack names no organization), it cannot be decided and is reported as " +
			"unknown, naming the config property that would decide it. Organizations named by other resources of " +
			"the stack are read from its outputs, with the stack's resources (`check`, and the engine's stack " +
			"analysis after the resources are registered). At the organization itself an explicit allowlist is the " +
			"guardrail and passes, except for a constraint enforced by denying values (storage.restrictAuthTypes, " +
			"whose values are the HMAC-signed request types to refuse): there any allowed value is an exception, at " +
			"every level. For it, narrowing is denying more: a spec that does not inherit passes when its " +
			"unconditional denied values refuse every HMAC-signed request (in:ALL_HMAC_SIGNED_REQUESTS, or both " +
			"USER_ACCOUNT_HMAC_SIGNED_REQUESTS and SERVICE_ACCOUNT_HMAC_SIGNED_REQUESTS), while one that denies only " +
			"one type lets the other through and relaxes the constraint. " +
			"Enforce TRUE, denyAll, denied values and inheriting specs pass everywhere. A computed " +
			"constraint name, parent or rule is reported as unknown at preview when it could change the verdict " +
			"(a computed name is judged as the strictest guarded constraint).",
		Remediation: "Keep the constraint enforced: remove the policy (the constraint is then inherited), or set " +
			"enforce: TRUE / booleanPolicy.enforced: true; drop reset and allowAll. For a list constraint below the " +
			"organization, set inheritFromParent: true and add only denied values; for storage.restrictAuthTypes, " +
			"deny in:ALL_HMAC_SIGNED_REQUESTS and allow nothing. An override of the identity constraints may allow " +
			"only approved issuers, customers, organizations and principals: remove the others, or, after review, " +
			"add them to allowedIssuers (and wif-provider-oidc-only's), allowedCustomerIds, allowedOrganizations or " +
			"allowedMembers. If a project truly needs an " +
			"exception (a partner domain, one VM with an external IP), record it as a policy exception for this " +
			"resource, reviewed by the owners of the organization policy.",
		URL:      "https://cloud.google.com/resource-manager/docs/organization-policy/understanding-hierarchy",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyOrgPolicy,
		Types:    gcp.OrgPolicyTypes,
		ConfigSchema: `{"type":"object","properties":{
			"constraints":{"type":"array","items":{"type":"string","minLength":1},"default":[` +
			`"iam.disableServiceAccountKeyCreation","iam.disableServiceAccountKeyUpload",` +
			`"iam.managed.disableServiceAccountKeyCreation","iam.managed.disableServiceAccountKeyUpload",` +
			`"iam.workloadIdentityPoolProviders","iam.workloadIdentityPoolAwsAccounts",` +
			`"iam.automaticIamGrantsForDefaultServiceAccounts","iam.allowedPolicyMemberDomains",` +
			`"iam.managed.allowedPolicyMembers","compute.vmExternalIpAccess","compute.managed.vmExternalIpAccess",` +
			`"dataflow.enforceComputeDefaultServiceAccountCheck","storage.publicAccessPrevention",` +
			`"storage.uniformBucketLevelAccess","storage.restrictAuthTypes"],
				"description":"Constraints that must not be relaxed, with or without the constraints/ prefix (any case)."},
			"allowedIssuers":{"type":"array","items":{"type":"string","format":"uri","pattern":"^https://[^/?#]+"},"uniqueItems":true,
				"default":` + jsonList(defaultApprovedIssuers) + `,
				"description":"OIDC issuers an iam.workloadIdentityPoolProviders override below the organization may allow. Keep it in step with wif-provider-oidc-only's allowedIssuers."},
			"allowedOrganizations":{"type":"array","items":{"type":"string","pattern":"^(organizations/)?[0-9]+$"},"uniqueItems":true,"default":[],
				"description":"Organizations (numeric IDs) whose principal set an override of iam.allowedPolicyMemberDomains or iam.managed.allowedPolicyMembers may allow, besides those the stack's own resources name."},
			"allowedCustomerIds":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Google Workspace or Cloud Identity customer IDs (C0...) an iam.allowedPolicyMemberDomains override below the organization may allow."},
			"allowedMembers":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Principals and principal sets (user:..., group:..., serviceAccount:..., principalSet://...) an iam.managed.allowedPolicyMembers override below the organization may allow; never allUsers or allAuthenticatedUsers."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *orgPolicyGuardrailsConfig) {
		view, ok := gcp.ReadOrgPolicy(r)
		if !ok {
			return
		}
		// While the constraint is unknown, judge as if it were the strictest
		// guarded one: a deny-list constraint, where any allowed value
		// relaxes, if one is guarded.
		e := &orgPolicyEval{view: view, cfg: cfg, denyList: cfg.anyDenyList}
		if !view.Constraint.IsUnknown() {
			name, known := view.ConstraintName()
			if !known {
				return
			}
			if e.name, known = cfg.guarded[name]; !known {
				return
			}
			e.canonical = name
			e.denyList = gcp.IsDenyListConstraint(name)
		}
		for _, s := range view.Specs {
			e.spec(s)
		}
		if view.Constraint.IsUnknown() {
			if len(e.found) > 0 || len(e.undecided) > 0 {
				c.Unknown(view.Constraint.Path())
			}
			for _, u := range e.undecidedPaths() {
				if u != view.Constraint.Path() {
					c.Unknown(u)
				}
			}
			return
		}
		for _, f := range e.found {
			c.Violation(f.path, "%s", f.message)
		}
		for _, u := range e.undecidedPaths() {
			c.Unknown(u)
		}
		for _, u := range e.needsConfig {
			c.Undecided(u.path, "%s", u.message)
		}
	})
	// Whether a principal set or principal is approved can depend on the
	// organizations other resources of the stack name: that is decided with
	// the stack, for the values the resource check left to it.
	return policy.WithStackCheck(p, func(c *policy.Call, s *gcp.Stack, cfg *orgPolicyGuardrailsConfig) {
		var orgs *stackOrganizations
		for _, r := range s.OfType(gcp.OrgPolicyTypes...) {
			if r.External {
				continue
			}
			view, _ := gcp.ReadOrgPolicy(r)
			name, known := view.ConstraintName()
			if !known || view.Constraint.HasUnknown() || identityKindOf(name) == notIdentity || cfg.guarded[name] == "" {
				continue
			}
			if orgs == nil {
				orgs = newStackOrganizations(s)
			}
			e := &orgPolicyEval{view: view, cfg: cfg, name: cfg.guarded[name], canonical: name,
				denyList: gcp.IsDenyListConstraint(name), stack: orgs}
			for _, spec := range view.Specs {
				e.spec(spec)
			}
			for _, f := range e.stackFound {
				c.ViolationOn(r, f.path, "%s", f.message)
			}
			for _, u := range e.needsConfig {
				c.UndecidedOn(r, u.path, "%s", u.message)
			}
			for _, u := range e.stackUnknown {
				c.UnknownOn(u.Resource, u.Value.Path())
			}
		}
	})
}

// stackOrganizations are the organizations a stack's own resources name.
type stackOrganizations struct {
	ids     map[string]bool
	unknown []gcp.OrganizationRef // preview: what could name another one
}

func newStackOrganizations(s *gcp.Stack) *stackOrganizations {
	ids, unknown := s.Organizations()
	o := &stackOrganizations{ids: map[string]bool{}, unknown: unknown}
	for _, id := range ids {
		o.ids[id] = true
	}
	return o
}

// identityKind is what the values of a constraint name, for the
// constraints an override is judged value by value.
type identityKind uint8

const (
	notIdentity identityKind = iota
	issuerValues
	customerValues
	memberValues
)

func identityKindOf(canonical string) identityKind {
	switch canonical {
	case gcp.ConstraintPoolProviders:
		return issuerValues
	case gcp.ConstraintAllowedMemberDomains:
		return customerValues
	case gcp.ConstraintAllowedPolicyMembers:
		return memberValues
	}
	return notIdentity
}

// orgPolicyEval collects the relaxations of one policy resource before the
// constraint it configures is known to be guarded.
type orgPolicyEval struct {
	view      gcp.OrgPolicyView
	cfg       *orgPolicyGuardrailsConfig
	name      string // the guarded constraint as configured ("" while unknown)
	canonical string // its canonical name ("" while unknown)
	// denyList: the constraint is enforced by denying values, so an allowed
	// value relaxes it at any level (gcp.IsDenyListConstraint).
	denyList  bool
	found     []orgPolicyFinding
	undecided []string
	// needsConfig are values nothing the pack knows decides: the message
	// names the config property that would.
	needsConfig []orgPolicyFinding
	// stack is set in the stack check, which reports only what the resource
	// check left to it: stackFound and stackUnknown.
	stack        *stackOrganizations
	stackFound   []orgPolicyFinding
	stackUnknown []gcp.OrganizationRef
}

type orgPolicyFinding struct{ path, message string }

// dryRunText words what a spec does, for a dry-run spec too.
func dryRunText(s gcp.OrgPolicySpec, what, fix string) string {
	if s.DryRun {
		return "dry-run spec " + what + " (audited only until it is promoted to spec); " + fix
	}
	return what + "; " + fix
}

// relax records a relaxation: what the spec does, then the fix. The stack
// check leaves them to the resource check.
func (e *orgPolicyEval) relax(s gcp.OrgPolicySpec, path, what, fix string) {
	if e.stack == nil {
		e.found = append(e.found, orgPolicyFinding{path, dryRunText(s, what, fix)})
	}
}

func (e *orgPolicyEval) unknown(v gcp.Value) bool {
	if v.HasUnknown() {
		e.undecided = append(e.undecided, v.Path())
		return true
	}
	return false
}

// below reports whether the policy sits below the organization. decided is
// false when the parent is not known at preview.
func (e *orgPolicyEval) below() (below, decided bool) {
	switch e.view.Scope {
	case gcp.ScopeOrganization:
		return false, true
	case gcp.ScopeFolder, gcp.ScopeProject:
		return true, true
	}
	if e.view.ScopeValue.IsUnknown() {
		return false, false
	}
	return true, true // not a hierarchy name: assume the worst
}

// belowOrg reports a finding that only holds below the organization, or
// the parent as undecided when that is not known yet.
func (e *orgPolicyEval) belowOrg(s gcp.OrgPolicySpec, path, what, fix string) {
	below, decided := e.below()
	switch {
	case !decided:
		e.undecided = append(e.undecided, e.view.ScopeValue.Path())
	case below:
		e.relax(s, path, what, fix)
	}
}

// isTrue reads a boolean (or "TRUE"/"FALSE" string) that is known.
func isTrue(v gcp.Value) bool {
	b, ok := v.Bool()
	return ok && b
}

func isFalse(v gcp.Value) bool {
	b, ok := v.Bool()
	return ok && !b
}

// flag reads a rule's enforce / allowAll / denyAll as the provider sends
// it: a v2 rule's "TRUE"/"FALSE" string strictly (gcp.EnumBool), a legacy
// boolean as a boolean. ok is false when it sends no value.
func flag(s gcp.OrgPolicySpec, v gcp.Value) (on, ok bool) {
	if s.Legacy {
		return v.Bool()
	}
	return gcp.EnumBool(v)
}

// says reports whether a rule flag sends anything: the provider sends an
// empty or blank string as no value, the same as an absent one (inputs of
// an imported policy carry unset flags as "").
func says(v gcp.Value) bool {
	s, isString := v.String()
	return !v.IsAbsent() && !(isString && strings.TrimSpace(s) == "")
}

// allowsAll reads allowAll leniently: any spelling of true relaxes.
func allowsAll(s gcp.OrgPolicySpec, v gcp.Value) bool {
	on, ok := flag(s, v)
	return ok && on || isTrue(v)
}

// deniesAll reads denyAll strictly: only what the provider sends as true
// protects.
func deniesAll(s gcp.OrgPolicySpec, v gcp.Value) bool {
	on, ok := flag(s, v)
	return ok && on
}

func (e *orgPolicyEval) spec(s gcp.OrgPolicySpec) {
	if s.IsUnknown() {
		e.undecided = append(e.undecided, s.Path())
		return
	}
	name := e.name
	if !e.unknown(s.Reset) && isTrue(s.Reset) {
		e.relax(s, s.Reset.Path(), "resets "+name+" to Google's default here, dropping the enforcement set above",
			"remove the reset and keep the constraint enforced")
	}
	if s.RulesValue.IsUnknown() {
		e.undecided = append(e.undecided, s.RulesValue.Path())
		return
	}
	inherits := isTrue(s.InheritFromParent)
	// restricts: an unconditional allowlist of an identity constraint, so
	// every value it does not list is denied; denied: the unconditional
	// denied values of storage.restrictAuthTypes.
	var widened, listRules, denyAll, restricts bool
	var denyAllUnknown []gcp.Value
	var denied []string
	kind := identityKindOf(e.canonical)
	for _, rule := range s.Rules {
		if rule.IsUnknown() {
			e.undecided = append(e.undecided, rule.Path())
			continue
		}
		where := ""
		if rule.IsConditional() {
			where = " for the resources its condition matches"
		}
		if !e.unknown(rule.Enforce) && says(rule.Enforce) {
			switch on, ok := flag(s, rule.Enforce); {
			case ok && !on, !ok && isFalse(rule.Enforce):
				e.relax(s, rule.Enforce.Path(), "disables "+name+where, "enforce it (enforce: TRUE) or remove the rule")
			case !ok && !s.Legacy:
				e.relax(s, rule.Enforce.Path(), "is "+rule.Enforce.Display()+", which the provider sends as no value "+
					"(only TRUE or FALSE, in any case), so this rule does not enforce "+name+where, "set enforce: TRUE")
			}
		}
		if says(rule.AllowAll) || says(rule.DenyAll) || !rule.AllowedValues.IsAbsent() || !rule.DeniedValues.IsAbsent() {
			listRules = true
		}
		if !e.unknown(rule.AllowAll) && allowsAll(s, rule.AllowAll) {
			widened = true
			e.relax(s, rule.AllowAll.Path(), "allows every value of "+name+where, "remove allowAll")
		}
		switch {
		case rule.DenyAll.IsUnknown():
			denyAllUnknown = append(denyAllUnknown, rule.DenyAll)
		case deniesAll(s, rule.DenyAll) && rule.Condition.IsUnknown():
			denyAllUnknown = append(denyAllUnknown, rule.Condition)
		case deniesAll(s, rule.DenyAll) && !rule.IsConditional():
			denyAll = true
		}
		if e.canonical == gcp.ConstraintRestrictAuthTypes {
			switch {
			case rule.Condition.IsUnknown():
				denyAllUnknown = append(denyAllUnknown, rule.Condition)
			case rule.DeniedValues.HasUnknown():
				denyAllUnknown = append(denyAllUnknown, rule.DeniedValues)
			case !rule.IsConditional():
				for _, v := range rule.DeniedValues.Items() {
					denied = append(denied, v.Str())
				}
			}
		}
		switch {
		case rule.AllowedValues.IsUnknown() && e.denyList:
			e.undecided = append(e.undecided, rule.AllowedValues.Path())
		case rule.AllowedValues.IsUnknown():
			e.belowOrgUnknown(rule.AllowedValues)
		case len(rule.AllowedValues.Items()) > 0 && kind != notIdentity:
			// What an identity allowlist lets through decides, value by value.
			e.judgeIdentities(s, kind, rule.AllowedValues.Items(), where)
			restricts = restricts || !rule.IsConditional()
		case len(rule.AllowedValues.Items()) > 0:
			widened = true
			if e.denyList {
				e.relax(s, rule.AllowedValues.Path(), "lists allowed values for "+name+", a constraint enforced by "+
					"denying values, so the values listed stay allowed"+where,
					"deny them instead and remove the allowed values")
			}
			// Elsewhere an allowlist is the guardrail at the organization and,
			// below it, lets through what the organization does not allow.
			// While the constraint is unknown both readings count.
			if !e.denyList || e.name == "" {
				how := "replaces the organization's allowed values for " + name + " with its own"
				if inherits {
					how = "adds allowed values to the organization's list for " + name
				}
				e.belowOrg(s, rule.AllowedValues.Path(), how+" below the organization"+where+
					", letting through values the organization does not allow", "remove the allowed values")
			}
		}
		switch {
		case rule.Parameters.IsUnknown():
			e.belowOrgUnknown(rule.Parameters)
		case hasParameters(rule.Parameters) && kind == memberValues:
			e.judgeParameters(s, rule, where)
		case hasParameters(rule.Parameters):
			widened = true
			e.belowOrg(s, rule.Parameters.Path(), "sets its own parameters for "+name+" below the organization"+
				where+", replacing the organization's", "remove them and inherit the organization's policy")
		}
	}
	if !s.Legacy && len(s.Rules) == 0 && !isTrue(s.Reset) {
		if e.unknown(s.InheritFromParent) || inherits {
			return
		}
		e.relax(s, s.Path(), "sets no rule and does not inherit from its parent, so "+name+
			" falls back to Google's default here", "add a rule that enforces it, or remove the policy")
		return
	}
	// A list spec below the organization that does not inherit replaces
	// the rules set above it, unless it denies everything, allows only what
	// it lists, or (storage.restrictAuthTypes) denies every HMAC type.
	deniesHMAC := e.canonical == gcp.ConstraintRestrictAuthTypes && gcp.DeniesEveryHMACType(denied)
	if !listRules || widened || denyAll || restricts || deniesHMAC || inherits {
		return
	}
	if below, decided := e.below(); decided && !below || e.unknown(s.InheritFromParent) {
		return
	}
	if len(denyAllUnknown) > 0 {
		for _, v := range denyAllUnknown {
			e.belowOrgUnknown(v)
		}
		return
	}
	if e.canonical == gcp.ConstraintRestrictAuthTypes {
		e.belowOrg(s, s.InheritFromParent.Path(), "replaces the rules for "+name+" inherited from the organization "+
			"without denying every HMAC-signed request type, so the types it does not deny become allowed here",
			"deny in:ALL_HMAC_SIGNED_REQUESTS, or set inheritFromParent: true to add to the inherited rules")
		return
	}
	e.belowOrg(s, s.InheritFromParent.Path(), "replaces the rules for "+name+" inherited from the organization "+
		"without denying all values, so values the organization does not allow become allowed here",
		"set inheritFromParent: true to add to the inherited rules")
}

// judgeIdentities judges the allowed values of an identity constraint by
// what they let through below the organization, where an override that
// lists only approved identities narrows (or repeats) the organization's
// policy. At the organization the allowlist is the guardrail itself.
func (e *orgPolicyEval) judgeIdentities(s gcp.OrgPolicySpec, kind identityKind, items []gcp.Value, where string) {
	below, decided := e.below()
	if decided && !below {
		return
	}
	for _, item := range items {
		if item.HasUnknown() {
			if e.stack == nil {
				e.undecided = append(e.undecided, item.Path())
			}
			continue
		}
		text, isString := item.String()
		if !isString {
			text = item.Display()
		}
		// The stack check decides only what the resource check left to it.
		first := e.cfg.judge(kind, text, nil)
		if first.verdict == approved || (e.stack != nil) != (first.verdict == needsStack) {
			continue
		}
		v := first
		if e.stack != nil {
			v = e.cfg.judge(kind, text, e.stack)
		}
		if v.verdict == approved {
			continue
		}
		if item.Secret() {
			v.what = "a value read from a secret"
		}
		if !decided {
			if e.stack == nil {
				e.undecided = append(e.undecided, e.view.ScopeValue.Path())
			}
			continue
		}
		what := "allows " + v.what + " for " + e.name + " below the organization" + where
		switch v.verdict {
		case rejected:
			f := orgPolicyFinding{item.Path(), dryRunText(s, what+", "+v.reason, v.fix)}
			if e.stack == nil {
				e.found = append(e.found, f)
			} else {
				e.stackFound = append(e.stackFound, f)
			}
		case undecided:
			msg := what + ", and nothing the pack knows decides whether it is approved: " + v.decide
			if s.DryRun {
				msg = "dry-run spec " + msg
			}
			e.needsConfig = append(e.needsConfig, orgPolicyFinding{item.Path(), msg})
		case stackUnknown:
			e.stackUnknown = append(e.stackUnknown, e.stack.unknown...)
		}
	}
}

// judgeParameters judges iam.managed.allowedPolicyMembers parameters, the
// principals and principal sets the override lets be granted roles.
// Parameters it cannot read relax the constraint, as any other parameters
// below the organization do.
func (e *orgPolicyEval) judgeParameters(s gcp.OrgPolicySpec, rule gcp.OrgPolicyRule, where string) {
	params, ok := rule.ParsedParameters()
	if !ok {
		e.belowOrg(s, rule.Parameters.Path(), "sets parameters for "+e.name+" below the organization"+where+
			" that are no JSON object naming each parameter once, so what they let through cannot be told",
			"set allowedMemberSubjects and allowedPrincipalSets once each, in a JSON object")
		return
	}
	for _, entry := range params.Entries() {
		switch {
		case !slices.Contains(gcp.AllowedPolicyMembersParameters, entry.Key):
			e.belowOrg(s, entry.Value.Path(), "sets the parameter "+entry.Key+" of "+e.name+" below the organization"+
				where+", which is neither allowedMemberSubjects nor allowedPrincipalSets",
				"remove it and list principals in allowedMemberSubjects or allowedPrincipalSets")
		case entry.Value.IsArray():
			e.judgeIdentities(s, memberValues, entry.Value.Items(), where)
		case entry.Value.IsSet():
			e.belowOrg(s, entry.Value.Path(), "sets "+entry.Key+" of "+e.name+" below the organization"+where+
				" to something other than a list", "make it a list of principals")
		}
	}
}

// approval is the verdict on one value an identity allowlist lets through.
type approval uint8

const (
	approved approval = iota
	rejected
	undecided    // no list to compare with: config would decide
	needsStack   // the organizations the stack names decide
	stackUnknown // as needsStack, but some are not known yet (preview)
)

type identityVerdict struct {
	verdict      approval
	what, reason string // what the value lets through; why it is not approved
	fix, decide  string // the remedy; what config decides it
}

// judge decides one allowed value. stack is nil in the resource check,
// where a verdict the stack's organizations could change is needsStack.
func (c *orgPolicyGuardrailsConfig) judge(kind identityKind, value string, stack *stackOrganizations) identityVerdict {
	text := gcp.OrgPolicyValue(value)
	if id, ok := gcp.OrganizationPrincipalSet(text); ok {
		v := identityVerdict{what: "every principal of organization " + id,
			reason: "an organization the stack's resources do not name and allowedOrganizations does not list",
			fix:    "remove it, or add the organization to allowedOrganizations after review",
			decide: "the stack names no organization; set allowedOrganizations to the organizations an override may allow"}
		// Configured organizations alone decide when there are any: a stack
		// can name any organization, even with a resource that then fails to
		// deploy after the override was applied.
		switch {
		case c.orgs[id]:
			v.verdict = approved
		case len(c.orgs) > 0:
			v.verdict, v.reason = rejected, "an organization allowedOrganizations does not list"
		case stack == nil:
			v.verdict = needsStack
		case stack.ids[id]:
			v.verdict = approved
		case len(stack.unknown) > 0:
			v.verdict = stackUnknown
		case len(stack.ids) == 0:
			v.verdict = undecided
		default:
			v.verdict = rejected
		}
		return v
	}
	switch kind {
	case issuerValues:
		v := identityVerdict{what: "identity provider " + text, reason: "an issuer allowedIssuers does not approve",
			fix:    "remove it, or add the issuer to allowedIssuers and to wif-provider-oidc-only's allowedIssuers after review",
			decide: "allowedIssuers is empty; set it to the issuers an override may allow (as wif-provider-oidc-only's)"}
		switch {
		case c.issuerApproved(text):
			v.verdict = approved
		case len(c.issuers) == 0:
			v.verdict = undecided
		default:
			v.verdict = rejected
		}
		return v
	case customerValues:
		v := identityVerdict{what: "every principal of customer " + text,
			reason: "a customer allowedCustomerIds does not list",
			fix:    "remove it, or add the customer ID to allowedCustomerIds after review",
			decide: "allowedCustomerIds is empty; set it to the Workspace or Cloud Identity customer IDs an override may allow"}
		switch {
		case c.customerApproved(text):
			v.verdict = approved
		case len(c.AllowedCustomerIDs) == 0:
			v.verdict = undecided
		default:
			v.verdict = rejected
		}
		return v
	}
	m := gcp.ParseMember(text)
	v := identityVerdict{what: text, reason: "a principal allowedMembers does not list",
		fix: "remove it, or add it to allowedMembers after review",
		decide: "allowedMembers and allowedOrganizations are empty and the stack names no organization; set " +
			"allowedMembers to the principals an override may allow"}
	switch {
	case m.Public():
		v.verdict, v.reason, v.fix = rejected, "which lets anyone be granted roles", "remove it"
	case c.members[m.Key()]:
		v.verdict = approved
	case len(c.members) > 0 || len(c.orgs) > 0:
		v.verdict = rejected
	case stack == nil:
		v.verdict = needsStack
	case len(stack.ids) > 0:
		v.verdict = rejected
	case len(stack.unknown) > 0:
		v.verdict = stackUnknown
	default:
		v.verdict = undecided
	}
	return v
}

// undecidedPaths lists the undecided paths once each, in order.
func (e *orgPolicyEval) undecidedPaths() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range e.undecided {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// belowOrgUnknown records an unknown value that matters only below the
// organization.
func (e *orgPolicyEval) belowOrgUnknown(v gcp.Value) {
	below, decided := e.below()
	if below || !decided {
		e.undecided = append(e.undecided, v.Path())
	}
}

// hasParameters reports whether a managed-constraint parameters value says
// anything (not empty, not an empty JSON object).
func hasParameters(v gcp.Value) bool {
	s, ok := v.String()
	if !ok {
		return v.IsSet()
	}
	s = strings.Join(strings.Fields(s), "")
	return s != "" && s != "{}" && s != "null"
}
