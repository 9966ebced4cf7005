// Package cli is the pack binary's command line: with no subcommand it
// serves the analyzer the engine launches; otherwise check, describe, version.
package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// App is one invocation of the binary.
type App struct {
	Pack   *policy.Pack
	Info   analyzer.PackInfo
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

const usage = `dataflow-guardrails: Pulumi policy pack guarding Google Cloud Dataflow stacks

usage:
  dataflow-guardrails [engine flags] <engine-address>   serve the analyzer (the Pulumi engine does this)
  dataflow-guardrails check [flags] <export.json | ->    check a 'pulumi stack export' document
  dataflow-guardrails describe [--format text|json]      list the policies and their configuration
  dataflow-guardrails version                            print the pack version
`

// Run dispatches on the first argument that is not an engine flag and
// returns the process exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	rest := skipEngineFlags(args)
	if len(rest) > 0 {
		switch rest[0] {
		case "check":
			return a.check(rest[1:])
		case "describe":
			return a.describe(rest[1:])
		case "version":
			fmt.Fprintln(a.Stdout, a.Pack.Version)
			return exitOK
		case "help", "-h", "--help":
			fmt.Fprint(a.Stdout, usage)
			return exitOK
		}
	}
	srv := analyzer.New(a.Pack, a.Info, a.Stderr)
	if err := analyzer.Serve(ctx, srv, a.Stdout, a.Stderr); err != nil {
		fmt.Fprintf(a.Stderr, "dataflow-guardrails: %v\n", err)
		return 1
	}
	return exitOK
}

// skipEngineFlags drops the flags the engine puts before its address
// (--logtostderr, -v=N, --tracing <endpoint>); a strict parser would reject
// them or the ones a later engine adds.
func skipEngineFlags(args []string) []string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "-h" || a == "--help" {
			return args[i:]
		}
		if (a == "--tracing" || a == "-tracing") && i+1 < len(args) {
			i++
		}
	}
	return nil
}

func (a *App) usageError(format string, args ...any) int {
	fmt.Fprintf(a.Stderr, "dataflow-guardrails: "+format+"\n", args...)
	return exitUsage
}

func (a *App) remedy(name string) string {
	if p, ok := a.Pack.Lookup(name); ok {
		return p.Remediation
	}
	return ""
}
