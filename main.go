// Command dataflow-guardrails is a Pulumi policy pack for Google Cloud
// Dataflow stacks. Launched by the Pulumi engine it serves the Analyzer
// protocol; `check` runs the same policies over a stack export.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/cli"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packmeta"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

//go:generate go run ./tools/gendocs

// PulumiPolicy.yaml is the one place the version lives.
//
//go:embed PulumiPolicy.yaml
var pulumiPolicyYAML []byte

// The generated policy reference, served as AnalyzerInfo.Readme so Pulumi
// Cloud shows it.
//
//go:embed docs/policies.md
var readme string

func main() {
	meta, err := packmeta.Parse(pulumiPolicyYAML)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dataflow-guardrails: PulumiPolicy.yaml: %v\n", err)
		os.Exit(2)
	}
	pack, err := policies.NewPack(meta.Version, meta.Description)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dataflow-guardrails: %v\n", err)
		os.Exit(2)
	}
	app := &cli.App{Pack: pack, Info: analyzer.PackInfo{
		DisplayName: "Dataflow guardrails",
		Readme:      readme,
		Provider:    "gcp",
		Tags:        []string{"gcp", "dataflow", "security", "iam", "labels", "logging"},
		Repository:  "https://github.com/dataflow-guardrails/dataflow-guardrails",
	}, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	os.Exit(app.Run(context.Background(), os.Args[1:]))
}
