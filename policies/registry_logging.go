package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// loggingPolicies returns the audit logging, log exclusions and worker log levels.
func loggingPolicies() []*policy.Policy {
	return []*policy.Policy{
		DataflowAuditLogging(),
		LoggingNoDataflowExclusions(),
		DataflowWorkerLogging(),
	}
}
