package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// loggingPolicies returns the audit logging, log exclusions, intercepting sinks and worker log levels.
func loggingPolicies() []*policy.Policy {
	return []*policy.Policy{
		DataflowAuditLogging(),
		LoggingNoDataflowExclusions(),
		LoggingNoInterceptingSinks(),
		DataflowWorkerLogging(),
	}
}
