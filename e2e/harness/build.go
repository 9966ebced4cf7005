// Package harness runs the real Pulumi engine against the policy pack, offline:
// it builds (and caches) the Pulumi CLI v3.274.1 from pkg/v3, builds the pack
// binary and a fake gcp provider, and drives Automation API inline programs
// written with the real pulumi-gcp Go SDK against a file backend in a temp
// directory, capturing the engine's policy events and what the provider was
// asked to create. See /work/shared/reference/E2E-RECIPE.md for the recipe.
package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// CLIVersion is the Pulumi CLI the suite runs, and the version of pkg/v3 and
// sdk/v3 that e2e/go.mod requires.
const CLIVersion = "3.274.1"

const cliPackage = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"

// e2eDir is the e2e module's root; repoDir is the pack's module root.
func e2eDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("harness: cannot locate the e2e module")
	}
	return filepath.Dir(filepath.Dir(file))
}

func repoDir() string { return filepath.Dir(e2eDir()) }

// processDir is a temp directory shared by every test of this process, for
// the binaries built once per process. Main removes it.
var processDir = sync.OnceValues(func() (string, error) {
	return os.MkdirTemp("", "dataflow-guardrails-e2e-")
})

// Main runs the tests and removes what the harness built for this process.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if dir, err := processDir(); err == nil {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

func mustProcessDir(t testing.TB) string {
	t.Helper()
	dir, err := processDir()
	if err != nil {
		t.Fatalf("harness: temp dir: %v", err)
	}
	return dir
}

// CLIPath is where the Pulumi CLI is cached, per version.
func CLIPath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "dataflow-guardrails", "pulumi-v"+CLIVersion, "pulumi"), nil
}

// PulumiCLI returns the path of the Pulumi CLI v3.274.1, building it from
// pkg/v3 (declared as a tool of the e2e module) when it is not cached yet:
// about 10 minutes on 2 cores from a cold Go build cache. The build holds an
// exclusive lock so that concurrent test binaries build it once, and writes to
// a temporary name first so that a killed build never leaves a broken binary.
func PulumiCLI(t testing.TB) string {
	t.Helper()
	path, err := cli()
	if err != nil {
		t.Fatalf("harness: Pulumi CLI: %v", err)
	}
	return path
}

var cli = sync.OnceValues(func() (string, error) {
	path, err := CLIPath()
	if err != nil {
		return "", err
	}
	if cliWorks(path) {
		return path, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	// Another process may have built it while we waited for the lock.
	if cliWorks(path) {
		return path, nil
	}
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	defer os.Remove(tmp)
	start := time.Now()
	fmt.Fprintf(os.Stderr, "harness: building the Pulumi CLI v%s into %s (about 10 minutes from a cold build cache)\n",
		CLIVersion, path)
	cmd := exec.Command("go", "build",
		"-ldflags", "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v"+CLIVersion,
		"-o", tmp, cliPackage)
	cmd.Dir = e2eDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", cliPackage, err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "harness: built the Pulumi CLI in %s\n", time.Since(start).Round(time.Second))
	if !cliWorks(path) {
		return "", fmt.Errorf("%s does not report version v%s", path, CLIVersion)
	}
	return path, nil
})

// cliWorks reports whether path is a CLI that reports the expected version.
func cliWorks(path string) bool {
	cmd := exec.Command(path, "version")
	cmd.Env = append(os.Environ(), "PULUMI_SKIP_UPDATE_CHECK=true")
	out, err := cmd.Output()
	return err == nil && strings.TrimSpace(string(out)) == "v"+CLIVersion
}

// PackBinary builds the policy pack (`go build` in the repository root) once
// per test process and returns the binary's path, the prebuilt form the README
// recommends for CI. No PulumiPolicy.yaml sits beside it, as in the README, so
// the engine takes the version and description the pack itself reports.
func PackBinary(t testing.TB) string {
	t.Helper()
	path, err := packBinary()
	if err != nil {
		t.Fatalf("harness: policy pack: %v", err)
	}
	return path
}

var packBinary = sync.OnceValues(func() (string, error) {
	dir, err := processDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "pack", "dataflow-guardrails")
	return out, goBuild(repoDir(), out, ".")
})

// FakeProvider builds e2e/fakegcp once per test process and returns the
// binary; NewEnv installs it as the gcp 9.6.0 plugin of each environment.
func FakeProvider(t testing.TB) string {
	t.Helper()
	path, err := fakeProvider()
	if err != nil {
		t.Fatalf("harness: fake gcp provider: %v", err)
	}
	return path
}

var fakeProvider = sync.OnceValues(func() (string, error) {
	dir, err := processDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "provider", "pulumi-resource-gcp")
	return out, goBuild(e2eDir(), out, "./fakegcp")
})

func goBuild(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build -o %s %s (in %s): %w\n%s", out, pkg, dir, err, buf.String())
	}
	return nil
}

// PackVersion is the version PulumiPolicy.yaml declares (and the pack embeds).
func PackVersion(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoDir(), "PulumiPolicy.yaml"))
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "version:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	t.Fatalf("harness: PulumiPolicy.yaml has no version")
	return ""
}
