package policy

import (
	"regexp"
	"testing"
)

// The config schemas' regexp engine accepts, rejects and matches exactly as
// Go's regexp package does.
func FuzzSchemaRegexpMatchesGoRegexp(f *testing.F) {
	for _, seed := range [][2]string{
		{`^[\p{Ll}\p{Lo}][-_\p{Ll}\p{Lo}\p{N}]{0,62}$`, "pulumi-project"},
		{`^[-_\p{Ll}\p{Lo}\p{N}]*$`, "Prod"},
		{`^https://[^/?#]+`, "https://gitlab.example.com/x"},
		{`a|b`, "b"}, {`|x`, ""}, {`(?i)abc`, "ABC"}, {`\Qa.b`, "a.b"}, {`\Qa.b`, "axb"},
		{`^(unclosed`, ""}, {`*a`, "a"}, {`{2}a`, "{2}a"}, {`x{2,1}`, ""}, {``, "anything"},
		{`^$`, ""}, {`(a)(b)\z`, "ab"}, {`[[:alpha:]]+$`, "abc1"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		want, wantErr := regexp.Compile(pattern)
		got, gotErr := schemaRegexp(pattern)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("schemaRegexp(%q) error %v, regexp.Compile says %v", pattern, gotErr, wantErr)
		}
		if wantErr != nil {
			if wantErr.Error() != gotErr.Error() {
				t.Fatalf("schemaRegexp(%q) error %q, want %q", pattern, gotErr, wantErr)
			}
			return
		}
		if got.String() != pattern {
			t.Fatalf("String() = %q, want %q", got.String(), pattern)
		}
		if got.MatchString(input) != want.MatchString(input) {
			t.Fatalf("%q matching %q: %v, regexp says %v", pattern, input, got.MatchString(input), want.MatchString(input))
		}
	})
}

// The hand-written name checks accept exactly what their patterns do.
func FuzzNameChecksMatchTheirPatterns(f *testing.F) {
	for _, s := range []string{"", "a", "dataflow-guardrails", "a--b", "a-", "-a", "1a", "a1-b2", "all", "A",
		"dataflow-guardrails_1.0", "x:y", "é", "a.b-C_d", string(make([]byte, 100)), "a b"} {
		f.Add(s)
	}
	kebab := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	pack := regexp.MustCompile(packNamePattern)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := kebabCase(s), kebab.MatchString(s); got != want {
			t.Fatalf("kebabCase(%q) = %v, want %v", s, got, want)
		}
		if got, want := validPackName(s), pack.MatchString(s); got != want {
			t.Fatalf("validPackName(%q) = %v, want %v", s, got, want)
		}
	})
}
