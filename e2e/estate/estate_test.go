package estate

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func TestGenerateIsExactAndRepeatable(t *testing.T) {
	for _, n := range []int{0, 1, 3, 10, 40, 1000} {
		a, b := Generate(n, DefaultSeed), Generate(n, DefaultSeed)
		if len(a.Resources) != n {
			t.Fatalf("Generate(%d) made %d resources", n, len(a.Resources))
		}
		for i := range a.Resources {
			ra, rb := a.Resources[i], b.Resources[i]
			if ra.URN != rb.URN || !property.New(ra.Inputs).Equals(property.New(rb.Inputs)) {
				t.Fatalf("Generate(%d) differs between runs at %d: %s vs %s", n, i, ra.URN, rb.URN)
			}
		}
	}
}

func TestGenerateCoversEveryShape(t *testing.T) {
	e := Generate(1000, DefaultSeed)
	seen := map[string]int{}
	urns := map[string]bool{}
	for _, r := range e.Resources {
		seen[r.Type]++
		if urns[r.URN] {
			t.Fatalf("duplicate URN %s", r.URN)
		}
		urns[r.URN] = true
		if r.Outputs.HasComputed() {
			t.Errorf("%s: outputs hold unknowns", r.URN)
		}
	}
	if seen[ProviderType] != 3 {
		t.Errorf("want 3 providers, got %d", seen[ProviderType])
	}
	for _, k := range kinds {
		if seen[k.typ] == 0 {
			t.Errorf("no %s in a 1,000-resource estate", k.typ)
		}
	}
	unknown := 0
	for _, r := range e.Resources {
		if r.Inputs.HasComputed() {
			unknown++
		}
	}
	if unknown == 0 {
		t.Error("no resource has an input unknown during preview")
	}
}
