// Command langhost stands in for the policy pack path of the Node.js
// language host's RunPlugin (pulumi-language-nodejs, not obtainable here):
// it serves sdk/v3's PolicyProxy (policy_proxy.go) to the engine, prints the
// proxy's port, waits for ConfigureStack, passes the stack configuration to
// `node @pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` through the
// same environment variables, attaches the proxy to the Node process and
// forwards every other call to it. The harness (e2e/bench) measures Node
// packs behind it the way `pulumi preview` runs them.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"

	sdk "github.com/pulumi/pulumi/sdk/v3"
)

func main() {
	nodeBin := flag.String("node", "node", "the node executable")
	runPath := flag.String("run", "", "path of @pulumi/pulumi/cmd/run-policy-pack")
	dir := flag.String("dir", "", "the policy pack directory")
	flag.Parse()
	if *runPath == "" || *dir == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: langhost -run <run-policy-pack> -dir <pack dir> [-node node] <engine address>")
		os.Exit(2)
	}
	if err := run(*nodeBin, *runPath, *dir, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "langhost:", err)
		os.Exit(1)
	}
}

func run(nodeBin, runPath, dir, engine string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	proxy, stdout, err := sdk.NewPolicyProxy(ctx, os.Stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	config, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}
	env := os.Environ()
	if config != nil {
		add := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		add("PULUMI_NODEJS_ORGANIZATION", config.Organization)
		add("PULUMI_NODEJS_PROJECT", config.Project)
		add("PULUMI_NODEJS_STACK", config.Stack)
		add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(config.DryRun))
		if config.Config != nil {
			b, err := json.Marshal(config.Config)
			if err != nil {
				return fmt.Errorf("could not marshal stack configuration: %w", err)
			}
			add("PULUMI_CONFIG", string(b))
		}
	}

	// The language host puts the program directory last and runs Node in it.
	cmd := exec.CommandContext(ctx, nodeBin, runPath, engine, dir)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return err
	}
	if err := proxy.Attach(ctx, cmd); err != nil && ctx.Err() == nil {
		return fmt.Errorf("could not attach policy pack proxy: %w", err)
	}
	return nil
}
