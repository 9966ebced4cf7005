package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

//go:embed nodepack/package.json nodepack/package-lock.json nodepack/index.js nodepack/PulumiPolicy.yaml
var nodepack embed.FS

// nodeSetup is an installed copy of the Node peer.
type nodeSetup struct {
	dir           string // the pack directory, with node_modules
	node          string // the node executable
	runPolicyPack string // @pulumi/pulumi/cmd/run-policy-pack
	version       string // node --version
	packages      string // the pinned @pulumi packages
}

// setupNode copies the peer into the user cache directory (one directory per
// lock file) and installs its pinned dependencies with `npm ci` from the npm
// registry the first time. It also writes types.json, the type lists the
// peer shares with the Go pack's model.
func setupNode(ctx context.Context) (*nodeSetup, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: %w", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("npm is not on PATH: %w", err)
	}
	lock, err := nodepack.ReadFile("nodepack/package-lock.json")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(lock)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "dataflow-guardrails-bench", "nodepack-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	err = fs.WalkDir(nodepack, "nodepack", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := nodepack.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o644)
	})
	if err != nil {
		return nil, err
	}
	if err := writeNodeTypes(filepath.Join(dir, "types.json")); err != nil {
		return nil, err
	}

	stamp := filepath.Join(dir, "node_modules", ".dataflow-guardrails-bench")
	if _, err := os.Stat(stamp); err != nil {
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		cmd.Dir = dir
		cmd.Env = childEnv()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("npm ci in %s: %w\n%s", dir, err, tail(out.String(), 2000))
		}
		if err := os.WriteFile(stamp, lock, 0o644); err != nil {
			return nil, err
		}
	}

	s := &nodeSetup{dir: dir, node: nodeBin,
		runPolicyPack: filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js")}
	if _, err := os.Stat(s.runPolicyPack); err != nil {
		return nil, fmt.Errorf("@pulumi/pulumi has no cmd/run-policy-pack: %w", err)
	}
	if out, err := exec.CommandContext(ctx, nodeBin, "--version").Output(); err == nil {
		s.version = strings.TrimSpace(string(out))
	}
	var pkgs []string
	for _, name := range []string{"policy", "pulumi"} {
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", "@pulumi", name, "package.json"))
		if err != nil {
			continue
		}
		var pj struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(b, &pj) == nil {
			pkgs = append(pkgs, "@pulumi/"+name+" "+pj.Version)
		}
	}
	s.packages = strings.Join(pkgs, ", ")
	return s, nil
}

// writeNodeTypes writes the type lists the Go pack's model uses, so the peer
// checks exactly the same resource types.
func writeNodeTypes(path string) error {
	iam := map[string]string{}
	for kind, name := range map[gcp.IAMKind]string{gcp.IAMMember: "member", gcp.IAMBinding: "binding", gcp.IAMPolicy: "policy"} {
		for _, t := range gcp.IAMTypes(kind) {
			iam[t] = name
		}
	}
	doc := map[string]any{
		"iam":        iam,
		"labels":     gcp.LabelTypes(),
		"userLabels": gcp.UserLabelTypes(),
		"storageAcl": gcp.StorageACLTypes(),
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
