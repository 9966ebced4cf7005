package policy_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type (
	cfgs  = map[string]policy.PolicyConfig
	props = map[string]any
)

// schema parses a test schema.
func schema(t testing.TB, text string) *policy.Schema {
	t.Helper()
	s, err := policy.ParseSchema(text)
	require.NoError(t, err)
	return s
}

func testPolicies(t testing.TB) []policy.PolicyDefault {
	return []policy.PolicyDefault{
		{Name: "no-default-sa", Level: policy.Mandatory},
		{Name: "max-workers", Level: policy.Advisory, Schema: schema(t, `{"type": "object", "properties": {
		"limit": {"type": "integer", "minimum": 1, "default": 10},
		"regions": {"type": "array", "items": {"type": "string"}, "default": ["europe-west1"]},
		"nested": {"type": "object", "properties": {"x": {"type": "string", "default": "no"}}}
	}}`)},
		{Name: "labels", Level: policy.Remediate, Schema: schema(t, `{"type": "object", "properties": {
		"keys": {"type": "array", "items": {"type": "string"}, "minItems": 1}
	}, "required": ["keys"]}`)},
		{Name: "no-config-props", Level: policy.Disabled, Schema: schema(t, `{"type": "object"}`)},
	}
}

// labelsOK satisfies the required "keys" of the labels policy.
var labelsOK = cfgs{"labels": {Properties: props{"keys": []any{"team"}}}}

func TestReconcile(t *testing.T) {
	t.Parallel()

	defaults := func() cfgs {
		return cfgs{
			"no-default-sa":   {Level: policy.Mandatory},
			"max-workers":     {Level: policy.Advisory, Properties: props{"limit": float64(10), "regions": []any{"europe-west1"}}},
			"labels":          {Level: policy.Remediate, Properties: props{"keys": []any{"team"}}},
			"no-config-props": {Level: policy.Disabled},
		}
	}
	tests := []struct {
		name   string
		layers []cfgs
		want   func(cfgs)
	}{
		{name: "defaults only", layers: []cfgs{labelsOK}, want: func(cfgs) {}},
		{
			name:   "level string",
			layers: []cfgs{labelsOK, {"no-default-sa": {Level: policy.Disabled}}},
			want:   func(w cfgs) { w["no-default-sa"] = policy.PolicyConfig{Level: policy.Disabled} },
		},
		{
			name:   "props merge shallowly over defaults",
			layers: []cfgs{labelsOK, {"max-workers": {Properties: props{"limit": float64(5), "extra": "kept"}}}},
			want: func(w cfgs) {
				w["max-workers"] = policy.PolicyConfig{Level: policy.Advisory, Properties: props{
					"limit": float64(5), "regions": []any{"europe-west1"}, "extra": "kept",
				}}
			},
		},
		{
			name: "all overrides levels, not props, then keys apply",
			layers: []cfgs{labelsOK, {
				"all":         {Level: policy.Mandatory, Properties: props{"limit": float64(1)}},
				"max-workers": {Level: policy.Disabled},
			}},
			want: func(w cfgs) {
				for _, n := range []string{"no-default-sa", "labels", "no-config-props"} {
					c := w[n]
					c.Level = policy.Mandatory
					w[n] = c
				}
				w["max-workers"] = policy.PolicyConfig{Level: policy.Disabled, Properties: w["max-workers"].Properties}
				w["all"] = policy.PolicyConfig{Level: policy.Mandatory, Properties: props{"limit": float64(1)}}
			},
		},
		{
			name:   "all without a level only adds the all entry",
			layers: []cfgs{labelsOK, {"all": {Properties: props{"x": true}}}},
			want:   func(w cfgs) { w["all"] = policy.PolicyConfig{Properties: props{"x": true}} },
		},
		{
			name:   "all in a later layer overrides an earlier layer's level",
			layers: []cfgs{{"labels": {Level: policy.Advisory, Properties: props{"keys": []any{"a"}}}}, {"all": {Level: policy.Disabled}}},
			want: func(w cfgs) {
				for n, c := range w {
					c.Level = policy.Disabled
					w[n] = c
				}
				w["labels"] = policy.PolicyConfig{Level: policy.Disabled, Properties: props{"keys": []any{"a"}}}
				w["all"] = policy.PolicyConfig{Level: policy.Disabled}
			},
		},
		{
			name:   "all also sets unknown keys of earlier layers",
			layers: []cfgs{{"typo": {Properties: props{"a": 1.0}}}, labelsOK, {"all": {Level: policy.Advisory}}},
			want: func(w cfgs) {
				for n, c := range w {
					c.Level = policy.Advisory
					w[n] = c
				}
				w["typo"] = policy.PolicyConfig{Level: policy.Advisory, Properties: props{"a": 1.0}}
				w["all"] = policy.PolicyConfig{Level: policy.Advisory}
			},
		},
		{
			name:   "invalid level in a layer is ignored",
			layers: []cfgs{labelsOK, {"no-default-sa": {Level: "loud"}, "all": {Level: "loud"}}},
			want:   func(w cfgs) { w["all"] = policy.PolicyConfig{} },
		},
		{
			name:   "empty props keep nil",
			layers: []cfgs{labelsOK, {"no-config-props": {Properties: props{}}}},
			want:   func(cfgs) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := defaults()
			tt.want(want)
			got, err := policy.Reconcile(testPolicies(t), tt.layers...)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestReconcileDoesNotModifyInputs(t *testing.T) {
	t.Parallel()

	layer := cfgs{"max-workers": {Properties: props{"limit": float64(3)}}, "labels": {Properties: props{"keys": []any{"x"}}}}
	_, err := policy.Reconcile(testPolicies(t), layer, cfgs{"max-workers": {Properties: props{"limit": float64(4)}}})
	require.NoError(t, err)
	assert.Equal(t, props{"limit": float64(3)}, layer["max-workers"].Properties)
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		layers []cfgs
		want   []string
	}{
		{name: "required missing", want: []string{"labels: keys: is required"}},
		{
			name:   "wrong type and too small",
			layers: []cfgs{labelsOK, {"max-workers": {Properties: props{"limit": float64(0), "regions": "eu"}}}},
			want:   []string{"max-workers: limit: minimum: got 0, want 1", "max-workers: regions: got string, want array"},
		},
		{
			name:   "integer",
			layers: []cfgs{labelsOK, {"max-workers": {Properties: props{"limit": 2.5}}}},
			want:   []string{"max-workers: limit: got number, want integer"},
		},
		{
			name:   "nested path",
			layers: []cfgs{{"labels": {Properties: props{"keys": []any{"a", 7.0}}}}},
			want:   []string{"labels: keys.1: got number, want string"},
		},
		{
			name:   "several policies",
			layers: []cfgs{{"labels": {Properties: props{"keys": []any{}}}, "max-workers": {Properties: props{"limit": "x"}}}},
			want:   []string{"max-workers: limit: got string, want integer", "labels: keys: minItems: got 0, want 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := policy.Reconcile(testPolicies(t), tt.layers...)
			assert.Nil(t, got)
			var verr *policy.ValidationError
			require.True(t, errors.As(err, &verr), "%v", err)
			assert.Equal(t, tt.want, verr.Problems)
			for _, p := range tt.want {
				assert.ErrorContains(t, err, p)
			}
		})
	}
}

func TestInvalidDefaultIsAValidationError(t *testing.T) {
	t.Parallel()

	_, err := policy.Reconcile([]policy.PolicyDefault{{Name: "p", Level: policy.Advisory,
		Schema: schema(t, `{"properties": {"n": {"type": "string", "maxLength": 2, "default": "long"}}}`)}})
	var verr *policy.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Len(t, verr.Problems, 1)
	assert.Contains(t, verr.Problems[0], "p: n: ")
}

func TestInvalidSchema(t *testing.T) {
	t.Parallel()

	for _, s := range []string{`{`, `{"properties": {"n": true}}`} {
		_, err := policy.ParseSchema(s)
		assert.Error(t, err, s)
	}
	_, err := policy.Reconcile([]policy.PolicyDefault{{Name: "p", Level: policy.Advisory,
		Schema: schema(t, `{"properties": {"n": {"type": 5}}}`)}})
	assert.ErrorContains(t, err, `p: config schema: `)
}

func TestFormatsFollowTheEngine(t *testing.T) {
	t.Parallel()

	tests := []struct {
		format string
		value  any
		valid  bool
	}{
		{"email", "Data Team <data@example.com>", true},
		{"email", "data", false},
		{"email", float64(5), false},
		{"email", true, true},
		{"date-time", "2024-01-01", true},
		{"date-time", "2024-01-01 10:00:00", false},
		{"time", "10:00:00", true},
		{"uri", "gs://bucket/x", true},
		{"uri", "bucket/x", false},
		{"uri-template", "https://x/{a}/{b", false},
		{"hostname", "dataflow.googleapis.com", true},
		{"hostname", "a_b", false},
		{"uuid", "123e4567-e89b-12d3-a456-426614174000", true},
		{"uuid", "123E4567-E89B-12D3-A456-426614174000", false},
		{"ipv4", "10.0.0.1", true},
		{"ipv6", "10.0.0.1", false},
		{"json-pointer", "/a~2", false},
		{"relative-json-pointer", "1/a", true},
		{"duration", "one day", true},
		{"no-such-format", "x", true},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+fmt.Sprint(tt.value), func(t *testing.T) {
			t.Parallel()
			defs := []policy.PolicyDefault{{Name: "p", Level: policy.Advisory,
				Schema: schema(t, `{"properties": {"v": {"format": "`+tt.format+`"}}}`)}}
			_, err := policy.Reconcile(defs, cfgs{"p": {Properties: props{"v": tt.value}}})
			if tt.valid {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "p: v: ")
			}
		})
	}
}
