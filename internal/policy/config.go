package policy

import (
	"fmt"
	"maps"
)

// PolicyConfig is one policy's configuration as the engine reconciles it: an
// enforcement level ("" when not given) and the policy's properties.
type PolicyConfig struct {
	Level      Level
	Properties map[string]any
}

// PolicyDefault is what GetAnalyzerInfo says of a policy: its default level
// and its config schema.
type PolicyDefault struct {
	Name   string
	Level  Level
	Schema *Schema // nil for a policy without config
}

// allKey is the config key that applies a level to every policy.
const allKey = "all"

// Reconcile applies the engine's reconciliation (github.com/pulumi/pulumi/pkg/v3
// v3.274.1, resource/analyzer, checked against it by the e2e oracle):
// defaults, then each layer in order (the pack's initial config, then the
// --policy-pack-config file).
//
// Defaults are each policy's level and the "default" of each top-level schema
// property (nested defaults are not applied). In each layer, a valid level
// under "all" first becomes the level of every entry so far (properties
// untouched); then every key of the layer, "all" and unknown names included,
// is applied: a valid level replaces the level, properties are merged in
// shallowly. The result is then validated: each policy with a schema, its
// defaults included, as Schema.Validate does; on failure Reconcile returns
// nil and a *ValidationError. Inputs are not modified.
func Reconcile(policies []PolicyDefault, layers ...map[string]PolicyConfig) (map[string]PolicyConfig, error) {
	result := make(map[string]PolicyConfig, len(policies))
	for _, p := range policies {
		cfg := PolicyConfig{Level: p.Level}
		if p.Schema != nil {
			cfg.Properties = p.Schema.Defaults()
		}
		result[p.Name] = cfg
	}
	for _, layer := range layers {
		applyLayer(result, layer)
	}
	var problems []string
	for _, p := range policies {
		if p.Schema == nil {
			continue
		}
		problems = append(problems, validateProperties(p.Name, p.Schema, result[p.Name].Properties)...)
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return result, nil
}

// validateProperties validates one policy's properties, each problem named
// after the policy.
func validateProperties(name string, s *Schema, props map[string]any) []string {
	problems, err := s.Validate(props)
	if err != nil {
		return []string{fmt.Sprintf("%s: config schema: %v", name, err)}
	}
	for i, p := range problems {
		problems[i] = name + ": " + p
	}
	return problems
}

// applyLayer merges one layer into result. Property maps in result are owned
// by result: a layer's maps are copied, never shared.
func applyLayer(result, layer map[string]PolicyConfig) {
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

func validLevel(l Level) bool {
	_, err := ParseLevel(string(l))
	return err == nil
}
