package policies

import (
	"fmt"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type orgPolicyGuardrailsConfig struct {
	Constraints []string          `json:"constraints"`
	guarded     map[string]string // canonical name -> name as configured
	anyDenyList bool              // a guarded constraint is enforced by denying values
}

// Validate indexes the guarded constraints by canonical name.
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
	return nil
}

// OrgPolicyGuardrailsNotRelaxed forbids organization policies that disable,
// reset, allow all of, or widen the constraints that back the pack's
// guardrails, including every constraint another policy recommends
// (guarded_constraints_test.go keeps the default list complete).
func OrgPolicyGuardrailsNotRelaxed() *policy.Policy {
	return policy.Resource(policy.Meta{
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
			"a parent that is no hierarchy name counts as below; a legacy folder or project policy), a policy also relaxes a list constraint when a rule lists allowed values (values.allowedValues, " +
			"listPolicy.allow.values), which either adds them to the organization's list (inheritFromParent true) or " +
			"replaces it; when a managed-constraint rule sets its own parameters, which replace the organization's " +
			"(for iam.managed.allowedPolicyMembers, its member allowlist); or when a list spec that has rules does not " +
			"inherit and has no unconditional denyAll, since it then replaces the inherited rules (a deny list alone " +
			"lets through every other value). At the organization itself an explicit allowlist is the guardrail and " +
			"passes, except for a constraint enforced by denying values (storage.restrictAuthTypes, whose values are " +
			"the HMAC-signed request types to refuse): there any allowed value is an exception, at every level. " +
			"Enforce TRUE, denyAll, denied values and inheriting specs pass everywhere. A computed " +
			"constraint name, parent or rule is reported as unknown at preview when it could change the verdict " +
			"(a computed name is judged as the strictest guarded constraint).",
		Remediation: "Keep the constraint enforced: remove the policy (the constraint is then inherited), or set " +
			"enforce: TRUE / booleanPolicy.enforced: true; drop reset and allowAll. For a list constraint below the " +
			"organization, set inheritFromParent: true and add only denied values; for storage.restrictAuthTypes, " +
			"deny in:ALL_HMAC_SIGNED_REQUESTS and allow nothing. If a project truly needs an " +
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
				"description":"Constraints that must not be relaxed, with or without the constraints/ prefix (any case)."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *orgPolicyGuardrailsConfig) {
		view, ok := gcp.ReadOrgPolicy(r)
		if !ok {
			return
		}
		// While the constraint is unknown, judge as if it were the strictest
		// guarded one: a deny-list constraint, where any allowed value
		// relaxes, if one is guarded.
		e := &orgPolicyEval{view: view, denyList: cfg.anyDenyList}
		if !view.Constraint.IsUnknown() {
			name, known := view.ConstraintName()
			if !known {
				return
			}
			if e.name, known = cfg.guarded[name]; !known {
				return
			}
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
	})
}

// orgPolicyEval collects the relaxations of one policy resource before the
// constraint it configures is known to be guarded.
type orgPolicyEval struct {
	view gcp.OrgPolicyView
	name string // the guarded constraint as configured ("" while unknown)
	// denyList: the constraint is enforced by denying values, so an allowed
	// value relaxes it at any level (gcp.IsDenyListConstraint).
	denyList  bool
	found     []orgPolicyFinding
	undecided []string
}

type orgPolicyFinding struct{ path, message string }

// relax records a relaxation: what the spec does, then the fix.
func (e *orgPolicyEval) relax(s gcp.OrgPolicySpec, path, what, fix string) {
	msg := what + "; " + fix
	if s.DryRun {
		msg = "dry-run spec " + what + " (audited only until it is promoted to spec); " + fix
	}
	e.found = append(e.found, orgPolicyFinding{path, msg})
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
	var widened, listRules, denyAll bool
	var denyAllUnknown []gcp.Value
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
		switch {
		case rule.AllowedValues.IsUnknown() && e.denyList:
			e.undecided = append(e.undecided, rule.AllowedValues.Path())
		case rule.AllowedValues.IsUnknown():
			e.belowOrgUnknown(rule.AllowedValues)
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
	// the rules set above it, unless it denies everything.
	if !listRules || widened || denyAll || inherits {
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
	e.belowOrg(s, s.InheritFromParent.Path(), "replaces the rules for "+name+" inherited from the organization "+
		"without denying all values, so values the organization does not allow become allowed here",
		"set inheritFromParent: true to add to the inherited rules")
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
