package packconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type cfgs = map[string]policy.PolicyConfig
type props = map[string]any

func TestParse(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		json     string
		policies cfgs
		envs     []string
	}{
		{name: "empty", json: ""},
		{name: "blank", json: " \n\t "},
		{name: "null", json: "null", policies: cfgs{}},
		{name: "empty object", json: "{}", policies: cfgs{}},
		{
			name: "v1 levels",
			json: `{"a": "advisory", "b": "mandatory", "c": "remediate", "d": "disabled"}`,
			policies: cfgs{
				"a": {Level: policy.Advisory}, "b": {Level: policy.Mandatory},
				"c": {Level: policy.Remediate}, "d": {Level: policy.Disabled},
			},
		},
		{
			name: "v1 objects",
			json: `{"a": {"enforcementLevel": "advisory", "max": 3, "tags": {"x": [1, "y"]}}, "b": {"max": 2.5}}`,
			policies: cfgs{
				"a": {Level: policy.Advisory, Properties: props{"max": float64(3), "tags": props{"x": []any{float64(1), "y"}}}},
				"b": {Properties: props{"max": 2.5}},
			},
		},
		{
			name:     "empty entries are dropped",
			json:     `{"a": {}, "b": {"enforcementLevel": "disabled"}}`,
			policies: cfgs{"b": {Level: policy.Disabled}},
		},
		{
			name:     "v1 all and unknown keys kept",
			json:     `{"all": "mandatory", "no-such-policy": {"x": true}}`,
			policies: cfgs{"all": {Level: policy.Mandatory}, "no-such-policy": {Properties: props{"x": true}}},
		},
		{
			name:     "v1 environments",
			json:     `{"environments": ["org/a", "org/b"], "p": "advisory"}`,
			policies: cfgs{"p": {Level: policy.Advisory}},
			envs:     []string{"org/a", "org/b"},
		},
		{
			name:     "v1 empty environments",
			json:     `{"environments": []}`,
			policies: cfgs{},
			envs:     []string{},
		},
		{
			name:     "v1 non-numeric version is a policy",
			json:     `{"version": "advisory", "exceptions": {"x": 1}, "policies": "disabled"}`,
			policies: cfgs{"version": {Level: policy.Advisory}, "exceptions": {Properties: props{"x": float64(1)}}, "policies": {Level: policy.Disabled}},
		},
		{
			name: "v2",
			json: `{"version": 2, "environments": ["org/e"], "policies": {"all": "advisory", "p": {"enforcementLevel": "remediate", "n": 1}}, "other": 1}`,
			policies: cfgs{
				"all": {Level: policy.Advisory},
				"p":   {Level: policy.Remediate, Properties: props{"n": float64(1)}},
			},
			envs: []string{"org/e"},
		},
		{name: "v2 only version", json: `{"version": 2.0}`, policies: cfgs{}},
		{name: "v2 keys are case-insensitive", json: `{"version": 2, "Policies": {"p": "disabled"}}`, policies: cfgs{"p": {Level: policy.Disabled}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse([]byte(tt.json))
			require.NoError(t, err)
			assert.Equal(t, tt.policies, f.Policies)
			assert.Equal(t, tt.envs, f.Environments)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()

	tests := []struct{ name, json, err string }{
		{"invalid JSON", `{"a": `, "invalid JSON"},
		{"not an object", `["advisory"]`, "invalid JSON"},
		{"bad level string", `{"p": "loud"}`, `policy "p": unsupported enforcement level "loud"`},
		{"empty level string", `{"p": ""}`, `policy "p": unsupported enforcement level ""`},
		{"level case matters", `{"p": "Advisory"}`, `unsupported enforcement level "Advisory"`},
		{"bad level in object", `{"p": {"enforcementLevel": "warn"}}`, `policy "p": unsupported enforcement level "warn"`},
		{"non-string level", `{"p": {"enforcementLevel": 1}}`, `policy "p": "enforcementLevel" must be a string, got a number`},
		{"null level", `{"p": {"enforcementLevel": null}}`, `"enforcementLevel" must be a string, got null`},
		{"number value", `{"p": 1}`, `policy "p": must be an enforcement level string or an object, got a number`},
		{"null value", `{"p": null}`, `got null`},
		{"array value", `{"p": []}`, `got an array`},
		{"bad environments", `{"environments": "org/e"}`, `"environments" must be an array of strings`},
		{"null environments", `{"environments": null}`, `"environments" must be an array of strings, got null`},
		{"bad environment", `{"environments": ["a", 1]}`, `"environments[1]" must be a string`},
		{"version 3", `{"version": 3}`, "policy pack config version 3 is not supported"},
		{"version 2.5", `{"version": 2.5}`, "policy pack config version 2.5 is not supported"},
		{"version 1", `{"version": 1}`, `"version" must be 2`},
		{"version 0", `{"version": 0, "p": "advisory"}`, `"version" must be 2`},
		{"v2 bad level", `{"version": 2, "policies": {"p": "loud"}}`, `policy "p": unsupported enforcement level "loud"`},
		{"v2 policies not an object", `{"version": 2, "policies": []}`, "invalid version 2 policy pack config"},
		{"v2 bad environments", `{"version": 2, "environments": [1]}`, "invalid version 2 policy pack config"},
		{"v2 bad exceptions", `{"version": 2, "exceptions": []}`, `"exceptions" must be an object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse([]byte(tt.json))
			assert.Nil(t, f)
			assert.ErrorContains(t, err, tt.err)
		})
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"version": 2, "policies": {"p": "advisory"}}`), 0o600))
	f, err := ReadFile(good)
	require.NoError(t, err)
	assert.Equal(t, cfgs{"p": {Level: policy.Advisory}}, f.Policies)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"p": "loud"}`), 0o600))
	_, err = ReadFile(bad)
	assert.ErrorContains(t, err, bad)
	assert.ErrorContains(t, err, `"loud"`)

	missing := filepath.Join(dir, "missing.json")
	_, err = ReadFile(missing)
	assert.ErrorContains(t, err, missing)
}
