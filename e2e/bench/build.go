package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// binaries are the analyzer programs the harness launches.
type binaries struct {
	root       string // the pack's repository
	pack       string
	decodeOnly string
	langhost   string
}

// buildBinaries builds the pack exactly as the README tells users to (a
// prebuilt binary), and the floor and language host stand-in from this
// module.
func buildBinaries(ctx context.Context, root, packDir, work string) (*binaries, error) {
	b := &binaries{
		root:       root,
		pack:       filepath.Join(work, "dataflow-guardrails"),
		decodeOnly: filepath.Join(work, "decodeonly"),
		langhost:   filepath.Join(work, "langhost"),
	}
	if err := goCmd(ctx, packDir, nil, "build", "-o", b.pack, "."); err != nil {
		return nil, fmt.Errorf("building the pack: %w", err)
	}
	e2e := filepath.Join(root, "e2e")
	if err := goCmd(ctx, e2e, nil, "build", "-o", work+string(filepath.Separator), "./bench/decodeonly", "./bench/langhost"); err != nil {
		return nil, fmt.Errorf("building the decode-only analyzer and the language host stand-in: %w", err)
	}
	return b, nil
}

// goCmd runs the go command in dir with extra environment, returning its
// stderr in the error.
func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	_, err := goOutput(ctx, dir, env, args...)
	return err
}

func goOutput(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(childEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes(), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
