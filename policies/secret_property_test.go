package policies_test

// Secret safety as a property: take every bad fixture, make every string
// leaf of every resource's inputs and outputs secret (provider config and
// credentials included, as the provider is a resource of the export), run
// it through both front ends with every policy enabled as the fixture
// configures them, and look for the plaintexts in everything that comes out:
//
//   - `check`: its configuration and streamed evaluation (Pack.Apply,
//     Pack.NewDeployment) through the SARIF, text and JSON report writers;
//   - the analyzer: Analyze, Remediate and AnalyzeStack with the same
//     resources marshalled as the engine sends them (secret envelopes), its
//     warnings, and the in-engine report in SARIF and JSON.
//
// No secret of four characters or more may appear (one shorter than
// tokenSecretsBelow only where it stands as a whole token, as the evaluator
// scrubs it), except where it is covered by a string that is not secret: a
// policy's own metadata (name, title, description, remediation, URL, family),
// its configuration (schema defaults and the fixture's settings, such as a role
// like roles/editor), URNs and their parts, resource types, property keys
// (paths are made of keys, never values), the names made label-safe, and the
// text the pack's own source writes (every string literal of the pack's
// non-test Go files, split at its format verbs: "set it to
// \"WORKER_IP_PRIVATE\"" or "the provider's defaultLabels" are the pack
// talking, not the resource). Besides each whole string, the parts a policy
// might extract count as secrets too: the strings inside a JSON document (a
// policyData, a credentials file) and the email inside an IAM member.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/report"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// spFixture is one bad fixture with its config file ("" for none).
type spFixture struct {
	policy, path, config string
}

func spFixtures(t *testing.T) []spFixture {
	t.Helper()
	var out []spFixture
	for _, p := range policies.All() {
		dir := filepath.Join(testdata, p.Name)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, "bad_") || !strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".config.json") {
				continue
			}
			fx := spFixture{policy: p.Name, path: filepath.Join(dir, name)}
			for _, c := range []string{strings.TrimSuffix(name, ".json") + ".config.json", "config.json"} {
				if _, err := os.Stat(filepath.Join(dir, c)); err == nil {
					fx.config = filepath.Join(dir, c)
					break
				}
			}
			out = append(out, fx)
		}
	}
	return out
}

// spSecrets holds what the marked export must never print.
type spSecrets struct {
	secrets map[string]bool
	allowed map[string]bool
}

func (s *spSecrets) secret(v string) {
	if len(v) < 4 || v == sig.UnknownStringValue {
		return
	}
	s.secrets[v] = true
	// The parts a policy may pull out of a secret are secret too.
	var doc any
	if d := json.NewDecoder(strings.NewReader(v)); d.Decode(&doc) == nil {
		if _, isString := doc.(string); !isString {
			spStrings(doc, s.secret, s.allow)
		}
	}
	if _, email, ok := strings.Cut(v, ":"); ok && strings.Contains(email, "@") && !strings.Contains(email, "/") {
		email, _, _ = strings.Cut(email, "?")
		s.secret(email)
	}
}

func (s *spSecrets) allow(v string) {
	if v != "" {
		s.allowed[v] = true
	}
}

// spStrings calls leaf for every string leaf of a decoded JSON value and key
// for every object key.
func spStrings(v any, leaf, key func(string)) {
	switch x := v.(type) {
	case string:
		leaf(x)
	case []any:
		for _, e := range x {
			spStrings(e, leaf, key)
		}
	case map[string]any:
		for k, e := range x {
			key(k)
			spStrings(e, leaf, key)
		}
	}
}

// spMark makes every string leaf of a property tree in export form secret,
// recording the plaintexts and the keys.
func spMark(v any, s *spSecrets) any {
	switch x := v.(type) {
	case string:
		if x == sig.UnknownStringValue {
			return x
		}
		s.secret(x)
		b, _ := json.Marshal(x)
		return map[string]any{sig.Key: sig.Secret, "plaintext": string(b)}
	case []any:
		for i, e := range x {
			x[i] = spMark(e, s)
		}
		return x
	case map[string]any:
		if kind, ok := x[sig.Key].(string); ok {
			if kind == sig.Secret {
				// Already secret: every string inside it is a secret.
				if pt, ok := x["plaintext"].(string); ok {
					var inner any
					if json.Unmarshal([]byte(pt), &inner) == nil {
						spStrings(inner, s.secret, s.allow)
					}
				}
			}
			return x // assets, archives, references: left alone
		}
		for k, e := range x {
			s.allow(k)
			x[k] = spMark(e, s)
		}
		return x
	}
	return v
}

// spMarkExport rewrites an export with every input and output string secret.
func spMarkExport(t *testing.T, raw []byte, s *spSecrets) []byte {
	t.Helper()
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	require.NoError(t, d.Decode(&doc))
	dep, _ := doc["deployment"].(map[string]any)
	resources, _ := dep["resources"].([]any)
	for _, r := range resources {
		res, _ := r.(map[string]any)
		for _, k := range []string{"inputs", "outputs"} {
			if v, ok := res[k]; ok {
				res[k] = spMark(v, s)
			}
		}
		if urn, ok := res["urn"].(string); ok {
			s.allow(urn)
			if stack, project, name, ok := gcp.ParseURN(urn); ok {
				for _, v := range []string{stack, project, name} {
					s.allow(v)
					s.allow(gcp.LabelSafe(v))
				}
			}
		}
		if typ, ok := res["type"].(string); ok {
			s.allow(typ)
		}
		for _, k := range []string{"parent", "provider"} {
			if v, ok := res[k].(string); ok {
				s.allow(v)
			}
		}
	}
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// spAllowPack allows what the pack itself says: every policy's metadata and
// its configuration as configured now.
func spAllowPack(pack *policy.Pack, s *spSecrets) {
	s.allow(pack.Name)
	s.allow(pack.Version)
	for _, p := range pack.Policies() {
		for _, v := range []string{p.Name, p.Title, p.Description, p.Remediation, p.URL, string(p.Family)} {
			s.allow(v)
		}
		spStrings(map[string]any(p.Defaults()), s.allow, s.allow)
		spStrings(map[string]any(pack.Properties(p.Name)), s.allow, s.allow)
	}
	for _, v := range spSourceText() {
		s.allow(v)
	}
	// The report formats' own vocabulary.
	for _, v := range []string{"error", "warning", "note", "none", "violation", "unknown", "advisory", "mandatory",
		"remediate", "disabled", "excepted", "low", "medium", "high", "critical", "resource", "external", "2.1.0",
		"https://json.schemastore.org/sarif-2.1.0.json", "Pulumi.yaml", "[secret]"} {
		s.allow(v)
	}
}

// spFormatVerb matches a fmt verb, where a format string takes a value.
var spFormatVerb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*(\d+|\*)?(\.(\d+|\*))?[a-zA-Z%]`)

// spSourceText is every string literal of the pack's non-test source, split
// at format verbs: the text the pack writes on its own.
var spSourceText = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	for _, dir := range []string{".", "../internal/gcp", "../internal/policy", "../internal/report",
		"../internal/cli", "../internal/analyzer", "../internal/stackfile", "../internal/packconfig", "../internal/logquery"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
			if err != nil {
				continue // a file being edited: its literals are simply not allowed
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if v, err := strconv.Unquote(lit.Value); err == nil {
					for _, part := range spFormatVerb.Split(v, -1) {
						if len(part) >= 4 {
							seen[part] = true
						}
					}
				}
				return true
			})
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
})

// spLeakCheck finds secrets in text. An occurrence of a secret is allowed
// when an allowed string that contains it occurs in the text around it.
type spLeakCheck struct {
	secrets []string
	covers  map[string][]string // secret -> the allowed strings containing it
}

func newLeakCheck(s *spSecrets) *spLeakCheck {
	c := &spLeakCheck{secrets: spSorted(s.secrets), covers: map[string][]string{}}
	allowed := spSorted(s.allowed)
	for _, sec := range c.secrets {
		for _, a := range allowed {
			if strings.Contains(a, sec) {
				c.covers[sec] = append(c.covers[sec], a)
			}
		}
	}
	return c
}

// covered reports whether the occurrence of sec at start lies inside an
// occurrence of one of its covering strings.
func (c *spLeakCheck) covered(text, sec string, start int) bool {
	for _, a := range c.covers[sec] {
		for off := 0; ; {
			k := strings.Index(a[off:], sec)
			if k < 0 {
				break
			}
			at := start - (off + k)
			if at >= 0 && at+len(a) <= len(text) && text[at:at+len(a)] == a {
				return true
			}
			off += k + 1
		}
	}
	return false
}

// leaks describes every secret in text that nothing covers.
func (c *spLeakCheck) leaks(text string) []string {
	var out []string
	for _, sec := range c.secrets {
		for i := 0; ; {
			j := strings.Index(text[i:], sec)
			if j < 0 {
				break
			}
			start := i + j
			if len(sec) < tokenSecretsBelow && !standsAlone(text, sec, start) {
				i = start + 1 // part of another word: not the secret (see printsSecret)
				continue
			}
			if !c.covered(text, sec, start) {
				lo, hi := max(0, start-80), min(len(text), start+len(sec)+80)
				out = append(out, fmt.Sprintf("secret %q: ...%s...", sec, text[lo:hi]))
				break
			}
			i = start + 1
		}
	}
	return out
}

func (c *spLeakCheck) check(t *testing.T, where, text string) {
	t.Helper()
	for _, leak := range c.leaks(text) {
		t.Errorf("%s prints %s", where, leak)
	}
}

// spCheckJSON checks every string (and key) of a JSON document.
func (c *spLeakCheck) checkJSON(t *testing.T, where string, data []byte) {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal(data, &doc), "%s is not JSON", where)
	each := func(v string) { c.check(t, where, v) }
	spStrings(doc, each, each)
}

func spSorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	// Longest first: the mask is built from every allowed string anyway,
	// the order only makes failures deterministic.
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

func TestNoSecretLeaksAnywhere(t *testing.T) {
	fixtures := spFixtures(t)
	require.NotEmpty(t, fixtures)
	require.NotEmpty(t, spSourceText(), "read before any subtest changes directory")
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	pack, err := policies.NewPack("0.0.0-test", "test")
	require.NoError(t, err)
	for _, fx := range fixtures {
		t.Run(fx.policy+"/"+filepath.Base(fx.path), func(t *testing.T) {
			path, err := filepath.Abs(fx.path)
			require.NoError(t, err)
			config := ""
			if fx.config != "" {
				config, err = filepath.Abs(fx.config)
				require.NoError(t, err)
			}
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			s := &spSecrets{secrets: map[string]bool{}, allowed: map[string]bool{}}
			marked := filepath.Join(t.TempDir(), "export.json")
			require.NoError(t, os.WriteFile(marked, spMarkExport(t, raw, s), 0o600))

			_, err = pack.Configure(nil) // the defaults, then the fixture's config
			require.NoError(t, err)
			outputs := spCheckCommand(t, pack, root, marked, config)
			spAllowPack(pack, s) // as check configured it
			c := newLeakCheck(s)
			require.NotEmpty(t, c.secrets)
			for where, out := range outputs {
				if strings.HasSuffix(where, "text") || strings.HasSuffix(where, "stderr") {
					c.check(t, where, out)
				} else {
					c.checkJSON(t, where, []byte(out))
				}
			}
			for where, out := range spAnalyzer(t, pack, marked) {
				if strings.HasSuffix(where, ".sarif") {
					c.checkJSON(t, where, []byte(out))
				} else {
					c.check(t, where, out)
				}
			}
		})
	}
}

// spCheckCommand does what `check` does (configuration with its warnings,
// exceptions, the streamed evaluation that honours encrypted values) and
// renders the findings in SARIF, text and JSON, and returns everything
// printed. The fixtures refer to files relative to the repository root.
func spCheckCommand(t *testing.T, pack *policy.Pack, root, export, config string) map[string]string {
	t.Helper()
	t.Chdir(root)
	out := map[string]string{}
	var file *packconfig.File
	if config != "" {
		f, err := packconfig.ReadFile(config)
		require.NoError(t, err)
		warnings, err := pack.Apply(f.Policies)
		require.NoError(t, err)
		out["check stderr"] = strings.Join(warnings, "\n")
		file = f
	}
	d := pack.NewDeployment(context.Background(), policy.DeploymentOptions{Encrypted: true, ReadFile: policy.ReadLocalFile})
	dep, err := stackfile.StreamFile(export, d.Resource)
	require.NoError(t, err)
	findings := d.Finish(dep)
	opts := report.SARIFOptions{Policies: pack.Policies()}
	if file != nil {
		for i, f := range findings {
			findings[i].Excepted = len(file.Exceptions.Match(f.Policy, f.URN)) > 0
		}
		opts.Justification = func(f policy.Finding) string {
			var why []string
			for _, x := range file.Exceptions.Matching(f.Policy, f.URN) {
				why = append(why, x.ID+": "+x.Reason)
			}
			return strings.Join(why, "; ")
		}
	}
	rep := report.New(report.Pack{Name: pack.Name, Version: pack.Version}, report.Stack{Project: dep.Project, Stack: dep.Stack},
		dep.Total, findings)
	var sarif, text, js bytes.Buffer
	require.NoError(t, rep.WriteSARIF(&sarif, opts))
	require.NoError(t, rep.WriteText(&text, func(name string) string {
		p, _ := pack.Lookup(name)
		return p.Remediation
	}))
	require.NoError(t, rep.WriteJSON(&js))
	out["check sarif"], out["check text"], out["check json"] = sarif.String(), text.String(), js.String()
	// Sanity: every string is secret, yet a bad fixture still fails.
	require.Contains(t, out["check json"], `"kind": "violation"`, "a bad fixture with secret strings still has violations")
	return out
}

// spAnalyzer replays the marked export through the analyzer as the engine
// would and returns every message, the warnings and the in-engine SARIF
// report (its JSON report uses the writer `check --format json` does).
func spAnalyzer(t *testing.T, pack *policy.Pack, export string) map[string]string {
	t.Helper()
	dep, err := stackfile.ReadFile(export)
	require.NoError(t, err)
	provider := func(p *gcp.Provider) *pulumirpc.AnalyzerProviderResource {
		if p == nil {
			return nil
		}
		return &pulumirpc.AnalyzerProviderResource{Type: p.Type, Urn: p.URN, Name: p.Name, Properties: propertypb.Marshal(p.Props)}
	}
	out := map[string]string{}
	dir := t.TempDir()
	for _, report := range []string{"report.sarif"} {
		var log bytes.Buffer
		srv := analyzer.New(pack, analyzer.PackInfo{Provider: "gcp"}, &log)
		reportPath := filepath.Join(dir, report)
		srv.SetEnv(func(k string) (string, bool) {
			if k == analyzer.ReportEnv {
				return reportPath, true
			}
			return "", false
		})
		ctx := context.Background()
		_, err := srv.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Project: dep.Project, Stack: dep.Stack})
		require.NoError(t, err)
		var messages []string
		for _, r := range dep.Inputs {
			req := &pulumirpc.AnalyzeRequest{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: spMarshal(t, r), Provider: provider(r.Provider)}
			resp, err := srv.Analyze(ctx, req)
			require.NoError(t, err)
			for _, d := range resp.GetDiagnostics() {
				messages = append(messages, d.GetMessage(), d.GetDescription())
			}
			rem, err := srv.Remediate(ctx, req)
			require.NoError(t, err)
			for _, x := range rem.GetRemediations() {
				messages = append(messages, x.GetDiagnostic())
			}
		}
		req := &pulumirpc.AnalyzeStackRequest{}
		for _, r := range dep.Outputs {
			res := &pulumirpc.AnalyzerResource{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: propertypb.Marshal(r.Props),
				Parent: r.Parent, Dependencies: r.Dependencies, Provider: provider(r.Provider)}
			req.Resources = append(req.Resources, res)
		}
		resp, err := srv.AnalyzeStack(ctx, req)
		require.NoError(t, err)
		for _, d := range resp.GetDiagnostics() {
			messages = append(messages, d.GetMessage(), d.GetUrn())
		}
		out["analyzer messages"] = strings.Join(messages, "\n")
		out["analyzer log"] += log.String()
		data, err := os.ReadFile(reportPath)
		require.NoError(t, err, "the in-engine report")
		out["analyzer "+report] = string(data)
	}
	return out
}

// spMarshal sends a resource's inputs as the engine does; secrets travel as
// secret envelopes.
func spMarshal(t *testing.T, r *gcp.Resource) *structpb.Struct {
	t.Helper()
	s := propertypb.Marshal(r.Props)
	if r.Props.HasSecrets() {
		require.Contains(t, s.String(), sig.Secret, "secrets travel wrapped")
	}
	return s
}

// TestLeakCheckCatchesLeaks shows the check is not vacuous: a test policy
// that prints the member it parsed out of a secret policyData gets caught,
// while the same member written by the pack itself, or a whole secret the
// evaluator scrubbed, does not count.
func TestLeakCheckCatchesLeaks(t *testing.T) {
	const iamPolicy = "gcp:projects/iAMPolicy:IAMPolicy"
	leaky := policy.Resource(policy.Meta{
		Name: "test-leaks", Title: "Leaks", Description: "A test policy that prints what it should not.",
		Remediation: "None.", URL: "https://cloud.google.com/", Severity: policy.Low, Level: policy.Mandatory,
		Family: "labels", Types: []string{iamPolicy},
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		var doc struct {
			Bindings []struct{ Members []string } `json:"bindings"`
		}
		raw, ok := r.Get("policyData").String()
		if !ok {
			return
		}
		if err := json.Unmarshal([]byte(raw), &doc); err != nil || len(doc.Bindings) == 0 {
			return
		}
		c.Violation("policyData", "grants %s", doc.Bindings[0].Members[0])
		c.Violation("policyData", "the whole document is %s", raw)
	})
	pack, err := policy.NewPack(policies.PackName, "0.0.0-test", "test", append(policies.All(), leaky))
	require.NoError(t, err)
	doc := `{"bindings":[{"role":"roles/viewer","members":["user:mallory@example.com"]}]}`
	s := &spSecrets{secrets: map[string]bool{}, allowed: map[string]bool{}}
	props := spMark(map[string]any{"policyData": doc, "project": "etl-prod-1234"}, s).(map[string]any)
	raw, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"resources": []any{
		map[string]any{"urn": "urn:pulumi:dev::etl::" + iamPolicy + "::p", "type": iamPolicy, "inputs": props, "outputs": props}}}})
	require.NoError(t, err)
	dep, err := stackfile.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	spAllowPack(pack, s)
	c := newLeakCheck(s)
	require.Contains(t, c.secrets, "mallory@example.com", "the email inside a member inside a JSON secret")

	var messages []string
	for _, f := range pack.Evaluate(context.Background(), dep, policy.DeploymentOptions{Only: map[string]bool{"test-leaks": true}}) {
		messages = append(messages, f.Message)
	}
	require.Len(t, messages, 2)
	require.NotEmpty(t, c.leaks(messages[0]), "the parsed member leaks: %s", messages[0])
	require.Empty(t, c.leaks(messages[1]), "the evaluator scrubs a whole secret: %s", messages[1])
	require.Contains(t, messages[1], "[secret]")
	require.True(t, s.secrets["roles/viewer"], "a role inside a secret document is secret...")
	require.Empty(t, c.leaks("the pack says roles/viewer"), "...but the pack names it in its own config defaults")
}
