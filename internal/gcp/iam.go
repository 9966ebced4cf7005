package gcp

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// BigQuery dataset access type tokens: their `accesses` entries are grants.
const (
	BigQueryDataset       = "gcp:bigquery/dataset:Dataset"
	BigQueryDatasetAccess = "gcp:bigquery/datasetAccess:DatasetAccess"
)

// GrantTypes lists every type token Grants understands: every IAM member,
// binding and policy type (generated from the SDK), the BigQuery dataset
// access types and the Privileged Access Manager entitlement.
func GrantTypes() []string {
	return append(IAMTypes(0), BigQueryDataset, BigQueryDatasetAccess, PAMEntitlement)
}

// Grant is one role given to one member, wherever it was declared: an
// IAMMember, one member of an IAMBinding, one member of a binding inside an
// IAMPolicy's policyData, one BigQuery dataset access entry, or one role
// binding of a Privileged Access Manager entitlement for one eligible
// principal. Role and Member keep their paths, secrecy and unknown state.
type Grant struct {
	Role      Value
	Member    Value
	Condition Value // absent when unconditional; a condition never exempts a grant
	Scope     Scope
	// ScopeValue is the input Scope was read from when the type does not
	// fix it (an entitlement's resourceType, resource or parent); see
	// ScopeUndecided.
	ScopeValue Value
	// Eligible is set when the members obtain the role on request, through
	// an entitlement; nil for a standing grant. It never exempts a grant.
	Eligible *Eligibility
	// The resource and the inputs of it that name what is granted on, read
	// by Target.
	res     *Resource
	targets []string
}

// Target reads the input that names what is granted on (for example
// serviceAccountId); the value is absent for a key that is not such an input.
func (g Grant) Target(key string) Value {
	if g.res == nil || !slices.Contains(g.targets, key) {
		return Value{}
	}
	return g.res.Get(key)
}

// RoleName returns the role, mapping BigQuery's legacy dataset roles.
func (g Grant) RoleName() (string, bool) {
	s, ok := g.Role.String()
	if !ok {
		return "", false
	}
	return NormalizeRole(s), true
}

// ParsedMember parses the member when it is a known string.
func (g Grant) ParsedMember() (Member, bool) {
	s, ok := g.Member.String()
	if !ok {
		return Member{}, false
	}
	return ParseMember(s), true
}

// Problem is a property the model could not read (malformed JSON, wrong
// shape): policies fail closed on it.
type Problem struct {
	Path    string
	Message string
}

// Grants extracts every grant of a resource. An unknown role, member list or
// policyData yields a grant whose Role or Member is unknown, so each policy
// decides whether that could change its verdict.
func Grants(r *Resource) ([]Grant, []Problem) {
	switch r.Type {
	case BigQueryDataset, BigQueryDatasetAccess:
		return datasetGrants(r), nil
	case PAMEntitlement:
		return entitlementGrants(r)
	}
	kind, scope, targetKeys, ok := IAMTypeInfo(r.Type)
	if !ok {
		return nil, nil
	}
	base := Grant{Scope: scope, res: r, targets: targetKeys}
	switch kind {
	case IAMMember:
		if isKCCPartialPolicy(r.DeclaredAs) {
			return partialPolicyGrants(r, base)
		}
		g := base
		g.Role, g.Member, g.Condition = r.Get("role"), r.Get("member"), r.Get("condition")
		return []Grant{g}, nil
	case IAMBinding:
		role, members, cond := r.Get("role"), r.Get("members"), r.Get("condition")
		if members.IsUnknown() || !members.IsArray() {
			g := base
			g.Role, g.Member, g.Condition = role, members, cond
			if members.IsAbsent() {
				return nil, nil
			}
			return []Grant{g}, nil
		}
		items := members.Items()
		if len(items) == 0 {
			return nil, nil
		}
		out := make([]Grant, 0, len(items))
		for _, m := range items {
			g := base
			g.Role, g.Member, g.Condition = role, m, cond
			out = append(out, g)
		}
		return out, nil
	case IAMPolicy:
		doc, problem := PolicyData(r)
		if problem != nil {
			return nil, []Problem{*problem}
		}
		if doc.IsUnknown() {
			return bindingGrants(base, doc, "policyData")
		}
		return bindingGrants(base, doc.Get("bindings"), "policyData")
	}
	return nil, nil
}

// bindingGrants reads a list of bindings in policyData's shape (role,
// members, condition); an unknown list or binding is one unknown grant.
func bindingGrants(base Grant, bindings Value, what string) ([]Grant, []Problem) {
	if bindings.IsUnknown() {
		g := base
		g.Role, g.Member = bindings, bindings
		return []Grant{g}, nil
	}
	if !bindings.IsAbsent() && !bindings.IsArray() {
		return nil, []Problem{{Path: bindings.Path(), Message: what + " bindings is not a list"}}
	}
	var out []Grant
	var problems []Problem
	for _, b := range bindings.Items() {
		role, cond, members := b.Get("role"), b.Get("condition"), b.Get("members")
		if b.IsUnknown() || members.IsUnknown() {
			g := base
			g.Role, g.Member, g.Condition = role, members, cond
			out = append(out, g)
			continue
		}
		if !b.IsMap() || (!members.IsAbsent() && !members.IsArray()) {
			// The API would reject it; we must not let it pass unread.
			problems = append(problems, Problem{Path: b.Path(), Message: what + " binding has no list of members"})
			continue
		}
		for _, m := range members.Items() {
			g := base
			g.Role, g.Member, g.Condition = role, m, cond
			out = append(out, g)
		}
	}
	return out, problems
}

// isKCCPartialPolicy reports whether a type token is Config Connector's
// IAMPartialPolicy (any served version).
func isKCCPartialPolicy(token string) bool {
	return strings.HasPrefix(token, "kubernetes:iam"+kccGroupSuffix) && strings.HasSuffix(token, ":IAMPartialPolicy")
}

// partialPolicyGrants reads the bindings of a Config Connector
// IAMPartialPolicy, mapped onto the target's IAMMember type (see
// kccObject.iamPartialPolicy): every member of every binding is a grant.
func partialPolicyGrants(r *Resource, base Grant) ([]Grant, []Problem) {
	return bindingGrants(base, r.Get(KCCPartialPolicyBindings), "IAMPartialPolicy")
}

// PolicyData parses an IAMPolicy's `policyData` JSON string into a Value
// whose paths continue inside the JSON (`policyData.bindings[1].members[0]`).
// An unknown string yields an unknown value; an absent one an absent value.
func PolicyData(r *Resource) (Value, *Problem) {
	v := r.Get("policyData")
	if !v.IsSet() {
		return v, nil
	}
	s, ok := v.String()
	if !ok {
		return v, &Problem{Path: v.Path(), Message: "policyData is not a JSON string"}
	}
	doc, plain := parsePlainJSON(s)
	if !plain {
		var generic any
		if err := json.Unmarshal([]byte(s), &generic); err != nil {
			return v, &Problem{Path: v.Path(), Message: "policyData is not valid JSON"}
		}
		doc = FromJSON(generic)
	}
	if !doc.IsMap() {
		return v, &Problem{Path: v.Path(), Message: "policyData is not a JSON object"}
	}
	// Read keys as the provider does (case-insensitively, the last repeat
	// winning). A document the provider refuses is read as written when its
	// keys are canonical, so the readers report its shape problems; otherwise
	// it is a problem here.
	canonical := canonicalPolicyKeys(doc, policyDocFields)
	if !plain || !canonical {
		decoded, ok := decodePolicyDoc(s)
		switch {
		case ok:
			doc = decoded
		case !canonical:
			return v, &Problem{Path: v.Path(), Message: "policyData does not decode as an IAM policy (a field holds the wrong JSON type)"}
		}
	}
	return v.child(doc, v.path).detached(), nil
}

// FromJSON converts a decoded JSON document into a property value.
func FromJSON(doc any) property.Value {
	switch x := doc.(type) {
	case nil:
		return property.Value{}
	case bool:
		return property.New(x)
	case float64:
		return property.New(x)
	case string:
		return property.New(x)
	case []any:
		out := make([]property.Value, len(x))
		for i, e := range x {
			out[i] = FromJSON(e)
		}
		return property.New(out)
	case map[string]any:
		out := make(map[string]property.Value, len(x))
		for k, e := range x {
			out[k] = FromJSON(e)
		}
		return property.New(out)
	}
	return property.Value{}
}

// datasetGrants reads BigQuery dataset access entries as grants on the
// dataset: OWNER, WRITER and READER are the legacy names of dataOwner,
// dataEditor and dataViewer.
func datasetGrants(r *Resource) []Grant {
	entries := []Value{r.Root()}
	if r.Type == BigQueryDataset {
		accesses := r.Get("accesses")
		if accesses.IsUnknown() {
			return []Grant{{Role: accesses, Member: accesses, Scope: ScopeResource, res: r, targets: datasetTargets}}
		}
		entries = accesses.Items()
	}
	out := make([]Grant, 0, len(entries))
	for _, e := range entries {
		if e.IsUnknown() {
			out = append(out, Grant{Role: e, Member: e, Scope: ScopeResource, res: r, targets: datasetTargets})
			continue
		}
		member, ok := accessMember(e)
		if !ok {
			continue // an authorized view, routine or dataset: not a principal
		}
		out = append(out, Grant{Role: e.Get("role"), Member: member, Condition: e.Get("condition"),
			Scope: ScopeResource, res: r, targets: datasetTargets})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// datasetTargets is what a dataset access entry grants on.
var datasetTargets = []string{"datasetId"}

// accessMember turns the principal field of an access entry into a member
// string value, keeping the field's path, secrecy and unknown state.
func accessMember(e Value) (Value, bool) {
	for _, field := range []struct{ key, prefix string }{
		{"iamMember", ""}, {"userByEmail", "user:"}, {"groupByEmail", "group:"}, {"domain", "domain:"}, {"specialGroup", ""},
	} {
		v := e.Get(field.key)
		if v.IsAbsent() {
			continue
		}
		s, ok := v.String()
		if !ok {
			return v, true
		}
		switch {
		case field.key == "userByEmail" && strings.HasSuffix(strings.ToLower(s), ".gserviceaccount.com"):
			s = "serviceAccount:" + s
		case field.key == "specialGroup":
			s = specialGroupMember(s)
		default:
			s = field.prefix + s
		}
		return Value{raw: property.New(s).WithSecret(v.raw.Secret()), path: v.path, secret: v.Secret()}, true
	}
	return Value{}, false
}

// specialGroupMember spells a BigQuery special group as the IAM member it
// stands for, in any case, so the principal model reads it.
func specialGroupMember(g string) string {
	switch t := strings.TrimSpace(g); {
	case foldEqual(t, "allauthenticatedusers"):
		return "allAuthenticatedUsers"
	case foldEqual(t, "allusers"):
		return "allUsers"
	case foldEqual(t, "projectowners"):
		return "projectOwner:"
	case foldEqual(t, "projectwriters"):
		return "projectEditor:"
	case foldEqual(t, "projectreaders"):
		return "projectViewer:"
	}
	return "specialGroup:" + g
}

// NormalizeRole maps BigQuery's legacy dataset roles to IAM roles and trims
// whitespace; other roles are returned as given.
func NormalizeRole(role string) string {
	role = strings.TrimSpace(role)
	switch legacyDatasetRole(role) {
	case "OWNER":
		return "roles/bigquery.dataOwner"
	case "WRITER":
		return "roles/bigquery.dataEditor"
	case "READER":
		return "roles/bigquery.dataViewer"
	}
	return role
}

// legacyDatasetRole returns role upper-cased when it can be one of the
// legacy dataset roles, without allocating for the IAM roles every other
// grant has.
func legacyDatasetRole(role string) string {
	for i := 0; i < len(role); i++ {
		if role[i] >= utf8.RuneSelf {
			return strings.ToUpper(role) // Unicode case mapping, rare
		}
	}
	if len(role) < len("OWNER") || len(role) > len("WRITER") {
		return ""
	}
	for _, legacy := range []string{"OWNER", "WRITER", "READER"} {
		if strings.EqualFold(role, legacy) { // ASCII here: the same as ToUpper
			return legacy
		}
	}
	return ""
}
