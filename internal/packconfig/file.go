// Package packconfig reads the policy pack config file the Pulumi CLI takes
// with --policy-pack-config, as the engine (github.com/pulumi/pulumi/pkg/v3
// v3.274.1, resource/analyzer) reads it; policy.Reconcile then reconciles and
// validates the config as the engine does. It doesn't import the engine: the
// e2e module holds an oracle test that feeds the same inputs to both and
// asserts equal results.
//
// The file has two shapes:
//
//	// version 1 (unversioned): every key but "environments" names a policy.
//	{"all": "mandatory", "p": "disabled", "q": {"enforcementLevel": "advisory", "max": 3},
//	 "environments": ["org/env"]}
//
//	// version 2
//	{"version": 2, "policies": {...as above...}, "environments": [...],
//	 "exceptions": {"EXC-1": {"reason": "...", "match": [{"policies": ["p"], "targets": ["urn:pulumi:..."]}]}}}
//
// A policy's value is either an enforcement level string or an object holding
// an optional "enforcementLevel" and the policy's properties. JSON numbers are
// float64, as in the engine.
package packconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// File is a parsed --policy-pack-config file.
type File struct {
	// Policies is the config of each policy, keyed by policy name. Keys are
	// kept as written: "all", names of policies the pack doesn't have, and
	// typos. Entries with neither a level nor properties are dropped. Nil for
	// an empty file.
	Policies map[string]policy.PolicyConfig
	// Environments are the ESC environments named by "environments".
	Environments []string
	// Exceptions are the policy exceptions of a version 2 file, in ID order.
	Exceptions Exceptions
}

// levelKey is the key of a policy's enforcement level inside its object.
const levelKey = "enforcementLevel"

// ReadFile reads and parses a policy pack config file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy pack config: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("policy pack config %s: %w", path, err)
	}
	return f, nil
}

// Parse parses the content of a policy pack config file. Blank content is an
// empty config.
func Parse(data []byte) (*File, error) {
	if strings.TrimSpace(string(data)) == "" {
		return &File{}, nil
	}
	// A JSON null parses to a nil map, which is an empty version 1 file, as in
	// the engine.
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	// Only a numeric "version" makes a versioned file; any other value makes
	// "version" the name of a policy.
	if v, ok := top["version"].(float64); ok {
		return parseVersioned(data, v)
	}

	var envs []string
	if raw, ok := top["environments"]; ok {
		list, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf(`"environments" must be an array of strings, got %s`, jsonKind(raw))
		}
		envs = make([]string, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf(`"environments[%d]" must be a string, got %s`, i, jsonKind(e))
			}
			envs = append(envs, s)
		}
		delete(top, "environments")
	}
	policies, err := parsePolicies(top)
	if err != nil {
		return nil, err
	}
	return &File{Policies: policies, Environments: envs}, nil
}

// parseVersioned parses a file with a numeric "version".
func parseVersioned(data []byte, version float64) (*File, error) {
	if version > 2 {
		return nil, fmt.Errorf("policy pack config version %v is not supported (this pack reads version 2)", version)
	}
	if version != 2 {
		return nil, errors.New(`"version" must be 2`)
	}
	// encoding/json matches these keys case-insensitively, like the engine,
	// which decodes the file the same way; other keys are ignored.
	var doc struct {
		Environments []string        `json:"environments"`
		Policies     map[string]any  `json:"policies"`
		Exceptions   json.RawMessage `json:"exceptions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid version 2 policy pack config: %w", err)
	}
	policies, err := parsePolicies(doc.Policies)
	if err != nil {
		return nil, err
	}
	exceptions, err := parseExceptionsBlock(doc.Exceptions)
	if err != nil {
		return nil, err
	}
	return &File{Policies: policies, Environments: doc.Environments, Exceptions: exceptions}, nil
}

// parsePolicies parses each policy's config. It takes ownership of the maps
// in raw. Names are visited in order, so the error is deterministic.
func parsePolicies(raw map[string]any) (map[string]policy.PolicyConfig, error) {
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)

	result := make(map[string]policy.PolicyConfig)
	for _, name := range names {
		var cfg policy.PolicyConfig
		switch v := raw[name].(type) {
		case string:
			level, err := policy.ParseLevel(v)
			if err != nil {
				return nil, fmt.Errorf("policy %q: %w", name, err)
			}
			cfg.Level = level
		case map[string]any:
			if l, ok := v[levelKey]; ok {
				s, ok := l.(string)
				if !ok {
					return nil, fmt.Errorf("policy %q: %q must be a string, got %s", name, levelKey, jsonKind(l))
				}
				level, err := policy.ParseLevel(s)
				if err != nil {
					return nil, fmt.Errorf("policy %q: %w", name, err)
				}
				cfg.Level = level
				delete(v, levelKey)
			}
			if len(v) > 0 {
				cfg.Properties = v
			}
		default:
			return nil, fmt.Errorf("policy %q: must be an enforcement level string or an object, got %s",
				name, jsonKind(v))
		}
		if cfg.Level == "" && len(cfg.Properties) == 0 {
			continue // the engine drops empty entries
		}
		result[name] = cfg
	}
	return result, nil
}

// jsonKind names the JSON type of a decoded value, for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
