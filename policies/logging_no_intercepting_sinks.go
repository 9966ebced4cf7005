package policies

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type interceptingSinksConfig struct {
	ApprovedDestinations []string `json:"approvedDestinations"`
	MinimumRetentionDays int      `json:"minimumRetentionDays"`
	approved             map[string]bool
}

// Validate indexes the approved destinations once per configuration.
func (c *interceptingSinksConfig) Validate() error {
	c.approved = map[string]bool{}
	for _, d := range c.ApprovedDestinations {
		c.approved[strings.TrimSpace(d)] = true
	}
	return nil
}

// LoggingNoInterceptingSinks forbids folder and organization sinks that
// intercept Dataflow or audit logs from child projects unless their
// destination keeps them.
func LoggingNoInterceptingSinks() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "logging-no-intercepting-sinks",
		Title: "No intercepting folder or organization sink takes Dataflow or audit logs to a destination that does not store them",
		Description: "A folder or organization sink with interceptChildren: true takes every log entry its filter matches (less " +
			"its exclusions) away from the sinks of every folder and project below it: only their _Required sinks still " +
			"see it, so their _Default buckets, project sinks, log-based metrics and alerts miss the Dataflow job and " +
			"worker logs and the Data Access and Policy Denied audit logs it takes (Admin Activity and System Event audit " +
			"logs stay in each project's _Required bucket; " +
			"https://cloud.google.com/logging/docs/export/aggregated_sinks_overview). That is safe only when the " +
			"intercepting sink's destination keeps them. Flagged: an enabled FolderSink or OrganizationSink with " +
			"interceptChildren and includeChildren true whose filter, less its enabled exclusions, can match Dataflow or " +
			"audit logs (the filter reading of logging-no-dataflow-exclusions; in addition a top-level NOT or an " +
			"exclusion covering resource.type:\"dataflow\" takes Dataflow logs out, and one covering " +
			"logName:\"cloudaudit.googleapis.com\" audit logs), unless its destination is listed in approvedDestinations " +
			"(compared as written: a project number does not match a project ID) or stores them in this stack for at " +
			"least minimumRetentionDays: a log bucket (logging.googleapis.com/projects/P/locations/L/buckets/B) whose " +
			"ProjectBucketConfig (or folder, organization or billing account bucket config) has retentionDays at or above " +
			"it (unset or 0 is Google's default of 30 days); a Cloud Storage bucket (storage.googleapis.com/B) whose " +
			"retentionPolicy.retentionPeriod is that long (without a retention policy, lifecycle rules or anyone allowed " +
			"to delete objects can remove the logs at once); a BigQuery dataset " +
			"(bigquery.googleapis.com/projects/P/datasets/D) whose defaultTableExpirationMs and " +
			"defaultPartitionExpirationMs are unset or that long. A Pub/Sub topic stores nothing, and a project " +
			"destination (logging.googleapis.com/projects/P, the one the LogSink reference allows an intercepting sink, " +
			"https://cloud.google.com/logging/docs/reference/v2/rest/v2/folders.sinks) hands the entries to that " +
			"project's own sinks, which the pack does not follow: approve it once that project keeps them. A disabled " +
			"sink intercepts nothing (logging-no-dataflow-exclusions reports it when its filter matches these logs), and " +
			"Google accepts interceptChildren only with includeChildren.",
		Remediation: "Narrow the sink so it leaves these logs to the child projects (add NOT resource.type:\"dataflow\" AND " +
			"NOT logName:\"cloudaudit.googleapis.com\" to its filter), or route it to a destination that keeps them: add " +
			"the central project or bucket to approvedDestinations once its routing and retention are reviewed, or declare " +
			"the destination log bucket in the stack with retentionDays of at least minimumRetentionDays. Otherwise set " +
			"interceptChildren to false.",
		URL:      "https://cloud.google.com/logging/docs/export/aggregated_sinks_overview",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "logging",
		Types:    slices.Concat(gcp.LoggingAggregatedSinkTypes, gcp.SinkStoreTypes),
		ConfigSchema: `{"type":"object","properties":{
			"approvedDestinations":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Sink destinations outside the stack known to keep what they receive (such as logging.googleapis.com/projects/central-logs), matched exactly."},
			"minimumRetentionDays":{"type":"integer","minimum":1,"maximum":3650,"default":30,
				"description":"Days a destination in the stack must keep every intercepted entry."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *interceptingSinksConfig) {
		for _, r := range s.OfType(gcp.LoggingAggregatedSinkTypes...) {
			checkInterceptingSink(c, s, r, cfg)
		}
	})
}

// pendingValue is a value, on the sink or on a destination candidate, that
// could clear the sink once known.
type pendingValue struct {
	r *gcp.Resource
	v gcp.Value
}

func checkInterceptingSink(c *policy.Call, s *gcp.Stack, r *gcp.Resource, cfg *interceptingSinksConfig) {
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
	route, open := gcp.SinkRoute(r)
	if open.IsUnknown() {
		pending = append(pending, pendingValue{r, open})
	} else if !route.CanMatch {
		return
	}
	dest := r.Get("destination")
	var why string
	if dest.IsUnknown() {
		pending = append(pending, pendingValue{r, dest})
	} else {
		raw, _ := dest.String()
		if cfg.approved[strings.TrimSpace(raw)] {
			return
		}
		var stores bool
		var later []pendingValue
		stores, later, why = destinationStores(s, gcp.ParseSinkDestination(raw), cfg.MinimumRetentionDays)
		if stores {
			return
		}
		pending = append(pending, later...)
	}
	if len(pending) > 0 {
		for _, p := range pending {
			c.UnknownOn(p.r, p.v.Path())
		}
		return
	}
	filter := "filter"
	if len(r.Get("exclusions").Items()) > 0 {
		filter = "filter, less its exclusions,"
	}
	c.ViolationOn(r, "interceptChildren", "is true and the sink's %s %s: the Dataflow job, worker or audit logs it matches are "+
		"taken from every child project's own sinks (only _Required still sees them), and its destination %s %s; narrow the "+
		"filter (such as NOT resource.type:\"dataflow\" AND NOT logName:\"cloudaudit.googleapis.com\"), route to a log bucket "+
		"of this stack kept at least %d days or a destination in approvedDestinations, or set interceptChildren to false",
		filter, sinkRouteReason(route), dest.Display(), why, cfg.MinimumRetentionDays)
}

func sinkRouteReason(v logquery.Verdict) string {
	if v.Clause != "" {
		return v.Reason + " (" + v.Clause + ")"
	}
	return v.Reason
}

// destinationStores decides whether d keeps what the sink routes for at
// least minDays; when it does not, why completes "its destination X ...".
// later lists the unknown values that could still make it store.
func destinationStores(s *gcp.Stack, d gcp.SinkDestination, minDays int) (stores bool, later []pendingValue, why string) {
	var what string
	switch d.Kind {
	case gcp.DestinationProject:
		return false, nil, "is a project, whose own sinks route the entries again where this stack does not show; " +
			"add it to approvedDestinations once that project keeps them"
	case gcp.DestinationPubSubTopic:
		return false, nil, "is a Pub/Sub topic, which streams entries and stores none"
	case gcp.DestinationOther:
		return false, nil, "is not a log bucket, Cloud Storage bucket or BigQuery dataset destination the pack can read"
	case gcp.DestinationLogBucket:
		what = "log bucket"
	case gcp.DestinationStorageBucket:
		what = "Cloud Storage bucket"
	case gcp.DestinationBigQueryDataset:
		what = "BigQuery dataset"
	}
	var found bool           // a store that is the destination for sure
	var short []pendingValue // stores that may be the destination and keep entries too briefly
	for _, st := range s.DestinationStores(d) {
		shortLived := !st.Retention.IsUnknown() && st.Days < float64(minDays)
		switch {
		case !st.Certain && shortLived:
			short = append(short, pendingValue{st.Resource, st.Identity})
		case !st.Certain:
			later = append(later, pendingValue{st.Resource, st.Identity})
		case shortLived:
			return false, nil, "is a " + what + " that " + describeRetention(st, minDays)
		case st.Retention.IsUnknown():
			found = true
			later = append(later, pendingValue{st.Resource, st.Retention})
		default:
			found = true
		}
	}
	if !found {
		// only a store whose identity is unknown can still make it store
		return false, later, "is a " + what + " this stack does not declare, so the pack cannot tell how long it keeps them"
	}
	later = append(later, short...) // each could be the destination too, and keep its entries too briefly
	return len(later) == 0, later, ""
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
