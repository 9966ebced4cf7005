package logquery

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Severity is a LogSeverity (google/logging/type/log_severity.proto): a
// number, compared numerically.
type Severity int

const (
	SeverityDefault   Severity = 0
	SeverityDebug     Severity = 100
	SeverityInfo      Severity = 200
	SeverityNotice    Severity = 300
	SeverityWarning   Severity = 400
	SeverityError     Severity = 500
	SeverityCritical  Severity = 600
	SeverityAlert     Severity = 700
	SeverityEmergency Severity = 800
)

var severityNames = []struct {
	s    Severity
	name string
}{
	{SeverityDefault, "DEFAULT"}, {SeverityDebug, "DEBUG"}, {SeverityInfo, "INFO"}, {SeverityNotice, "NOTICE"},
	{SeverityWarning, "WARNING"}, {SeverityError, "ERROR"}, {SeverityCritical, "CRITICAL"},
	{SeverityAlert, "ALERT"}, {SeverityEmergency, "EMERGENCY"},
}

// SeverityNames lists the severity names, lowest first.
func SeverityNames() []string {
	out := make([]string, len(severityNames))
	for i, s := range severityNames {
		out[i] = s.name
	}
	return out
}

// ParseSeverity reads a severity name, in any letter case.
func ParseSeverity(s string) (Severity, bool) {
	s = strings.TrimSpace(s)
	for _, n := range severityNames {
		if strings.EqualFold(s, n.name) {
			return n.s, true
		}
	}
	return 0, false
}

func (s Severity) String() string {
	for _, n := range severityNames {
		if n.s == s {
			return n.name
		}
	}
	return strconv.Itoa(int(s))
}

// The log IDs and names the classes are made of.
const (
	// DataflowLogIDPrefix begins the log ID of every Dataflow job and worker
	// log (https://cloud.google.com/dataflow/docs/guides/logging).
	DataflowLogIDPrefix = "dataflow.googleapis.com/"
	// DataAccessLogID is the log ID of every Data Access audit log entry
	// (https://cloud.google.com/logging/docs/audit#data-access).
	DataAccessLogID = "cloudaudit.googleapis.com/data_access"
)

// dataflowLogIDs are the Dataflow log IDs Google documents: job-message,
// worker, worker-startup, harness, harness-startup, shuffler, system,
// docker, kubelet and nvidia-mps on "Work with pipeline logs" and "Common
// error guidance"; launcher as the template launcher's log. Every other log
// ID under dataflow.googleapis.com/ is covered as well: the classes include
// the set of all of them.
var dataflowLogIDs = []string{
	"job-message", "launcher", "worker", "worker-startup", "harness", "harness-startup",
	"shuffler", "system", "docker", "kubelet", "nvidia-mps",
}

// DefaultDataflowResourceTypes are the monitored-resource types of Dataflow
// job and worker logs: dataflow_step ("Work with pipeline logs",
// https://cloud.google.com/dataflow/docs/guides/logging).
var DefaultDataflowResourceTypes = []string{"dataflow_step"}

// DefaultAuditResourceTypes are, by service, the monitored-resource types of
// the Data Access audit log entries of the services a Dataflow pipeline
// reads and writes. ResourceTypeSources gives the source of each.
var DefaultAuditResourceTypes = map[string][]string{
	"storage.googleapis.com":       {"gcs_bucket", "audited_resource"},
	"bigquery.googleapis.com":      {"bigquery_resource", "bigquery_dataset", "bigquery_project", "audited_resource"},
	"pubsub.googleapis.com":        {"pubsub_topic", "pubsub_subscription", "pubsub_snapshot", "audited_resource"},
	"cloudkms.googleapis.com":      {"cloudkms_cryptokey", "cloudkms_cryptokeyversion", "cloudkms_keyring", "audited_resource"},
	"secretmanager.googleapis.com": {"secretmanager.googleapis.com/Secret", "audited_resource"},
}

// ResourceTypeSources says where each default monitored-resource type comes
// from ("source; note"), for the docs. Google's per-service audit logging pages name the
// service (protoPayload.serviceName), not the resource type of its entries;
// where no Google page ties the type to audit entries, the source is the
// type's own reference and the entry says so.
var ResourceTypeSources = map[string]string{
	"dataflow_step": "https://cloud.google.com/dataflow/docs/guides/logging; every job and worker log",
	"gcs_bucket": "https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.exclusions; " +
		"Google's own exclusion example filters Cloud Storage entries by resource.type=gcs_bucket",
	"bigquery_resource": "https://cloud.google.com/bigquery/docs/reference/auditlogs; legacy AuditData entries",
	"bigquery_dataset":  "https://cloud.google.com/bigquery/docs/reference/auditlogs; BigQueryAuditMetadata, dataset methods",
	"bigquery_project":  "https://cloud.google.com/bigquery/docs/reference/auditlogs; BigQueryAuditMetadata, jobs and other methods",
	"pubsub_topic": "https://cloud.google.com/pubsub/docs/troubleshooting-audit-logs; audit logs are viewed by " +
		"the Cloud Pub/Sub Topic resource",
	"pubsub_subscription": "https://cloud.google.com/monitoring/api/resources#tag_pubsub_subscription; " +
		"monitored resource; not tied to audit entries on a Google page",
	"pubsub_snapshot": "https://cloud.google.com/monitoring/api/resources; " +
		"monitored resource; not tied to audit entries on a Google page",
	"cloudkms_cryptokey": "https://cloud.google.com/logging/docs/api/platform-logs; " +
		"monitored resource of Cloud KMS logs; not tied to audit entries on a Google page",
	"cloudkms_cryptokeyversion": "https://cloud.google.com/logging/docs/api/platform-logs; " +
		"monitored resource of Cloud KMS logs; not tied to audit entries on a Google page",
	"cloudkms_keyring": "https://cloud.google.com/monitoring/api/resources; " +
		"monitored resource; not tied to audit entries on a Google page",
	"secretmanager.googleapis.com/Secret": "https://cloud.google.com/logging/docs/api/platform-logs; " +
		"monitored resource of Secret Manager logs; not tied to audit entries on a Google page",
	"audited_resource": "https://cloud.google.com/logging/docs/api/v2/resource-list; " +
		"the resource type of audit entries of services without one of their own",
}

// serviceTitles name the services the pack knows in messages.
var serviceTitles = map[string]string{
	"storage.googleapis.com":       "Cloud Storage",
	"bigquery.googleapis.com":      "BigQuery",
	"pubsub.googleapis.com":        "Pub/Sub",
	"cloudkms.googleapis.com":      "Cloud KMS",
	"secretmanager.googleapis.com": "Secret Manager",
}

// ServiceTitle names a service for a message: "Cloud Storage
// (storage.googleapis.com)".
func ServiceTitle(service string) string {
	if t, ok := serviceTitles[service]; ok {
		return t + " (" + service + ")"
	}
	return service
}

// ServiceShortTitle names a service briefly: "Cloud Storage", or the
// service name the pack has no title for.
func ServiceShortTitle(service string) string {
	if t, ok := serviceTitles[service]; ok {
		return t
	}
	return service
}

// ClassKind is a kind of logs the pack protects.
type ClassKind uint8

const (
	// DataflowLogs are Dataflow job and worker logs.
	DataflowLogs ClassKind = iota + 1
	// DataAccessLogs are the Data Access audit logs of one service.
	DataAccessLogs
)

// auditSeverities are the severities the pack considers audit entries to
// have: INFO and NOTICE, and, so that the pack never relies on an audit entry
// being of a lower one, every higher severity too.
var auditSeverities = []Severity{SeverityInfo, SeverityNotice, SeverityWarning, SeverityError, SeverityCritical,
	SeverityAlert, SeverityEmergency}

// Class is a class of log entries that must stay stored.
type Class struct {
	Kind ClassKind
	// Service is the audited service of Data Access logs.
	Service       string
	ResourceTypes []string
	Severities    []Severity
}

// Name describes the class for a message.
func (c *Class) Name() string {
	if c.Kind == DataflowLogs {
		return "Dataflow job and worker logs"
	}
	return "Data Access audit logs of " + ServiceTitle(c.Service)
}

// Entries returns the sets of entries the class is made of, owned by parent
// ("" when not known): one per resource type, log ID (the Dataflow ones the
// pack lists, and every other one under dataflow.googleapis.com/) and
// severity.
func (c *Class) Entries(parent string) []Entry {
	var out []Entry
	for _, t := range c.ResourceTypes {
		for _, s := range c.Severities {
			if c.Kind == DataAccessLogs {
				out = append(out, Entry{Parent: parent, ResourceType: t, LogID: DataAccessLogID, Severity: s, ServiceName: c.Service, Class: c})
				continue
			}
			for _, id := range dataflowLogIDs {
				out = append(out, Entry{Parent: parent, ResourceType: t, LogID: DataflowLogIDPrefix + id, Severity: s, Class: c})
			}
			out = append(out, Entry{Parent: parent, ResourceType: t, LogID: DataflowLogIDPrefix, AnyLogIDSuffix: true, Severity: s, Class: c})
		}
	}
	return out
}

// ClassConfig is what decides the classes: the monitored-resource types of
// Dataflow logs and, by service, of the Data Access audit logs; and the
// severity below which Dataflow entries may be dropped (audit entries are
// never dropped: the floor does not apply to them).
type ClassConfig struct {
	DataflowResourceTypes   []string
	AuditResourceTypes      map[string][]string
	DataflowMinimumSeverity Severity
}

// Classes builds the classes of a config: Dataflow logs first, then the Data
// Access logs of each service, sorted by service.
func (cfg ClassConfig) Classes() []*Class {
	var out []*Class
	var dataflowSeverities []Severity
	for _, s := range severityNames {
		if s.s >= cfg.DataflowMinimumSeverity {
			dataflowSeverities = append(dataflowSeverities, s.s)
		}
	}
	if len(cfg.DataflowResourceTypes) > 0 && len(dataflowSeverities) > 0 {
		out = append(out, &Class{Kind: DataflowLogs, ResourceTypes: slices.Clone(cfg.DataflowResourceTypes), Severities: dataflowSeverities})
	}
	services := make([]string, 0, len(cfg.AuditResourceTypes))
	for s, types := range cfg.AuditResourceTypes {
		if len(types) > 0 {
			services = append(services, s)
		}
	}
	sort.Strings(services)
	for _, s := range services {
		out = append(out, &Class{Kind: DataAccessLogs, Service: s, ResourceTypes: slices.Clone(cfg.AuditResourceTypes[s]),
			Severities: auditSeverities})
	}
	return out
}

// AllSeverities reports whether severities are all the class has.
func (c *Class) AllSeverities(severities []Severity) bool {
	for _, s := range c.Severities {
		if !slices.Contains(severities, s) {
			return false
		}
	}
	return true
}
