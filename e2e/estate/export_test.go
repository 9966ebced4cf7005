package estate

import (
	"bytes"
	"testing"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
)

// The bench's exports read back with the pack's own reader: every resource,
// the renamed stack, each resource's provider resolved.
func TestExportReadsBack(t *testing.T) {
	const n = 60
	b, err := Generate(n, DefaultSeed).Export("prod-0007")
	if err != nil {
		t.Fatal(err)
	}
	d, err := stackfile.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != n+1 || len(d.Inputs) != n+1 {
		t.Fatalf("read %d resources (%d inputs), want %d", d.Total, len(d.Inputs), n+1)
	}
	if d.Project != Project || d.Stack != "prod-0007" {
		t.Fatalf("stack %s/%s, want %s/prod-0007", d.Project, d.Stack, Project)
	}
	for _, r := range d.Inputs {
		if r.Type != StackType && r.Type != ProviderType && r.Provider == nil {
			t.Errorf("%s: no provider", r.URN)
		}
	}
	for _, s := range StackSizes(1000, 20, 100, DefaultSeed) {
		if s < 20 || s > 100 {
			t.Fatalf("stack size %d outside 20..100", s)
		}
	}
}
