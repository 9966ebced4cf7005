package policy

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// scrubTextReference is scrubText without the index and with a byte-by-byte
// token scan: the definition the fast path must agree with.
func scrubTextReference(s *secretSet, msg string) string {
	for _, v := range s.anywhere {
		msg = strings.ReplaceAll(msg, v.text, "[secret]")
	}
	for _, list := range [][]secretText{s.tokens, s.tiny} {
		for _, v := range list {
			var b strings.Builder
			for i := 0; i < len(msg); {
				if strings.HasPrefix(msg[i:], v.text) && isToken(msg, i, i+len(v.text), v.ownRunes) {
					b.WriteString("[secret]")
					i += len(v.text)
					continue
				}
				b.WriteByte(msg[i])
				i++
			}
			msg = b.String()
		}
	}
	return msg
}

// scrubText skips text that holds no secret; whatever it changes must be
// what the reference does.
func TestScrubTextMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "tok-abc[]secrt .@pw"
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := 0; round < 300; round++ {
		props := map[string]property.Value{}
		for i := range 1 + rng.IntN(6) {
			// Lengths on both sides of minSecretLen and substringFrom.
			props[word(3)+string(rune('a'+i))] = property.New(word(3 + rng.IntN(16))).WithSecret(true)
		}
		props["password"] = property.New(word(1 + rng.IntN(10)))
		props["plain"] = property.New(word(4))
		set := newSecretSet(&gcp.Resource{Props: property.NewMap(props)})
		for range 50 {
			msg := word(rng.IntN(60))
			if got, want := set.scrubText(msg), scrubTextReference(set, msg); got != want {
				t.Fatalf("scrubText(%q) with %+v = %q, want %q", msg, set, got, want)
			}
		}
	}
}

func secretLabels(labels map[string]string) property.Value {
	m := map[string]property.Value{}
	for k, v := range labels {
		m[k] = property.New(v)
	}
	return property.New(m).WithSecret(true)
}

// pulumi-gcp keeps effectiveLabels secret; a value the provider's
// defaultLabels hold in the clear is not secret, also when the default
// provider has them as a JSON string from stack config.
func TestLabelValueHeldInProviderDefaultsIsNotScrubbed(t *testing.T) {
	for name, defaults := range map[string]property.Value{
		"config string": property.New(`{"env":"prod","team":"data"}`),
		"map":           property.New(map[string]property.Value{"env": property.New("prod"), "team": property.New("data")}),
	} {
		t.Run(name, func(t *testing.T) {
			provider := &gcp.Provider{Props: property.NewMap(map[string]property.Value{"defaultLabels": defaults})}
			r := &gcp.Resource{Provider: provider, Props: property.NewMap(map[string]property.Value{
				"effectiveLabels": secretLabels(map[string]string{"env": "prod", "team": "data"}),
			})}
			set := newSecretSet(r)
			msg := `label "env" is "prod" on dataflow-deployer@acme-cicd-prod.iam.gserviceaccount.com`
			assert.Equal(t, msg, set.scrubText(msg))
		})
	}
}

// A short secret is scrubbed where it stands as a whole token, never inside
// another word.
func TestShortSecretIsScrubbedAsAWholeToken(t *testing.T) {
	r := &gcp.Resource{Props: property.NewMap(map[string]property.Value{
		"effectiveLabels": secretLabels(map[string]string{"env": "prod"}),
	})}
	set := newSecretSet(r)
	for msg, want := range map[string]string{
		`deployer@acme-cicd-prod.iam.gserviceaccount.com`: `deployer@acme-cicd-prod.iam.gserviceaccount.com`,
		`production and prod_eu and prod-eu and prod2`:    `production and prod_eu and prod-eu and prod2`,
		`label "env" has value "prod"`:                    `label "env" has value "[secret]"`,
		`env=prod,team=data`:                              `env=[secret],team=data`,
		`projects/prod/topics/t`:                          `projects/[secret]/topics/t`,
		`prod`:                                            `[secret]`,
		`prod.example.com (prod)`:                         `[secret].example.com ([secret])`,
		`éprod prodé`:                                     `éprod prodé`,
	} {
		assert.Equal(t, want, set.scrubText(msg), msg)
	}
}

// A character the value holds belongs to it: "a.b" inside "a.b.c" is part
// of a longer word, but stands alone in "(a.b)".
func TestTokenBoundaryCountsTheValuesOwnCharacters(t *testing.T) {
	r := &gcp.Resource{Props: property.NewMap(map[string]property.Value{
		"note": property.New("v1.2x").WithSecret(true),
	})}
	set := newSecretSet(r)
	assert.Equal(t, "tag v1.2x.3", set.scrubText("tag v1.2x.3"))
	assert.Equal(t, "tag ([secret])", set.scrubText("tag (v1.2x)"))
}

// A long secret is scrubbed wherever it appears.
func TestLongSecretIsScrubbedEverywhere(t *testing.T) {
	r := &gcp.Resource{Props: property.NewMap(map[string]property.Value{
		"note": property.New("analytics-platform-team").WithSecret(true),
	})}
	assert.Equal(t, "x-[secret]-deployer", newSecretSet(r).scrubText("x-analytics-platform-team-deployer"))
}

// Values of credential-bearing fields are scrubbed whatever their length,
// secret or not, and also when the stack holds the same text in the clear.
func TestCredentialFieldsAreAlwaysScrubbed(t *testing.T) {
	r := &gcp.Resource{Props: property.NewMap(map[string]property.Value{
		"labels": property.New(map[string]property.Value{"env": property.New("hunter2")}),
		"parameters": property.New(map[string]property.Value{
			"jdbcPassword": property.New("hunter2"),
			"api_token":    property.New("tk"),
			"clientSecret": property.New("s3cr3tValue").WithSecret(true),
			"inputTopic":   property.New("projects/p/topics/in"),
		}),
		"oidcToken": property.New(map[string]property.Value{
			"serviceAccountEmail": property.New("scheduler@p.iam.gserviceaccount.com"),
		}),
	})}
	set := newSecretSet(r)
	for msg, want := range map[string]string{
		`parameters.jdbcPassword is "hunter2"`: `parameters.jdbcPassword is "[secret]"`,
		`env=hunter2`:                          `env=[secret]`,
		`token tk, not tkx`:                    `token [secret], not tkx`,
		`Bearer-xs3cr3tValuex`:                 `Bearer-x[secret]x`,
		// Names and objects that are not credentials stay.
		`topic projects/p/topics/in`:                  `topic projects/p/topics/in`,
		`runs as scheduler@p.iam.gserviceaccount.com`: `runs as scheduler@p.iam.gserviceaccount.com`,
	} {
		assert.Equal(t, want, set.scrubText(msg), msg)
	}
}

// A secret defaultLabels string (secret stack config) makes its values
// secret, not only the JSON text.
func TestSecretDefaultLabelsStringValuesAreSecret(t *testing.T) {
	provider := &gcp.Provider{Props: property.NewMap(map[string]property.Value{
		"defaultLabels": property.New(`{"team":"blue-team"}`).WithSecret(true),
	})}
	set := newSecretSet(&gcp.Resource{Provider: provider, Props: property.NewMap(nil)})
	assert.Equal(t, `label "team" is "[secret]"`, set.scrubText(`label "team" is "blue-team"`))
}

// Nothing secret, nothing credential-bearing: nothing to scrub.
func TestNoSecretsLeavesTextAlone(t *testing.T) {
	set := newSecretSet(&gcp.Resource{Props: property.NewMap(map[string]property.Value{
		"name": property.New("prod"), "secretId": property.New("db-pass"), "tokenUri": property.New("https://x"),
	})})
	assert.True(t, set.empty())
	assert.Equal(t, "prod db-pass", set.scrubText("prod db-pass"))
}
