package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ProviderLogEnv names the file the fake provider appends its Create and
// Update calls to (see e2e/fakegcp).
const ProviderLogEnv = "FAKEGCP_LOG"

// GCPVersion is the pulumi-gcp version the Go SDK v9.6.0 asks for.
const GCPVersion = "9.6.0"

// Passphrase encrypts the secrets of every test stack.
const Passphrase = "e2e-test-passphrase"

// ambientCredentials are the variables through which the pack (and the real
// provider) would pick up Google credentials from the environment. The suite
// must not depend on the machine it runs on, so they never reach the CLI.
var ambientCredentials = []string{
	"GOOGLE_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS",
	"GOOGLE_CLOUD_KEYFILE_JSON", "GCLOUD_KEYFILE_JSON",
}

var clearAmbient sync.Once

// Env is one isolated Pulumi installation: its own PULUMI_HOME (with the fake
// gcp provider installed), a file backend and a provider call log.
type Env struct {
	Dir         string            // root of the environment's temp tree
	Home        string            // PULUMI_HOME
	State       string            // file backend directory
	CLI         string            // the Pulumi CLI binary
	Pack        string            // the policy pack binary
	ProviderLog string            // where the fake provider records its calls
	Vars        map[string]string // environment of every CLI run

	cmd auto.PulumiCommand
}

// NewEnv creates a fresh environment under t.TempDir() and installs the fake
// provider into it as the gcp 9.6.0 resource plugin.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	clearAmbient.Do(func() {
		for _, v := range ambientCredentials {
			_ = os.Unsetenv(v)
		}
	})
	cliPath := PulumiCLI(t)
	e := &Env{Dir: t.TempDir(), CLI: cliPath, Pack: PackBinary(t)}
	e.Home = filepath.Join(e.Dir, "home")
	e.State = filepath.Join(e.Dir, "state")
	e.ProviderLog = filepath.Join(e.Dir, "provider-calls.jsonl")
	for _, d := range []string{e.Home, e.State, filepath.Join(e.Dir, "work")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.Vars = map[string]string{
		"PULUMI_HOME":                                 e.Home,
		"PULUMI_BACKEND_URL":                          "file://" + e.State,
		"PULUMI_CONFIG_PASSPHRASE":                    Passphrase,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		ProviderLogEnv:                                e.ProviderLog,
	}

	root, err := cliRoot(cliPath)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	e.cmd, err = auto.NewPulumiCommand(&auto.PulumiCommandOptions{
		Root: root, Version: semver.MustParse(CLIVersion),
	})
	if err != nil {
		t.Fatalf("harness: %v", err)
	}

	if out, err := e.Pulumi(e.Dir, "plugin", "install", "resource", "gcp", GCPVersion,
		"--file", FakeProvider(t)); err != nil {
		t.Fatalf("harness: installing the fake gcp provider: %v\n%s", err, out)
	}
	return e
}

// cliRoot lays the CLI out as <root>/bin/pulumi, where the Automation API
// looks for it, with a symlink to the cached binary.
func cliRoot(cliPath string) (string, error) {
	dir, err := processDir()
	if err != nil {
		return "", err
	}
	root := filepath.Join(dir, "cli")
	link := filepath.Join(root, "bin", "pulumi")
	cliRootOnce.Do(func() {
		if err = os.MkdirAll(filepath.Dir(link), 0o755); err == nil {
			err = os.Symlink(cliPath, link)
		}
		cliRootErr = err
	})
	return root, cliRootErr
}

var (
	cliRootOnce sync.Once
	cliRootErr  error
)

// Pulumi runs the CLI directly in dir with the environment's variables and
// returns its combined output.
func (e *Env) Pulumi(dir string, args ...string) (string, error) {
	stdout, stderr, err := e.PulumiOut(dir, args...)
	return stdout + stderr, err
}

// PulumiOut runs the CLI directly in dir and returns stdout and stderr apart.
func (e *Env) PulumiOut(dir string, args ...string) (string, string, error) {
	cmd := exec.Command(e.CLI, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range e.Vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// WriteFile writes content to a file of the environment and returns its path.
func (e *Env) WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(e.Dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Stack is an Automation API stack whose program runs inline, in the test
// process, so that no language host is needed.
type Stack struct {
	Env     *Env
	Project string
	Name    string
	WorkDir string
	Auto    auto.Stack
}

// NewStack creates (or selects) the stack project/name running program,
// with the given stack configuration ("gcp:project" and so on).
func (e *Env) NewStack(t testing.TB, project, name string, program pulumi.RunFunc, config auto.ConfigMap) *Stack {
	t.Helper()
	ctx := context.Background()
	work := filepath.Join(e.Dir, "work", project+"-"+name)
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := auto.UpsertStackInlineSource(ctx, name, project, program,
		auto.Project(workspace.Project{
			Name:    tokens.PackageName(project),
			Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		}),
		auto.WorkDir(work),
		auto.PulumiHome(e.Home),
		auto.SecretsProvider("passphrase"),
		auto.Pulumi(e.cmd),
		auto.EnvVars(maps.Clone(e.Vars)), // a copy: WithEnv changes one stack's
	)
	if err != nil {
		t.Fatalf("harness: creating stack %s/%s: %v", project, name, err)
	}
	if len(config) > 0 {
		if err := st.SetAllConfig(ctx, config); err != nil {
			t.Fatalf("harness: stack config: %v", err)
		}
	}
	return &Stack{Env: e, Project: project, Name: name, WorkDir: work, Auto: st}
}

// URN is the URN of a top-level resource of this stack.
func (s *Stack) URN(typ, name string) string {
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", s.Name, s.Project, typ, name)
}

// StackURN is the URN of the stack's root resource.
func (s *Stack) StackURN() string {
	return s.URN("pulumi:pulumi:Stack", s.Project+"-"+s.Name)
}

// DefaultProviderURN is the URN of the default gcp provider (without its id).
func (s *Stack) DefaultProviderURN() string {
	return s.URN("pulumi:providers:gcp", "default_"+underscored(GCPVersion))
}

func underscored(v string) string {
	out := []byte(v)
	for i, c := range out {
		if c == '.' {
			out[i] = '_'
		}
	}
	return string(out)
}

// Option changes one preview or update.
type Option func(*runOptions)

type runOptions struct {
	noPack  bool
	configs []string
	env     map[string]string
}

// WithoutPolicies runs the operation without the policy pack.
func WithoutPolicies() Option { return func(o *runOptions) { o.noPack = true } }

// WithEnv sets an environment variable for this operation only: the CLI, and
// through it the policy pack process, see it.
func WithEnv(key, value string) Option {
	return func(o *runOptions) {
		if o.env == nil {
			o.env = map[string]string{}
		}
		o.env[key] = value
	}
}

// PolicyConfig passes a --policy-pack-config file.
func PolicyConfig(path string) Option {
	return func(o *runOptions) { o.configs = append(o.configs, path) }
}

func (s *Stack) options(t testing.TB, opts []Option) runOptions {
	t.Helper()
	o := runOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	o.configs = s.Env.withDisabled(t, o.configs)
	return o
}

// DisableEnv names a comma-separated list of policies that the harness
// disables in every operation (merged into any --policy-pack-config), to
// show that each scenario fails when a policy it relies on is off:
//
//	E2E_DISABLE_POLICIES=required-labels go test ./engine
const DisableEnv = "E2E_DISABLE_POLICIES"

// withDisabled returns the config files to pass, with the policies of
// $E2E_DISABLE_POLICIES disabled in a copy of the given file (or a new one).
func (e *Env) withDisabled(t testing.TB, configs []string) []string {
	t.Helper()
	var names []string
	for _, n := range strings.Split(os.Getenv(DisableEnv), ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return configs
	}
	cfg := map[string]any{}
	if len(configs) > 0 {
		data, err := os.ReadFile(configs[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatalf("harness: %s: %v", configs[0], err)
		}
	}
	policies := cfg
	if v, ok := cfg["version"]; ok && v == float64(2) {
		if p, ok := cfg["policies"].(map[string]any); ok {
			policies = p
		} else {
			policies = map[string]any{}
			cfg["policies"] = policies
		}
	}
	for _, n := range names {
		policies[n] = "disabled"
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(e.Dir, "disabled-*.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	return []string{f.Name()}
}

// setEnv sets vars in the stack's workspace and returns a func that removes
// them again.
func (s *Stack) setEnv(t testing.TB, vars map[string]string) func() {
	t.Helper()
	ws := s.Auto.Workspace()
	for k, v := range vars {
		ws.SetEnvVar(k, v)
	}
	return func() {
		for k := range vars {
			ws.UnsetEnvVar(k)
		}
	}
}

// Preview runs `pulumi preview --policy-pack <pack>`.
func (s *Stack) Preview(t testing.TB, opts ...Option) *Result {
	t.Helper()
	o := s.options(t, opts)
	defer s.setEnv(t, o.env)()
	return s.run(t, "preview", func(ctx context.Context, ch chan events.EngineEvent, stdout, stderr *bytes.Buffer) error {
		popts := []optpreview.Option{optpreview.EventStreams(ch),
			optpreview.ProgressStreams(stdout), optpreview.ErrorProgressStreams(stderr)}
		if !o.noPack {
			popts = append(popts, optpreview.PolicyPacks(s.Env.Pack))
			if len(o.configs) > 0 {
				popts = append(popts, optpreview.PolicyPackConfigs(o.configs...))
			}
		}
		_, err := s.Auto.Preview(ctx, popts...)
		return err
	})
}

// Up runs `pulumi up --policy-pack <pack>`. The Automation API always passes
// --skip-preview: run Preview first when the preview matters.
func (s *Stack) Up(t testing.TB, opts ...Option) *Result {
	t.Helper()
	o := s.options(t, opts)
	defer s.setEnv(t, o.env)()
	return s.run(t, "up", func(ctx context.Context, ch chan events.EngineEvent, stdout, stderr *bytes.Buffer) error {
		uopts := []optup.Option{optup.EventStreams(ch),
			optup.ProgressStreams(stdout), optup.ErrorProgressStreams(stderr)}
		if !o.noPack {
			uopts = append(uopts, optup.PolicyPacks(s.Env.Pack))
			if len(o.configs) > 0 {
				uopts = append(uopts, optup.PolicyPackConfigs(o.configs...))
			}
		}
		_, err := s.Auto.Up(ctx, uopts...)
		return err
	})
}

func (s *Stack) run(t testing.TB, op string,
	f func(context.Context, chan events.EngineEvent, *bytes.Buffer, *bytes.Buffer) error,
) *Result {
	t.Helper()
	res := &Result{Op: op}
	offset := fileSize(s.Env.ProviderLog)
	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			res.add(ev)
		}
	}()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	res.Err = f(context.Background(), ch, &stdout, &stderr)
	res.Duration = time.Since(start)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		// The Automation API closes the stream once the event log is drained;
		// it never opens one when the command fails before the engine starts.
	}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	calls, err := readCalls(s.Env.ProviderLog, offset)
	if err != nil {
		t.Fatalf("harness: reading the provider log: %v", err)
	}
	res.Calls = calls
	t.Logf("%s %s/%s: %s, err=%v, %d policy events, %d provider calls",
		op, s.Project, s.Name, res.Duration.Round(time.Millisecond), res.Err != nil, len(res.Violations), len(calls))
	return res
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// ProviderCall is one real Create or Update the fake provider served.
type ProviderCall struct {
	Op     string         `json:"op"`
	Type   string         `json:"type"`
	URN    string         `json:"urn"`
	ID     string         `json:"id"`
	Inputs map[string]any `json:"inputs"`
}

func readCalls(path string, offset int64) ([]ProviderCall, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	var calls []ProviderCall
	dec := json.NewDecoder(bytes.NewReader(data[offset:]))
	for dec.More() {
		var c ProviderCall
		if err := dec.Decode(&c); err != nil {
			return nil, err
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// PolicyAnalyze runs `pulumi policy analyze --policy-pack <pack> --stack
// <stack> --json` over the stack's current state (the CLI directly: the
// Automation API has no such command) and collects its engine events.
func (s *Stack) PolicyAnalyze(t testing.TB, opts ...Option) *Result {
	t.Helper()
	o := s.options(t, opts)
	args := []string{"policy", "analyze", "--policy-pack", s.Env.Pack, "--stack", s.Name, "--json"}
	for _, c := range o.configs {
		args = append(args, "--policy-pack-config", c)
	}
	res := &Result{Op: "policy analyze"}
	start := time.Now()
	stdout, stderr, err := s.Env.PulumiOut(s.WorkDir, args...)
	res.Duration = time.Since(start)
	res.Err, res.Stdout, res.Stderr = err, stdout, stderr
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var ev apitype.EngineEvent
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("harness: policy analyze --json output: %v\n%s\n%s", err, stdout, stderr)
		}
		res.add(events.EngineEvent{EngineEvent: ev})
	}
	t.Logf("policy analyze %s/%s: %s, err=%v, %d policy events", s.Project, s.Name,
		res.Duration.Round(time.Millisecond), err != nil, len(res.Violations))
	return res
}
