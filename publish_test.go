package main

// What `pulumi policy publish` and Pulumi Cloud need from the pack: its
// metadata as the built binary serves it without ConfigureStack, and a
// published tarball that installs and builds from the module cache alone.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/propertyrpc"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packmeta"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// The pack binary, built once for every test of the package that launches it.
var pack struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pack.dir != "" {
		_ = os.RemoveAll(pack.dir)
	}
	os.Exit(code)
}

// packBinary builds the pack (`go build .`) on first use.
func packBinary(t *testing.T) string {
	t.Helper()
	pack.once.Do(func() {
		pack.dir, pack.err = os.MkdirTemp("", "dataflow-guardrails-bin-")
		if pack.err != nil {
			return
		}
		pack.bin = filepath.Join(pack.dir, "dataflow-guardrails")
		build := exec.Command("go", "build", "-o", pack.bin, ".")
		var out bytes.Buffer
		build.Stdout, build.Stderr = &out, &out
		if err := build.Run(); err != nil {
			pack.err = fmt.Errorf("go build: %v\n%s", err, out.String())
		}
	})
	require.NoError(t, pack.err)
	return pack.bin
}

// launch starts the pack the way the engine does (engine flags, then the
// engine address; the port is the first stdout line) and connects to it.
func launch(t *testing.T, ctx context.Context, env ...string) pulumirpc.AnalyzerClient {
	t.Helper()
	cmd := exec.CommandContext(ctx, packBinary(t), "--logtostderr", "-v=3", "127.0.0.1:65000")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("pack stderr:\n%s", stderr.String())
		}
	})
	port, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	client := pulumirpc.NewAnalyzerClient(conn)
	_, err = client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{EngineAddress: "127.0.0.1:65000"})
	require.NoError(t, err)
	return client
}

// The service's rule for pack names and version tags (ENGINE-CONTRACT §1.8).
var publishNameRE = regexp.MustCompile(`^[a-zA-Z0-9-_.]{1,100}$`)

// Semantic versioning 2.0.0, without build metadata (the service rejects '+').
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-((0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$`)

var families = []string{"least-privilege", "no-keys", "labels", "oidc-federation", "logging", "dataflow-hardening", "org-policy"}

// TestPublishMetadata asks the built pack what `pulumi policy publish` sends
// to Pulumi Cloud, without ConfigureStack, exactly as publish does.
func TestPublishMetadata(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := launch(t, ctx)

	meta, err := packmeta.Parse(pulumiPolicyYAML)
	require.NoError(t, err)
	require.Regexp(t, semverRE, meta.Version, "PulumiPolicy.yaml version")

	pi, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, meta.Version, pi.GetVersion(), "GetPluginInfo")

	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Regexp(t, publishNameRE, info.GetName())
	assert.Equal(t, policies.PackName, info.GetName())
	assert.Equal(t, meta.Version, info.GetVersion(), "GetAnalyzerInfo")
	assert.Regexp(t, publishNameRE, info.GetVersion(), "the service's version tag rule")
	assert.Regexp(t, semverRE, info.GetVersion())
	assert.True(t, info.GetSupportsConfig())

	// Pack level.
	assert.NotEmpty(t, info.GetDisplayName())
	assert.Equal(t, meta.Description, info.GetDescription())
	assert.Equal(t, readme, info.GetReadme())
	assert.NotEmpty(t, info.GetReadme())
	assert.Equal(t, "gcp", info.GetProvider())
	assert.NotEmpty(t, info.GetTags())
	repo, err := url.Parse(info.GetRepository())
	require.NoError(t, err)
	assert.Equal(t, "https", repo.Scheme, "repository %q", info.GetRepository())
	assert.NotEmpty(t, repo.Host)

	// Every policy.
	want := map[string]bool{}
	for _, p := range policies.All() {
		want[p.Name] = p.IsStack()
	}
	require.Len(t, info.GetPolicies(), len(want))
	seen := map[string]bool{}
	withSchema := 0
	for _, p := range info.GetPolicies() {
		name := p.GetName()
		assert.False(t, seen[name], "duplicate policy name %s (the service rejects it)", name)
		seen[name] = true
		isStack, known := want[name]
		require.True(t, known, "unexpected policy %s", name)
		assert.Regexp(t, publishNameRE, name)
		assert.NotEmpty(t, p.GetDisplayName(), name)
		assert.NotEmpty(t, p.GetDescription(), name)
		assert.NotEqual(t, pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED, p.GetSeverity(), name)
		u, err := url.Parse(p.GetUrl())
		if assert.NoError(t, err, name) {
			assert.Equal(t, "https", u.Scheme, "%s url %q", name, p.GetUrl())
		}
		assert.NotEmpty(t, p.GetRemediationSteps(), name)
		if assert.Len(t, p.GetTags(), 1, name) {
			assert.Contains(t, families, p.GetTags()[0], "%s is tagged with its family", name)
		}
		wantType := pulumirpc.PolicyType_POLICY_TYPE_RESOURCE
		if isStack {
			wantType = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		assert.Equal(t, wantType, p.GetPolicyType(), name)
		assert.Contains(t, []pulumirpc.EnforcementLevel{pulumirpc.EnforcementLevel_ADVISORY, pulumirpc.EnforcementLevel_MANDATORY},
			p.GetEnforcementLevel(), "%s: a default level the service accepts", name)
		if p.GetConfigSchema() != nil {
			withSchema++
			checkConfigSchema(t, name, p.GetConfigSchema())
		}
	}
	t.Logf("%d policies, %d with a config schema", len(seen), withSchema)
	assert.Positive(t, withSchema)
}

// checkConfigSchema compiles the schema as the service stores it
// ({type: object, properties, required}), requires a default for every
// property, and validates the defaults against the schema.
func checkConfigSchema(t *testing.T, name string, cs *pulumirpc.PolicyConfigSchema) {
	t.Helper()
	props := cs.GetProperties().AsMap()
	assert.NotContains(t, props, "enforcementLevel", "%s: the engine adds enforcementLevel itself", name)
	assert.NotEmpty(t, props, name)
	required := make([]any, 0, len(cs.GetRequired()))
	for _, r := range cs.GetRequired() {
		assert.Contains(t, props, r, "%s: required %q is a property", name, r)
		required = append(required, r)
	}
	schema := map[string]any{"type": "object", "properties": props, "required": required}
	// Round-trip through JSON so numbers are what the validator expects.
	data, err := json.Marshal(schema)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7) // the engine validates config with a draft-07 validator
	loc := "file:///" + name + ".json"
	require.NoError(t, c.AddResource(loc, doc))
	sch, err := c.Compile(loc)
	if !assert.NoError(t, err, "%s: config schema", name) {
		return
	}
	defaults := map[string]any{}
	for prop, v := range props {
		def, ok := v.(map[string]any)["default"]
		if assert.True(t, ok, "%s: property %s has a default", name, prop) {
			defaults[prop] = def
		}
	}
	data, err = json.Marshal(defaults)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	assert.NoError(t, sch.Validate(inst), "%s: the defaults satisfy the schema", name)
}

// TestBinaryWritesTheReport checks DATAFLOW_GUARDRAILS_REPORT end to end in
// the built binary: the report appears when AnalyzeStack ends the run.
func TestBinaryWritesTheReport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "results.sarif")
	client := launch(t, ctx, "DATAFLOW_GUARDRAILS_REPORT="+path)
	_, err := client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "dev", DryRun: true})
	require.NoError(t, err)
	const urn = "urn:pulumi:dev::etl::gcp:serviceaccount/key:Key::ci"
	resp, err := client.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: "gcp:serviceaccount/key:Key", Urn: urn, Name: "ci",
		Properties: propertyrpc.Marshal(property.NewMap(map[string]property.Value{"serviceAccountId": property.New("ci")}))})
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetDiagnostics())
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "written when the run ends")
	_, err = client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					LogicalLocations []struct{ FullyQualifiedName string }
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	assert.Equal(t, "2.1.0", doc.Version)
	require.Len(t, doc.Runs, 1)
	require.Len(t, doc.Runs[0].Results, len(resp.GetDiagnostics()))
	assert.Equal(t, urn, doc.Runs[0].Results[0].Locations[0].LogicalLocations[0].FullyQualifiedName)
}

// ---- the form Pulumi Cloud installs ----

// TestPublishedTarballInstalls builds what `pulumi policy publish`
// uploads (every file git does not ignore, under package/ in a .tgz),
// extracts it, and does what an enforcing runner does before each run:
// `go mod tidy -compat=1.18` (pulumi-language-go InstallDependencies) and
// `go build -trimpath` (RunPlugin), through the configured module proxy.
func TestPublishedTarballInstalls(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the pack from a copy of the repository")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ls := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	listed, err := ls.Output()
	if err != nil {
		t.Skipf("not a git work tree: %v", err)
	}
	var files []string
	for _, f := range strings.Split(strings.TrimRight(string(listed), "\x00"), "\x00") {
		if fi, err := os.Lstat(f); err == nil && fi.Mode().IsRegular() { // deleted files stay listed until staged
			files = append(files, f)
		}
	}
	sort.Strings(files)
	require.Contains(t, files, "PulumiPolicy.yaml")
	require.Contains(t, files, "go.mod")
	require.Contains(t, files, "go.sum")

	tmp := t.TempDir()
	tgz := filepath.Join(tmp, "pack.tgz")
	largest := writeTarball(t, tgz, files)
	fi, err := os.Stat(tgz)
	require.NoError(t, err)
	t.Logf("publish tarball: %d files, %d bytes compressed; largest: %s", len(files), fi.Size(), strings.Join(largest, ", "))

	dir := filepath.Join(tmp, "installed")
	extractTarball(t, tgz, dir)
	pkg := filepath.Join(dir, "package")

	// Nested modules (e2e/) are shipped too; the root module's commands
	// must leave them alone.
	nested := nestedModules(t, pkg)
	t.Logf("nested modules shipped in the tarball: %v", nested)
	before := snapshot(t, pkg, append([]string{"go.mod", "go.sum"}, nested...))

	gomodcache := goEnv(t, "GOMODCACHE")
	env := append(os.Environ(),
		"GOFLAGS=-mod=mod -buildvcs=false",
		// As an enforcing runner installs: through its configured module
		// proxy, so the test passes on an empty module cache too.
		"GOPROXY="+goEnv(t, "GOPROXY"),
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"GOMODCACHE="+gomodcache,
	)
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = pkg, env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}

	goCmd("mod", "tidy", "-compat=1.18")
	after := snapshot(t, pkg, append([]string{"go.mod", "go.sum"}, nested...))
	assert.Equal(t, before["go.mod"], after["go.mod"], "go.mod is tidy: the installed pack must not differ from the repository")
	if before["go.sum"] != after["go.sum"] {
		t.Logf("go mod tidy -compat=1.18 changed go.sum (%d -> %d bytes)", len(before["go.sum"]), len(after["go.sum"]))
	}
	for _, m := range nested {
		assert.Equal(t, before[m], after[m], "%s is untouched by the root module's tidy", m)
	}

	bin := filepath.Join(tmp, "pack-bin")
	goCmd("build", "-trimpath", "-ldflags", "-w -s", "-o", bin, ".")
	bfi, err := os.Stat(bin)
	require.NoError(t, err)
	t.Logf("pack binary (-trimpath -ldflags \"-w -s\", as the language host builds it): %d bytes", bfi.Size())

	// What an enforcing runner downloads: the module zips of the graph.
	var all, missing int
	var total int64
	for _, line := range strings.Split(strings.TrimSpace(goCmd("list", "-m", "-f", "{{if not .Main}}{{.Path}} {{.Version}}{{end}}", "all")), "\n") {
		path, version, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		all++
		zi, err := os.Stat(filepath.Join(gomodcache, "cache", "download", escapeModule(path), "@v", escapeModule(version)+".zip"))
		if err != nil {
			missing++ // only the go.mod of a module that provides no package is needed
			continue
		}
		total += zi.Size()
	}
	// Tidy and build only fetch the zips of modules that provide a package
	// they load: the root module's packages, their tests and dependencies.
	tidyZips, tidyMods := zipSize(t, gomodcache, goCmd("list", "-deps", "-test", "-f", moduleOf, "./..."))
	buildZips, buildMods := zipSize(t, gomodcache, goCmd("list", "-deps", "-f", moduleOf, "."))
	t.Logf("module download size: `go list -m all` names %d modules; the module cache holds zips for %d of them, %.1f MiB "+
		"(an upper bound: some come from other modules' downloads). Zips an install fetches (go mod tidy: the packages "+
		"and tests of the pack): %d modules, %.1f MiB; the pack binary's own: %d modules, %.1f MiB",
		all, all-missing, mib(total), tidyMods, mib(tidyZips), buildMods, mib(buildZips))
}

// moduleOf is a `go list` template printing a package's module as path@version.
const moduleOf = "{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}}{{end}}{{end}}"

// zipSize sums the module cache zips of the distinct modules in list.
func zipSize(t *testing.T, gomodcache, list string) (size int64, modules int) {
	t.Helper()
	seen := map[string]bool{}
	for _, mod := range strings.Fields(list) {
		if seen[mod] {
			continue
		}
		seen[mod] = true
		path, version, _ := strings.Cut(mod, "@")
		zi, err := os.Stat(filepath.Join(gomodcache, "cache", "download", escapeModule(path), "@v", escapeModule(version)+".zip"))
		if assert.NoError(t, err, "%s was built, so its zip is in the module cache", mod) {
			size += zi.Size()
		}
	}
	return size, len(seen)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func writeTarball(t *testing.T, path string, files []string) (largest []string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	type sized struct {
		name string
		size int64
	}
	var sizes []sized
	for _, name := range files {
		fi, err := os.Stat(name)
		require.NoError(t, err)
		hdr, err := tar.FileInfoHeader(fi, "")
		require.NoError(t, err)
		hdr.Name = "package/" + filepath.ToSlash(name)
		require.NoError(t, tw.WriteHeader(hdr))
		src, err := os.Open(name)
		require.NoError(t, err)
		_, err = io.Copy(tw, src)
		src.Close()
		require.NoError(t, err)
		sizes = append(sizes, sized{name, fi.Size()})
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	sort.Slice(sizes, func(i, j int) bool { return sizes[i].size > sizes[j].size })
	for i := 0; i < len(sizes) && i < 3; i++ {
		largest = append(largest, fmt.Sprintf("%s (%d bytes)", sizes[i].name, sizes[i].size))
	}
	return largest
}

func extractTarball(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		target := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		require.True(t, strings.HasPrefix(target, dir+string(filepath.Separator)), hdr.Name)
		require.NoError(t, os.MkdirAll(filepath.Dir(target), 0o755))
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fs.FileMode(hdr.Mode).Perm())
		require.NoError(t, err)
		_, err = io.Copy(out, tr)
		require.NoError(t, err)
		require.NoError(t, out.Close())
	}
}

// nestedModules lists the go.mod files below the root module's directory.
func nestedModules(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "go.mod" && filepath.Dir(p) != root {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	}))
	return out
}

func snapshot(t *testing.T, dir string, names []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		require.NoError(t, err)
		out[n] = string(data)
	}
	return out
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	require.NoError(t, err)
	v := strings.TrimSpace(string(out))
	require.NotEmpty(t, v, key)
	return v
}

// escapeModule spells a module path or version as the module cache does:
// each upper-case letter becomes '!' and its lower-case form.
func escapeModule(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
