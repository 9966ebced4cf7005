// Package examples_test keeps the examples working: the config files load
// and apply, and the GitHub Actions workflow only runs commands this
// repository has.
package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/cli"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

const (
	repoRoot = ".."
	insecure = "../testdata/stacks/dataflow-insecure.json"
	secure   = "../testdata/stacks/dataflow-secure.json"
	workflow = "github-actions/dataflow-guardrails.yml"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	pack, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
	var out, errb bytes.Buffer
	app := &cli.App{Pack: pack, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	code := app.Run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

func TestPolicyConfigV1(t *testing.T) {
	f, err := packconfig.ReadFile("policy-config-v1.json")
	require.NoError(t, err)
	assert.Empty(t, f.Exceptions, "version 1 has no exceptions")
	known := map[string]bool{"all": true}
	for _, p := range policies.All() {
		known[p.Name] = true
	}
	for name := range f.Policies {
		assert.True(t, known[name], "the example configures unknown policy %q", name)
	}

	r := run(t, "check", "--policy-pack-config", "policy-config-v1.json", secure)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "warning")
	assert.Contains(t, r.stdout, `required label "cost-center" is missing`, "the example's requiredLabels apply")
}

func TestPolicyConfigV2WithException(t *testing.T) {
	f, err := packconfig.ReadFile("policy-config-v2.json")
	require.NoError(t, err)
	require.Len(t, f.Exceptions, 1)
	x := f.Exceptions[0]
	assert.NotEmpty(t, x.Reason)
	const keyURN = "urn:pulumi:prod::etl::gcp:serviceaccount/key:Key::ci-deployer-key"
	assert.Equal(t, []string{x.ID}, f.Exceptions.Match("no-service-account-keys", keyURN))

	r := run(t, "check", "--format", "json", "--policy-pack-config", "policy-config-v2.json", insecure)
	assert.NotContains(t, r.stderr, "warning")
	require.NotEqual(t, 2, r.code, r.stderr)
	var doc struct {
		Findings []struct {
			Policy, URN string
			Excepted    bool
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	excepted := 0
	for _, f := range doc.Findings {
		if f.Excepted {
			excepted++
			assert.Equal(t, "no-service-account-keys", f.Policy)
			assert.Equal(t, keyURN, f.URN)
		}
	}
	assert.Equal(t, 1, excepted, "the exception matches the example stack's key")

	r = run(t, "check", "--format", "sarif", "--policy-pack-config", "policy-config-v2.json", insecure)
	assert.Contains(t, r.stdout, `"justification": "exception DFG-0001: `+x.Reason+`"`)
}

// ---- the GitHub Actions workflow ----

type ghWorkflow struct {
	Name string
	On   map[string]any    `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []ghStep
	}
	Permissions map[string]string
}

type ghStep struct {
	Name             string
	Uses             string
	If               string
	Run              string
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
	With             map[string]string `yaml:"with"`
}

func readWorkflow(t *testing.T) ghWorkflow {
	t.Helper()
	data, err := os.ReadFile(workflow)
	require.NoError(t, err)
	var w ghWorkflow
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&w))
	return w
}

// Values the runner provides.
const (
	workspace = "/home/runner/work/app/app"
	runnerTmp = "/home/runner/work/_temp"
)

var exprRE = regexp.MustCompile(`\$\{\{\s*env\.([A-Z_]+)\s*\}\}`)

// expandExpr resolves ${{ env.X }} expressions.
func expandExpr(s string, env map[string]string) string {
	return exprRE.ReplaceAllStringFunc(s, func(m string) string { return env[exprRE.FindStringSubmatch(m)[1]] })
}

// commands splits a bash script into commands (one per line, continuation
// lines joined) of words, with quotes removed and $VAR / ${VAR} expanded
// outside single quotes. A redirection, pipe or comment ends a command.
func commands(script string, env map[string]string) [][]string {
	var out [][]string
	script = strings.ReplaceAll(script, "\\\n", " ")
	for _, line := range strings.Split(script, "\n") {
		var words []string
		var cur strings.Builder
		inWord, quote := false, byte(0)
		flush := func() {
			if inWord {
				words = append(words, cur.String())
			}
			cur.Reset()
			inWord = false
		}
	scan:
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case quote != 0 && c == quote:
				quote = 0
			case c == '$' && quote != '\'':
				name, n := varName(line[i+1:])
				cur.WriteString(env[name])
				i += n
				inWord = true
			case quote != 0:
				cur.WriteByte(c)
			case c == '"' || c == '\'':
				quote, inWord = c, true
			case c == ' ' || c == '\t':
				flush()
			case c == '>' || c == '|' || c == '#':
				break scan
			default:
				cur.WriteByte(c)
				inWord = true
			}
		}
		flush()
		if len(words) > 0 {
			out = append(out, words)
		}
	}
	return out
}

// varName reads the variable name after a '$': NAME or {NAME}; n is the
// number of bytes it takes.
func varName(s string) (name string, n int) {
	if rest, ok := strings.CutPrefix(s, "{"); ok {
		if end := strings.IndexByte(rest, '}'); end >= 0 {
			return rest[:end], end + 2
		}
	}
	for n < len(s) && (s[n] == '_' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 'a' && s[n] <= 'z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return s[:n], n
}

// stepEnv is what a step's script sees.
func stepEnv(w ghWorkflow, s ghStep) map[string]string {
	env := map[string]string{"GITHUB_WORKSPACE": workspace, "RUNNER_TEMP": runnerTmp}
	for k, v := range w.Env {
		env[k] = v
	}
	for k, v := range s.Env {
		env[k] = expandExpr(v, env)
	}
	return env
}

func TestWorkflowRunsOnlyCommandsThisRepositoryHas(t *testing.T) {
	w := readWorkflow(t)
	require.Contains(t, w.Jobs, "preview")
	require.Contains(t, w.Jobs, "check")
	assert.Equal(t, "write", w.Permissions["security-events"], "upload-sarif needs it")
	packDir := w.Env["PACK_DIR"]
	require.NotEmpty(t, packDir)
	binary := filepath.Join(workspace, packDir, "bin", "dataflow-guardrails")

	// repoPath maps a runner path inside the pack checkout to this repository.
	repoPath := func(p string) (string, bool) {
		rel, err := filepath.Rel(filepath.Join(workspace, packDir), p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return "", false
		}
		return filepath.Join(repoRoot, rel), true
	}

	checked := map[string]int{}
	for jobName, job := range w.Jobs {
		built, previewed, exported := false, "", false
		for i, step := range job.Steps {
			env := stepEnv(w, step)
			dir := filepath.Join(workspace, expandExpr(step.WorkingDirectory, env))
			for _, cmd := range commands(step.Run, env) {
				switch {
				case cmd[0] == "go" && len(cmd) > 1 && cmd[1] == "build":
					checked["go build"]++
					pkgDir, ok := repoPath(dir)
					require.True(t, ok, "%s: go build runs in the pack checkout, not %s", jobName, dir)
					var out, pkgs []string
					for j := 2; j < len(cmd); j++ {
						switch {
						case cmd[j] == "-o":
							j++
							out = append(out, cmd[j])
						case strings.HasPrefix(cmd[j], "-"):
						default:
							pkgs = append(pkgs, cmd[j])
						}
					}
					require.Equal(t, []string{"bin/dataflow-guardrails"}, out)
					assert.Equal(t, binary, filepath.Join(dir, out[0]), "the binary the other steps run")
					require.Equal(t, []string{"."}, pkgs)
					list := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}}", pkgs[0])
					list.Dir = pkgDir
					got, err := list.CombinedOutput()
					require.NoError(t, err, string(got))
					assert.Equal(t, "main github.com/dataflow-guardrails/dataflow-guardrails", strings.TrimSpace(string(got)))
					built = true

				case cmd[0] == "go" && len(cmd) > 2 && cmd[1] == "run":
					checked["go run"]++
					_, ok := repoPath(dir)
					require.True(t, ok, "go run runs in the pack checkout")
					require.Equal(t, ".", cmd[2])
					checkInvocation(t, cmd[3:], repoPath)

				case cmd[0] == binary:
					checked["pack binary"]++
					require.True(t, built, "%s: the binary is built before step %d runs it", jobName, i)
					checkInvocation(t, cmd[1:], repoPath)

				case cmd[0] == "pulumi" && len(cmd) > 1 && cmd[1] == "preview":
					checked["pulumi preview"]++
					require.True(t, built, "the binary is built before the preview")
					assert.Equal(t, binary, flagValue(cmd, "--policy-pack"))
					cfg, ok := repoPath(flagValue(cmd, "--policy-pack-config"))
					require.True(t, ok)
					assert.FileExists(t, cfg)
					previewed = step.Env["DATAFLOW_GUARDRAILS_REPORT"]
					assert.True(t, strings.HasSuffix(previewed, ".sarif"), "a SARIF report: %q", previewed)
					previewed = filepath.Join(expandExpr(step.WorkingDirectory, env), previewed)

				case cmd[0] == "pulumi" && len(cmd) > 2 && cmd[1] == "stack" && cmd[2] == "export":
					checked["pulumi stack export"]++
					assert.Contains(t, cmd, "--show-secrets", "secret inputs are checked too")
					assert.True(t, strings.HasPrefix(flagValue(cmd, "--file"), runnerTmp), "the export with secrets stays out of the workspace")
					exported = true
				}
			}
			if strings.HasPrefix(step.Uses, "github/codeql-action/upload-sarif@") {
				checked["upload-sarif"]++
				assert.Equal(t, "always()", step.If, "findings are uploaded when the policy step fails")
				want := filepath.Join(expandExpr(w.Env["PROJECT_DIR"], w.Env), "results.sarif")
				if jobName == "preview" {
					want = previewed
				}
				assert.Equal(t, want, expandExpr(step.With["sarif_file"], w.Env), jobName)
				assert.NotEmpty(t, step.With["category"], "one category per job, or the uploads replace each other")
			}
		}
		if jobName == "check" {
			assert.True(t, exported, "the check job checks a stack export")
		}
	}
	assert.Equal(t, map[string]int{"go build": 2, "pack binary": 1, "pulumi preview": 1, "pulumi stack export": 1, "upload-sarif": 2}, checked)
}

func flagValue(cmd []string, name string) string {
	for i, w := range cmd {
		if w == name && i+1 < len(cmd) {
			return cmd[i+1]
		}
		if v, ok := strings.CutPrefix(w, name+"="); ok {
			return v
		}
	}
	return ""
}

// checkInvocation runs a pack command line of the workflow against this
// repository: the subcommand and its flags exist, files named inside the
// pack checkout exist, and the command runs (the stack export replaced by
// the insecure example) without a usage error.
func checkInvocation(t *testing.T, args []string, repoPath func(string) (string, bool)) {
	t.Helper()
	require.NotEmpty(t, args)
	sub := args[0]
	require.Equal(t, "check", sub, "the workflow only uses check")
	help := run(t, sub, "--help")
	require.Equal(t, 0, help.code, "%s exists", sub)
	var local []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") {
			name, _, _ := strings.Cut(a, "=")
			assert.Contains(t, help.stdout, name+" ", "check has the flag %s", name)
			local = append(local, a)
			continue
		}
		if p, ok := repoPath(a); ok {
			assert.FileExists(t, p)
			local = append(local, p)
			continue
		}
		if strings.HasPrefix(a, runnerTmp) { // the stack export
			local = append(local, insecure)
			continue
		}
		if args[i-1] == "--baseline" { // committed in the user's repository: one from the insecure example
			base := run(t, "check", "--format", "json", insecure)
			require.Equal(t, 1, base.code, base.stderr)
			p := filepath.Join(t.TempDir(), "baseline.json")
			require.NoError(t, os.WriteFile(p, []byte(base.stdout), 0o600))
			local = append(local, p)
			continue
		}
		local = append(local, a)
	}
	r := run(t, append([]string{sub}, local...)...)
	assert.NotEqual(t, 2, r.code, "usage error: %s", r.stderr)
	if flagValue(args, "--format") == "sarif" {
		var doc struct{ Version string }
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		assert.Equal(t, "2.1.0", doc.Version)
	}
}

func TestCommandSplitting(t *testing.T) {
	env := map[string]string{"A": "x y", "B": "b"}
	got := commands("go build -o \"bin/$B\" .\n  cmd '$A' \\\n  --f=\"${A}/z\" $B$B > out # c\n\n", env)
	assert.Equal(t, [][]string{{"go", "build", "-o", "bin/b", "."}, {"cmd", "$A", "--f=x y/z", "bb"}}, got)
}
