package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// LoggingNoDataflowExclusions forbids log exclusions, disabled sinks and
// settings that would drop Dataflow job and worker logs or audit logs.
func LoggingNoDataflowExclusions() *policy.Policy {
	return policy.ByType(policy.Meta{
		Name:  "logging-no-dataflow-exclusions",
		Title: "No log exclusion or disabled sink drops Dataflow or audit logs",
		Description: "An exclusion drops matching log entries before they are stored, a disabled sink stops routing " +
			"them, and disableDefaultSink creates every new project's _Default sink disabled: each silently removes " +
			"the Dataflow job and worker logs and the audit logs an investigation needs. Google stores Admin Activity " +
			"and System Event audit logs in the _Required bucket, which no exclusion touches, but Data Access and " +
			"Policy Denied audit logs go through the _Default sink and its exclusions, and a sink's own exclusions or " +
			"a disabled sink keep any audit log from that sink's destination. Flagged: an enabled project, folder, " +
			"organization or billing account exclusion, or an enabled exclusions entry of a sink whose own filter " +
			"can match those logs, whose filter can match them; a disabled sink whose filter can match them (an " +
			"empty sink filter matches everything); FolderSettings or OrganizationSettings with " +
			"disableDefaultSink: true. A filter cannot match them only when its top-level AND-ed clauses (1) restrict " +
			"it to resource types or log names that are not Dataflow's (dataflow_step, dataflow.googleapis.com, " +
			"datapipelines.googleapis.com): resource.type = \"gce_instance\" (= or :, quoted or not, or a (\"a\" OR " +
			"\"b\") list), logName = \"projects/p/logs/foo\", logName:\"logs/foo\", log_id(\"foo\"), or an OR of such " +
			"clauses; and (2) rule out Cloud Audit Logs. Audit log entries carry the audited resource's type (a Compute " +
			"Engine audit entry has resource.type gce_instance, a Cloud Storage one gcs_bucket), so a resource.type " +
			"restriction does not rule them out: a filter needs a log name restriction as in (1), NOT " +
			"logName:\"cloudaudit.googleapis.com\", a positive textPayload or jsonPayload clause (audit entries carry " +
			"protoPayload), or a protoPayload.@type of another payload type. And no positive clause may name Dataflow " +
			"or audit logs: a Dataflow or audit resource type, log name or service, a protoPayload.@type naming " +
			"AuditLog, a protoPayload field only audit entries carry (serviceName, methodName, resourceName, " +
			"authenticationInfo and the like: protoPayload.serviceName = \"storage.googleapis.com\" selects exactly " +
			"Cloud Storage's audit logs), or a bare search term or SEARCH() term found inside cloudaudit.googleapis.com, " +
			"an audit log ID (activity, data_access, system_event, policy), dataflow.googleapis.com or dataflow_step. " +
			"Everything else can drop them: an empty filter, a severity-only, sample()-only or resource.type-only " +
			"filter, other negations (NOT, -, !=), a regular expression, an OR with an unrestricted branch, and a " +
			"filter the pack cannot parse. Juxtaposition is an implicit AND, and OR binds tighter than AND, as in the " +
			"Logging query language.",
		Remediation: "Restrict the exclusion filter to the logs it is meant to drop by log name, such as " +
			"log_id(\"syslog\") AND severity < WARNING, or pair its resource.type clause with NOT " +
			"logName:\"cloudaudit.googleapis.com\" (resource.type = \"gce_instance\" AND NOT " +
			"logName:\"cloudaudit.googleapis.com\" AND severity < WARNING); never select audit logs by protoPayload " +
			"fields. Otherwise disable or delete the exclusion; enable disabled sinks (or narrow their filter the same " +
			"way); remove disableDefaultSink.",
		URL:      "https://cloud.google.com/logging/docs/routing/overview",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "logging",
	},
		policy.On(func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
			checkExclusion(c, r.Root(), gcp.Value{}, "exclusion")
		}, gcp.LoggingExclusionTypes...),
		policy.On(func(c *policy.Call, r *gcp.Resource, _ *struct{}) { checkSink(c, r) }, gcp.LoggingSinkTypes...),
		policy.On(checkLoggingSettings, gcp.LoggingSettingsTypes...),
	)
}

// checkLoggingSettings judges folder and organization settings: a disabled
// default sink stores none of the logs below.
func checkLoggingSettings(c *policy.Call, r *gcp.Resource, _ *struct{}) {
	v := r.Get("disableDefaultSink")
	if v.IsUnknown() {
		c.Unknown(v.Path())
		return
	}
	if b, ok := v.Bool(); ok && b {
		c.Violation(v.Path(), "is true, so the _Default sink of every new project and folder below is created disabled "+
			"and stores none of their Dataflow job, worker or audit logs; remove disableDefaultSink or set it to false")
	}
}

// filterReason explains a verdict, quoting the offending clause unless the
// filter is secret.
func filterReason(v logquery.Verdict, filter gcp.Value) string {
	if v.Clause != "" && !filter.Secret() {
		return v.Reason + " (" + v.Clause + ")"
	}
	return v.Reason
}

// classifyFilter reads a filter: an absent filter is empty (it matches
// everything).
func classifyFilter(filter gcp.Value) logquery.Verdict {
	s, _ := filter.String()
	return logquery.Classify(s)
}

// checkExclusion judges one exclusion: an exclusion resource, or one entry of
// a sink's exclusions. gate is the sink's filter when it is unknown: then
// the exclusion only matters if the sink exports Dataflow or audit logs.
func checkExclusion(c *policy.Call, e gcp.Value, gate gcp.Value, what string) {
	filter, disabled := e.Get("filter"), e.Get("disabled")
	if b, ok := disabled.Bool(); ok && b {
		return
	}
	if filter.IsUnknown() {
		c.Unknown(filter.Path())
		return
	}
	v := classifyFilter(filter)
	if !v.CanMatch {
		return
	}
	if disabled.IsUnknown() {
		c.Unknown(disabled.Path())
		return
	}
	if gate.IsUnknown() {
		c.Unknown(gate.Path())
		return
	}
	c.Violation(filter.Path(), "%s; while this %s is enabled it can drop Dataflow job, worker or audit logs: restrict it "+
		"by log name (such as log_id(\"syslog\")) or pair its resource.type clause with NOT logName:\"cloudaudit.googleapis.com\", "+
		"or set disabled: true", filterReason(v, filter), what)
}

func checkSink(c *policy.Call, r *gcp.Resource) {
	filter := r.Get("filter")
	var v logquery.Verdict
	var gate gcp.Value
	if filter.IsUnknown() {
		gate = filter
	} else {
		v = classifyFilter(filter)
		if !v.CanMatch {
			return // the sink never routes Dataflow or audit logs: its state and exclusions do not matter here
		}
	}
	disabled := r.Get("disabled")
	switch {
	case disabled.IsUnknown():
		c.Unknown(disabled.Path())
	case gate.IsUnknown():
		if b, ok := disabled.Bool(); ok && b {
			c.Unknown(gate.Path())
		}
	default:
		if b, ok := disabled.Bool(); ok && b {
			c.Violation(disabled.Path(), "is true while the sink's filter %s; the Dataflow job, worker or audit logs it matches "+
				"are not routed: enable the sink or narrow its filter to other logs", filterReason(v, filter))
		}
	}
	exclusions := r.Get("exclusions")
	if exclusions.IsUnknown() {
		c.Unknown(exclusions.Path())
		return
	}
	for _, e := range exclusions.Items() {
		if e.IsUnknown() {
			c.Unknown(e.Path())
			continue
		}
		checkExclusion(c, e, gate, "sink exclusion")
	}
}
