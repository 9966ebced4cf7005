package policies

import (
	"slices"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// LoggingNoInterceptingSinks forbids folder and organization sinks that
// intercept Dataflow or Data Access audit logs from child projects unless
// their destination keeps them.
func LoggingNoInterceptingSinks() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name: "logging-no-intercepting-sinks",
		Title: "No intercepting folder or organization sink takes Dataflow or Data Access audit logs to a destination " +
			"that does not store them",
		Description: "A folder or organization sink with interceptChildren: true takes every log entry its filter matches (less " +
			"its exclusions) away from the sinks of every folder and project below it: only their _Required sinks still " +
			"see it, so their _Default buckets, project sinks, log-based metrics and alerts miss the Dataflow job and " +
			"worker logs and the Data Access audit logs it takes (Admin Activity and System Event audit logs stay in each " +
			"project's _Required bucket; https://cloud.google.com/logging/docs/export/aggregated_sinks_overview, " +
			"https://cloud.google.com/logging/docs/reference/v2/rest/v2/folders.sinks). That is safe only when the " +
			"intercepting sink's destination keeps them. Flagged: an enabled FolderSink or OrganizationSink with " +
			"interceptChildren and includeChildren true whose filter, less its enabled exclusions, can match an entry of " +
			"these classes in any child project (a logName clause naming one project, such as logName:\"projects/p/\", can, " +
			"since the sink sees every child project's logs; an exclusion such as resource.type:\"dataflow\" OR " +
			"LOG_ID(\"cloudaudit.googleapis.com/data_access\") leaves them to the child projects, where " +
			"logging-no-dataflow-exclusions judges them), unless its destination is listed in approvedDestinations " +
			"(compared as written: a project number does not match a project ID) or stores them in this stack for at " +
			"least minimumRetentionDays: a log bucket (logging.googleapis.com/projects/P/locations/L/buckets/B) whose " +
			"ProjectBucketConfig (or folder, organization or billing account bucket config) has retentionDays at or above " +
			"it (unset or 0 is Google's default of 30 days); a Cloud Storage bucket (storage.googleapis.com/B) whose " +
			"retentionPolicy.retentionPeriod is that long (without a retention policy, lifecycle rules or anyone allowed " +
			"to delete objects can remove the logs at once); a BigQuery dataset " +
			"(bigquery.googleapis.com/projects/P/datasets/D) whose defaultTableExpirationMs and " +
			"defaultPartitionExpirationMs are unset or that long. A Pub/Sub topic stores nothing, and a project " +
			"destination (logging.googleapis.com/projects/P, the one the LogSink reference allows an intercepting sink) " +
			"hands the entries to that project's own sinks, which the pack does not follow: approve it once that project " +
			"keeps them. A disabled sink intercepts nothing (logging-no-dataflow-exclusions reports it when it is an " +
			"export of these logs), and Google accepts interceptChildren only with includeChildren. " + logStorageDocs(),
		Remediation: "Narrow the sink so it leaves these logs to the child projects (add NOT resource.type:\"dataflow\" AND " +
			"NOT LOG_ID(\"cloudaudit.googleapis.com/data_access\") to its filter, or the same as an exclusion), or route it to a " +
			"destination that keeps them: add the central project or bucket to approvedDestinations once its routing and " +
			"retention are reviewed, or declare the destination log bucket in the stack with retentionDays of at least " +
			"minimumRetentionDays. Otherwise set interceptChildren to false.",
		URL:          "https://cloud.google.com/logging/docs/export/aggregated_sinks_overview",
		Severity:     policy.High,
		Level:        policy.Mandatory,
		Family:       policy.FamilyLogging,
		Types:        slices.Concat(gcp.LoggingAggregatedSinkTypes, gcp.SinkStoreTypes),
		ConfigSchema: `{"type":"object","properties":{` + logStorageSchema() + `}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *logStorageConfig) {
		j := newLogJudge(s, cfg)
		for _, r := range s.OfType(gcp.LoggingAggregatedSinkTypes...) {
			checkInterceptingSink(c, j, r)
		}
	})
}

func checkInterceptingSink(c *policy.Call, j *logJudge, r *gcp.Resource) {
	var pending []pendingValue
	for _, key := range []string{"interceptChildren", "includeChildren"} {
		v := r.Get(key)
		if v.IsUnknown() {
			pending = append(pending, pendingValue{r, v})
			continue
		}
		if b, ok := v.Bool(); !ok || !b {
			return // without both the sink intercepts nothing (absent means false)
		}
	}
	disabled := r.Get("disabled")
	if b, ok := disabled.Bool(); ok && b {
		return // a disabled sink routes, and so intercepts, nothing
	}
	if disabled.IsUnknown() {
		pending = append(pending, pendingValue{r, disabled})
	}
	// The sink sees the logs of every child project: their owner is not known.
	filter := r.Get("filter")
	text, _ := filter.String()
	exclusions := sinkExclusions(r)
	var taken entrySet
	var undecided []pendingValue
	for _, class := range j.cfg.classes {
		for _, e := range class.Entries("") {
			res, p := j.sinkRoutes(r, text, filter, exclusions, e)
			undecided = append(undecided, p...)
			if res.CanMatch() {
				taken.add(e, res != logquery.Always)
			}
		}
	}
	switch {
	case len(undecided) > 0: // what it takes depends on values not known yet
		pending = append(pending, undecided...)
	case len(taken.order) == 0:
		return
	}
	dest := r.Get("destination")
	raw, _ := dest.String()
	sv := j.destinationKeeps(r, "", strings.TrimSpace(raw), dest)
	if sv.stores {
		return
	}
	pending = append(pending, sv.pending...)
	if len(pending) > 0 {
		seen := map[string]bool{}
		reportPending(c, pending, seen)
		return
	}
	filterText := "filter"
	if len(exclusions) > 0 {
		filterText = "filter, less its exclusions,"
	}
	c.ViolationOn(r, "interceptChildren", "is true and the sink's %s can match %s: they are taken from every child "+
		"project's own sinks (only _Required still sees them), and its destination %s %s; narrow the filter (such as NOT "+
		"resource.type:\"dataflow\" AND NOT LOG_ID(\"cloudaudit.googleapis.com/data_access\")), route to a log bucket of this "+
		"stack kept at least %d days or a destination in approvedDestinations, or set interceptChildren to false",
		filterText, taken.describe(), dest.Display(), sv.why, j.cfg.MinimumRetentionDays)
}
