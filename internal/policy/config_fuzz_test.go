package policy_test

// FuzzConfigure feeds arbitrary JSON to both configuration paths:
//
//   - the `check` path: packconfig.Parse, then Pack.Apply (reconcile as the
//     engine does, validate against the schemas, apply to the pack);
//   - the engine path: the JSON read as the engine's Configure request
//     (policy name -> level string or {enforcementLevel, ...properties}),
//     with levels passed through unvalidated, straight to Pack.Configure.
//
// Invariants: no panic; every error names a registered policy, problem by
// problem; a failed Configure leaves the previous configuration in place; a
// successful one takes effect whole and leaves the pack usable: Analyze and
// AnalyzeStack run over a real stack without any policy failing on
// "internal error".
//
// The committed seeds (testdata/fuzz/FuzzConfigure/) are the fixtures'
// config files and a few malformed configs.

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

var cfzStack = sync.OnceValues(func() (*stackfile.Deployment, error) {
	return stackfile.ReadFile(filepath.Join("..", "..", "testdata", "stacks", "dataflow-insecure.json"))
})

func cfzPack(tb testing.TB) *policy.Pack {
	tb.Helper()
	pack, err := policies.NewPack("0.0.0-fuzz", "fuzz")
	if err != nil {
		tb.Fatal(err)
	}
	return pack
}

func cfzLevels(pack *policy.Pack) map[string]policy.Level {
	out := map[string]policy.Level{}
	for _, p := range pack.Policies() {
		out[p.Name] = pack.Level(p.Name)
	}
	return out
}

// cfzNamesPolicy checks that each problem of an error starts with the name
// of a registered policy.
func cfzNamesPolicy(t *testing.T, pack *policy.Pack, err error) {
	t.Helper()
	var problems []string
	var ve *policy.ValidationError
	if errors.As(err, &ve) {
		problems = ve.Problems
	} else {
		problems = strings.Split(err.Error(), "\n")
	}
	if len(problems) == 0 {
		t.Fatalf("an error without problems: %v", err)
	}
	for _, line := range problems {
		// A schema error of one policy lists its fields after "; ".
		for _, part := range strings.Split(line, "; ") {
			name, _, ok := strings.Cut(part, ": ")
			if _, known := pack.Lookup(name); !ok || !known {
				// Part of a message that itself holds "; ": the line as a whole must name one.
				name, _, _ = strings.Cut(line, ": ")
				if _, known := pack.Lookup(name); !known {
					t.Fatalf("configuration error does not start with a policy name: %q (in %q)", part, err)
				}
			}
		}
	}
}

// cfzUsable runs every policy over a real stack with the pack's current
// configuration.
func cfzUsable(t *testing.T, pack *policy.Pack) {
	t.Helper()
	dep, err := cfzStack()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pack.Evaluate(context.Background(), dep, policy.DeploymentOptions{}) {
		if strings.Contains(f.Message, ": internal error") {
			t.Fatalf("policy %s fails under this configuration: %s", f.Policy, f.Message)
		}
		if f.Level != policy.Advisory && f.Level != policy.Mandatory {
			t.Fatalf("finding of %s at level %q", f.Policy, f.Level)
		}
	}
	opts := policy.Options{Stack: policy.StackInfo{Project: dep.Project, Stack: dep.Stack}}
	for _, r := range dep.Inputs {
		rems, _ := pack.Remediate(context.Background(), r, opts)
		for _, rem := range rems {
			if strings.Contains(rem.Diagnostic, ": internal error") {
				t.Fatalf("remediation of %s fails under this configuration: %s", rem.Policy, rem.Diagnostic)
			}
		}
	}
}

// cfzEngineConfig reads JSON the way the engine's Configure request carries
// it, keeping whatever level string is there.
func cfzEngineConfig(data []byte) (map[string]policy.PolicyConfig, bool) {
	var top map[string]any
	if json.Unmarshal(data, &top) != nil {
		return nil, false
	}
	if inner, ok := top["policies"].(map[string]any); ok {
		top = inner
	}
	out := map[string]policy.PolicyConfig{}
	for name, v := range top {
		switch v := v.(type) {
		case string:
			out[name] = policy.PolicyConfig{Level: policy.Level(v)}
		case map[string]any:
			var c policy.PolicyConfig
			if l, ok := v["enforcementLevel"].(string); ok {
				c.Level = policy.Level(l)
			}
			c.Properties = v
			out[name] = c
		}
	}
	return out, true
}

func FuzzConfigure(f *testing.F) {
	for _, seed := range []string{
		`{"all":"mandatory"}`,
		`{"required-labels":"mandtory"}`,
		`{"required-labels":{"enforcementLevel":"advisory","requiredLabels":"env"}}`,
		`{"version":2,"policies":{"propagate-stack-labels":{"enforcementLevel":"remediate","labels":{"Bad":"x"}}},"exceptions":{"EXC-1":{"reason":"r","match":[{"policies":["iam-no-primitive-roles"],"targets":["urn:pulumi:*"]}]}}}`,
	} {
		f.Add([]byte(seed))
	}
	pack := cfzPack(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Every input starts from the defaults.
		if _, err := pack.Configure(nil); err != nil {
			t.Fatal(err)
		}

		// The check path.
		file, err := packconfig.Parse(data)
		if err == nil {
			before := cfzLevels(pack)
			_, err = pack.Apply(file.Policies)
			if err != nil {
				cfzNamesPolicy(t, pack, err)
				if after := cfzLevels(pack); !equalLevels(before, after) {
					t.Fatalf("a rejected configuration changed levels: %v -> %v", before, after)
				}
			} else {
				cfzUsable(t, pack)
			}
		}

		// The engine path.
		cfg, ok := cfzEngineConfig(data)
		if !ok {
			return
		}
		before := cfzLevels(pack)
		warnings, err := pack.Configure(cfg)
		for _, w := range warnings {
			if !strings.HasPrefix(w, "ignoring configuration for unknown policy ") {
				t.Fatalf("unexpected warning %q", w)
			}
		}
		if err != nil {
			cfzNamesPolicy(t, pack, err)
			if after := cfzLevels(pack); !equalLevels(before, after) {
				t.Fatalf("a rejected configuration changed levels: %v -> %v", before, after)
			}
			return
		}
		for name, c := range cfg {
			if _, known := pack.Lookup(name); !known || c.Level == "" {
				continue
			}
			if _, lerr := policy.ParseLevel(string(c.Level)); lerr != nil {
				t.Fatalf("%s: level %q accepted", name, c.Level)
			}
		}
		for _, p := range pack.Policies() {
			want := p.Level
			if c, ok := cfg[p.Name]; ok && c.Level != "" {
				want = c.Level
			}
			if got := pack.Level(p.Name); got != want {
				t.Fatalf("%s: configured %q, pack says %q", p.Name, want, got)
			}
		}
		cfzUsable(t, pack)
	})
}

func equalLevels(a, b map[string]policy.Level) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestConfigureSeedsCoverTheFixtureConfigs checks the committed seed corpus
// holds a config of every policy that has fixture configs.
func TestConfigureSeedsCoverTheFixtureConfigs(t *testing.T) {
	configs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "*.config.json"))
	if err != nil || len(configs) == 0 {
		t.Fatalf("no fixture configs: %v", err)
	}
	for _, c := range configs {
		name := filepath.Base(filepath.Dir(c))
		seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzConfigure", "fixture-"+name+"-*"))
		if err != nil || len(seeds) == 0 {
			t.Errorf("no committed FuzzConfigure seed from the configs of %s", name)
		}
	}
}
