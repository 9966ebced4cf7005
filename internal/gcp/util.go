package gcp

import (
	"regexp"
	"sort"
	"sync"
)

func sortStrings(s []string) { sort.Strings(s) }

// lazyRegexp compiles a pattern on first use rather than at start-up, when
// the pack has not yet printed its port to the engine.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
