package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Pack is the registry of policies plus their live configuration. It is safe
// for concurrent use: Configure swaps the whole configuration atomically.
type Pack struct {
	Name        string
	Version     string
	Description string

	policies []*Policy
	index    map[string]int   // policy name -> position
	byType   map[string][]int // type token -> resource policies (anyType merged in)
	anyType  []int            // resource policies of every type (AllTypes)
	stack    []int            // stack policies, and resource policies with a stack check
	reasons  []string         // why each resource policy skips other types

	defaultsRaw [][]byte // each policy's schema defaults as JSON

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
	applies := p.resourcePolicies(typ)
	key := typ
	if _, named := p.byType[typ]; !named {
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

// NewPack validates the policies and applies their defaults. Config schemas
// are compiled when a configuration first sets a policy's properties to
// something other than its defaults (CheckSchemas compiles them all; see
// Schema.Validate).
func NewPack(name, version, description string, policies []*Policy) (*Pack, error) {
	if !validPackName(name) {
		return nil, fmt.Errorf("pack name %q must match %s", name, packNamePattern)
	}
	p := &Pack{Name: name, Version: version, Description: description, policies: policies,
		index: map[string]int{}, byType: map[string][]int{}, defaultsRaw: make([][]byte, len(policies))}
	for i, pol := range policies {
		if err := pol.Validate(); err != nil {
			return nil, err
		}
		if _, dup := p.index[pol.Name]; dup {
			return nil, fmt.Errorf("policy %s is registered twice", pol.Name)
		}
		p.index[pol.Name] = i
		p.reasons = append(p.reasons, notApplicableReason(pol))
		if pol.ReadsStack() {
			p.stack = append(p.stack, i)
		}
		if !pol.IsStack() {
			for _, t := range pol.Types {
				if t == AllTypes {
					p.anyType = append(p.anyType, i)
				} else {
					p.byType[t] = append(p.byType[t], i)
				}
			}
		}
		raw, err := json.Marshal(pol.Defaults())
		if err != nil {
			return nil, fmt.Errorf("policy %s: config defaults: %w", pol.Name, err)
		}
		p.defaultsRaw[i] = raw
	}
	if len(p.anyType) > 0 {
		for t, idx := range p.byType {
			p.byType[t] = slices.Sorted(slices.Values(append(idx, p.anyType...)))
		}
	}
	if _, err := p.Configure(nil); err != nil {
		return nil, fmt.Errorf("default configuration: %w", err)
	}
	return p, nil
}

// resourcePolicies lists the positions of the resource policies that apply
// to typ, in registration order.
func (p *Pack) resourcePolicies(typ string) []int {
	if idx, ok := p.byType[typ]; ok {
		return idx
	}
	return p.anyType
}

// CheckSchemas compiles every config schema and validates each policy's
// defaults against it: NewPack takes the defaults on trust, and the catalog's
// tests call this to earn it.
func (p *Pack) CheckSchemas() error {
	var problems []string
	for i, pol := range p.policies {
		problems = append(problems, validateProperties(pol.Name, pol.schema, pol.Defaults())...)
		if _, err := p.decodeRaw(i, p.defaultsRaw[i]); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
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

// Configure replaces the whole configuration with one the engine has
// reconciled and validated (the analyzer's Configure). Names the pack does
// not know (typos, and the engine's "all") are ignored and returned as
// warnings: an error here would abort every deployment that uses such an
// entry. Invalid levels or properties are a *ValidationError naming each
// policy and field; properties are validated again (a misbehaving client)
// unless they are the policy's defaults.
func (p *Pack) Configure(cfg map[string]PolicyConfig) (warnings []string, err error) {
	return p.configure(cfg, false)
}

// Apply reconciles config layers over the pack's defaults as the engine does
// (see Reconcile, which validates the result) and configures the pack with
// it: what `check` and the tests do with a --policy-pack-config file. The
// warnings are Configure's, but for the "all" entry, which a file may hold.
func (p *Pack) Apply(layers ...map[string]PolicyConfig) (warnings []string, err error) {
	cfg, err := Reconcile(p.PolicyDefaults(), layers...)
	if err != nil {
		return nil, err
	}
	warnings, err = p.configure(cfg, true)
	return slices.DeleteFunc(warnings, func(w string) bool { return w == unknownPolicyWarning(allKey) }), err
}

// PolicyDefaults is what GetAnalyzerInfo says of each policy, in
// registration order.
func (p *Pack) PolicyDefaults() []PolicyDefault {
	out := make([]PolicyDefault, len(p.policies))
	for i, pol := range p.policies {
		out[i] = PolicyDefault{Name: pol.Name, Level: pol.Level, Schema: pol.schema}
	}
	return out
}

func unknownPolicyWarning(name string) string {
	return fmt.Sprintf("ignoring configuration for unknown policy %q", name)
}

// configure applies cfg; validated says the properties went through
// Reconcile already.
func (p *Pack) configure(cfg map[string]PolicyConfig, validated bool) (warnings []string, err error) {
	next := &settings{
		levels:  make([]Level, len(p.policies)),
		props:   make([]map[string]any, len(p.policies)),
		configs: make([]any, len(p.policies)),
		raw:     make([][]byte, len(p.policies)),
	}
	var problems []string
	for name := range cfg {
		if _, ok := p.index[name]; !ok {
			warnings = append(warnings, unknownPolicyWarning(name))
		}
	}
	sort.Strings(warnings)
	for i, pol := range p.policies {
		c := cfg[pol.Name]
		level := pol.Level
		if c.Level != "" {
			l, lerr := ParseLevel(string(c.Level))
			if lerr != nil {
				problems = append(problems, fmt.Sprintf("%s: enforcementLevel: %v", pol.Name, lerr))
				continue
			}
			level = l
		}
		props := pol.Defaults()
		for k, v := range c.Properties {
			if k == "enforcementLevel" {
				continue
			}
			if !pol.schema.Declares(k) {
				// A typo must not pass silently: the policy would keep its defaults.
				warnings = append(warnings, fmt.Sprintf("policy %s: ignoring unknown property %q", pol.Name, k))
			}
			props[k] = v
		}
		decoded, raw, found := p.decode(i, props, validated)
		if len(found) > 0 {
			problems = append(problems, found...)
			continue
		}
		next.levels[i], next.props[i], next.configs[i], next.raw[i] = level, props, decoded, raw
	}
	if len(problems) > 0 {
		return warnings, &ValidationError{Problems: problems}
	}
	p.settings.Store(next)
	return warnings, nil
}

// decode validates props against the policy's schema and decodes them into
// its config type, once per configuration rather than once per resource.
// Properties the current configuration already holds (the engine sends the
// defaults NewPack applied) keep its decoded config: validation and decoding
// depend on nothing else. The policy's own defaults are not validated
// against its schema (see CheckSchemas), nor are properties Reconcile
// validated already.
func (p *Pack) decode(i int, props map[string]any, validated bool) (cfg any, raw []byte, problems []string) {
	pol := p.policies[i]
	raw, err := json.Marshal(props)
	if err != nil {
		return nil, nil, []string{fmt.Sprintf("%s: %v", pol.Name, err)}
	}
	if cur := p.settings.Load(); cur != nil && bytes.Equal(cur.raw[i], raw) {
		return cur.configs[i], raw, nil
	}
	if !validated && !bytes.Equal(raw, p.defaultsRaw[i]) {
		if problems := validateProperties(pol.Name, pol.schema, props); len(problems) > 0 {
			return nil, nil, problems
		}
	}
	cfg, err = p.decodeRaw(i, raw)
	if err != nil {
		return nil, nil, []string{err.Error()}
	}
	return cfg, raw, nil
}

// decodeRaw decodes a policy's properties into its config type and runs the
// config's own Validate, if it has one.
func (p *Pack) decodeRaw(i int, raw []byte) (any, error) {
	pol := p.policies[i]
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

// Levels returns every policy's resolved level from one configuration, in
// registration order: a concurrent Configure never shows half of it.
func (p *Pack) Levels() []Level {
	return p.settings.Load().levels
}
