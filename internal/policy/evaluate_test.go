package policy_test

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

const bucket = "gcp:storage/bucket:Bucket"

func meta(name string, level policy.Level) policy.Meta {
	return policy.Meta{Name: name, Title: "T", Description: "D", Remediation: "R", URL: "https://cloud.google.com/",
		Severity: policy.High, Level: level, Family: "labels", Types: []string{bucket}}
}

type limitConfig struct {
	Max int `json:"max"`
}

// reporter reports whatever the resource's `report` input asks for.
func reporter(name string, level policy.Level) *policy.Policy {
	m := meta(name, level)
	m.ConfigSchema = `{"type":"object","properties":{"max":{"type":"integer","minimum":0,"default":3}}}`
	return policy.Resource(m, func(c *policy.Call, r *gcp.Resource, cfg *limitConfig) {
		for _, item := range r.Get("report").Items() {
			switch item.Str() {
			case "violation":
				c.Violation("labels.secret", "value %s is wrong (max %d)", r.Get("secret").Display(), cfg.Max)
			case "raw-secret":
				c.Violation("", "leaks %s", r.Get("secret").Str())
			case "raw-label":
				c.Violation("", "leaks %s", r.At("labels", "env").Str())
			case "unknown":
				c.Unknown("labels")
			case "panic":
				panic("boom")
			}
		}
	})
}

func newPack(t *testing.T, ps ...*policy.Policy) *policy.Pack {
	t.Helper()
	p, err := policy.NewPack("pack", "1.2.3", "d", ps)
	require.NoError(t, err)
	return p
}

func res(reports ...string) *gcp.Resource {
	items := make([]property.Value, len(reports))
	for i, r := range reports {
		items[i] = property.New(r)
	}
	return &gcp.Resource{URN: "urn:pulumi:dev::etl::" + bucket + "::b", Type: bucket, Props: property.NewMap(map[string]property.Value{
		"report": property.New(items),
		"secret": property.New("hunter2-password").WithSecret(true),
	})}
}

func TestUnknownIsDroppedWhenTheVerdictIsKnown(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Mandatory))
	fs, _ := pack.Analyze(context.Background(), res("unknown", "violation", "violation"), policy.Options{})
	require.Len(t, fs, 1, "the violation decides; duplicates collapse")
	assert.Equal(t, policy.Violation, fs[0].Kind)
	assert.Equal(t, policy.Mandatory, fs[0].Level)
	assert.Equal(t, "value [secret] is wrong (max 3)", fs[0].Message)

	fs, _ = pack.Analyze(context.Background(), res("unknown"), policy.Options{})
	require.Len(t, fs, 1)
	assert.Equal(t, policy.Unknown, fs[0].Kind)
	assert.Equal(t, policy.Advisory, fs[0].Level)
	assert.Equal(t, "can't run policy 'p' from policy pack 'pack@v1.2.3' during preview: labels can't be known during preview", fs[0].Message)
}

func TestSecretsAreScrubbedEvenWhenAPolicyForgetsDisplay(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Mandatory))
	fs, _ := pack.Analyze(context.Background(), res("raw-secret"), policy.Options{})
	require.Len(t, fs, 1)
	assert.Equal(t, "leaks [secret]", fs[0].Message)
}

func TestPanicFailsClosedAtThePolicyLevel(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Advisory), reporter("q", policy.Mandatory))
	fs, _ := pack.Analyze(context.Background(), res("panic"), policy.Options{})
	require.Len(t, fs, 2)
	for _, f := range fs {
		assert.Equal(t, policy.Violation, f.Kind)
		assert.Contains(t, f.Message, "could not evaluate "+f.Policy+" on urn:pulumi:dev::etl::"+bucket+"::b: internal error")
	}
	assert.Equal(t, policy.Advisory, fs[0].Level)
	assert.Equal(t, policy.Mandatory, fs[1].Level)
}

func TestCancelledContextFailsClosed(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Mandatory))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fs, _ := pack.Analyze(ctx, res(), policy.Options{})
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "cancelled")
}

func TestConfigureValidatesAndSwaps(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Mandatory))
	warnings, err := pack.Configure(map[string]policy.PolicyConfig{"p": {Level: policy.Advisory, Properties: map[string]any{"max": float64(7)}}, "all": {Level: policy.Mandatory}})
	require.NoError(t, err)
	assert.Equal(t, []string{`ignoring configuration for unknown policy "all"`}, warnings)
	assert.Equal(t, policy.Advisory, pack.Level("p"))
	fs, _ := pack.Analyze(context.Background(), res("violation"), policy.Options{})
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "max 7")

	_, err = pack.Configure(map[string]policy.PolicyConfig{"p": {Properties: map[string]any{"max": "lots"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "p: max:")
	assert.Equal(t, policy.Advisory, pack.Level("p"), "a rejected configuration leaves the old one in place")

	_, err = pack.Configure(map[string]policy.PolicyConfig{"p": {Level: "mandtory"}})
	require.ErrorContains(t, err, "p: enforcementLevel")
}

func TestDisabledAndOnlyAndNotApplicable(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Disabled), reporter("q", policy.Mandatory))
	fs, _ := pack.Analyze(context.Background(), res("violation"), policy.Options{})
	require.Len(t, fs, 1)
	assert.Equal(t, "q", fs[0].Policy)
	fs, _ = pack.Analyze(context.Background(), res("violation"), policy.Options{Only: map[string]bool{"p": true}})
	assert.Empty(t, fs)
	_, na := pack.Analyze(context.Background(), &gcp.Resource{Type: "gcp:pubsub/topic:Topic"}, policy.Options{})
	require.Len(t, na, 1, "disabled policies are not listed")
	assert.Equal(t, "Policy only applies to resources of type '"+bucket+"'", na[0].Reason)
}

func TestValidateRejectsMisdeclaredPolicies(t *testing.T) {
	bad := []policy.Meta{
		{Name: "Bad_Name"}, {Name: "all"},
		func() policy.Meta { m := meta("x", policy.Mandatory); m.URL = ""; return m }(),
		func() policy.Meta { m := meta("x", policy.Mandatory); m.Types = nil; return m }(),
		func() policy.Meta { m := meta("x", policy.Mandatory); m.Severity = "huge"; return m }(),
		func() policy.Meta {
			m := meta("x", policy.Mandatory)
			m.ConfigSchema = `{"type":"object","properties":{"enforcementLevel":{"type":"string"}}}`
			return m
		}(),
	}
	for _, m := range bad {
		p := policy.Resource(m, func(*policy.Call, *gcp.Resource, *struct{}) {})
		assert.Error(t, p.Validate(), m.Name)
	}
	_, err := policy.NewPack("pack", "1.0.0", "d", []*policy.Policy{reporter("p", policy.Mandatory), reporter("p", policy.Mandatory)})
	assert.ErrorContains(t, err, "registered twice")
	_, err = policy.NewPack("bad pack name", "1.0.0", "d", nil)
	assert.Error(t, err)
}

func TestConfigureAssertsFormatsLikeTheEngine(t *testing.T) {
	m := meta("p", policy.Mandatory)
	m.ConfigSchema = `{"type":"object","properties":{"pattern":{"type":"string","format":"regex","default":""},
		"issuer":{"type":"string","format":"uri","default":"https://example.com"}}}`
	pack := newPack(t, policy.Resource(m, func(*policy.Call, *gcp.Resource, *struct{}) {}))
	_, err := pack.Configure(map[string]policy.PolicyConfig{"p": {Properties: map[string]any{"pattern": "^(unclosed"}}})
	require.ErrorContains(t, err, "p: pattern")
	_, err = pack.Configure(map[string]policy.PolicyConfig{"p": {Properties: map[string]any{"issuer": "not a uri"}}})
	require.ErrorContains(t, err, "p: issuer")
	_, err = pack.Configure(map[string]policy.PolicyConfig{"p": {Properties: map[string]any{"pattern": "^etl-[a-z]+$"}}})
	require.NoError(t, err)
}

func TestValuesAlsoHeldInTheClearAreNotScrubbed(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Mandatory))
	r := res("raw-label")
	// The same value in plain labels and in secret effectiveLabels, as pulumi-gcp outputs have it.
	r.Props = r.Props.Set("labels", property.New(map[string]property.Value{"env": property.New("prod-europe")})).
		Set("effectiveLabels", property.New(map[string]property.Value{"env": property.New("prod-europe")}).WithSecret(true))
	fs, _ := pack.Analyze(context.Background(), r, policy.Options{})
	require.Len(t, fs, 1)
	assert.Equal(t, "leaks prod-europe", fs[0].Message)
}

func TestSchemasAreCheckedWhenUsed(t *testing.T) {
	bad := meta("bad-default", policy.Mandatory)
	bad.ConfigSchema = `{"type":"object","properties":{"max":{"type":"integer","minimum":5,"default":3}}}`
	broken := meta("broken-schema", policy.Mandatory)
	broken.ConfigSchema = `{"type":"object","properties":{"max":{"type":"integer","pattern":"(unclosed","default":3}}}`
	pack := newPack(t, policy.Resource(bad, func(*policy.Call, *gcp.Resource, *limitConfig) {}),
		policy.Resource(broken, func(*policy.Call, *gcp.Resource, *limitConfig) {}))

	err := pack.CheckSchemas()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad-default: max:")
	assert.Contains(t, err.Error(), "broken-schema: config schema:")

	_, err = pack.Configure(map[string]policy.PolicyConfig{"bad-default": {Properties: map[string]any{"max": float64(4)}}})
	assert.ErrorContains(t, err, "bad-default: max:")
	_, err = pack.Configure(map[string]policy.PolicyConfig{"broken-schema": {Properties: map[string]any{"max": float64(4)}}})
	assert.ErrorContains(t, err, "broken-schema: config schema:")
	_, err = pack.Configure(map[string]policy.PolicyConfig{"bad-default": {Properties: map[string]any{"max": float64(3)}}})
	assert.NoError(t, err, "the defaults themselves are not validated at run time")
}
