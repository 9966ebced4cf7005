package logquery

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// samples draws strings of the pattern: each run one to four characters.
func (p pattern) samples(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for _, s := range p {
			if s.alphabet == "" {
				b.WriteString(s.lit)
				continue
			}
			for k := 1 + r.Intn(4); k > 0; k-- {
				b.WriteByte(s.alphabet[r.Intn(len(s.alphabet))])
			}
		}
		out[i] = b.String()
	}
	return out
}

// FuzzPatternSound checks that the pattern decisions never contradict a
// string of the pattern: Never means none matches, Always that all do.
func FuzzPatternSound(f *testing.F) {
	f.Add("projects/", "/logs/dataflow.googleapis.com%2F", "syslog", "^projects/p/logs/(syslog|cos)$", int64(1))
	f.Add("ab", "cd", "b", `\bcd`, int64(2))
	f.Add("x", "", "xa", `a$`, int64(3))
	f.Fuzz(func(t *testing.T, head, tail, sub, expr string, seed int64) {
		if !utf8.ValidString(sub) || !ascii(head+tail) {
			return // the fields the evaluator knows are ASCII
		}
		sub = normalize(sub) // as compare hands it over
		n := &node{value: expr}
		c := n.regexp()
		if c == nil {
			return
		}
		re := c.re
		p := pattern{lit(head), run("ab-%2F/"), lit(tail)}
		r := rand.New(rand.NewSource(seed))
		samples := p.samples(r, 64)
		// a short run, spelled out, for the regex's own boundaries
		samples = append(samples, head+"a"+tail, head+"/"+tail, head+"-"+tail)
		check := func(what string, res Result, holds func(string) bool) {
			for _, s := range samples {
				if res == Never && holds(s) {
					t.Fatalf("%s: Never, but %q matches", what, s)
				}
				if res == Always && !holds(s) {
					t.Fatalf("%s: Always, but %q does not match", what, s)
				}
			}
		}
		check("regexp "+expr, p.matchesRegexp(c), re.MatchString)
		check("contains "+sub, p.contains(sub), func(s string) bool { return strings.Contains(normalize(s), sub) })
		check("equals "+sub, p.equals(sub), func(s string) bool { return normalize(s) == sub })
	})
}

func compiled(expr string) *compiledRegexp { return (&node{value: expr}).regexp() }

func TestPatternUnknownProject(t *testing.T) {
	p := pattern{lit("projects/"), run(projectIDAlphabet), lit("/logs/dataflow.googleapis.com%2Fworker")}
	cases := []struct {
		got, want Result
	}{
		{p.contains("projects/etl-prod-1234/"), Sometimes},
		{p.contains("logs/syslog"), Never},
		{p.contains("dataflow.googleapis.com"), Always},
		{p.equals("projects/p/logs/dataflow.googleapis.com%2Fworker"), Sometimes},
		{p.equals("projects/p/logs/syslog"), Never},
		{p.matchesRegexp(compiled(`^projects/[^/]+/logs/(syslog|cos_system)$`)), Never},
		{p.matchesRegexp(compiled(`/logs/dataflow`)), Sometimes},
		{p.matchesRegexp(compiled(`^projects`)), Always},
		{p.matchesRegexp(compiled(`^projects/`)), Sometimes}, // it ends where the unknown part begins
		{p.matchesRegexp(compiled(`worker$`)), Sometimes},
		{p.matchesRegexp(compiled(`syslog$`)), Never},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %s, want %s", i, c.got, c.want)
		}
	}
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
