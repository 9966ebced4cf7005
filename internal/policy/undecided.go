package policy

import (
	"fmt"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// Undecided reports that the value at path cannot be decided with what the
// policy knows: not for want of a value, as at preview, but of something to
// compare it with. The message says what is undecided and names the config
// property that would decide it. Like Unknown it is an advisory unknown,
// dropped when the policy also finds a violation on the resource.
func (c *Call) Undecided(path, format string, args ...any) {
	c.found = append(c.found, report{kind: Unknown, urn: c.urn, typ: c.typ, path: path, message: fmt.Sprintf(format, args...)})
}

// UndecidedOn is Undecided for a stack policy, on another resource.
func (c *Call) UndecidedOn(r *gcp.Resource, path, format string, args ...any) {
	c.found = append(c.found, report{kind: Unknown, urn: r.URN, typ: r.Type, path: path, message: fmt.Sprintf(format, args...)})
}

// undecidedMessage is the advisory an Undecided report becomes.
func (p *Pack) undecidedMessage(pol *Policy, message string) string {
	return fmt.Sprintf("policy '%s' from policy pack '%s@v%s' can't decide this: %s", pol.Name, p.Name, p.Version, message)
}
