package policy

import (
	"regexp"
	"regexp/syntax"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The config schemas' `pattern` keywords are Unicode label classes whose Go
// regexps take milliseconds each to build, and the validator builds each one
// twice when it compiles a schema (checking the schema against the draft's
// metaschema, then for the keyword), for every policy, at start-up. Yet a
// pattern only needs its matcher when a configuration value is checked
// against it. So schemas get a regexp engine that parses a pattern once
// (which is all the errors come from) and builds its matcher on first use,
// shared by every schema that has the same pattern.

// schemaRegexps caches the engine's regexps by pattern.
var schemaRegexps sync.Map // string -> *lazyRegexp

// schemaRegexp is the jsonschema.RegexpEngine of the config schemas: Go's
// regexp syntax, as both the engine's validator and this one use.
func schemaRegexp(expr string) (jsonschema.Regexp, error) {
	if re, ok := schemaRegexps.Load(expr); ok {
		return re.(*lazyRegexp), nil
	}
	// regexp.Compile's only errors are the parser's.
	if _, err := syntax.Parse(expr, syntax.Perl); err != nil {
		return nil, err
	}
	re, _ := schemaRegexps.LoadOrStore(expr, &lazyRegexp{expr: expr})
	return re.(*lazyRegexp), nil
}

// lazyRegexp is a pattern known to compile, built on first match.
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRegexp) MatchString(s string) bool {
	l.once.Do(func() {
		// An empty group in front matches exactly what expr matches, and
		// spares regexp.Compile its one-pass analysis of an anchored
		// pattern, most of the cost for these large character classes: a
		// config value is matched once per configuration.
		re, err := regexp.Compile("()" + l.expr)
		if err != nil {
			re = regexp.MustCompile(l.expr) // parsed already: cannot fail
		}
		l.re = re
	})
	return l.re.MatchString(s)
}

func (l *lazyRegexp) String() string { return l.expr }
