// Package logquery reads the Cloud Logging query language
// (https://cloud.google.com/logging/docs/view/logging-query-language) and
// decides whether a filter can match Dataflow job or worker logs or Cloud
// Audit Logs: a language of its own, kept apart from the resource model
// that finds the filters (gcp.SinkRoute, the exclusion policies).
package logquery

import (
	"net/url"
	"slices"
	"strings"
)

// Verdict is what Classify concludes about a Cloud Logging
// filter: whether it can match Dataflow job or worker logs or Cloud Audit
// Logs, and why.
type Verdict struct {
	// CanMatch is true unless the filter provably stays away from Dataflow
	// and audit logs.
	CanMatch bool
	// Reason completes a sentence about the filter ("it ..."), empty when
	// CanMatch is false.
	Reason string
	// Clause is the part of the filter that names Dataflow or audit logs,
	// as written; empty otherwise. It is filter text: do not print it when
	// the filter is secret.
	Clause string
}

// Classify decides whether a Logging query language filter can
// match Dataflow job or worker logs (resource type dataflow_step, log names
// and services dataflow.googleapis.com / datapipelines.googleapis.com) or
// Cloud Audit Logs (cloudaudit.googleapis.com log names).
//
// Audit log entries carry the audited resource's type (a Compute Engine
// audit entry has resource.type "gce_instance"), so a resource.type
// restriction rules out Dataflow logs but not audit logs. A filter cannot
// match either only when
//   - its top level (the AND of its conjuncts; juxtaposition is an implicit
//     AND) rules out Dataflow logs with a positive clause restricting it to
//     other resource types or log names: `resource.type = "gce_instance"`,
//     `resource.type:"gce"`, `resource.type = ("a" OR "b")`,
//     `logName = "projects/p/logs/foo"`, `logName:"logs/foo"`,
//     `log_id("foo")`, or an OR whose every branch does;
//   - its top level also rules out audit logs: a log name restriction as
//     above, a negation of every audit log (`NOT logName:"cloudaudit.googleapis.com"`,
//     `-logName:"logs/cloudaudit"`, `NOT protoPayload.@type = "type.googleapis.com/google.cloud.audit.AuditLog"`),
//     a positive clause on a payload audit entries never carry (`textPayload`,
//     `jsonPayload...`: the payload is one of proto, text or JSON), a
//     `protoPayload.@type` of another type, or an OR whose every branch
//     does; and
//   - no positive clause anywhere names Dataflow or audit logs: a Dataflow
//     or audit resource type, log name or service; a `protoPayload.@type`
//     naming audit logs; a `protoPayload` field only audit entries carry
//     (`serviceName`, `methodName`, `resourceName`, `authenticationInfo`...,
//     so `protoPayload.serviceName = "storage.googleapis.com"` selects
//     Cloud Storage audit logs); a field path naming Dataflow; a bare search
//     term or SEARCH() term that is a substring of a Dataflow or audit token
//     or audit log ID ("cloudaudit", "data_access", "dataflow").
//
// Everything else can match them: an empty filter, a severity-only or
// sampling-only filter, a resource.type-only filter, positive negations
// (NOT, `-`, `!=`, `!~`) other than the audit exclusion above, regular
// expressions, OR with any unrestricted branch, and filters the parser
// cannot read (fail closed). The Logging query language gives OR a higher
// precedence than AND, and NOT the highest.
func Classify(filter string) Verdict {
	if Blank(filter) {
		return Verdict{CanMatch: true, Reason: "is empty, so it matches every log entry"}
	}
	root, err := parseLogFilter(filter)
	if err != nil {
		return Verdict{CanMatch: true, Reason: "cannot be parsed, so the pack cannot rule out that it matches Dataflow or audit logs"}
	}
	if n, why := root.namesDangerous(true); n != nil {
		return Verdict{CanMatch: true, Reason: why, Clause: strings.TrimSpace(filter[n.start:n.end])}
	}
	if !root.rulesOut(dataflowLogs) {
		return Verdict{CanMatch: true, Reason: "has no top-level AND-ed clause restricting it to resource types " +
			"or log names other than Dataflow's and Cloud Audit Logs'"}
	}
	if !root.rulesOut(auditLogs) {
		return Verdict{CanMatch: true, Reason: "has no top-level AND-ed clause ruling out Cloud Audit Logs, " +
			"whose entries carry the audited resource's type (a resource.type restriction alone keeps matching them)"}
	}
	return Verdict{}
}

// Blank reports whether a filter is empty but for white space and comments:
// it matches every log entry.
func Blank(filter string) bool { return strings.TrimSpace(stripLogComments(filter)) == "" }

// Reasons for a clause that names Dataflow or audit logs.
const (
	reasonNames          = "names Dataflow or Cloud Audit Logs"
	reasonAuditOnlyField = "names Cloud Audit Logs: only audit log entries carry that protoPayload field"
)

// The strings that identify Dataflow and audit logs.
var (
	dataflowServices = []string{"dataflow.googleapis.com", "datapipelines.googleapis.com"}
	auditService     = "cloudaudit.googleapis.com"
	// dangerousTokens name Dataflow or audit logs wherever they appear.
	dangerousTokens = []string{"dataflow.googleapis.com", "datapipelines.googleapis.com", "cloudaudit.googleapis.com", "dataflow_step", "audited_resource"}
	// auditLogIDs are the log IDs Cloud Audit Logs write, decoded.
	auditLogIDs = []string{
		"cloudaudit.googleapis.com/activity", "cloudaudit.googleapis.com/data_access",
		"cloudaudit.googleapis.com/system_event", "cloudaudit.googleapis.com/policy",
	}
	// dangerousLogIDs are the log IDs Dataflow and Cloud Audit Logs write,
	// decoded; a `logName:` substring without a `logs/` anchor is judged
	// against them.
	dangerousLogIDs = append(slices.Clone(auditLogIDs),
		"dataflow.googleapis.com/job-message", "dataflow.googleapis.com/worker",
		"dataflow.googleapis.com/worker-startup", "dataflow.googleapis.com/harness",
		"dataflow.googleapis.com/harness-startup", "dataflow.googleapis.com/shuffler",
		"dataflow.googleapis.com/shuffler-startup", "dataflow.googleapis.com/docker",
		"dataflow.googleapis.com/kubelet", "dataflow.googleapis.com/system",
		"dataflow.googleapis.com/agent", "dataflow.googleapis.com/provision",
		"dataflow.googleapis.com/vm-health", "dataflow.googleapis.com/vm-monitor",
		"dataflow.googleapis.com/resource", "dataflow.googleapis.com/insights",
	)
	dangerousLogPrefixes = []string{"cloudaudit.googleapis.com/", "dataflow.googleapis.com/", "datapipelines.googleapis.com/"}
	dangerousTypes       = []string{"dataflow_step", "audited_resource"}
	// searchHaystack is what a bare search term or SEARCH() term is judged
	// against: a term that occurs inside one of these names Dataflow or
	// audit logs ("cloudaudit", "data_access", "dataflow"). The suffixes of
	// Dataflow's own log IDs (worker, kubelet, system...) are ordinary words
	// and are left out; a `logName:` fragment is still judged against them.
	searchHaystack = slices.Concat(dangerousTokens, dangerousLogPrefixes, prefixEach("logs/", auditLogIDs),
		prefixEach("logs/", dangerousLogPrefixes))
	// auditLogNameCore is the part every audit log name contains, as stored
	// (the log ID's slash is URL-encoded); a `logName:` negation of a
	// substring of it drops every audit log from the filter.
	auditLogNameCore = "logs/cloudaudit.googleapis.com%2f"
	// auditLogType is the protoPayload.@type of every audit log entry.
	auditLogType = "type.googleapis.com/google.cloud.audit.auditlog"
	// auditOnlyProtoFields are the AuditLog payload fields (canonical: lower
	// case, no underscores) no other protoPayload type has; a positive
	// comparison on one selects audit log entries. (App Engine request logs
	// are the other protoPayload entries; they share only `status`.)
	auditOnlyProtoFields = []string{
		"servicename", "methodname", "resourcename", "resourcelocation", "resourceoriginalstate",
		"numresponseitems", "authenticationinfo", "authorizationinfo", "policyviolationinfo",
		"requestmetadata", "request", "response", "metadata", "servicedata",
	}
)

func prefixEach(prefix string, in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = prefix + s
	}
	return out
}

// restricting field names, canonical (lower case, no underscores).
const (
	fieldResourceType = "resource.type"
	fieldLogName      = "logname"
	fieldServiceName  = "protopayload.servicename"
	fieldProtoType    = "protopayload.@type"
)

func canonicalField(f string) string {
	return strings.ReplaceAll(strings.ToLower(f), "_", "")
}

// normalizeLogValue lowercases (string comparisons are case-insensitive) and
// decodes URL escapes such as %2F in log names.
func normalizeLogValue(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if d, err := url.PathUnescape(v); err == nil {
		v = d
	}
	return v
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// substringOfAny reports whether s occurs inside one of the strings.
func substringOfAny(s string, in []string) bool {
	for _, x := range in {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// valueDangerous reports whether comparing field with op against v can
// select Dataflow or audit logs. Only `=` and `:` reach here.
func valueDangerous(field, op, v string) bool {
	v = normalizeLogValue(v)
	if v == "" || v == "*" {
		return true
	}
	has := op == ":"
	switch field {
	case fieldResourceType:
		if strings.Contains(v, "dataflow") || containsAny(v, dangerousTypes) {
			return true
		}
		return has && substringOfAny(v, dangerousTypes)
	case fieldServiceName:
		services := append([]string{auditService}, dataflowServices...)
		if containsAny(v, services) {
			return true
		}
		return has && substringOfAny(v, services)
	case fieldLogName:
		if containsAny(v, dangerousTokens) {
			return true
		}
		if !has {
			return false
		}
		return logNameFragmentDangerous(v)
	}
	return containsAny(v, dangerousTokens)
}

// logNameFragmentDangerous judges a `logName:` substring. With a `logs/`
// anchor, what follows it is the start of a log ID; without one, the
// fragment is compared with the known Dataflow and audit log IDs.
func logNameFragmentDangerous(v string) bool {
	if i := strings.Index(v, "logs/"); i >= 0 {
		id := v[i+len("logs/"):]
		for _, p := range dangerousLogPrefixes {
			if strings.HasPrefix(p, id) || strings.HasPrefix(id, p) {
				return true
			}
		}
		return false
	}
	for _, id := range dangerousLogIDs {
		if strings.Contains("logs/"+id, v) {
			return true
		}
	}
	return false
}

// logIDDangerous judges the argument of log_id().
func logIDDangerous(id string) bool {
	id = normalizeLogValue(id)
	if id == "" {
		return true
	}
	for _, p := range dangerousLogPrefixes {
		if strings.HasPrefix(id+"/", p) || strings.HasPrefix(id, p) {
			return true
		}
	}
	return containsAny(id, dangerousTokens)
}

// searchTermDangerous judges a bare search term (a has-match against every
// field) or a SEARCH() term: it names Dataflow or audit logs when it
// contains a Dataflow or audit token or occurs inside one.
func searchTermDangerous(v string) bool {
	v = normalizeLogValue(strings.Trim(v, "`"))
	if v == "" || v == "*" {
		return false
	}
	return containsAny(v, dangerousTokens) || substringOfAny(v, searchHaystack)
}

// searchQueryDangerous judges the query of SEARCH([field,] query): its
// whitespace-separated terms (a `backquoted phrase` is judged whole).
func searchQueryDangerous(q string) bool {
	if searchTermDangerous(q) {
		return true
	}
	for _, term := range strings.Fields(q) {
		if searchTermDangerous(term) {
			return true
		}
	}
	return false
}

// auditOnlyField reports whether a canonical field path is, or lies inside,
// a protoPayload field only audit log entries carry.
func auditOnlyField(field string) bool {
	rest, ok := strings.CutPrefix(field, "protopayload.")
	if !ok {
		return false
	}
	first, _, _ := strings.Cut(rest, ".")
	return slices.Contains(auditOnlyProtoFields, first)
}

// payloadField reports whether a canonical field path is, or lies inside,
// textPayload or jsonPayload, which audit log entries never carry.
func payloadField(field string) bool {
	return field == "textpayload" || field == "jsonpayload" || strings.HasPrefix(field, "jsonpayload.")
}

// requiresField reports whether a positive comparison with op holds only
// for entries that have the field.
func requiresField(op string) bool {
	switch op {
	case "=", ":", "=~", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// protoTypeNamesAudit reports whether a positive protoPayload.@type
// comparison can select audit log entries.
func protoTypeNamesAudit(op, v string) bool {
	nv := normalizeLogValue(v)
	switch op {
	case "=":
		return nv == "" || nv == "*" || strings.Contains(nv, "audit")
	case ":":
		return nv == "" || nv == "*" || strings.Contains(nv, "audit") || strings.Contains(auditLogType, nv)
	case "=~":
		return true // a regular expression the pack does not evaluate
	}
	return false
}

// ---- syntax tree -----------------------------------------------------------
