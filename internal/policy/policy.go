// Package policy is the framework every guardrail runs on: policy metadata,
// configuration, enforcement levels and the one evaluator shared by the gRPC
// analyzer and the offline `check` command.
package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// Level is an enforcement level as the engine spells it.
type Level string

const (
	Advisory  Level = "advisory"
	Mandatory Level = "mandatory"
	Remediate Level = "remediate"
	Disabled  Level = "disabled"
)

// ParseLevel accepts exactly the engine's level strings.
func ParseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case Advisory, Mandatory, Remediate, Disabled:
		return l, nil
	}
	return "", fmt.Errorf("unsupported enforcement level %q (want advisory, mandatory, remediate or disabled)", s)
}

// Reported is the level a finding of a policy at level l carries. The engine
// takes only advisory and mandatory diagnostics (it downgrades remediate to
// mandatory itself, and crashes on anything else), and a policy at remediate
// whose finding is reported did not get its fix applied: so remediate is
// reported as mandatory, everywhere findings leave the evaluator.
func (l Level) Reported() Level {
	if l == Remediate {
		return Mandatory
	}
	return l
}

// Blocks reports whether a finding at level l fails the deployment (or
// `check`), exceptions aside.
func (l Level) Blocks() bool { return l.Reported() == Mandatory }

// Severity ranks how bad a violation is.
type Severity string

const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Family is the guardrail a policy serves.
type Family string

// The families, in the order the registry lists them (policies.All) and the
// docs show them: the pack's promises first, hardening after.
const (
	FamilyLeastPrivilege    Family = "least-privilege"
	FamilyNoKeys            Family = "no-keys"
	FamilyLabels            Family = "labels"
	FamilyOIDCFederation    Family = "oidc-federation"
	FamilyLogging           Family = "logging"
	FamilyDataflowHardening Family = "dataflow-hardening"
	FamilyOrgPolicy         Family = "org-policy"
)

// Families lists every family in registry order.
var Families = []Family{FamilyLeastPrivilege, FamilyNoKeys, FamilyLabels, FamilyOIDCFederation, FamilyLogging,
	FamilyDataflowHardening, FamilyOrgPolicy}

// Kind separates real violations from values that could not be decided: not
// known at preview, or (in `check`) encrypted in the stack export.
type Kind string

const (
	Violation Kind = "violation"
	Unknown   Kind = "unknown"
)

// Meta is everything a policy says about itself; it feeds GetAnalyzerInfo,
// the docs and the reports.
type Meta struct {
	Name        string   // kebab-case, stable, never renamed
	Title       string   // one line stating the desired condition
	Description string   // why it matters
	Remediation string   // how to fix a violation
	URL         string   // the Google Cloud doc behind the rule
	Severity    Severity // how bad a violation is
	Level       Level    // default enforcement level
	Family      Family   // which guardrail the policy serves; the registry lists families in Families order
	// Types are the type tokens a resource policy applies to, or the types a
	// stack policy reads. Dispatch happens on them, never inside a policy.
	Types []string
	// ConfigSchema is the JSON schema of the policy's `properties` (top-level
	// properties with defaults); empty for a policy without config.
	ConfigSchema string
}

// Policy is one guardrail: metadata plus exactly one of a resource check or a
// stack check, and optionally a remediation. Build it with Resource or Stack.
type Policy struct {
	Meta

	schema    *Schema // ConfigSchema, parsed when the policy is built
	schemaErr error
	// untyped lists the types in Meta.Types that a ByType policy has no
	// check for, and dispatchErr a type given two checks: Validate refuses both.
	untyped     []string
	dispatchErr error

	newConfig  func() any
	check      func(c *Call, r *gcp.Resource, cfg any)
	checkStack func(c *Call, s *gcp.Stack, cfg any)
	remediate  func(c *Call, r *gcp.Resource, cfg any) (property.Map, bool)
}

// IsStack reports whether the policy validates a whole stack only.
func (p *Policy) IsStack() bool { return p.check == nil && p.checkStack != nil }

// ReadsStack reports whether the policy has a stack check: a stack policy,
// or a resource policy given one with WithStackCheck.
func (p *Policy) ReadsStack() bool { return p.checkStack != nil }

// AllTypes, as the only entry of Meta.Types, makes a resource policy apply
// to resources of every type, those of other providers included.
const AllTypes = "*"

// AppliesTo reports whether the resource check of the policy runs on
// resources of type typ.
func (p *Policy) AppliesTo(typ string) bool {
	return p.check != nil && (slices.Contains(p.Types, typ) || slices.Contains(p.Types, AllTypes))
}

// CanRemediate reports whether the policy can change a resource's inputs.
func (p *Policy) CanRemediate() bool { return p.remediate != nil }

// Schema is the policy's config schema, parsed once when the policy was
// built (empty for a policy without config, or one whose schema does not
// parse: Validate reports that).
func (p *Policy) Schema() *Schema { return p.schema }

// Defaults returns a fresh copy of the top-level schema defaults of a policy.
func (p *Policy) Defaults() map[string]any {
	if d := p.schema.Defaults(); d != nil {
		return d
	}
	return map[string]any{}
}

// newPolicy parses the metadata's config schema once for everyone who reads
// it: the evaluator, the analyzer, the docs and `describe`.
func newPolicy(m Meta, newConfig func() any) *Policy {
	p := &Policy{Meta: m, newConfig: newConfig}
	p.schema, p.schemaErr = ParseSchema(m.ConfigSchema)
	if p.schemaErr != nil {
		p.schema = &Schema{}
	}
	return p
}

// Resource builds a resource policy with config type C (use struct{} for none).
func Resource[C any](m Meta, check func(c *Call, r *gcp.Resource, cfg *C)) *Policy {
	p := newPolicy(m, func() any { return new(C) })
	p.check = func(c *Call, r *gcp.Resource, cfg any) { check(c, r, cfg.(*C)) }
	return p
}

// TypeCheck is the check a resource policy runs on resources of some of its
// types (see ByType and On).
type TypeCheck[C any] struct {
	types []string
	check func(c *Call, r *gcp.Resource, cfg *C)
}

// On is the check a ByType policy runs on resources of the given types.
func On[C any](check func(c *Call, r *gcp.Resource, cfg *C), types ...string) TypeCheck[C] {
	return TypeCheck[C]{types: types, check: check}
}

// ByType builds a resource policy whose check depends on the resource's
// type: the evaluator hands each resource to the check registered for its
// type (or for AllTypes), so a policy never compares r.Type itself.
// Meta.Types, when empty, is every type the checks name; Validate refuses a
// type of Meta.Types without a check, and a type with two.
func ByType[C any](m Meta, checks ...TypeCheck[C]) *Policy {
	byType := map[string]func(*Call, *gcp.Resource, *C){}
	var types []string
	var dup error
	for _, tc := range checks {
		for _, t := range tc.types {
			if _, seen := byType[t]; seen && dup == nil {
				dup = fmt.Errorf("policy %s: type %s has two checks", m.Name, t)
			}
			byType[t] = tc.check
			types = append(types, t)
		}
	}
	if len(m.Types) == 0 {
		m.Types = types
	}
	p := newPolicy(m, func() any { return new(C) })
	p.dispatchErr = dup
	for _, t := range m.Types {
		if byType[t] == nil && byType[AllTypes] == nil {
			p.untyped = append(p.untyped, t)
		}
	}
	fallback := byType[AllTypes]
	p.check = func(c *Call, r *gcp.Resource, cfg any) {
		if check := byType[r.Type]; check != nil {
			check(c, r, cfg.(*C))
			return
		}
		fallback(c, r, cfg.(*C))
	}
	return p
}

// Nothing is the check of the types a ByType policy lists only for its
// stack check to read, or leaves to another policy: their inputs alone
// decide nothing here.
func Nothing[C any](*Call, *gcp.Resource, *C) {}

// Stack builds a stack policy with config type C.
func Stack[C any](m Meta, check func(c *Call, s *gcp.Stack, cfg *C)) *Policy {
	p := newPolicy(m, func() any { return new(C) })
	p.checkStack = func(c *Call, s *gcp.Stack, cfg any) { check(c, s, cfg.(*C)) }
	return p
}

// WithStackCheck adds a stack check to a resource policy: it runs with the
// stack policies, over the outputs of every resource (what the engine's
// AnalyzeStack and `check` provide), and reports under the same policy. For
// a question a resource's inputs answer before it is created and its
// outputs answer again afterwards (a key a command printed, a stack export).
// C must be the policy's config type.
func WithStackCheck[C any](p *Policy, check func(c *Call, s *gcp.Stack, cfg *C)) *Policy {
	p.checkStack = func(c *Call, s *gcp.Stack, cfg any) { check(c, s, cfg.(*C)) }
	return p
}

// WithRemediation adds a remediation to a resource policy. The function
// returns the new inputs and true when it changes something. C must be the
// policy's config type.
func WithRemediation[C any](p *Policy, fix func(c *Call, r *gcp.Resource, cfg *C) (property.Map, bool)) *Policy {
	p.remediate = func(c *Call, r *gcp.Resource, cfg any) (property.Map, bool) { return fix(c, r, cfg.(*C)) }
	return p
}

// Finding is one problem a policy found.
type Finding struct {
	Policy       string   `json:"policy"`
	Kind         Kind     `json:"kind"`
	Level        Level    `json:"enforcementLevel"`
	Severity     Severity `json:"severity"`
	URN          string   `json:"urn"`
	ResourceType string   `json:"resourceType"`
	Path         string   `json:"path"`
	Message      string   `json:"message"`
	Excepted     bool     `json:"excepted,omitempty"`
	// Details is structured data a policy attaches to a violation beside
	// its message (DetailedViolationOn): the JSON report carries it; text,
	// SARIF and the engine show the message only.
	Details Details `json:"details,omitempty"`
}

// Details is JSON text that marshals as itself; a string, so that findings
// stay comparable.
type Details string

// MarshalJSON writes the JSON text as it is.
func (d Details) MarshalJSON() ([]byte, error) {
	if d == "" || !json.Valid([]byte(d)) {
		return []byte("null"), nil
	}
	return []byte(d), nil
}

// UnmarshalJSON keeps the JSON text.
func (d *Details) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = ""
		return nil
	}
	*d = Details(b)
	return nil
}

// SortFindings orders findings by URN, then policy, then path, then message.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.URN != b.URN {
			return a.URN < b.URN
		}
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
}

// StackInfo is the deployment context a policy may read.
type StackInfo struct {
	Project      string
	Stack        string
	Organization string
	DryRun       bool
	Tags         map[string]string
}

// Call is what a policy reports through during one evaluation.
type Call struct {
	Stack StackInfo
	// Env reads the pack process environment (nil in `check`, where the
	// environment of the machine running check is not the deployment's).
	Env func(string) (string, bool)
	// ReadFile reads a file the deployment names (a provider's credentials
	// file) as the machine deploying it would; nil reads none. Policies
	// read files through it only, so tests choose what they see.
	ReadFile func(path string) ([]byte, error)

	urn, typ  string
	found     []report
	views     *gcp.Views
	encrypted *encrypted // nil but in `check` on an export with encrypted secrets
}

// Views memoizes the model's derived views (grants, labels, worker
// environments, pipeline options) for this evaluation: every policy that
// reads a resource shares them. It is nil in a remediation, whose inputs
// change from one policy to the next; a nil *Views computes each view afresh.
func (c *Call) Views() *gcp.Views { return c.views }

type report struct {
	kind    Kind
	urn     string
	typ     string
	path    string
	message string
	details Details
}

// Violation reports a problem at path on the resource being checked.
func (c *Call) Violation(path, format string, args ...any) {
	c.found = append(c.found, report{kind: Violation, urn: c.urn, typ: c.typ, path: path, message: fmt.Sprintf(format, args...)})
}

// Unknown reports that the value at path is not known yet and could change
// the verdict. It is dropped when the policy also finds a violation.
func (c *Call) Unknown(path string) {
	c.found = append(c.found, report{kind: Unknown, urn: c.urn, typ: c.typ, path: path})
}

// ViolationOn reports a stack-policy problem on another resource.
func (c *Call) ViolationOn(r *gcp.Resource, path, format string, args ...any) {
	c.found = append(c.found, report{kind: Violation, urn: r.URN, typ: r.Type, path: path, message: fmt.Sprintf(format, args...)})
}

// DetailedViolationOn is ViolationOn with structured details, which the
// JSON report carries beside the message (for example the least-privilege
// grant set a policy derived). details must marshal to JSON and hold no
// secret; details that do not marshal are dropped.
func (c *Call) DetailedViolationOn(r *gcp.Resource, details any, path, format string, args ...any) {
	raw, err := json.Marshal(details)
	if err != nil || string(raw) == "null" {
		raw = nil
	}
	c.found = append(c.found, report{kind: Violation, urn: r.URN, typ: r.Type, path: path,
		message: fmt.Sprintf(format, args...), details: Details(raw)})
}

// UnknownOn reports an undecidable value on another resource.
func (c *Call) UnknownOn(r *gcp.Resource, path string) {
	c.found = append(c.found, report{kind: Unknown, urn: r.URN, typ: r.Type, path: path})
}

// CheckUnknown reports v as unknown when it (or anything in it) is unknown and
// returns true, so callers can write `if c.CheckUnknown(v) { return }`.
func (c *Call) CheckUnknown(v gcp.Value) bool {
	if v.HasUnknown() {
		c.Unknown(v.Path())
		return true
	}
	return false
}

// kebabCase reports whether name matches ^[a-z][a-z0-9]*(-[a-z0-9]+)*$.
func kebabCase(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	dash := false
	for i := 1; i < len(name); i++ {
		switch c := name[i]; {
		case c == '-':
			if dash {
				return false
			}
			dash = true
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			dash = false
		default:
			return false
		}
	}
	return !dash
}

// Validate rejects a misdeclared policy, the way analysis.Validate does.
func (p *Policy) Validate() error {
	switch {
	case !kebabCase(p.Name) || p.Name == "all":
		return fmt.Errorf("policy name %q must be kebab-case and not \"all\"", p.Name)
	case p.Title == "" || p.Description == "" || p.Remediation == "" || p.URL == "" || p.Family == "":
		return fmt.Errorf("policy %s: title, description, remediation, url and family are required", p.Name)
	case !slices.Contains(Families, p.Family):
		return fmt.Errorf("policy %s: unknown family %q (want one of %v)", p.Name, p.Family, Families)
	case len(p.Types) == 0:
		return fmt.Errorf("policy %s: no resource types", p.Name)
	case p.check == nil && p.checkStack == nil:
		return fmt.Errorf("policy %s: needs a resource or a stack check", p.Name)
	case slices.Contains(p.Types, AllTypes) && (len(p.Types) > 1 || p.check == nil):
		return fmt.Errorf("policy %s: %q must be a resource policy's only type", p.Name, AllTypes)
	case p.remediate != nil && p.check == nil:
		return fmt.Errorf("policy %s: only resource policies can remediate", p.Name)
	}
	switch p.Severity {
	case Low, Medium, High, Critical:
	default:
		return fmt.Errorf("policy %s: invalid severity %q", p.Name, p.Severity)
	}
	if _, err := ParseLevel(string(p.Level)); err != nil {
		return fmt.Errorf("policy %s: %w", p.Name, err)
	}
	switch {
	case p.dispatchErr != nil:
		return p.dispatchErr
	case len(p.untyped) > 0:
		return fmt.Errorf("policy %s: no check for type %s", p.Name, strings.Join(p.untyped, ", "))
	}
	return p.validateSchema()
}

// validateSchema refuses a config schema the engine would read otherwise
// than the policy means it: the engine receives only the top-level
// "properties" and "required", and adds "enforcementLevel" itself.
func (p *Policy) validateSchema() error {
	switch {
	case p.schemaErr != nil:
		return fmt.Errorf("policy %s: config schema: %w", p.Name, p.schemaErr)
	case p.schema.Text() != p.ConfigSchema:
		return fmt.Errorf("policy %s: ConfigSchema changed after the policy was built", p.Name)
	case p.schema.Empty():
		return nil
	case p.schema.Declares("enforcementLevel"):
		return fmt.Errorf("policy %s: config schema must not declare enforcementLevel", p.Name)
	}
	if ignored := p.schema.ignored; len(ignored) > 0 {
		return fmt.Errorf("policy %s: config schema: the engine receives only properties and required (type object), not %s",
			p.Name, strings.Join(ignored, ", "))
	}
	return nil
}
