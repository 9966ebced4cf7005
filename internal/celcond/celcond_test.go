package celcond

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pinsOwner is the question the workload identity policy asks: is the
// repository owner compared with a non-empty literal?
func pinsOwner(a Atom) bool {
	if a.Ref != "assertion.repository_owner" || a.Op != Equals {
		return false
	}
	for _, v := range a.Values {
		if v == "" {
			return false
		}
	}
	return true
}

func TestRequiresPin(t *testing.T) {
	for expr, want := range map[string]bool{
		// The plain forms and every string literal form CEL has.
		`assertion.repository_owner == 'acme'`:                                   true,
		`assertion.repository_owner == "acme"`:                                   true,
		`assertion.repository_owner == '''acme'''`:                               true,
		`assertion.repository_owner == """acme"""`:                               true,
		`assertion.repository_owner == r'acme'`:                                  true,
		`assertion.repository_owner == R"acme"`:                                  true,
		`assertion.repository_owner == 'ac\x6de'`:                                true,
		`'acme' == assertion.repository_owner`:                                   true,
		`assertion['repository_owner'] == 'acme'`:                                true,
		`assertion["repository_owner"] == 'acme'`:                                true,
		`assertion.repository_owner in ['acme', 'acme-labs']`:                    true,
		`assertion.repository_owner == 'acme' && assertion.x == 1`:               true,
		`(assertion.repository_owner == 'acme')`:                                 true,
		`!(assertion.repository_owner != 'acme')`:                                true,
		`!!(assertion.repository_owner == 'acme')`:                               true,
		`!(assertion.repository_owner != 'a' || assertion.y)`:                    true,
		`assertion.repository_owner == 'a' || assertion.repository_owner == 'b'`: true,
		`assertion.repository_owner.matches('^acme$')`:                           true,
		`assertion.repository_owner.matches('^(acme|labs)$')`:                    true,
		`matches(assertion.repository_owner, '^acme$')`:                          true,
		// Comments are comments: the pin after // is gone.
		"assertion.sub != '' // && assertion.repository_owner == 'acme'":     false,
		"assertion.repository_owner == 'acme' // the owner pin":              true,
		"assertion.repository_owner == 'acme' &&\n// no more\nassertion.x":   true,
		"true // assertion.repository_owner == 'acme'":                       false,
		"assertion.repository_owner == 'acme' ||\n// x\nassertion.sub != ''": false,
		// A string containing what looks like a comment or code is a string.
		`assertion.repository_owner == 'acme // x'`:                true,
		`assertion.sub == "' || true || '"`:                        false,
		`assertion.repository_owner == "acme" || "x" == "x"`:       false,
		`assertion.repository_owner == "acme" || 1 == 1.0`:         false,
		`assertion.repository_owner == "acme" || 1 == '1'`:         true, // never true in CEL
		`assertion.repository_owner == 'acme' || false`:            true,
		`assertion.repository_owner == 'acme' || true`:             false,
		`assertion.repository_owner == 'acme' || assertion.x`:      false,
		`assertion.repository_owner != 'acme'`:                     false,
		`!(assertion.repository_owner == 'acme')`:                  false,
		`assertion.repository_owner == ''`:                         false,
		`assertion.repository_owner in []`:                         true, // never true
		`assertion.repository_owner in ['acme', '']`:               false,
		`assertion.repository_owner in assertion.owners`:           false,
		`assertion.repository_owner.startsWith('acme')`:            false,
		`assertion.repository_owner.endsWith('acme')`:              false,
		`assertion.repository_owner.matches('acme')`:               false,
		`assertion.repository_owner.matches('(?i)^acme$')`:         false,
		`assertion.repository_owner.matches('(?m)^acme$')`:         false,
		`has(assertion.repository_owner)`:                          false,
		`assertion.repository_owner == assertion.repository_owner`: false,
		// The ternary is (c && x) || (!c && y).
		`assertion.x == 'y' ? assertion.repository_owner == 'acme' : false`:                         true,
		`assertion.x == 'y' ? assertion.repository_owner == 'acme' : true`:                          false,
		`assertion.repository_owner == 'acme' ? true : false`:                                       true,
		`assertion.repository_owner == 'acme' ? true : true`:                                        false,
		`assertion.repository_owner != 'acme' ? false : true`:                                       true,
		`!(assertion.x ? assertion.repository_owner != 'acme' : assertion.repository_owner != 'b')`: true,
		// Macros are not modelled: they fail closed.
		`['acme'].exists(o, assertion.repository_owner == o)`: false,
		`'x' in {'acme': true}`:                               false,
	} {
		c, err := Parse(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, c.Requires(pinsOwner), expr)
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"", "   ", "// only a comment", "(assertion.sub == 'x'", "assertion.sub == 'x",
		"assertion.sub == 'x')", "a && ", "|| a", "a # b", "assertion.?sub == 'x'"} {
		_, err := Parse(bad)
		assert.Error(t, err, bad)
	}
	// Exponential ternary nesting is refused, not expanded.
	expr := "assertion.a"
	for range 40 {
		expr = "(" + expr + " ? assertion.b : assertion.c)"
	}
	_, err := Parse(expr)
	assert.Error(t, err)
}

func TestAtoms(t *testing.T) {
	c, err := Parse(`assertion.a == 'x' && !(assertion.b == 'n') && assertion.b in ['y', "z", 3] && assertion.c.startsWith(r'p\q') && assertion.d != 'e' && assertion.e.matches('^pre/')`)
	require.NoError(t, err)
	var got []string
	c.Atoms(func(a Atom) {
		got = append(got, a.Op.String()+" "+a.Ref+" "+strings.Join(a.Values, ",")+" reads "+strings.Join(a.Refs, ","))
	})
	assert.Equal(t, []string{
		"== assertion.a x reads assertion.a",
		"other   reads assertion.b",
		"== assertion.b y,z,3 reads assertion.b",
		`startsWith assertion.c p\q reads assertion.c`,
		"other   reads assertion.d",
		"startsWith assertion.e pre/ reads assertion.e",
	}, got)
}

func TestReference(t *testing.T) {
	for expr, want := range map[string]string{
		"assertion.sub":                "assertion.sub",
		" assertion['repository_id'] ": "assertion.repository_id",
		"assertion.sub // the subject": "assertion.sub",
		"attribute.x":                  "attribute.x",
	} {
		got, ok := Reference(expr)
		require.True(t, ok, expr)
		assert.Equal(t, want, got, expr)
	}
	for _, expr := range []string{"assertion.sub + ''", "'x'", "assertion.sub.lowerAscii()", "", "assertion["} {
		_, ok := Reference(expr)
		assert.False(t, ok, expr)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"assertion.a == 'x'", "a ? b : !c", "x in [1, 'a']", "x.matches('^a(b|c)$')", "/* */"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := Parse(expr)
		if err != nil {
			return
		}
		c.Requires(pinsOwner)
		c.Atoms(func(Atom) {})
		Reference(expr)
	})
}
