package policies_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const testdata = "../testdata"

// fixtureFiles lists a policy folder's fixtures (config files excluded).
func fixtureFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".config.json") || name == "config.json" {
			continue
		}
		out = append(out, name)
	}
	return out
}

// fixtureConfig finds the config of a fixture: `<name>.config.json` beside
// it, else the folder's `config.json`.
func fixtureConfig(t *testing.T, dir, name string) *packconfig.File {
	t.Helper()
	for _, candidate := range []string{strings.TrimSuffix(name, ".json") + ".config.json", "config.json"} {
		path := filepath.Join(dir, candidate)
		if _, err := os.Stat(path); err == nil {
			f, err := packconfig.ReadFile(path)
			require.NoError(t, err)
			return f
		}
	}
	return nil
}

// describe is the text a want regexp is matched against.
func describe(f policy.Finding) string {
	if f.Path == "" {
		return f.Message
	}
	return f.Path + ": " + f.Message
}

func TestFixtures(t *testing.T) {
	// Paths inside fixtures (credential files) are relative to the repository
	// root, as when a fixture is replayed there with `go run . check <file>`:
	// the policies read files through the call context, rooted there.
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	readFile := policy.LocalFilesUnder(root)
	for _, p := range policies.All() {
		dir := filepath.Join(root, "testdata", p.Name)
		for _, name := range fixtureFiles(t, dir) {
			t.Run(p.Name+"/"+name, func(t *testing.T) {
				pack, err := policies.NewPack("0.0.0-test", "test")
				require.NoError(t, err)
				if f := fixtureConfig(t, dir, name); f != nil {
					warnings, err := pack.Apply(f.Policies)
					require.NoError(t, err)
					for _, w := range warnings {
						t.Log(w)
					}
				}
				dep, err := stackfile.ReadFile(filepath.Join(dir, name))
				require.NoError(t, err)
				findings := pack.Evaluate(context.Background(), dep,
					policy.DeploymentOptions{Only: map[string]bool{p.Name: true}, ReadFile: readFile})
				checkFixture(t, name, dep, findings)
				assertNoSecretLeak(t, filepath.Join(dir, name), findings)
			})
		}
	}
}

func checkFixture(t *testing.T, name string, dep *stackfile.Deployment, findings []policy.Finding) {
	t.Helper()
	switch {
	case strings.HasPrefix(name, "good_"):
		for _, f := range findings {
			t.Errorf("good fixture has a finding on %s: %s", f.URN, describe(f))
		}
		return
	case strings.HasPrefix(name, "unknown_"):
		require.NotEmpty(t, findings, "an unknown fixture must produce the preview advisory")
		for _, f := range findings {
			assert.Equal(t, policy.Unknown, f.Kind, "unknown fixture has a %s on %s: %s", f.Kind, f.URN, describe(f))
			assert.Equal(t, policy.Advisory, f.Level)
			// The preview advisory, or a value no config decides (Call.Undecided).
			preview := "can't run policy '" + f.Policy + "' from policy pack 'dataflow-guardrails@v0.0.0-test' during preview: "
			undecided := "policy '" + f.Policy + "' from policy pack 'dataflow-guardrails@v0.0.0-test' can't decide this: "
			assert.True(t, strings.Contains(f.Message, preview) || strings.HasPrefix(f.Message, undecided),
				"unknown fixture has an unknown that is neither the preview advisory nor undecided: %s", f.Message)
		}
	case strings.HasPrefix(name, "bad_"):
		require.NotEmpty(t, findings, "a bad fixture must fail")
		require.NotEmpty(t, dep.Wants, "a bad fixture must say what it wants")
		for _, f := range findings {
			assert.Equal(t, policy.Violation, f.Kind, "bad fixture has an unknown on %s: %s", f.URN, describe(f))
		}
	default:
		t.Fatalf("fixture %s must start with good_, bad_ or unknown_", name)
	}
	matched := map[string][]bool{}
	for urn, wants := range dep.Wants {
		matched[urn] = make([]bool, len(wants))
	}
	for _, f := range findings {
		wants := dep.Wants[f.URN]
		hit := false
		for i, w := range wants {
			if regexp.MustCompile(w).MatchString(describe(f)) {
				matched[f.URN][i], hit = true, true
			}
		}
		if !hit && (len(wants) > 0 || !strings.HasPrefix(name, "unknown_")) {
			t.Errorf("unexpected finding on %s: %s", f.URN, describe(f))
		}
	}
	for urn, hits := range matched {
		for i, hit := range hits {
			if !hit {
				t.Errorf("no finding on %s matches want %q", urn, dep.Wants[urn][i])
			}
		}
	}
}

// assertNoSecretLeak checks that no secret plaintext of the fixture appears
// in any finding.
func assertNoSecretLeak(t *testing.T, path string, findings []policy.Finding) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var secrets []string
	collectPlaintexts(t, json.RawMessage(raw), &secrets)
	for _, f := range findings {
		for _, s := range secrets {
			assert.False(t, printsSecret(describe(f), s), "finding on %s prints the secret %q: %s", f.URN, s, describe(f))
		}
	}
}

// tokenSecretsBelow mirrors the evaluator's rule (internal/policy/secrets.go):
// a secret shorter than this is printed only where it stands as a whole
// token; inside another word ("prod" in "acme-cicd-prod.iam") it is part of
// that word, not the secret.
const tokenSecretsBelow = 16

// printsSecret reports whether text shows secret: anywhere when it is long,
// as a whole token when it is short.
func printsSecret(text, secret string) bool {
	if len(secret) >= tokenSecretsBelow {
		return strings.Contains(text, secret)
	}
	for i := 0; ; {
		j := strings.Index(text[i:], secret)
		if j < 0 {
			return false
		}
		if start := i + j; standsAlone(text, secret, start) {
			return true
		}
		i += j + 1
	}
}

// standsAlone reports whether the occurrence of secret at start is bounded
// by the text's edges or characters that cannot belong to it: anything but
// letters, digits, marks, _, - and the secret's own characters.
func standsAlone(text, secret string, start int) bool {
	belongs := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_' || r == '-' ||
			strings.ContainsRune(secret, r)
	}
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:start]); belongs(r) {
			return false
		}
	}
	if end := start + len(secret); end < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[end:]); belongs(r) {
			return false
		}
	}
	return true
}

func collectPlaintexts(t *testing.T, raw json.RawMessage, out *[]string) {
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if pt, ok := x["plaintext"].(string); ok {
				var inner any
				if json.Unmarshal([]byte(pt), &inner) == nil {
					collectStrings(inner, out)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		if len(x) >= 4 {
			*out = append(*out, x)
		}
	case map[string]any:
		for _, e := range x {
			collectStrings(e, out)
		}
	case []any:
		for _, e := range x {
			collectStrings(e, out)
		}
	}
}
