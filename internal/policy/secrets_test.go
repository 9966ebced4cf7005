package policy

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// scrubText skips text that holds no secret; whatever it changes must be
// what replacing every secret in turn does.
func TestScrubTextMatchesReplacingEverySecret(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "tok-abc[]secrt "
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := 0; round < 200; round++ {
		props := map[string]property.Value{}
		for i := range 1 + rng.IntN(6) {
			props[word(3)+string(rune('a'+i))] = property.New(word(3 + rng.IntN(6))).WithSecret(true)
		}
		props["plain"] = property.New(word(4))
		set := newSecretSet(&gcp.Resource{Props: property.NewMap(props)})
		for range 50 {
			msg := word(rng.IntN(40))
			want := msg
			for _, v := range set.values {
				want = strings.ReplaceAll(want, v, "[secret]")
			}
			if got := set.scrubText(msg); got != want {
				t.Fatalf("scrubText(%q) with %q = %q, want %q", msg, set.values, got, want)
			}
		}
	}
}
