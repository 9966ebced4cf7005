package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schema is a policy's config schema, parsed once: what GetAnalyzerInfo
// sends, what the docs and `describe` show, and the one validator every
// configuration goes through (the engine's rules: see Validate).
type Schema struct {
	text       string
	doc        map[string]any // the whole schema, decoded
	properties map[string]any // property name -> its schema, a JSON object
	required   []string
	defaults   map[string]any // the "default" of each top-level property that has one
	ignored    []string       // top-level keys the engine never receives, sorted

	once     sync.Once // compiles on first use (see Validate)
	compiled *jsonschema.Schema
	err      error
}

// ParseSchema parses a config schema: {"type": "object", "properties":
// {...}, "required": [...]}. As in the engine, only "properties" (each an
// object) and "required" matter; anything else at the top level is ignored
// here (Policy.Validate refuses it in a policy's own schema). An empty text
// is a schema without properties.
func ParseSchema(text string) (*Schema, error) {
	s := &Schema{text: text}
	if text == "" {
		return s, nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	s.doc = doc
	for key, v := range doc {
		if key != "properties" && key != "required" && (key != "type" || v != "object") {
			s.ignored = append(s.ignored, key)
		}
	}
	sort.Strings(s.ignored)
	if raw, ok := doc["properties"]; ok && raw != nil {
		props, ok := raw.(map[string]any)
		if !ok {
			return nil, errors.New(`"properties" must be an object`)
		}
		for name, p := range props {
			// The engine's GetAnalyzerInfo conversion requires objects.
			obj, ok := p.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("property %q: schema must be an object", name)
			}
			if d, ok := obj["default"]; ok {
				if s.defaults == nil {
					s.defaults = map[string]any{}
				}
				s.defaults[name] = d
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

// Text is the schema as the policy declares it.
func (s *Schema) Text() string { return s.text }

// Compact is the schema as compact JSON, keys sorted (`describe`).
func (s *Schema) Compact() json.RawMessage {
	if s.text == "" {
		return nil
	}
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(s.doc) // decoded from JSON: encodes
	return bytes.TrimSpace(b.Bytes())
}

// Empty reports whether the policy has no config schema at all.
func (s *Schema) Empty() bool { return s.text == "" }

// Properties returns each top-level property's schema, as GetAnalyzerInfo
// sends them. The map is shared: it must not be modified.
func (s *Schema) Properties() map[string]any { return s.properties }

// Property returns one property's schema, or nil.
func (s *Schema) Property(name string) map[string]any {
	p, _ := s.properties[name].(map[string]any)
	return p
}

// Names lists the top-level property names, sorted.
func (s *Schema) Names() []string { return slices.Sorted(maps.Keys(s.properties)) }

// Declares reports whether the schema has a top-level property name.
func (s *Schema) Declares(name string) bool {
	_, ok := s.properties[name]
	return ok
}

// Required lists the required properties.
func (s *Schema) Required() []string { return s.required }

// Defaults returns a fresh copy of the top-level properties' defaults
// (nested defaults are not applied, as in the engine), nil when none has one.
func (s *Schema) Defaults() map[string]any {
	if s.defaults == nil {
		return nil
	}
	return cloneJSON(s.defaults).(map[string]any)
}

// Validate checks a policy's properties the way the engine does before it
// sends Configure: against {"type": "object", "properties": ...,
// "required": ...} in JSON Schema draft 7 (the engine's gojsonschema knows
// drafts 4 to 7), so properties the schema does not declare are allowed,
// with "format" asserted as the engine asserts it (engineFormats). nil props
// validate as {}. Each problem reads "<field>: <problem>", the field a dotted
// path into the properties ("(root)" for the object itself); err is set when
// the schema itself does not compile.
//
// The schema compiles on first use: compiling the catalog's, with their
// Unicode label patterns, was most of the pack's start-up time.
func (s *Schema) Validate(props map[string]any) (problems []string, err error) {
	if s.text == "" {
		return nil, nil
	}
	s.once.Do(func() { s.compiled, s.err = s.compile() })
	if s.err != nil {
		return nil, s.err
	}
	if props == nil {
		props = map[string]any{}
	}
	verr := s.compiled.Validate(props)
	if verr == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return nil, verr
	}
	describe(ve, func(field, problem string) { problems = append(problems, field+": "+problem) })
	sort.Strings(problems)
	return problems, nil
}

// compile builds the schema the engine validates against, dropping anything
// else at the top level. Draft 4's boolean exclusiveMinimum/exclusiveMaximum
// make a schema invalid here; the engine accepts them (a known difference,
// see the e2e oracle).
func (s *Schema) compile() (*jsonschema.Schema, error) {
	// Decode again with json.Number, which keeps the schema's numbers exact.
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(s.text))
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
	const loc = "mem://policy/config-schema.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	c.UseRegexpEngine(schemaRegexp)
	registerEngineFormats(c)
	if err := c.AddResource(loc, top); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

// printer words schema errors; built on first use, not at start-up.
var printer = sync.OnceValue(func() *message.Printer { return message.NewPrinter(language.English) })

// describe reports each problem of a validation error with the field it is
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
	report(at(), e.ErrorKind.LocalizedString(printer()))
}

// ValidationError lists every problem a configuration has, each as
// "<policy>: <field>: <problem>" or "<policy>: <problem>".
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid policy config: " + strings.Join(e.Problems, "; ")
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
