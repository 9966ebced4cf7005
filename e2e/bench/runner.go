package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// runnerResult is what a runner that enforces the pack from Pulumi Cloud
// pays on empty module and build caches (an ephemeral CI runner), for the
// tarball `pulumi policy publish` uploads: the install (the Go language
// host's `go mod tidy -compat=1.18`), the first compile and each later one
// (RunPlugin's `go build -o <temporary file>` before every run), and, for
// comparison, `go build` alone on other empty caches.
type runnerResult struct {
	Name         string
	Install      time.Duration
	InstallCache moduleCacheSize
	FirstCompile time.Duration
	WarmCompile  time.Duration // median of three
	BuildOnly    time.Duration
	BuildCache   moduleCacheSize
	Err          string
}

type moduleCacheSize struct {
	Disk     int64 // sources and downloads, in 4 KiB blocks as du counts them on ext4
	Zips     int
	ZipBytes int64
}

func (c moduleCacheSize) String() string {
	return fmt.Sprintf("%s, %d zips of %s", mib(c.Disk), c.Zips, mib(c.ZipBytes))
}

// runnerRows measures the repository's publish tarball and, for each of
// revs, the tarball of that git revision.
func runnerRows(ctx context.Context, root, work string, revs []string) []runnerResult {
	var out []runnerResult
	for _, rev := range revs {
		name := "git revision " + rev
		logf("runner: %s", name)
		out = append(out, measureRunner(ctx, name, work, func(dir string) error { return archiveRevision(ctx, root, rev, dir) }))
	}
	logf("runner: the work tree")
	out = append(out, measureRunner(ctx, "work tree", work, func(dir string) error { return copyPublished(ctx, root, dir) }))
	return out
}

func measureRunner(ctx context.Context, name, work string, lay func(dir string) error) runnerResult {
	r := runnerResult{Name: name}
	dir, err := os.MkdirTemp(work, "runner-*")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer removeAll(dir)
	pkg := filepath.Join(dir, "package")
	if err := lay(pkg); err != nil {
		r.Err = err.Error()
		return r
	}
	env := func(cache string) []string {
		return []string{
			"GOMODCACHE=" + filepath.Join(cache, "mod"), "GOCACHE=" + filepath.Join(cache, "build"),
			"GOFLAGS=-mod=mod -modcacherw", "GOTOOLCHAIN=local", "GOWORK=off",
		}
	}
	step := func(what string, d *time.Duration, cache string, args ...string) bool {
		logf("runner: %s: %s", name, what)
		start := time.Now()
		err := goCmd(ctx, pkg, env(cache), args...)
		*d = time.Since(start)
		if err != nil {
			r.Err = fmt.Sprintf("%s: %v", what, err)
			return false
		}
		return true
	}
	bin := func() string { return filepath.Join(dir, fmt.Sprintf("pulumi-go.%d", time.Now().UnixNano())) }

	runner := filepath.Join(dir, "runner-cache")
	if !step("install", &r.Install, runner, "mod", "tidy", "-compat=1.18") {
		return r
	}
	r.InstallCache = measureModuleCache(filepath.Join(runner, "mod"))
	if !step("first compile", &r.FirstCompile, runner, "build", "-o", bin(), ".") {
		return r
	}
	warm := make([]time.Duration, 3)
	for i := range warm {
		if !step("warm compile", &warm[i], runner, "build", "-o", bin(), ".") {
			return r
		}
	}
	sort.Slice(warm, func(i, j int) bool { return warm[i] < warm[j] })
	r.WarmCompile = warm[1]

	// go build alone, on a copy that tidy has not touched.
	if err := lay(pkg + "-build"); err != nil {
		r.Err = err.Error()
		return r
	}
	pkg += "-build"
	buildOnly := filepath.Join(dir, "build-cache")
	if !step("go build alone", &r.BuildOnly, buildOnly, "build", "-o", bin(), ".") {
		return r
	}
	r.BuildCache = measureModuleCache(filepath.Join(buildOnly, "mod"))
	return r
}

// copyPublished copies what publish uploads: every file git does not ignore.
func copyPublished(ctx context.Context, root, dir string) error {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, f)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted, not yet staged
		}
		if err := copyFile(src, filepath.Join(dir, f), fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// archiveRevision lays out a revision's tracked files, which is what publish
// uploaded from a clean checkout of it.
func archiveRevision(ctx context.Context, root, rev, dir string) error {
	cmd := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", rev)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git archive %s: %w\n%s", rev, err, stderr.String())
	}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if !strings.HasPrefix(target, dir+string(filepath.Separator)) {
			return fmt.Errorf("git archive: %q escapes the directory", hdr.Name)
		}
		if err := writeFile(target, tr, fs.FileMode(hdr.Mode).Perm()); err != nil {
			return err
		}
	}
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFile(dst, in, perm)
}

func writeFile(path string, r io.Reader, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removeAll removes a directory that holds a module cache.
func removeAll(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}

func measureModuleCache(dir string) moduleCacheSize {
	const block = 4096
	var c moduleCacheSize
	download := filepath.Join(dir, "cache", "download") + string(filepath.Separator)
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			c.Disk += block
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		c.Disk += (fi.Size() + block - 1) / block * block
		if strings.HasPrefix(p, download) && strings.HasSuffix(p, ".zip") {
			c.Zips++
			c.ZipBytes += fi.Size()
		}
		return nil
	})
	return c
}

func runnerMarkdown(rows []runnerResult, m machine, started time.Time, command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- command: `%s` (from the repository root), %s\n", command, started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %s, %d cores, %s memory, %s; load average before: %s, after: %s\n\n", m.CPU, m.Cores, m.Memory, m.Go, m.LoadPre, loadAverage())
	b.WriteString("| tarball | install: `go mod tidy -compat=1.18` | module cache after install | first compile | warm compile (median of 3) | `go build` alone | module cache after `go build` alone | install / build |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		if r.Err != "" {
			fmt.Fprintf(&b, "| %s | failed: %s |||||||\n", r.Name, strings.ReplaceAll(tail(r.Err, 300), "\n", " "))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %.2f× |\n", r.Name, dur(r.Install), r.InstallCache,
			dur(r.FirstCompile), dur(r.WarmCompile), dur(r.BuildOnly), r.BuildCache,
			float64(r.InstallCache.Disk)/float64(r.BuildCache.Disk))
	}
	return b.String()
}
