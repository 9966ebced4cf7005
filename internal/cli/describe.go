package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/compliance"
)

// policyDescription is one policy in `describe --format json`.
type policyDescription struct {
	Name         string          `json:"name"`
	Title        string          `json:"title"`
	Description  string          `json:"description"`
	Remediation  string          `json:"remediation"`
	URL          string          `json:"url"`
	Severity     string          `json:"severity"`
	Level        string          `json:"enforcementLevel"`
	Family       string          `json:"family"`
	Stack        bool            `json:"stackPolicy"`
	Types        []string        `json:"resourceTypes"`
	ConfigSchema json.RawMessage `json:"configSchema,omitempty"`
	// Tags and Framework are what GetAnalyzerInfo sends (internal/compliance).
	Tags      []string              `json:"tags"`
	Framework *compliance.Framework `json:"framework,omitempty"`
}

func (a *App) describe(args []string) int {
	fs := pflag.NewFlagSet("describe", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		return a.usageError("describe: %v", err)
	}
	var out []policyDescription
	for _, p := range a.Pack.Policies() {
		d := policyDescription{Name: p.Name, Title: p.Title, Description: p.Description, Remediation: p.Remediation,
			URL: p.URL, Severity: string(p.Severity), Level: string(a.Pack.Level(p.Name)), Family: string(p.Family),
			Stack: p.IsStack(), Types: p.Types, Tags: compliance.Tags(p.Name, string(p.Family)),
			Framework: compliance.FrameworkOf(p.Name)}
		if schema := p.Schema(); !schema.Empty() {
			d.ConfigSchema = schema.Compact()
		}
		out = append(out, d)
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"name": a.Pack.Name, "version": a.Pack.Version, "policies": out}); err != nil {
			return a.usageError("describe: %v", err)
		}
	case "text":
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "POLICY\tLEVEL\tSEVERITY\tFAMILY\tTITLE")
		for _, d := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Name, d.Level, d.Severity, d.Family, d.Title)
		}
		_ = tw.Flush()
	default:
		return a.usageError("describe: unknown --format %q (want text or json)", *format)
	}
	return exitOK
}
