package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

//go:embed policyxpack/main.go
var policyxMain []byte

//go:embed decodeonly/main.go
var decodeOnlyMain []byte

// sdkVersion is the pulumi sdk/v3 version the pack requires; the minimal
// modules are built against the same one.
const sdkVersion = "v3.274.1"

// coldResult is one cold `go build` (empty build cache, modules already
// downloaded) and the module download size of what it compiles.
type coldResult struct {
	Name        string
	What        string
	Build       time.Duration
	Modules     int   // modules providing a compiled package
	ZipBytes    int64 // their module zips, as downloaded from the proxy
	Packages    int   // compiled packages, the standard library's included
	BinaryBytes int64
	Err         string
}

// coldBuilds times the pack, a minimal policyx pack and the decode-only
// analyzer (the gRPC + property decoder floor), each in its own module.
func coldBuilds(ctx context.Context, root, work string) []coldResult {
	var out []coldResult
	out = append(out, coldBuild(ctx, "dataflow-guardrails", "the pack (repository root, its own go.mod)", root, work))

	for _, m := range []struct {
		name, what string
		main       []byte
	}{
		{"policyx minimal pack", "e2e/bench/policyxpack: one policy on sdk/v3 policyx, module requiring only sdk/v3 " + sdkVersion, policyxMain},
		{"decode-only analyzer", "e2e/bench/decodeonly: gRPC + sdk/v3 property decoder, module requiring only sdk/v3 " + sdkVersion, decodeOnlyMain},
	} {
		dir := filepath.Join(work, "cold-"+strings.ReplaceAll(strings.Fields(m.name)[0], "-", ""))
		r := coldResult{Name: m.name, What: m.what}
		if err := writeModule(ctx, dir, m.main); err != nil {
			r.Err = err.Error()
			out = append(out, r)
			continue
		}
		out = append(out, coldBuild(ctx, m.name, m.what, dir, work))
	}
	return out
}

// writeModule writes a one-file main module that requires sdk/v3 and tidies
// it (this may fetch go.mod files from the module proxy the first time).
func writeModule(ctx context.Context, dir string, main []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), main, 0o644); err != nil {
		return err
	}
	gomod := "module example.com/coldbuild\n\ngo 1.26\n\nrequire github.com/pulumi/pulumi/sdk/v3 " + sdkVersion + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	return goCmd(ctx, dir, []string{"GOFLAGS=-mod=mod"}, "mod", "tidy")
}

func coldBuild(ctx context.Context, name, what, dir, work string) coldResult {
	r := coldResult{Name: name, What: what}
	logf("cold build: %s: listing modules", name)
	// Resolve (and download, if needed) every module the build compiles.
	out, err := goOutput(ctx, dir, nil, "list", "-deps", "-f",
		"{{.ImportPath}}\t{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}}{{end}}{{end}}", ".")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	mods := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, mod, _ := strings.Cut(l, "\t")
		if strings.TrimSpace(pkg) == "" {
			continue
		}
		r.Packages++
		if mod = strings.TrimSpace(mod); mod != "" {
			mods[mod] = true
		}
	}
	list := make([]string, 0, len(mods))
	for m := range mods {
		list = append(list, m)
	}
	sort.Strings(list)
	r.Modules = len(list)
	if len(list) > 0 {
		out, err := goOutput(ctx, dir, nil, append([]string{"mod", "download", "-json"}, list...)...)
		if err != nil {
			r.Err = err.Error()
			return r
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var m struct{ Zip string }
			if err := dec.Decode(&m); err == io.EOF {
				break
			} else if err != nil {
				r.Err = err.Error()
				return r
			}
			r.ZipBytes += fileSize(m.Zip)
		}
	}

	logf("cold build: %s: go build with an empty GOCACHE", name)
	cache, err := os.MkdirTemp(work, "gocache-*")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer os.RemoveAll(cache)
	bin := filepath.Join(work, "cold-bin-"+strings.Fields(name)[0])
	t := time.Now()
	err = goCmd(ctx, dir, []string{"GOCACHE=" + cache, "GOFLAGS=-mod=readonly"}, "build", "-o", bin, ".")
	r.Build = time.Since(t)
	if err != nil {
		r.Err = fmt.Sprintf("cold build: %v", err)
		return r
	}
	r.BinaryBytes = fileSize(bin)
	return r
}
