package hotpath_test

import (
	"syscall"
	"time"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// fresh returns a shallow copy of r and its provider, so that anything the
// model might memoize on a resource or provider is recomputed each op, as it
// is for each Analyze request (every request decodes its own resource and
// provider).
func fresh(r *gcp.Resource) *gcp.Resource {
	c := &gcp.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Props: r.Props}
	if p := r.Provider; p != nil {
		c.Provider = &gcp.Provider{URN: p.URN, Type: p.Type, Name: p.Name, Props: p.Props}
	}
	return c
}

// cpuTime is the CPU time this process has used (user + system, every
// thread, the garbage collector included): on a shared machine it is a
// steadier cost measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
