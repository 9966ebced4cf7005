package gcp

import (
	"encoding/json"
	"slices"
	"strings"
)

// Organization policy type tokens: the Org Policy v2 resource and the three
// legacy (Cloud Resource Manager v1) ones.
const (
	OrgPolicy                 = "gcp:orgpolicy/policy:Policy"
	OrganizationPolicy        = "gcp:organizations/policy:Policy"
	FolderOrganizationPolicy  = "gcp:folder/organizationPolicy:OrganizationPolicy"
	ProjectOrganizationPolicy = "gcp:projects/organizationPolicy:OrganizationPolicy"
)

// OrgPolicyTypes are the resource types that set an organization policy.
var OrgPolicyTypes = []string{OrgPolicy, OrganizationPolicy, FolderOrganizationPolicy, ProjectOrganizationPolicy}

// OrgPolicyView is one organization policy resource read the same way
// whatever its shape.
type OrgPolicyView struct {
	// Constraint is the value that names the constraint: `name` of a v2
	// Policy (`projects/P/policies/iam.disableServiceAccountKeyCreation`) or
	// `constraint` of a legacy one (with or without `constraints/`).
	Constraint Value
	// Scope is where the policy is set (ScopeOrganization, ScopeFolder or
	// ScopeProject): from a v2 Policy's `parent` (or, when that is not a
	// known hierarchy name, its name), from the type for the legacy ones.
	// It is 0 when neither tells.
	Scope Scope
	// ScopeValue is the value the scope was read from (absent for the
	// legacy types, whose scope is their type).
	ScopeValue Value
	// Specs are the policy's specs: a v2 Policy's `spec` and `dryRunSpec`
	// when present; a legacy policy's booleanPolicy, listPolicy and
	// restorePolicy as one spec, unless none of them is set (the constraint
	// is then merely inherited).
	Specs []OrgPolicySpec
}

// OrgPolicySpec is one set of rules of a policy.
type OrgPolicySpec struct {
	// Value is the spec (`spec`, `dryRunSpec`) or, for a legacy policy, the
	// resource itself.
	Value
	// DryRun is true for a v2 `dryRunSpec`, which is only audited.
	DryRun bool
	// Legacy is true for the v1 shapes.
	Legacy bool
	// Reset restores the constraint's Google default below this point:
	// `spec.reset` or `restorePolicy.default`.
	Reset Value
	// InheritFromParent: `spec.inheritFromParent` or
	// `listPolicy.inheritFromParent` (absent means false in both APIs).
	InheritFromParent Value
	// RulesValue is the v2 `rules` list as read (absent for legacy specs):
	// an unknown list hides rules at preview.
	RulesValue Value
	// Rules are the known rules: the entries of a v2 `rules` list, or the
	// legacy booleanPolicy and listPolicy blocks, each as one rule.
	Rules []OrgPolicyRule
}

// OrgPolicyRule is one rule. Fields a shape does not have are absent.
type OrgPolicyRule struct {
	// Value is the rule (v2) or the booleanPolicy / listPolicy block.
	Value
	// Condition is a v2 rule's condition (tag-based); absent for legacy.
	Condition Value
	// Enforce is `enforce` ("TRUE"/"FALSE") or `booleanPolicy.enforced`;
	// Value.Bool reads both.
	Enforce Value
	// AllowAll and DenyAll are `allowAll`/`denyAll` ("TRUE") or
	// `listPolicy.allow.all`/`listPolicy.deny.all`.
	AllowAll, DenyAll Value
	// AllowedValues and DeniedValues are `values.allowedValues` /
	// `values.deniedValues` or `listPolicy.allow.values` /
	// `listPolicy.deny.values`.
	AllowedValues, DeniedValues Value
	// Parameters is a v2 rule's managed-constraint parameters (a JSON
	// string); absent for legacy.
	Parameters Value
}

// ReadOrgPolicy returns the view of an organization policy resource; ok is
// false for any other type.
func ReadOrgPolicy(r *Resource) (OrgPolicyView, bool) {
	switch r.Type {
	case OrgPolicy:
		return readOrgPolicyV2(r), true
	case OrganizationPolicy, FolderOrganizationPolicy, ProjectOrganizationPolicy:
		return readOrgPolicyV1(r), true
	}
	return OrgPolicyView{}, false
}

func readOrgPolicyV2(r *Resource) OrgPolicyView {
	v := OrgPolicyView{Constraint: r.Get("name")}
	v.ScopeValue = r.Get("parent")
	v.Scope = scopeOf(v.ScopeValue.Str())
	if v.Scope == 0 && !v.Constraint.IsUnknown() {
		if s := scopeOf(v.Constraint.Str()); s != 0 {
			v.Scope, v.ScopeValue = s, v.Constraint
		}
	}
	for _, key := range []string{"spec", "dryRunSpec"} {
		spec := r.Get(key)
		if spec.IsAbsent() {
			continue
		}
		s := OrgPolicySpec{Value: spec, DryRun: key == "dryRunSpec",
			Reset: spec.Get("reset"), InheritFromParent: spec.Get("inheritFromParent"), RulesValue: spec.Get("rules")}
		for _, rule := range s.RulesValue.Items() {
			s.Rules = append(s.Rules, OrgPolicyRule{
				Value:         rule,
				Condition:     rule.Get("condition"),
				Enforce:       rule.Get("enforce"),
				AllowAll:      rule.Get("allowAll"),
				DenyAll:       rule.Get("denyAll"),
				AllowedValues: rule.At("values", "allowedValues"),
				DeniedValues:  rule.At("values", "deniedValues"),
				Parameters:    rule.Get("parameters"),
			})
		}
		v.Specs = append(v.Specs, s)
	}
	return v
}

func readOrgPolicyV1(r *Resource) OrgPolicyView {
	v := OrgPolicyView{Constraint: r.Get("constraint")}
	switch r.Type {
	case OrganizationPolicy:
		v.Scope = ScopeOrganization
	case FolderOrganizationPolicy:
		v.Scope = ScopeFolder
	default:
		v.Scope = ScopeProject
	}
	boolean, list, restore := r.Get("booleanPolicy"), r.Get("listPolicy"), r.Get("restorePolicy")
	if boolean.IsAbsent() && list.IsAbsent() && restore.IsAbsent() {
		return v
	}
	s := OrgPolicySpec{Value: r.Root(), Legacy: true, Reset: restore.Get("default"), InheritFromParent: list.Get("inheritFromParent")}
	if !boolean.IsAbsent() {
		s.Rules = append(s.Rules, OrgPolicyRule{Value: boolean, Enforce: boolean.Get("enforced")})
	}
	if !list.IsAbsent() {
		s.Rules = append(s.Rules, OrgPolicyRule{
			Value:         list,
			AllowAll:      list.At("allow", "all"),
			DenyAll:       list.At("deny", "all"),
			AllowedValues: list.At("allow", "values"),
			DeniedValues:  list.At("deny", "values"),
		})
	}
	v.Specs = append(v.Specs, s)
	return v
}

// scopeOf reads the hierarchy level a parent (`organizations/123`,
// `folders/456`, `projects/p`) or a v2 policy name starts with.
func scopeOf(name string) Scope {
	name = strings.TrimSpace(name)
	switch {
	case strings.HasPrefix(name, "organizations/"):
		return ScopeOrganization
	case strings.HasPrefix(name, "folders/"):
		return ScopeFolder
	case strings.HasPrefix(name, "projects/"):
		return ScopeProject
	}
	return 0
}

// ConstraintName returns the constraint a policy configures, without the
// `constraints/` prefix and, for a v2 name, without the
// `<parent>/policies/` part; ok is false when the value is not a known
// non-empty string.
func (v OrgPolicyView) ConstraintName() (string, bool) {
	s, ok := v.Constraint.String()
	if !ok {
		return "", false
	}
	n := CanonicalConstraintName(s)
	return n, n != ""
}

// CanonicalConstraintName strips a v2 policy name down to its constraint
// and drops the `constraints/` prefix, so `constraints/iam.x`,
// `projects/p/policies/iam.x` and `iam.x` compare equal. Constraint names
// are compared case-insensitively (none differ only by case), so the
// result is lower case.
func CanonicalConstraintName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndex(s, "/policies/"); i >= 0 {
		s = strings.TrimSpace(s[i+len("/policies/"):])
	}
	return strings.TrimSpace(strings.TrimPrefix(s, "constraints/"))
}

// denyListConstraints are the list constraints enforced by denying values:
// every value names something the constraint exists to refuse, so an
// allowed value is an exception at any level, even in an organization's
// own policy (Google's Cloud Storage posture check counts only denied
// values, or denyAll, as restricting HMAC). Keys are canonical names.
var denyListConstraints = map[string]bool{
	// the authentication types Cloud Storage refuses: user and service
	// account HMAC-signed requests, or the groups in:ALL_HMAC_SIGNED_REQUESTS
	// and in:ALL_SIGNED_REQUESTS
	"storage.restrictauthtypes": true,
}

// IsDenyListConstraint reports whether a list constraint is enforced by
// denying values (storage.restrictAuthTypes), so allowing a value relaxes it
// wherever the policy is set. The name may be spelled any way
// CanonicalConstraintName accepts.
func IsDenyListConstraint(name string) bool {
	return denyListConstraints[CanonicalConstraintName(name)]
}

// EnumBool reads an Org Policy v2 rule flag (`enforce`, `allowAll`,
// `denyAll`, the strings "TRUE" and "FALSE") as the provider does: either
// word in any case, nothing else. Any other string (" TRUE", "1", "yes")
// reaches the API as no value, so ok is false for it. A real boolean reads
// as itself.
func EnumBool(v Value) (b, ok bool) {
	s, isString := v.String()
	if !isString {
		return v.Bool()
	}
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// IsConditional reports whether a rule applies only where its condition
// holds: a set (or unknown) v2 condition.
func (r OrgPolicyRule) IsConditional() bool { return !r.Condition.IsAbsent() }

// Canonical names of the list and managed constraints whose allowed values
// name identities: issuers a workload identity pool provider may trust, the
// customers and organizations whose principals may be granted roles, and
// the principals iam.managed.allowedPolicyMembers lets be granted roles.
const (
	ConstraintPoolProviders        = "iam.workloadidentitypoolproviders"
	ConstraintAllowedMemberDomains = "iam.allowedpolicymemberdomains"
	ConstraintAllowedPolicyMembers = "iam.managed.allowedpolicymembers"
	ConstraintRestrictAuthTypes    = "storage.restrictauthtypes"
)

// AllowedPolicyMembersParameters are the parameters of
// iam.managed.allowedPolicyMembers, both lists of what may be granted roles:
// principals (`user:…`, `serviceAccount:…`, `principal://…`) and principal
// sets (`//cloudresourcemanager.googleapis.com/organizations/N`, …)
// (https://cloud.google.com/organization-policy/restrict-domains).
var AllowedPolicyMembersParameters = []string{"allowedMemberSubjects", "allowedPrincipalSets"}

// ParsedParameters reads a managed-constraint rule's parameters, a JSON
// object that pulumi-gcp sends as a string, into a Value whose paths
// continue inside it (`spec.rules[0].parameters.allowedMemberSubjects[1]`).
// ok is false when parameters is set but is no JSON object; an unknown or
// absent value is returned as it is.
func (r OrgPolicyRule) ParsedParameters() (Value, bool) {
	v := r.Parameters
	if !v.IsSet() || v.IsMap() {
		return v, !v.IsSet() || v.IsMap()
	}
	s, ok := v.String()
	if !ok || repeatsTopLevelKey(s) {
		// A repeated parameter may be read either way by the API: refuse it.
		return v, false
	}
	if doc, ok := parsePlainJSON(s); ok {
		return v.child(doc, v.path).detached(), doc.IsMap()
	}
	var doc any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return v, false
	}
	_, isObject := doc.(map[string]any)
	return v.child(FromJSON(doc), v.path).detached(), isObject
}

// repeatsTopLevelKey reports whether a JSON object names a key twice.
func repeatsTopLevelKey(s string) bool {
	d := json.NewDecoder(strings.NewReader(s))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for d.More() {
		t, err := d.Token()
		key, isKey := t.(string)
		if err != nil || !isKey {
			return false
		}
		if seen[key] {
			return true
		}
		seen[key] = true
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

// OrgPolicyValue is a list constraint value without the `is:` prefix that
// marks it as a literal value, and without surrounding spaces.
func OrgPolicyValue(s string) string {
	s = strings.TrimSpace(s)
	if foldPrefix(s, "is:") {
		s = strings.TrimSpace(s[len("is:"):])
	}
	return s
}

// organizationPrincipalSetPrefixes are the spellings of an organization's
// principal set that the domain-restricted-sharing constraints take: the
// resource name iam.managed.allowedPolicyMembers documents and the
// principalSet:// form iam.allowedPolicyMemberDomains takes beside
// customer IDs (https://cloud.google.com/organization-policy/restrict-domains).
var organizationPrincipalSetPrefixes = []string{
	"//cloudresourcemanager.googleapis.com/organizations/",
	"principalset://iam.googleapis.com/organizations/",
	"principalset://cloudresourcemanager.googleapis.com/organizations/",
}

// OrganizationPrincipalSet reads a constraint value that names every
// principal of one organization and returns the organization's numeric ID.
func OrganizationPrincipalSet(value string) (string, bool) {
	s := OrgPolicyValue(value)
	for _, prefix := range organizationPrincipalSetPrefixes {
		if foldPrefix(s, prefix) {
			id := strings.TrimSpace(s[len(prefix):])
			return id, isDigits(id)
		}
	}
	return "", false
}

// hmacSignedRequestTypes are the values of storage.restrictAuthTypes that
// refuse HMAC-signed requests: each type, and the groups that hold both
// ("Use in:ALL_HMAC_SIGNED_REQUESTS to include both",
// https://cloud.google.com/storage/docs/org-policy-constraints).
var (
	hmacSignedRequestTypes  = []string{"USER_ACCOUNT_HMAC_SIGNED_REQUESTS", "SERVICE_ACCOUNT_HMAC_SIGNED_REQUESTS"}
	hmacSignedRequestGroups = []string{"in:ALL_HMAC_SIGNED_REQUESTS", "in:ALL_SIGNED_REQUESTS"}
)

// DeniesEveryHMACType reports whether denied values of storage.restrictAuthTypes
// refuse every kind of HMAC-signed request: a group that holds them all, or
// each type by name.
func DeniesEveryHMACType(denied []string) bool {
	covered := 0
	for _, t := range hmacSignedRequestTypes {
		for _, d := range denied {
			d = OrgPolicyValue(d)
			if slices.ContainsFunc(hmacSignedRequestGroups, func(g string) bool { return strings.EqualFold(g, d) }) {
				return true
			}
			if strings.EqualFold(d, t) {
				covered++
				break
			}
		}
	}
	return covered == len(hmacSignedRequestTypes)
}
