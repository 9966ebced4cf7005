package policies

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// logStorageConfig is the one config of the logging policies that judge log
// routing (logging-no-dataflow-exclusions and logging-no-intercepting-sinks):
// which entries must stay stored (the classes), where a destination outside
// the stack is trusted, and for how long entries must be kept.
type logStorageConfig struct {
	DataflowResourceTypes   []string            `json:"dataflowResourceTypes"`
	AuditLogResourceTypes   map[string][]string `json:"auditLogResourceTypes"`
	DataflowMinimumSeverity string              `json:"dataflowMinimumSeverity"`
	MinimumRetentionDays    int                 `json:"minimumRetentionDays"`
	ApprovedDestinations    []string            `json:"approvedDestinations"`

	classes  []*logquery.Class
	approved map[string]bool
}

// Validate builds the classes and indexes the approved destinations once per
// configuration.
func (c *logStorageConfig) Validate() error {
	floor := logquery.SeverityDefault
	if strings.TrimSpace(c.DataflowMinimumSeverity) != "" {
		s, ok := logquery.ParseSeverity(c.DataflowMinimumSeverity)
		if !ok {
			return fmt.Errorf("dataflowMinimumSeverity %q is not a severity (%s)", c.DataflowMinimumSeverity,
				strings.Join(logquery.SeverityNames(), ", "))
		}
		floor = s
	}
	c.classes = logquery.ClassConfig{
		DataflowResourceTypes:   c.DataflowResourceTypes,
		AuditResourceTypes:      c.AuditLogResourceTypes,
		DataflowMinimumSeverity: floor,
	}.Classes()
	c.approved = map[string]bool{}
	for _, d := range c.ApprovedDestinations {
		c.approved[strings.TrimSpace(d)] = true
	}
	return nil
}

// logStorageSchema is the JSON schema of logStorageConfig's properties.
func logStorageSchema() string {
	audit, _ := json.Marshal(logquery.DefaultAuditResourceTypes) // a map of string lists always marshals
	return `
			"dataflowResourceTypes":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":` + jsonList(logquery.DefaultDataflowResourceTypes) + `,
				"description":"Monitored-resource types of Dataflow job and worker logs (dataflow_step: https://cloud.google.com/dataflow/docs/guides/logging). Their entries must stay stored, with every log ID under dataflow.googleapis.com/."},
			"auditLogResourceTypes":{"type":"object","additionalProperties":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true},
				"default":` + string(audit) + `,
				"description":"By service, the monitored-resource types of the Data Access audit log entries (log ID cloudaudit.googleapis.com/data_access) of the services a Dataflow pipeline reads and writes. Their entries must stay stored; a filter restricted to other resource types cannot match them. Sources of the defaults: docs/policies.md."},
			"dataflowMinimumSeverity":{"type":"string","enum":` + jsonList(logquery.SeverityNames()) + `,"default":"DEFAULT",
				"description":"Dataflow job and worker entries below this severity may be dropped (Google's cost-control guidance excludes DEFAULT to NOTICE: https://cloud.google.com/dataflow/docs/guides/filter-logs). Never applies to audit logs."},
			"minimumRetentionDays":{"type":"integer","minimum":1,"maximum":3650,"default":30,
				"description":"Days a destination must keep these entries (30 is the _Default bucket's own default)."},
			"approvedDestinations":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Sink destinations outside the stack known to keep what they receive long enough (such as logging.googleapis.com/projects/central-logs), matched exactly."}`
}

// logStorageDocs describes the classes and the defaults' sources, for a
// policy's Description.
func logStorageDocs() string {
	var types []string
	for _, t := range logquery.DefaultDataflowResourceTypes {
		types = append(types, t+" (source: "+logquery.ResourceTypeSources[t]+")")
	}
	var services []string
	for s := range logquery.DefaultAuditResourceTypes {
		services = append(services, s)
	}
	sort.Strings(services)
	var audit []string
	for _, s := range services {
		var ts []string
		for _, t := range logquery.DefaultAuditResourceTypes[s] {
			ts = append(ts, t+" (source: "+logquery.ResourceTypeSources[t]+")")
		}
		audit = append(audit, s+": "+strings.Join(ts, ", "))
	}
	return "The log classes it protects (config, same in logging-no-dataflow-exclusions and logging-no-intercepting-sinks): " +
		"Dataflow job and worker logs, every log ID under dataflow.googleapis.com/ on the monitored-resource types of " +
		"dataflowResourceTypes, default " + strings.Join(types, "; ") + "; and the Data Access audit logs " +
		"(cloudaudit.googleapis.com/data_access) of the services a Dataflow pipeline reads and writes, whose entries carry the " +
		"resource types of auditLogResourceTypes, default " + strings.Join(audit, "; ") + ". Dataflow itself writes no Data " +
		"Access audit logs (its audit logging page lists only Admin Activity methods, https://cloud.google.com/dataflow/docs/audit-logging), " +
		"and Admin Activity and System Event audit logs go to the _Required bucket, which keeps them 400 days and which no " +
		"exclusion or sink can change (https://cloud.google.com/logging/docs/routing/overview): the pack leaves them alone. " +
		"Filters are read by the pack's evaluator of the Logging query language " +
		"(https://cloud.google.com/logging/docs/view/logging-query-language): =, != and : (a case-insensitive substring " +
		"test, so logName:\"projects/p/\" matches every log of project p), =~ and !~ evaluated as RE2 (Go's regexp) " +
		"unanchored and case-sensitive, AND, OR, NOT and -, with NOT binding tightest and OR tighter than AND, " +
		"parenthesised value lists, LOG_ID()/log_id(), severity comparisons, protoPayload.serviceName and @type, textPayload " +
		"and jsonPayload (which audit entries never carry), sample() and SEARCH(). What it cannot decide counts as matching " +
		"some of the entries: for an exclusion that means it may drop them, for a sink that it does not route them all."
}

// ---- judging routes ----------------------------------------------------------

// logJudge answers, for one evaluation, what the stack's sinks do to the
// classes' entries.
type logJudge struct {
	s       *gcp.Stack
	cfg     *logStorageConfig
	queries map[string]*logquery.Query // nil: the filter does not parse
}

func newLogJudge(s *gcp.Stack, cfg *logStorageConfig) *logJudge {
	return &logJudge{s: s, cfg: cfg, queries: map[string]*logquery.Query{}}
}

// match evaluates a filter on e; a filter that does not parse may match
// anything (Cloud Logging would reject it; the pack does not guess).
func (j *logJudge) match(filter string, e logquery.Entry) logquery.Result {
	q, ok := j.queries[filter]
	if !ok {
		q, _ = logquery.Parse(filter)
		if j.queries != nil {
			j.queries[filter] = q
		}
	}
	if q == nil {
		return logquery.Sometimes
	}
	return q.Match(e)
}

// exclusionMatch evaluates an exclusion filter. Cloud Logging requires one;
// what an empty (or comment-only) one does is not documented, so it may
// match some entries: it neither carves them out of a sink for sure nor
// leaves them alone for sure.
func (j *logJudge) exclusionMatch(filter string, e logquery.Entry) logquery.Result {
	if logquery.Blank(filter) {
		return logquery.Sometimes
	}
	return j.match(filter, e)
}

// pendingValue is a value not known yet that could change a verdict.
type pendingValue struct {
	r *gcp.Resource
	v gcp.Value
}

// sinkRoutes is what a sink routes of e: its filter (empty matches
// everything) less its enabled exclusions. An exclusion whose disabled flag
// or filter is unknown is weighed both ways (enabled and excluding
// everything, or not there): when that changes the result, it is pending.
// An unknown filter is pending too.
func (j *logJudge) sinkRoutes(r *gcp.Resource, filter string, filterValue gcp.Value, exclusions []gcp.SinkExclusion,
	e logquery.Entry) (logquery.Result, []pendingValue) {
	if filterValue.IsUnknown() {
		return logquery.Sometimes, []pendingValue{{r, filterValue}}
	}
	if list := r.Get("exclusions"); list.IsUnknown() {
		return logquery.Sometimes, []pendingValue{{r, list}}
	}
	withMaybe, without := j.match(filter, e), j.match(filter, e)
	var pending []pendingValue
	for _, x := range exclusions {
		disabled, xf := x.Disabled(), x.Filter()
		if b, ok := disabled.Bool(); ok && b {
			continue
		}
		if xf.IsUnknown() || x.Value.IsUnknown() {
			pending = append(pending, pendingValue{x.Resource, xf})
			withMaybe = withMaybe.And(logquery.Never) // it may exclude everything
			continue
		}
		s, _ := xf.String()
		keeps := j.exclusionMatch(s, e).Not()
		withMaybe = withMaybe.And(keeps)
		if disabled.IsUnknown() {
			pending = append(pending, pendingValue{x.Resource, disabled})
			continue
		}
		without = without.And(keeps)
	}
	if len(pending) == 0 || withMaybe == without {
		return without, nil
	}
	return without, pending
}

// storeVerdict is whether a destination keeps what a sink routes for at
// least minimumRetentionDays.
type storeVerdict struct {
	stores  bool
	pending []pendingValue
	// why completes "its destination X ..." when it does not store; on and
	// path are where a finding about it belongs (the store's retention, or
	// the sink's destination: on is nil for the destination of a built-in
	// sink).
	why  string
	on   *gcp.Resource
	path string
}

// destinationKeeps judges a sink's destination. A project's own _Default
// bucket that the stack does not configure keeps Google's default of 30
// days; any other destination the stack does not declare is undecided, and
// fails unless approved.
func (j *logJudge) destinationKeeps(sink *gcp.Resource, project, dest string, destValue gcp.Value) storeVerdict {
	minDays := j.cfg.MinimumRetentionDays
	if destValue.IsUnknown() {
		return storeVerdict{pending: []pendingValue{{sink, destValue}}}
	}
	if j.cfg.approved[dest] {
		return storeVerdict{stores: true}
	}
	d := gcp.ParseSinkDestination(dest)
	onSink := storeVerdict{on: sink, path: "destination"}
	var what string
	switch d.Kind {
	case gcp.DestinationProject:
		onSink.why = "is a project, whose own sinks route the entries again where this stack does not show; " +
			"add it to approvedDestinations once that project keeps them"
		return onSink
	case gcp.DestinationPubSubTopic:
		onSink.why = "is a Pub/Sub topic, which streams entries and stores none"
		return onSink
	case gcp.DestinationOther:
		onSink.why = "is not a log bucket, Cloud Storage bucket or BigQuery dataset destination the pack can read"
		return onSink
	case gcp.DestinationLogBucket:
		what = "log bucket"
	case gcp.DestinationStorageBucket:
		what = "Cloud Storage bucket"
	case gcp.DestinationBigQueryDataset:
		what = "BigQuery dataset"
	}
	if d.Kind == gcp.DestinationLogBucket && d.Collection == "projects" && d.Parent == project &&
		d.ID == gcp.DefaultSinkName && project != "" {
		return j.defaultBucketKeeps(sink, project, what)
	}
	var found bool                  // a store that is the destination for sure
	var later, short []pendingValue // stores that may be the destination, keeping entries long enough or not
	for _, st := range j.s.DestinationStores(d) {
		shortLived := !st.Retention.IsUnknown() && st.Days < float64(minDays)
		switch {
		case !st.Certain && shortLived:
			short = append(short, pendingValue{st.Resource, st.Identity})
		case !st.Certain:
			later = append(later, pendingValue{st.Resource, st.Identity})
		case shortLived:
			return storeVerdict{why: "is a " + what + " that " + describeRetention(st, minDays), on: st.Resource, path: st.Retention.Path()}
		case st.Retention.IsUnknown():
			found = true
			later = append(later, pendingValue{st.Resource, st.Retention})
		default:
			found = true
		}
	}
	if !found {
		if len(later) > 0 {
			return storeVerdict{pending: later}
		}
		onSink.why = "is a " + what + " this stack does not declare, so the pack cannot tell how long it keeps them; declare " +
			"it here or add the destination to approvedDestinations"
		return onSink
	}
	later = append(later, short...) // each could be the destination too, and keep its entries too briefly
	return storeVerdict{stores: len(later) == 0, pending: later}
}

// defaultBucketKeeps judges a project's own _Default bucket: by the
// shortest-lived of its configs in the stack (a _Default bucket may be
// regional, and only one config can be right), else Google's default of 30
// days.
func (j *logJudge) defaultBucketKeeps(sink *gcp.Resource, project, what string) storeVerdict {
	minDays := j.cfg.MinimumRetentionDays
	st, ok := j.s.DefaultBucketStore(project)
	switch {
	case ok && st.Retention.IsUnknown():
		return storeVerdict{pending: []pendingValue{{st.Resource, st.Retention}}}
	case ok && st.Days < float64(minDays):
		return storeVerdict{why: "is a " + what + " that " + describeRetention(st, minDays), on: st.Resource, path: st.Retention.Path()}
	case ok:
		return storeVerdict{stores: true}
	case float64(minDays) > gcp.DefaultLogBucketRetentionDays:
		return storeVerdict{on: sink, path: "destination", why: fmt.Sprintf("is not configured in this stack, so it keeps "+
			"entries Google's default of %d days, fewer than minimumRetentionDays %d (declare a ProjectBucketConfig for it)", gcp.DefaultLogBucketRetentionDays, minDays)}
	}
	return storeVerdict{stores: true}
}

// describeRetention says, for a message, why a store keeps entries too
// briefly.
func describeRetention(st gcp.DestinationStore, minDays int) string {
	name, path := st.Resource.Name, st.Retention.Path()
	switch {
	case st.Resource.Type == gcp.StorageBucketResource && st.Days == 0:
		return fmt.Sprintf("has no retention policy (%s %s), so lifecycle rules or anyone allowed to delete objects "+
			"can remove the logs at once", name, path)
	case st.Retention.IsAbsent():
		path += " unset"
	}
	return fmt.Sprintf("keeps entries %s days (%s %s), fewer than minimumRetentionDays %d", retentionText(st.Days), name, path, minDays)
}

func retentionText(d float64) string {
	if d == math.Trunc(d) && math.Abs(d) < 1e9 {
		return strconv.FormatFloat(d, 'f', 0, 64)
	}
	return strconv.FormatFloat(d, 'f', 1, 64)
}

// ---- describing the entries a finding is about -------------------------------

// entrySet collects the entries of the classes a finding is about.
type entrySet struct {
	order   []*logquery.Class
	entries map[*logquery.Class][]logquery.Entry
	partial map[*logquery.Class]bool // some sets only in part
}

// add records a set of entries, all of them concerned or (partial) only
// some.
func (s *entrySet) add(e logquery.Entry, partial bool) {
	if s.entries == nil {
		s.entries = map[*logquery.Class][]logquery.Entry{}
		s.partial = map[*logquery.Class]bool{}
	}
	if _, ok := s.entries[e.Class]; !ok {
		s.order = append(s.order, e.Class)
	}
	s.entries[e.Class] = append(s.entries[e.Class], e)
	s.partial[e.Class] = s.partial[e.Class] || partial
}

// describe names the classes: "Dataflow job and worker logs of severity
// DEFAULT, DEBUG and the Data Access audit logs of BigQuery and Cloud Storage
// (in part)", with the Dataflow severities concerned when not all, and "(in
// part)" when only some of the entries of a class (of those severities) are.
func (s *entrySet) describe() string {
	var dataflow string
	var services []string
	for _, c := range s.order {
		es := s.entries[c]
		var sevs []logquery.Severity
		for _, e := range es {
			if !slices.Contains(sevs, e.Severity) {
				sevs = append(sevs, e.Severity)
			}
		}
		slices.Sort(sevs)
		partial := s.partial[c] || len(es) < len(c.Entries(""))/len(c.Severities)*len(sevs)
		if c.Kind == logquery.DataAccessLogs {
			name := logquery.ServiceShortTitle(c.Service)
			if partial || !c.AllSeverities(sevs) {
				name += " (in part)"
			}
			services = append(services, name)
			continue
		}
		dataflow = c.Name()
		if !c.AllSeverities(sevs) {
			names := make([]string, len(sevs))
			for i, s := range sevs {
				names[i] = s.String()
			}
			dataflow += " of severity " + strings.Join(names, ", ")
		}
		if partial {
			dataflow += " (in part)"
		}
	}
	audit := ""
	if len(services) > 0 {
		audit = "the Data Access audit logs of " + joinAnd(services)
	}
	switch {
	case dataflow == "":
		return audit
	case audit == "":
		return dataflow
	}
	return dataflow + " and " + audit
}

// joinAnd joins "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// reportPending reports each pending value once, as unknown.
func reportPending(c *policy.Call, pending []pendingValue, seen map[string]bool) {
	for _, p := range pending {
		key := p.r.URN + "\x00" + p.v.Path()
		if !seen[key] {
			seen[key] = true
			c.UnknownOn(p.r, p.v.Path())
		}
	}
}
