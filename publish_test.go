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
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packmeta"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
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
		// The family comes first; compliance mappings follow as tags.
		if assert.NotEmpty(t, p.GetTags(), name) {
			assert.Contains(t, families, p.GetTags()[0], "%s is tagged with its family first", name)
		}
		for _, tag := range p.GetTags()[1:] {
			assert.Regexp(t, `^(nist-800-53|cis-gcp-v[0-9.]+):[A-Z0-9.()-]+$`, tag, name)
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
		Properties: propertypb.Marshal(property.NewMap(map[string]property.Value{"serviceAccountId": property.New("ci")}))})
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

// publishedPackage builds what `pulumi policy publish` uploads (every file
// git does not ignore, under package/ in a .tgz), extracts it, and returns
// the extracted package directory.
func publishedPackage(t *testing.T) string {
	t.Helper()
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
	return filepath.Join(dir, "package")
}

// runnerEnv is the environment an enforcing runner's go commands see, with
// the given module cache and proxy.
func runnerEnv(gomodcache, goproxy string, goflags ...string) []string {
	return append(os.Environ(),
		"GOFLAGS="+strings.Join(append([]string{"-mod=mod", "-buildvcs=false"}, goflags...), " "),
		"GOPROXY="+goproxy,
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"GOMODCACHE="+gomodcache,
	)
}

func runGo(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// TestPublishedTarballInstalls extracts the published tarball and does what
// an enforcing runner does before each run: `go mod tidy -compat=1.18`
// (pulumi-language-go InstallDependencies) and `go build` (RunPlugin),
// through the configured module proxy.
func TestPublishedTarballInstalls(t *testing.T) {
	pkg := publishedPackage(t)

	// Nested modules (e2e/) are shipped too; the root module's commands
	// must leave them alone.
	nested := nestedModules(t, pkg)
	t.Logf("nested modules shipped in the tarball: %v", nested)
	before := snapshot(t, pkg, append([]string{"go.mod", "go.sum"}, nested...))

	// As an enforcing runner installs: through its configured module proxy,
	// so the test passes on an empty module cache too.
	env := runnerEnv(goEnv(t, "GOMODCACHE"), goEnv(t, "GOPROXY"))
	runGo(t, pkg, env, "mod", "tidy", "-compat=1.18")
	after := snapshot(t, pkg, append([]string{"go.mod", "go.sum"}, nested...))
	assert.Equal(t, before["go.mod"], after["go.mod"], "go.mod is tidy: the installed pack must not differ from the repository")
	if before["go.sum"] != after["go.sum"] {
		t.Logf("go mod tidy -compat=1.18 changed go.sum (%d -> %d bytes)", len(before["go.sum"]), len(after["go.sum"]))
	}
	for _, m := range nested {
		assert.Equal(t, before[m], after[m], "%s is untouched by the root module's tidy", m)
	}

	bin := filepath.Join(t.TempDir(), "pack-bin")
	runGo(t, pkg, env, "build", "-trimpath", "-ldflags", "-w -s", "-o", bin, ".")
	bfi, err := os.Stat(bin)
	require.NoError(t, err)
	t.Logf("pack binary (-trimpath -ldflags \"-w -s\"): %d bytes", bfi.Size())
}

// installExtras are the modules whose zips an install fetches but the pack's
// build does not need, each with why: `go mod tidy` also loads the tests of
// every package the pack imports, however deep. A module missing here fails
// TestPublishedTarballDownloads; the failure shows `go mod why -m` for it.
// Prefer dropping the import that pulls it (as the pack dropped propertyrpc,
// whose tests pulled 83 modules, 290 MiB); list it only when the import is
// worth its cost, and keep the install within maxInstallRatio of the build.
var installExtras = map[string]string{
	"github.com/stretchr/testify":              "the pack's own tests",
	"go.yaml.in/yaml/v3":                       "the pack's own tests (examples/)",
	"gonum.org/v1/gonum":                       "tests of grpc's roundrobin and endpointsharding balancers; about 24 MiB, the largest extra",
	"go.opentelemetry.io/otel/sdk/metric":      "tests of grpc's pickfirst balancer",
	"github.com/google/go-cmp":                 "grpc's own tests",
	"github.com/golang/protobuf":               "tests of grpc/status",
	"github.com/dlclark/regexp2":               "tests of santhosh-tekuri/jsonschema/v6 (config schema validation); about 9 MiB",
	"pgregory.net/rapid":                       "tests of sdk/v3/go/property",
	"go.opentelemetry.io/otel/sdk/log/logtest": "tests of the OTLP log exporter that sdk/v3's logging imports (property -> contract -> logging)",
}

// maxInstallRatio bounds what an install leaves in an empty module cache
// against what `go build` alone leaves (issue 18).
const maxInstallRatio = 1.2

// TestPublishedTarballDownloads measures what an enforcing runner downloads
// on an empty module cache: the published tarball's `go mod tidy
// -compat=1.18` against what `go build` alone needs, each in a fresh module
// cache. The configured module cache serves as the first proxy (its
// cache/download directory is one), so a warm machine measures without the
// network; anything it lacks comes from the configured proxy.
func TestPublishedTarballDownloads(t *testing.T) {
	pkg := publishedPackage(t)
	proxy := "file://" + filepath.ToSlash(filepath.Join(goEnv(t, "GOMODCACHE"), "cache", "download")) + "," + goEnv(t, "GOPROXY")

	buildCache := t.TempDir()
	start := time.Now()
	// The packages `go build .` compiles, without compiling them: the same
	// module downloads.
	runGo(t, pkg, runnerEnv(buildCache, proxy, "-modcacherw"), "list", "-deps", ".")
	build := measureModuleCache(t, buildCache)
	t.Logf("go build . alone: %s (%s)", build, time.Since(start).Round(time.Millisecond))

	installCache := t.TempDir()
	start = time.Now()
	installEnv := runnerEnv(installCache, proxy, "-modcacherw") // writable, so TempDir can remove it
	runGo(t, pkg, installEnv, "mod", "tidy", "-compat=1.18")
	install := measureModuleCache(t, installCache)
	t.Logf("install (go mod tidy -compat=1.18): %s (%s)", install, time.Since(start).Round(time.Millisecond))

	var unlisted []string
	for mod := range install.zips {
		if build.zips[mod] {
			continue
		}
		if _, ok := installExtras[mod]; !ok {
			unlisted = append(unlisted, mod)
		}
	}
	sort.Strings(unlisted)
	for _, mod := range unlisted {
		why := runGo(t, pkg, installEnv, "mod", "why", "-m", mod)
		t.Errorf("the install fetches %s, which the pack's build does not need; drop the import that pulls it, "+
			"or list it in installExtras with the reason:\n%s", mod, why)
	}
	for mod, reason := range installExtras {
		assert.True(t, install.zips[mod] && !build.zips[mod], "installExtras lists %s (%s), which the install no longer fetches "+
			"beyond the build: remove it", mod, reason)
	}
	ratio := float64(install.disk) / float64(build.disk)
	t.Logf("install / build: %.2fx on disk, %.2fx in zips", ratio, float64(install.zipBytes)/float64(build.zipBytes))
	assert.LessOrEqual(t, ratio, maxInstallRatio, "the install downloads %s, the build %s", install, build)
}

// moduleCache is what a module cache holds after a command.
type moduleCache struct {
	disk     int64           // sources and downloads, in 4 KiB blocks as du counts them on ext4
	zipBytes int64           // the module zips
	zips     map[string]bool // module paths with a zip
}

func (c moduleCache) String() string {
	return fmt.Sprintf("%.1f MiB on disk, %d module zips of %.1f MiB", mib(c.disk), len(c.zips), mib(c.zipBytes))
}

func measureModuleCache(t *testing.T, dir string) moduleCache {
	t.Helper()
	const block = 4096
	c := moduleCache{zips: map[string]bool{}}
	download := filepath.Join(dir, "cache", "download")
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		size := int64(block)
		if !d.IsDir() {
			size = (fi.Size() + block - 1) / block * block
		}
		c.disk += size
		if rel, err := filepath.Rel(download, p); err == nil && !d.IsDir() && strings.HasSuffix(p, ".zip") && !strings.HasPrefix(rel, "..") {
			if mod, _, ok := strings.Cut(filepath.ToSlash(rel), "/@v/"); ok {
				c.zips[unescapeModule(mod)] = true
				c.zipBytes += fi.Size()
			}
		}
		return nil
	}))
	return c
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

// unescapeModule reads a module path as the module cache spells it: '!'
// and a lower-case letter stand for the upper-case letter.
func unescapeModule(s string) string {
	var b strings.Builder
	upper := false
	for _, r := range s {
		switch {
		case r == '!':
			upper = true
		case upper:
			b.WriteRune(unicode.ToUpper(r))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
