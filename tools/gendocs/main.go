// Command gendocs writes docs/policies.md and the policy table in README.md
// from the policy metadata (run through `go generate ./...` at the root).
package main

import (
	"fmt"
	"os"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/docs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	reference, readme, err := docs.Generate(".")
	if err != nil {
		return err
	}
	if err := os.WriteFile("docs/policies.md", []byte(reference), 0o644); err != nil {
		return err
	}
	return os.WriteFile("README.md", []byte(readme), 0o644)
}
