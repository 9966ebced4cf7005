package policies

import "github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"

// labelPolicies returns the label format and stack label propagation.
func labelPolicies() []*policy.Policy {
	return []*policy.Policy{
		LabelsValidFormat(),
		PropagateStackLabels(),
	}
}
