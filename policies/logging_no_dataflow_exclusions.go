package policies

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// LoggingNoDataflowExclusions keeps Dataflow job and worker logs and the
// Data Access audit logs of the services a pipeline uses stored: its stack
// check follows every project's sinks, exclusions and buckets in the stack;
// its resource check judges what is wrong on its own (a disabled export of
// these logs, disableDefaultSink).
func LoggingNoDataflowExclusions() *policy.Policy {
	p := policy.ByType(policy.Meta{
		Name: "logging-no-dataflow-exclusions",
		Title: "Dataflow job and worker logs and the Data Access audit logs of its services stay stored: no exclusion, " +
			"narrowed, disabled or short-lived route drops them",
		Description: "What a Dataflow pipeline does, and who touched its data, must end up stored where the team can read it, " +
			"for long enough. Cloud Logging routes each entry through the sinks of the project that owns it: the _Default " +
			"sink stores everything the _Required sink does not take in the _Default bucket for 30 days unless configured, " +
			"each sink's exclusions keep matching entries from that sink only, a disabled sink routes nothing, and a " +
			"project-level exclusion resource is an exclusion of the _Default sink " +
			"(https://cloud.google.com/logging/docs/routing/overview, https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.exclusions). " +
			"So the stack check decides, for every project whose sinks, exclusions or _Default bucket config the stack " +
			"declares, and for every entry of the classes below, whether an enabled sink of that project routes it (its " +
			"filter matches every such entry and none of its enabled exclusions matches any) to a destination that keeps it " +
			"at least minimumRetentionDays: a log bucket with that retention (the project's own _Default bucket keeps " +
			"Google's default of 30 days when the stack does not configure it), a Cloud Storage bucket with a retention " +
			"policy that long, a BigQuery dataset without shorter expirations, or a destination in approvedDestinations. " +
			"When none does, each route that drops them is reported, naming the log class and where that route would have " +
			"stored them: an exclusion resource or sink exclusion that matches them, a _Default sink whose filter no longer " +
			"matches them all, a disabled _Default sink, a destination that stores nothing (Pub/Sub), is not in the stack, or " +
			"keeps them too briefly (a 1-day _Default bucket). Google's data-residency recipe passes: exclude Dataflow logs " +
			"from _Default and route them with a sink of their own to a regional log bucket " +
			"(https://cloud.google.com/dataflow/docs/concepts/regional-endpoints). Google's cost-control exclusion of " +
			"DEFAULT to NOTICE Dataflow entries (https://cloud.google.com/dataflow/docs/guides/filter-logs) passes when " +
			"dataflowMinimumSeverity is WARNING. Folder, organization and billing account exclusions act only on the logs " +
			"those resources own, never on a project's (https://cloud.google.com/logging/docs/reference/v2/rest/v2/folders.exclusions), " +
			"and sinks of folders and organizations add copies without removing any, so neither can drop these logs; an " +
			"intercepting one is judged by logging-no-intercepting-sinks. A route whose filter, destination or retention is " +
			"not known yet makes the verdict unknown rather than guessed. The resource check reports, on their own, a " +
			"disabled sink (other than a project's _Default) whose filter, less its exclusions, can match these logs: an " +
			"export someone relies on, switched off; and FolderSettings or OrganizationSettings with disableDefaultSink: true, " +
			"which creates the _Default sink of every new project below disabled. " + logStorageDocs(),
		Remediation: "Keep the entries stored: narrow an exclusion to the logs it is meant to drop (such as resource.type = " +
			"\"k8s_container\" AND resource.labels.namespace_name = \"kube-system\"), or route the entries it drops with a " +
			"sink of their own (filter resource.type = \"dataflow_step\", or LOG_ID(\"cloudaudit.googleapis.com/data_access\")) " +
			"to a log bucket of this stack kept at least minimumRetentionDays; restore a narrowed _Default filter; enable a " +
			"disabled sink; raise a bucket's retentionDays; add an outside destination to approvedDestinations once it is " +
			"known to keep them. To drop low-severity Dataflow entries on purpose, set dataflowMinimumSeverity.",
		URL:      "https://cloud.google.com/logging/docs/routing/overview",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLogging,
		Types: slices.Concat(gcp.LoggingExclusionTypes, gcp.LoggingSinkTypes, gcp.LoggingSettingsTypes,
			gcp.LoggingBucketConfigTypes, []string{gcp.StorageBucketResource, gcp.BigQueryDataset}),
		ConfigSchema: `{"type":"object","properties":{` + logStorageSchema() + `}}`,
	},
		policy.On(checkDisabledProjectSink, gcp.LoggingProjectSink),
		policy.On(checkDisabledAggregatedSink, gcp.LoggingAggregatedSinkTypes...),
		policy.On(checkLoggingSettings, gcp.LoggingSettingsTypes...),
		// Read by the stack check only. A billing account sink only sees
		// the account's own logs, never a project's.
		policy.On(policy.Nothing[logStorageConfig], slices.Concat(gcp.LoggingExclusionTypes,
			[]string{gcp.LoggingBillingAccountSink}, gcp.LoggingBucketConfigTypes,
			[]string{gcp.StorageBucketResource, gcp.BigQueryDataset})...),
	)
	return policy.WithStackCheck(p, checkLogStorage)
}

// checkLoggingSettings judges folder and organization settings: a disabled
// default sink stores none of the logs below.
func checkLoggingSettings(c *policy.Call, r *gcp.Resource, _ *logStorageConfig) {
	v := r.Get("disableDefaultSink")
	if v.IsUnknown() {
		c.Unknown(v.Path())
		return
	}
	if b, ok := v.Bool(); ok && b {
		c.Violation(v.Path(), "is true, so the _Default sink of every new project and folder below is created disabled "+
			"and stores none of their Dataflow job, worker or Data Access audit logs; remove disableDefaultSink or set it to false")
	}
}

// maybeDisabled reports whether a sink is, or may be once known, disabled.
func maybeDisabled(r *gcp.Resource) bool {
	disabled := r.Get("disabled")
	b, ok := disabled.Bool()
	return (ok && b) || disabled.IsUnknown()
}

// checkDisabledProjectSink: a project's _Default sink is left to the stack
// check (another route may store what it no longer does).
func checkDisabledProjectSink(c *policy.Call, r *gcp.Resource, cfg *logStorageConfig) {
	if !maybeDisabled(r) {
		return
	}
	if name, _ := r.Get("name").String(); name == gcp.DefaultSinkName {
		return
	}
	parent := ""
	if p, ok := r.Get("project").String(); ok {
		parent = "projects/" + p
	}
	checkDisabledSink(c, r, cfg, parent)
}

// checkDisabledAggregatedSink: a folder or organization sink without
// includeChildren only sees the logs its parent owns, never a project's.
func checkDisabledAggregatedSink(c *policy.Call, r *gcp.Resource, cfg *logStorageConfig) {
	if !maybeDisabled(r) {
		return
	}
	children, pending := gcp.AggregatedSinkChildren(r)
	if pending.IsUnknown() {
		c.Unknown(pending.Path())
		return
	}
	if children {
		checkDisabledSink(c, r, cfg, "")
	}
}

// checkDisabledSink reports a sink that is, or may be, disabled while it is
// declared for these logs; parent is the project whose logs it sees ("" for
// an aggregated sink).
func checkDisabledSink(c *policy.Call, r *gcp.Resource, cfg *logStorageConfig, parent string) {
	disabled := r.Get("disabled")
	filter, exclusions := r.Get("filter"), sinkExclusions(r)
	if filter.IsUnknown() {
		c.Unknown(filter.Path())
		return
	}
	if list := r.Get("exclusions"); list.IsUnknown() {
		c.Unknown(list.Path())
		return
	}
	text, _ := filter.String()
	j := newLogJudge(nil, cfg)
	var matched entrySet
	var pending []pendingValue
	for _, class := range cfg.classes {
		for _, e := range class.Entries(parent) {
			res, p := j.sinkRoutes(r, text, filter, exclusions, e)
			pending = append(pending, p...)
			if res.CanMatch() {
				matched.add(e, res != logquery.Always)
			}
		}
	}
	switch {
	case len(pending) > 0:
		c.Unknown(pending[0].v.Path())
	case len(matched.order) == 0:
	case disabled.IsUnknown():
		c.Unknown(disabled.Path())
	default:
		c.Violation(disabled.Path(), "is true while the sink's filter, less its exclusions, can match %s: an export of "+
			"these logs someone relies on is switched off; enable the sink, or narrow its filter to other logs",
			matched.describe())
	}
}

func sinkExclusions(r *gcp.Resource) []gcp.SinkExclusion {
	var out []gcp.SinkExclusion
	for _, e := range r.Get("exclusions").Items() {
		out = append(out, gcp.SinkExclusion{Resource: r, Value: e})
	}
	return out
}

// How a route fails to store entries.
type dropKind uint8

const (
	dropExclusion dropKind = iota + 1
	dropNarrowed
	dropDisabled
	dropDestination
)

// storageDrop is one reason a route does not store some entries, and the
// entries it concerns.
type storageDrop struct {
	on      *gcp.Resource // nil: the stack (a built-in _Default sink's destination)
	path    string
	kind    dropKind
	sink    gcp.LogSink
	why     string // dropDestination: completes "its destination ..."
	partial bool   // it drops only some of the entries it is reported for
	entries entrySet
}

// checkLogStorage is the stack check: for each project router and each entry
// of the classes, some enabled sink must store it long enough.
func checkLogStorage(c *policy.Call, s *gcp.Stack, cfg *logStorageConfig) {
	j := newLogJudge(s, cfg)
	seen := map[string]bool{}
	for _, pr := range s.ProjectLogRouters() {
		checkProjectStorage(c, j, pr, seen)
	}
}

func checkProjectStorage(c *policy.Call, j *logJudge, pr *gcp.ProjectLogRouter, seen map[string]bool) {
	parent := ""
	if pr.Project != "" && !pr.Unknown.IsUnknown() {
		parent = "projects/" + pr.Project
	}
	sinks := slices.Concat(pr.Default, pr.Sinks)
	drops := map[string]*storageDrop{}
	var order []string
	for _, class := range j.cfg.classes {
		for _, e := range class.Entries(parent) {
			stored := false
			var pending []pendingValue
			var blocks []storageDrop
			for _, k := range sinks {
				ok, b, p := j.sinkStores(k, e)
				if ok {
					stored = true
					break
				}
				blocks, pending = append(blocks, b...), append(pending, p...)
			}
			switch {
			case stored:
				continue
			case len(pending) > 0:
				reportPending(c, pending, seen)
				continue
			case pr.Unknown.IsUnknown():
				for _, b := range blocks {
					if b.on != nil {
						reportPending(c, []pendingValue{{b.on, b.on.Get("project")}}, seen)
					}
				}
				continue
			}
			for _, b := range blocks {
				key := fmt.Sprint(b.on, "\x00", b.path)
				if b.on != nil {
					key = b.on.URN + "\x00" + b.path
				}
				d := drops[key]
				if d == nil {
					d = &b
					drops[key] = d
					order = append(order, key)
				}
				d.entries.add(e, b.partial)
			}
		}
	}
	project := strconv.Quote(pr.Project)
	switch {
	case pr.Secret:
		project = "[secret]"
	case pr.Project == "":
		project = "(no project set)"
	}
	for _, key := range order {
		d := drops[key]
		msg := dropMessage(d, project, j.cfg.MinimumRetentionDays)
		if d.on == nil {
			c.Violation("", "%s", msg)
			continue
		}
		c.ViolationOn(d.on, d.path, "%s", msg)
	}
}

// sinkStores judges one sink for one set of entries: whether it stores them
// all long enough, and if not, why (only for a sink meant for them: the
// _Default sink, or one whose filter matches all of them), or which unknown
// values could still make it store them.
func (j *logJudge) sinkStores(k gcp.LogSink, e logquery.Entry) (bool, []storageDrop, []pendingValue) {
	filter, filterValue := k.Filter()
	var pending []pendingValue
	meant := k.Default
	if filterValue.IsUnknown() {
		pending = append(pending, pendingValue{k.Resource, filterValue})
	} else if m := j.match(filter, e); m == logquery.Always {
		meant = true
	} else if !k.Default {
		return false, nil, nil // not a route for these entries
	} else if !k.BuiltIn() {
		return false, []storageDrop{{on: k.Resource, path: filterValue.Path(), kind: dropNarrowed, sink: k, partial: m != logquery.Never}}, nil
	}
	disabled := k.Disabled()
	if b, ok := disabled.Bool(); ok && b {
		if !k.Default || !meant {
			return false, nil, nil // the resource check reports a disabled export
		}
		return false, []storageDrop{{on: k.Resource, path: disabled.Path(), kind: dropDisabled, sink: k}}, nil
	}
	if disabled.IsUnknown() {
		pending = append(pending, pendingValue{k.Resource, disabled})
	}
	var blocks []storageDrop
	if !k.BuiltIn() {
		if list := k.Resource.Get("exclusions"); list.IsUnknown() {
			pending = append(pending, pendingValue{k.Resource, list})
		}
	}
	for _, x := range k.Exclusions {
		xd, xf := x.Disabled(), x.Filter()
		if b, ok := xd.Bool(); ok && b {
			continue
		}
		if xf.IsUnknown() || x.Value.IsUnknown() {
			pending = append(pending, pendingValue{x.Resource, xf})
			continue
		}
		text, _ := xf.String()
		m := j.exclusionMatch(text, e)
		if m == logquery.Never {
			continue
		}
		if xd.IsUnknown() {
			pending = append(pending, pendingValue{x.Resource, xd})
			continue
		}
		blocks = append(blocks, storageDrop{on: x.Resource, path: xf.Path(), kind: dropExclusion, sink: k, partial: m != logquery.Always})
	}
	dest, destValue := k.Destination()
	sv := j.destinationKeeps(k.Resource, k.Project, dest, destValue)
	pending = append(pending, sv.pending...)
	if !sv.stores && len(sv.pending) == 0 {
		blocks = append(blocks, storageDrop{on: sv.on, path: sv.path, kind: dropDestination, sink: k, why: sv.why})
	}
	switch {
	case len(blocks) > 0:
		return false, blocks, nil
	case len(pending) > 0:
		return false, nil, pending
	}
	return true, nil, nil
}

// sinkLabel names a sink in a message.
func sinkLabel(k gcp.LogSink) string {
	switch {
	case k.BuiltIn():
		return "the _Default sink"
	case k.Default:
		return "the _Default sink (" + k.Resource.Name + ")"
	}
	return "sink " + k.Resource.Name
}

// destinationLabel renders a sink's destination, never a secret one.
func destinationLabel(k gcp.LogSink) string {
	if k.BuiltIn() {
		return "the project's _Default bucket"
	}
	_, v := k.Destination()
	return v.Display()
}

func dropMessage(d *storageDrop, project string, minDays int) string {
	what := d.entries.describe()
	noOther := fmt.Sprintf("no other enabled sink of project %s in this stack stores them at least %d days", project, minDays)
	route := fmt.Sprintf("route them with a sink of their own to a log bucket kept at least %d days", minDays)
	switch d.kind {
	case dropExclusion:
		return fmt.Sprintf("drops %s of project %s from %s, which would store them in %s, and %s: narrow the exclusion so it "+
			"leaves them, or %s (Google's data-residency recipe does both)", what, project, sinkLabel(d.sink),
			destinationLabel(d.sink), noOther, route)
	case dropNarrowed:
		return fmt.Sprintf("narrows %s so it no longer routes all %s of project %s to %s, and %s: restore the filter (exclude "+
			"other logs only), or %s", sinkLabel(d.sink), what, project, destinationLabel(d.sink), noOther, route)
	case dropDisabled:
		return fmt.Sprintf("is true: %s of project %s routes nothing, so %s are not stored in %s, and %s: enable it, or %s",
			sinkLabel(d.sink), project, what, destinationLabel(d.sink), noOther, route)
	}
	return fmt.Sprintf("%s routes %s of project %s to %s, which %s, and %s: keep them at least %d days there, or %s",
		sinkLabel(d.sink), what, project, destinationLabel(d.sink), d.why, noOther, minDays, route)
}
