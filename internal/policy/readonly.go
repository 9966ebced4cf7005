package policy

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"

// dropReadOnly removes a stack check's reports on resources the stack only
// reads (`.get()`, External): the stack cannot change them, so they are
// another team's to fix, as the engine never runs resource policies on them
// either. A stack policy still sees them as context (a key ring's location,
// an account's email); only verdicts on them go.
func dropReadOnly(st *gcp.Stack, found []report) []report {
	kept := found[:0]
	for _, r := range found {
		if res, ok := st.Lookup(r.urn); ok && res.External {
			continue
		}
		kept = append(kept, r)
	}
	return kept
}
