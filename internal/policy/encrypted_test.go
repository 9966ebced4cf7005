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

// unknownAt reports the resource's `unknownAt` input as an unknown path.
func unknownAt(name string, level policy.Level) *policy.Policy {
	return policy.Resource(meta(name, level), func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		c.Unknown(r.Get("unknownAt").Str())
	})
}

func unknownRes(path string) *gcp.Resource {
	return &gcp.Resource{URN: "urn:pulumi:dev::etl::" + bucket + "::b", Type: bucket,
		Props: property.NewMap(map[string]property.Value{"unknownAt": property.New(path)})}
}

func encryptedAt(paths ...string) func(string) []string {
	return func(urn string) []string {
		if urn == "urn:pulumi:dev::etl::"+bucket+"::b" {
			return paths
		}
		return nil
	}
}

// TestEncryptedUnknownKeepsThePolicyLevel: in `check`, an unknown that an
// encrypted value explains is reported at the policy's level and says how
// to make it readable; any other unknown stays the preview advisory.
func TestEncryptedUnknownKeepsThePolicyLevel(t *testing.T) {
	cases := []struct {
		reported  string
		encrypted []string
		covered   bool
	}{
		{"role", []string{"role"}, true},
		{"bindings", []string{"bindings[0].role"}, true},      // holds it
		{"bindings[0].role", []string{"bindings"}, true},      // lies inside it
		{`labels["a.b"]`, []string{`labels["a.b"]`}, true},    // quoted key
		{"labels", []string{`labels["a.b"]`}, true},           // quoted key below
		{"roles", []string{"role"}, false},                    // a prefix, not a path prefix
		{"role", []string{"roles"}, false},                    // idem
		{"member", []string{"role"}, false},                   // a computed value beside an encrypted one
		{"bindings[1]", []string{"bindings[10]"}, false},      // another element
		{"", []string{"role"}, false},                         // no path: not put down to encryption
		{"labels.team", []string{"labels.team2", "x"}, false}, // a sibling
	}
	for _, tc := range cases {
		t.Run(tc.reported+" vs "+tc.encrypted[0], func(t *testing.T) {
			pack := newPack(t, unknownAt("p", policy.Mandatory))
			fs, _ := pack.Analyze(context.Background(), unknownRes(tc.reported),
				policy.Options{Mode: policy.CheckMode, Encrypted: encryptedAt(tc.encrypted...)})
			require.Len(t, fs, 1)
			assert.Equal(t, policy.Unknown, fs[0].Kind)
			if !tc.covered {
				assert.Equal(t, policy.Advisory, fs[0].Level)
				assert.Contains(t, fs[0].Message, "during preview")
				return
			}
			assert.Equal(t, policy.Mandatory, fs[0].Level)
			assert.Equal(t, "can't run policy 'p' from policy pack 'pack@v1.2.3': "+tc.reported+" is encrypted in this stack export; "+
				"export the stack with `pulumi stack export --show-secrets` to check it", fs[0].Message)
		})
	}
}

func TestEncryptedUnknownLevels(t *testing.T) {
	pack := newPack(t, unknownAt("advisory", policy.Advisory), unknownAt("mandatory", policy.Mandatory), unknownAt("remediate", policy.Remediate))
	levels := func(opts policy.Options) map[string]policy.Level {
		fs, _ := pack.Analyze(context.Background(), unknownRes("role"), opts)
		out := map[string]policy.Level{}
		for _, f := range fs {
			assert.Equal(t, policy.Unknown, f.Kind)
			out[f.Policy] = f.Level
		}
		return out
	}
	check := policy.Options{Mode: policy.CheckMode, Encrypted: encryptedAt("role")}
	assert.Equal(t, map[string]policy.Level{"advisory": policy.Advisory, "mandatory": policy.Mandatory, "remediate": policy.Mandatory},
		levels(check), "each policy's own level")

	check.EncryptedAdvisory = true
	assert.Equal(t, map[string]policy.Level{"advisory": policy.Advisory, "mandatory": policy.Advisory, "remediate": policy.Advisory},
		levels(check), "--allow-encrypted-secrets keeps them advisory")

	engine := policy.Options{Mode: policy.EngineMode, Encrypted: encryptedAt("role")}
	assert.Equal(t, map[string]policy.Level{"advisory": policy.Advisory, "mandatory": policy.Advisory, "remediate": policy.Advisory},
		levels(engine), "the engine re-checks at the update: always the preview advisory")
}

// TestEncryptedUnknownOnAnotherResource: a stack policy's unknown on another
// resource is looked up by that resource's URN.
func TestEncryptedUnknownOnAnotherResource(t *testing.T) {
	m := meta("s", policy.Mandatory)
	stackPolicy := policy.Stack(m, func(c *policy.Call, s *gcp.Stack, _ *struct{}) {
		for _, r := range s.Resources {
			c.UnknownOn(r, "role")
		}
	})
	pack := newPack(t, stackPolicy)
	a := &gcp.Resource{URN: "urn:pulumi:dev::etl::" + bucket + "::b", Type: bucket}
	b := &gcp.Resource{URN: "urn:pulumi:dev::etl::" + bucket + "::other", Type: bucket}
	fs := pack.AnalyzeStack(context.Background(), gcp.NewStack("etl", "dev", []*gcp.Resource{a, b}),
		policy.Options{Mode: policy.CheckMode, Encrypted: encryptedAt("role")})
	require.Len(t, fs, 2)
	levels := map[string]policy.Level{}
	for _, f := range fs {
		levels[f.URN] = f.Level
	}
	assert.Equal(t, map[string]policy.Level{a.URN: policy.Mandatory, b.URN: policy.Advisory}, levels)
}
