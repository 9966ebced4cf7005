package packconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// PolicyDefault is what GetAnalyzerInfo says of a policy.
type PolicyDefault struct {
	Name  string
	Level policy.Level
	// Schema is the JSON text {"type":"object","properties":{...},"required":[...]}
	// of the policy's config, or "" for a policy without config. Only
	// "properties" and "required" matter: they are all the engine receives.
	Schema string
}

// allKey is the config key that applies a level to every policy.
const allKey = "all"

// Reconcile applies the engine's reconciliation: defaults, then each layer in
// order (initial config, then the file).
//
// Defaults are each policy's level and the "default" of each top-level schema
// property (nested defaults aren't applied). In each layer, a valid level
// under "all" first becomes the level of every entry so far (properties
// untouched); then every key of the layer, "all" and unknown names included,
// is applied: a valid level replaces the level, properties are merged in
// shallowly. The result is then validated (see Validate); on failure Reconcile
// returns nil and the *ValidationError. Inputs aren't modified.
func Reconcile(policies []PolicyDefault, layers ...map[string]policy.PolicyConfig) (map[string]policy.PolicyConfig, error) {
	result := make(map[string]policy.PolicyConfig, len(policies))
	for _, p := range policies {
		cfg := policy.PolicyConfig{Level: p.Level}
		if p.Schema != "" {
			s, err := parseSchema(p.Schema)
			if err != nil {
				return nil, fmt.Errorf("policy %q: invalid config schema: %w", p.Name, err)
			}
			cfg.Properties = s.defaults()
		}
		result[p.Name] = cfg
	}
	for _, layer := range layers {
		apply(result, layer)
	}
	if err := Validate(policies, result); err != nil {
		return nil, err
	}
	return result, nil
}

// apply merges one layer into result. Property maps in result are owned by
// result: a layer's maps are copied, never shared.
func apply(result, layer map[string]policy.PolicyConfig) {
	if all, ok := layer[allKey]; ok && validLevel(all.Level) {
		for name, cfg := range result {
			cfg.Level = all.Level
			result[name] = cfg
		}
	}
	for name, given := range layer {
		cfg := result[name]
		if validLevel(given.Level) {
			cfg.Level = given.Level
		}
		if len(given.Properties) > 0 {
			if cfg.Properties == nil {
				cfg.Properties = make(map[string]any, len(given.Properties))
			}
			maps.Copy(cfg.Properties, given.Properties)
		}
		result[name] = cfg
	}
}

func validLevel(l policy.Level) bool {
	_, err := policy.ParseLevel(string(l))
	return err == nil
}

// ValidationError lists every problem Validate found, each as
// "<policy>: <field>: <problem>" ("(root)" for the properties object itself).
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid policy config: " + strings.Join(e.Problems, "; ")
}

// Validate validates each policy's properties against its schema; the error lists every problem, each naming the
// policy and the field, in the engine's spirit ("<policy>: <field>: <problem>").
//
// As in the engine, only policies with a schema are validated, each against
// {"type": "object", "properties": ..., "required": ...} (so properties the
// schema doesn't declare are allowed), and a policy missing from config is
// validated as {}. The returned error is a *ValidationError, or another error
// if a schema is itself invalid.
func Validate(policies []PolicyDefault, config map[string]policy.PolicyConfig) error {
	var problems []string
	for _, p := range policies {
		if p.Schema == "" {
			continue
		}
		s, err := parseSchema(p.Schema)
		if err != nil {
			return fmt.Errorf("policy %q: invalid config schema: %w", p.Name, err)
		}
		sch, err := s.compile()
		if err != nil {
			return fmt.Errorf("policy %q: invalid config schema: %w", p.Name, err)
		}
		props := config[p.Name].Properties
		if props == nil {
			props = map[string]any{}
		}
		err = sch.Validate(props)
		if err == nil {
			continue
		}
		var verr *jsonschema.ValidationError
		if !errors.As(err, &verr) {
			return fmt.Errorf("policy %q: validating config: %w", p.Name, err)
		}
		var found []string
		describe(verr, func(field, problem string) {
			found = append(found, fmt.Sprintf("%s: %s: %s", p.Name, field, problem))
		})
		sort.Strings(found)
		problems = append(problems, found...)
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// schema is the part of a policy's config schema the engine receives.
type schema struct {
	text       string
	properties map[string]any // each value is an object
	required   []string
}

func parseSchema(text string) (*schema, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	s := &schema{text: text}
	if raw, ok := doc["properties"]; ok && raw != nil {
		props, ok := raw.(map[string]any)
		if !ok {
			return nil, errors.New(`"properties" must be an object`)
		}
		for name, p := range props {
			// The engine's GetAnalyzerInfo conversion requires objects.
			if _, ok := p.(map[string]any); !ok {
				return nil, fmt.Errorf("property %q: schema must be an object", name)
			}
		}
		s.properties = props
	}
	if raw, ok := doc["required"]; ok && raw != nil {
		list, ok := raw.([]any)
		if !ok {
			return nil, errors.New(`"required" must be an array of strings`)
		}
		for _, r := range list {
			name, ok := r.(string)
			if !ok {
				return nil, errors.New(`"required" must be an array of strings`)
			}
			s.required = append(s.required, name)
		}
	}
	return s, nil
}

// defaults returns the "default" of each top-level property, or nil if none
// has one. The values are fresh (decoded from the text for this call).
func (s *schema) defaults() map[string]any {
	var out map[string]any
	for name, p := range s.properties {
		if v, ok := p.(map[string]any)["default"]; ok {
			if out == nil {
				out = make(map[string]any)
			}
			out[name] = v
		}
	}
	return out
}

// compile builds the schema the engine validates against:
// {"type": "object", "properties": ..., "required": ...}, dropping anything
// else at the top level. It's compiled as draft 7 (the engine uses
// gojsonschema, whose keywords are those of drafts 4 to 7; draft 4's boolean
// exclusiveMinimum/exclusiveMaximum make the schema invalid here), asserting
// formats the way the engine does (see policy.RegisterEngineFormats).
func (s *schema) compile() (*jsonschema.Schema, error) {
	// Decode again with json.Number, which keeps the schema's numbers exact.
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(s.text)))
	if err != nil {
		return nil, err
	}
	top := map[string]any{"type": "object"}
	if len(s.properties) > 0 {
		top["properties"] = doc.(map[string]any)["properties"]
	}
	if len(s.required) > 0 {
		req := make([]any, len(s.required))
		for i, r := range s.required {
			req[i] = r
		}
		top["required"] = req
	}
	const loc = "mem://packconfig/policy-config-schema.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	policy.RegisterEngineFormats(c)
	if err := c.AddResource(loc, top); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

var printer = message.NewPrinter(language.English)

// describe reports each problem of a validation error with the field it's
// about (a dotted path into the properties).
func describe(e *jsonschema.ValidationError, report func(field, problem string)) {
	at := func(extra ...string) string {
		path := append(append([]string{}, e.InstanceLocation...), extra...)
		if len(path) == 0 {
			return "(root)"
		}
		return strings.Join(path, ".")
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				describe(c, report)
			}
			return
		}
	case *kind.Required:
		for _, m := range k.Missing {
			report(at(m), "is required")
		}
		return
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			report(at(p), "is not allowed")
		}
		return
	}
	report(at(), e.ErrorKind.LocalizedString(printer))
}
