package policies_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
	// root, as when a fixture is replayed with `go run . check <file>`.
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	t.Chdir(root)
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
				findings := pack.Evaluate(context.Background(), dep, map[string]bool{p.Name: true})
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
			assert.Contains(t, f.Message, "can't run policy '"+f.Policy+"' from policy pack 'dataflow-guardrails@v0.0.0-test' during preview: ")
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
			assert.NotContains(t, describe(f), s, "finding on %s prints a secret", f.URN)
		}
	}
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
