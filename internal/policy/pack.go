package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer words schema errors; built on first use, not at start-up.
var printer = sync.OnceValue(func() *message.Printer { return message.NewPrinter(language.English) })

// Pack is the registry of policies plus their live configuration. It is safe
// for concurrent use: Configure swaps the whole configuration atomically.
type Pack struct {
	Name        string
	Version     string
	Description string

	policies []*Policy
	index    map[string]int   // policy name -> position
	byType   map[string][]int // type token -> resource policies
	stack    []int            // stack policies
	reasons  []string         // why each resource policy skips other types

	// Each policy's config schema, compiled on first use (see decode), and
	// what Configure reads from it, parsed once.
	schemas     []lazySchema
	defaults    []map[string]any  // top-level property defaults
	defaultsRaw [][]byte          // defaults as JSON
	declared    []map[string]bool // top-level property names

	settings atomic.Pointer[settings]
}

// settings is one immutable configuration of the pack.
type settings struct {
	levels  []Level
	props   []map[string]any // defaults applied
	configs []any            // props decoded into each policy's config type
	raw     [][]byte         // props as JSON, the source of configs

	notApplicableByType sync.Map // type token ("" for others) -> []NotApplicable
}

// notApplicable lists the enabled resource policies (restricted to only, when
// not nil) that do not apply to typ, in registration order. Without only the
// list is computed once per type and shared.
func (s *settings) notApplicable(p *Pack, typ string, only map[string]bool) []NotApplicable {
	applies := p.byType[typ]
	key := typ
	if len(applies) == 0 {
		key = "" // every type no policy names shares one list
	}
	if only == nil {
		if na, ok := s.notApplicableByType.Load(key); ok {
			return na.([]NotApplicable)
		}
	}
	var na []NotApplicable
	for i, pol := range p.policies {
		if pol.IsStack() || s.levels[i] == Disabled || (only != nil && !only[pol.Name]) || slices.Contains(applies, i) {
			continue
		}
		na = append(na, NotApplicable{Policy: pol.Name, Reason: p.reasons[i]})
	}
	if only == nil {
		s.notApplicableByType.Store(key, slices.Clip(na))
	}
	return na
}

// packNamePattern is the service's rule for pack names; validPackName
// checks it without building a regexp at start-up.
const packNamePattern = `^[a-zA-Z0-9-_.]{1,100}$`

func validPackName(name string) bool {
	if len(name) < 1 || len(name) > 100 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isASCIIAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// lazySchema is a config schema compiled on first use.
type lazySchema struct {
	once sync.Once
	sch  *jsonschema.Schema
	err  error
}

// NewPack validates the policies and applies their defaults. Config schemas
// are compiled when a configuration first sets a policy's properties to
// something other than its defaults (CheckSchemas compiles them all):
// compiling the catalog's schemas, with their Unicode label patterns, was
// most of the pack's start-up time.
func NewPack(name, version, description string, policies []*Policy) (*Pack, error) {
	if !validPackName(name) {
		return nil, fmt.Errorf("pack name %q must match %s", name, packNamePattern)
	}
	p := &Pack{Name: name, Version: version, Description: description, policies: policies,
		index: map[string]int{}, byType: map[string][]int{}, schemas: make([]lazySchema, len(policies)),
		defaults: make([]map[string]any, len(policies)), defaultsRaw: make([][]byte, len(policies)),
		declared: make([]map[string]bool, len(policies))}
	for i, pol := range policies {
		if err := pol.Validate(); err != nil {
			return nil, err
		}
		if _, dup := p.index[pol.Name]; dup {
			return nil, fmt.Errorf("policy %s is registered twice", pol.Name)
		}
		p.index[pol.Name] = i
		p.reasons = append(p.reasons, notApplicableReason(pol))
		if pol.IsStack() {
			p.stack = append(p.stack, i)
		} else {
			for _, t := range pol.Types {
				p.byType[t] = append(p.byType[t], i)
			}
		}
		p.defaults[i], p.declared[i] = pol.Defaults(), pol.schemaProperties()
		raw, err := json.Marshal(p.defaults[i])
		if err != nil {
			return nil, fmt.Errorf("policy %s: config defaults: %w", pol.Name, err)
		}
		p.defaultsRaw[i] = raw
	}
	if _, err := p.Configure(nil); err != nil {
		return nil, fmt.Errorf("default configuration: %w", err)
	}
	return p, nil
}

// schema compiles policy i's config schema once; nil for a policy without
// config.
func (p *Pack) schema(i int) (*jsonschema.Schema, error) {
	l := &p.schemas[i]
	l.once.Do(func() { l.sch, l.err = compileSchema(p.policies[i]) })
	return l.sch, l.err
}

// CheckSchemas compiles every config schema and validates each policy's
// defaults against it: NewPack takes the defaults on trust, and the catalog's
// tests call this to earn it.
func (p *Pack) CheckSchemas() error {
	var errs []error
	for i := range p.policies {
		if _, err := p.decodeRaw(i, p.defaultsRaw[i], true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func compileSchema(pol *Policy) (*jsonschema.Schema, error) {
	if pol.ConfigSchema == "" {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(pol.ConfigSchema))
	if err != nil {
		return nil, fmt.Errorf("policy %s: config schema: %w", pol.Name, err)
	}
	c := jsonschema.NewCompiler()
	// Draft 7 as the engine reads it, formats asserted as it asserts them:
	// the default (2020-12) treats "format" as an annotation only.
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	c.UseRegexpEngine(schemaRegexp)
	RegisterEngineFormats(c)
	url := "policy://" + pol.Name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("policy %s: config schema: %w", pol.Name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("policy %s: config schema: %w", pol.Name, err)
	}
	return sch, nil
}

// Policies returns the registered policies in registration order.
func (p *Pack) Policies() []*Policy { return p.policies }

// Lookup finds a policy by name.
func (p *Pack) Lookup(name string) (*Policy, bool) {
	i, ok := p.index[name]
	if !ok {
		return nil, false
	}
	return p.policies[i], true
}

// Level returns a policy's resolved enforcement level: configured, else its
// own default.
func (p *Pack) Level(name string) Level {
	i, ok := p.index[name]
	if !ok {
		return Disabled
	}
	return p.settings.Load().levels[i]
}

// Properties returns a policy's effective properties (defaults applied).
func (p *Pack) Properties(name string) map[string]any {
	i, ok := p.index[name]
	if !ok {
		return nil
	}
	return p.settings.Load().props[i]
}

// Defaults returns the top-level schema defaults of a policy.
func (p *Policy) Defaults() map[string]any {
	out := map[string]any{}
	if p.ConfigSchema == "" {
		return out
	}
	var s struct {
		Properties map[string]struct {
			Default any `json:"default"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(p.ConfigSchema), &s); err != nil {
		return out
	}
	for k, prop := range s.Properties {
		if prop.Default != nil {
			out[k] = prop.Default
		}
	}
	return out
}

// schemaProperties lists the property names a policy's schema declares.
func (p *Policy) schemaProperties() map[string]bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	out := map[string]bool{}
	if p.ConfigSchema != "" && json.Unmarshal([]byte(p.ConfigSchema), &s) == nil {
		for k := range s.Properties {
			out[k] = true
		}
	}
	return out
}

// Configure replaces the whole configuration. Names the pack does not know
// (typos, and the engine's "all") are ignored and returned as warnings: an
// error here would abort every deployment that uses such an entry. Invalid
// levels or properties are errors naming the policy and field.
func (p *Pack) Configure(cfg map[string]PolicyConfig) (warnings []string, err error) {
	next := &settings{
		levels:  make([]Level, len(p.policies)),
		props:   make([]map[string]any, len(p.policies)),
		configs: make([]any, len(p.policies)),
		raw:     make([][]byte, len(p.policies)),
	}
	var errs []error
	for name := range cfg {
		if _, ok := p.index[name]; !ok {
			warnings = append(warnings, fmt.Sprintf("ignoring configuration for unknown policy %q", name))
		}
	}
	sort.Strings(warnings)
	for i, pol := range p.policies {
		c := cfg[pol.Name]
		level := pol.Level
		if c.Level != "" {
			l, lerr := ParseLevel(string(c.Level))
			if lerr != nil {
				errs = append(errs, fmt.Errorf("%s: enforcementLevel: %w", pol.Name, lerr))
				continue
			}
			level = l
		}
		props := cloneJSON(p.defaults[i]).(map[string]any)
		for k, v := range c.Properties {
			if k == "enforcementLevel" {
				continue
			}
			if !p.declared[i][k] {
				// A typo must not pass silently: the policy would keep its defaults.
				warnings = append(warnings, fmt.Sprintf("policy %s: ignoring unknown property %q", pol.Name, k))
			}
			props[k] = v
		}
		decoded, raw, derr := p.decode(i, props)
		if derr != nil {
			errs = append(errs, derr)
			continue
		}
		next.levels[i], next.props[i], next.configs[i], next.raw[i] = level, props, decoded, raw
	}
	if len(errs) > 0 {
		return warnings, errors.Join(errs...)
	}
	p.settings.Store(next)
	return warnings, nil
}

// decode validates props against the policy's schema and decodes them into
// its config type, once per configuration rather than once per resource.
// Properties the current configuration already holds (the engine sends the
// defaults NewPack applied) keep its decoded config: validation and decoding
// depend on nothing else. The policy's own defaults are not validated
// against its schema (see CheckSchemas).
func (p *Pack) decode(i int, props map[string]any) (cfg any, raw []byte, err error) {
	pol := p.policies[i]
	raw, err = json.Marshal(props)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", pol.Name, err)
	}
	if cur := p.settings.Load(); cur != nil && bytes.Equal(cur.raw[i], raw) {
		return cur.configs[i], raw, nil
	}
	cfg, err = p.decodeRaw(i, raw, !bytes.Equal(raw, p.defaultsRaw[i]))
	return cfg, raw, err
}

// decodeRaw decodes a policy's properties, first validating them against its
// schema when validate is set.
func (p *Pack) decodeRaw(i int, raw []byte, validate bool) (any, error) {
	pol := p.policies[i]
	if validate {
		if err := p.validate(i, raw); err != nil {
			return nil, err
		}
	}
	cfg := pol.newConfig()
	if err := json.Unmarshal(raw, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", pol.Name, err)
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", pol.Name, err)
		}
	}
	return cfg, nil
}

// validate checks a policy's properties against its schema.
func (p *Pack) validate(i int, raw []byte) error {
	pol := p.policies[i]
	sch, err := p.schema(i)
	if err != nil {
		return err
	}
	if sch != nil {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
		if err != nil {
			return fmt.Errorf("%s: %w", pol.Name, err)
		}
		if err := sch.Validate(inst); err != nil {
			return schemaError(pol.Name, err)
		}
	}
	return nil
}

// schemaError flattens a validation error into "policy: field: problem" lines.
func schemaError(policy string, err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: %w", policy, err)
	}
	var lines []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			field := strings.Join(e.InstanceLocation, ".")
			if field == "" {
				field = "(properties)"
			}
			lines = append(lines, fmt.Sprintf("%s: %s: %s", policy, field, e.ErrorKind.LocalizedString(printer())))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(lines)
	return errors.New(strings.Join(lines, "; "))
}

// ResourcePoliciesFor returns the resource policies that apply to a type.
func (p *Pack) ResourcePoliciesFor(typ string) []*Policy {
	idx := p.byType[typ]
	out := make([]*Policy, len(idx))
	for i, j := range idx {
		out[i] = p.policies[j]
	}
	return out
}

// StackPolicies returns the stack policies.
func (p *Pack) StackPolicies() []*Policy {
	out := make([]*Policy, len(p.stack))
	for i, j := range p.stack {
		out[i] = p.policies[j]
	}
	return out
}

// Levels returns every policy's resolved level from one configuration, in
// registration order: a concurrent Configure never shows half of it.
func (p *Pack) Levels() []Level {
	return p.settings.Load().levels
}

// LevelsByName is Levels keyed by policy name.
func (p *Pack) LevelsByName() map[string]Level {
	levels := p.settings.Load().levels
	out := make(map[string]Level, len(levels))
	for i, pol := range p.policies {
		out[pol.Name] = levels[i]
	}
	return out
}

// cloneJSON deep-copies a decoded JSON value, so every configuration owns
// its properties.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}
