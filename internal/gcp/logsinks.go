package gcp

import (
	"math"
	"strconv"
	"strings"
)

// Cloud Logging routing type tokens.
const (
	LoggingProjectExclusion        = "gcp:logging/projectExclusion:ProjectExclusion"
	LoggingFolderExclusion         = "gcp:logging/folderExclusion:FolderExclusion"
	LoggingOrganizationExclusion   = "gcp:logging/organizationExclusion:OrganizationExclusion"
	LoggingBillingAccountExclusion = "gcp:logging/billingAccountExclusion:BillingAccountExclusion"
	LoggingProjectSink             = "gcp:logging/projectSink:ProjectSink"
	LoggingFolderSink              = "gcp:logging/folderSink:FolderSink"
	LoggingOrganizationSink        = "gcp:logging/organizationSink:OrganizationSink"
	LoggingBillingAccountSink      = "gcp:logging/billingAccountSink:BillingAccountSink"
	LoggingFolderSettings          = "gcp:logging/folderSettings:FolderSettings"
	LoggingOrganizationSettings    = "gcp:logging/organizationSettings:OrganizationSettings"
)

// Logging exclusions (filter, disabled), sinks (filter, disabled,
// exclusions[]{name, filter, disabled, description}) and settings
// (disableDefaultSink).
var (
	LoggingExclusionTypes = []string{LoggingProjectExclusion, LoggingFolderExclusion, LoggingOrganizationExclusion, LoggingBillingAccountExclusion}
	LoggingSinkTypes      = []string{LoggingProjectSink, LoggingFolderSink, LoggingOrganizationSink, LoggingBillingAccountSink}
	LoggingSettingsTypes  = []string{LoggingFolderSettings, LoggingOrganizationSettings}
)

// Log bucket config type tokens: each manages a log bucket (its retention
// among other settings) of a project, folder, organization or billing
// account.
const (
	LoggingProjectBucketConfig        = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
	LoggingFolderBucketConfig         = "gcp:logging/folderBucketConfig:FolderBucketConfig"
	LoggingOrganizationBucketConfig   = "gcp:logging/organizationBucketConfig:OrganizationBucketConfig"
	LoggingBillingAccountBucketConfig = "gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig"
)

var (
	LoggingBucketConfigTypes = []string{LoggingProjectBucketConfig, LoggingFolderBucketConfig,
		LoggingOrganizationBucketConfig, LoggingBillingAccountBucketConfig}
	// LoggingAggregatedSinkTypes are the sinks that can route, and
	// intercept, the logs of their child resources (includeChildren,
	// interceptChildren).
	LoggingAggregatedSinkTypes = []string{LoggingFolderSink, LoggingOrganizationSink}
	// SinkStoreTypes are the stack resources a sink destination can name
	// and that store what it routes.
	SinkStoreTypes = append([]string{StorageBucketResource, BigQueryDataset}, LoggingBucketConfigTypes...)
)

// bucketConfigParent is the property naming a bucket config's parent and
// the collection that parent belongs to in resource names.
var bucketConfigParent = map[string]struct{ prop, collection string }{
	LoggingProjectBucketConfig:        {"project", "projects"},
	LoggingFolderBucketConfig:         {"folder", "folders"},
	LoggingOrganizationBucketConfig:   {"organization", "organizations"},
	LoggingBillingAccountBucketConfig: {"billingAccount", "billingAccounts"},
}

// DefaultLogBucketRetentionDays is what Cloud Logging keeps a log bucket's
// entries for when its retention is not set (or set to 0).
const DefaultLogBucketRetentionDays = 30

// SinkDestinationKind is what a sink's destination string names.
type SinkDestinationKind uint8

const (
	// DestinationOther is anything the pack does not recognise.
	DestinationOther SinkDestinationKind = iota
	// DestinationLogBucket: logging.googleapis.com/projects/P/locations/L/buckets/B.
	DestinationLogBucket
	// DestinationStorageBucket: storage.googleapis.com/BUCKET.
	DestinationStorageBucket
	// DestinationBigQueryDataset: bigquery.googleapis.com/projects/P/datasets/D.
	DestinationBigQueryDataset
	// DestinationPubSubTopic: pubsub.googleapis.com/projects/P/topics/T.
	DestinationPubSubTopic
	// DestinationProject: logging.googleapis.com/projects/P, whose own sinks
	// route the entries again.
	DestinationProject
)

// SinkDestination is a parsed sink destination.
type SinkDestination struct {
	Kind SinkDestinationKind
	// Collection and Parent name the owner of a log bucket ("projects",
	// "folders", "organizations" or "billingAccounts", and its ID), and the
	// project of a dataset, topic or project destination.
	Collection, Parent string
	Location           string // of a log bucket
	// ID is the log bucket ID, Cloud Storage bucket name, dataset ID or
	// topic ID.
	ID string
}

// ParseSinkDestination reads a sink destination in the forms Cloud Logging
// documents; anything else (including an empty segment) is DestinationOther.
func ParseSinkDestination(dest string) SinkDestination {
	dest = strings.TrimSpace(dest)
	service, rest, _ := strings.Cut(dest, "/")
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return SinkDestination{}
		}
	}
	switch service {
	case "logging.googleapis.com":
		switch {
		case len(parts) == 2 && parts[0] == "projects":
			return SinkDestination{Kind: DestinationProject, Collection: "projects", Parent: parts[1]}
		case len(parts) == 6 && parts[2] == "locations" && parts[4] == "buckets" && isBucketParent(parts[0]):
			return SinkDestination{Kind: DestinationLogBucket, Collection: parts[0], Parent: parts[1], Location: parts[3], ID: parts[5]}
		}
	case "storage.googleapis.com":
		if len(parts) == 1 {
			return SinkDestination{Kind: DestinationStorageBucket, ID: parts[0]}
		}
	case "bigquery.googleapis.com":
		if len(parts) == 4 && parts[0] == "projects" && parts[2] == "datasets" {
			return SinkDestination{Kind: DestinationBigQueryDataset, Collection: "projects", Parent: parts[1], ID: parts[3]}
		}
	case "pubsub.googleapis.com":
		if len(parts) == 4 && parts[0] == "projects" && parts[2] == "topics" {
			return SinkDestination{Kind: DestinationPubSubTopic, Collection: "projects", Parent: parts[1], ID: parts[3]}
		}
	}
	return SinkDestination{}
}

func isBucketParent(collection string) bool {
	for _, p := range bucketConfigParent {
		if p.collection == collection {
			return true
		}
	}
	return false
}

// DestinationStore is a stack resource that is, or may be, a sink's
// destination, with how long it keeps what the sink routes.
type DestinationStore struct {
	Resource *Resource
	// Certain is false when an unknown property, Identity, decides whether
	// the resource is the destination at all.
	Certain  bool
	Identity Value
	// Retention is the property that decides how long entries are kept; it
	// is absent when a default applies and unknown when it cannot be known
	// yet (then Days means nothing).
	Retention Value
	// Days is the least number of days every routed entry is kept: a log
	// bucket's retention, a Cloud Storage retention policy's period (0
	// without one: lifecycle rules and anyone allowed to delete objects may
	// remove them at once), the shorter of a dataset's default table and
	// partition expirations (+Inf without either).
	Days float64
}

// DestinationStores returns the stack resources that are, or may be once
// unknown values are known, the destination d, with their retention. A
// Pub/Sub topic or project destination stores nothing, so it has none.
func (s *Stack) DestinationStores(d SinkDestination) []DestinationStore {
	var out []DestinationStore
	add := func(r *Resource, id identity, retention Value, days float64) {
		if id.m != matchNo {
			out = append(out, DestinationStore{Resource: r, Certain: id.m == matchYes, Identity: id.unknown, Retention: retention, Days: days})
		}
	}
	switch d.Kind {
	case DestinationLogBucket:
		for _, r := range s.OfType(LoggingBucketConfigTypes...) {
			parent := bucketConfigParent[r.Type]
			if parent.collection != d.Collection {
				continue
			}
			id := identity{m: matchYes}
			if name, ok := r.Get("name").String(); !ok || strings.TrimSpace(name) != d.Collection+"/"+d.Parent+"/locations/"+d.Location+"/buckets/"+d.ID {
				id.check(r.Get(parent.prop), d.Parent, func(v string) string { return strings.TrimPrefix(v, parent.collection+"/") })
				id.check(r.Get("location"), d.Location, nil)
				id.check(r.Get("bucketId"), d.ID, nil)
			}
			retention := r.Get("retentionDays")
			days := float64(DefaultLogBucketRetentionDays)
			if n, ok := numberOf(retention); ok && n != 0 {
				days = n
			} else if !ok && retention.IsSet() {
				days = 0 // a shape the pack cannot read guarantees nothing
			}
			add(r, id, retention, days)
		}
	case DestinationStorageBucket:
		for _, r := range s.BucketsNamed(d.ID) {
			id := identity{m: matchYes}
			id.check(r.Get("name"), d.ID, nil)
			period := r.At("retentionPolicy", "retentionPeriod")
			secs, _ := numberOf(period)
			add(r, id, period, secs/86400)
		}
	case DestinationBigQueryDataset:
		for _, r := range s.OfType(BigQueryDataset) {
			project := r.Get("project")
			if project.IsAbsent() && r.Provider != nil {
				project = r.Provider.Get("project")
			}
			id := identity{m: matchYes}
			id.check(r.Get("datasetId"), d.ID, nil)
			id.check(project, d.Parent, func(v string) string { return strings.TrimPrefix(v, "projects/") })
			var retention Value
			days := math.Inf(1)
			for _, key := range []string{"defaultTableExpirationMs", "defaultPartitionExpirationMs"} {
				v := r.Get(key)
				n, ok := numberOf(v)
				switch {
				case v.IsUnknown():
					retention = v
				case !ok && v.IsSet(): // a shape the pack cannot read guarantees nothing
					days = 0
					if !retention.IsUnknown() {
						retention = v
					}
				case ok && n > 0 && n/86400000 < days:
					days = n / 86400000
					if !retention.IsUnknown() {
						retention = v
					}
				}
			}
			add(r, id, retention, days)
		}
	}
	return out
}

// numberOf reads a number, or a string holding one (pulumi-gcp v9 gives a
// Cloud Storage retention period as a string of seconds).
func numberOf(v Value) (float64, bool) {
	if n, ok := v.Number(); ok {
		return n, !math.IsNaN(n)
	}
	if s, ok := v.String(); ok {
		if n, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(n) {
			return n, true
		}
	}
	return 0, false
}

type match uint8

const (
	matchNo match = iota
	matchMaybe
	matchYes
)

// identity is whether a resource is the destination, and the first unknown
// value that keeps it from being sure.
type identity struct {
	m       match
	unknown Value
}

// check compares a string property, normalised by norm, with want.
func (id *identity) check(v Value, want string, norm func(string) string) {
	m := matchNo
	if v.IsUnknown() {
		m = matchMaybe
		if !id.unknown.IsUnknown() {
			id.unknown = v
		}
	} else if s, ok := v.String(); ok {
		s = strings.TrimSpace(s)
		if norm != nil {
			s = norm(s)
		}
		if s == want {
			m = matchYes
		}
	}
	id.m = min(id.m, m)
}

// ---- a project's Log Router --------------------------------------------------

// DefaultSinkName is the sink Cloud Logging creates in every project, folder,
// organization and billing account: it routes every entry the _Required sink
// does not take to the _Default bucket (Routing and storage overview,
// https://cloud.google.com/logging/docs/routing/overview). A ProjectSink of
// that name manages the built-in sink instead of creating one.
const DefaultSinkName = "_Default"

// requiredSinkName is the sink that stores Admin Activity, System Event and
// Access Transparency logs in the _Required bucket; it cannot be changed.
const requiredSinkName = "_Required"

// BuiltInDefaultSinkFilter is the filter of a _Default sink nobody edited:
// every entry but the audit logs the _Required sink stores.
const BuiltInDefaultSinkFilter = `NOT LOG_ID("cloudaudit.googleapis.com/activity") AND ` +
	`NOT LOG_ID("externalaudit.googleapis.com/activity") AND ` +
	`NOT LOG_ID("cloudaudit.googleapis.com/system_event") AND ` +
	`NOT LOG_ID("externalaudit.googleapis.com/system_event") AND ` +
	`NOT LOG_ID("cloudaudit.googleapis.com/access_transparency") AND ` +
	`NOT LOG_ID("externalaudit.googleapis.com/access_transparency")`

// SinkExclusion is one exclusion of a sink: an `exclusions` entry of the
// sink, or an exclusion resource, which Cloud Logging adds to the _Default
// sink of its parent (projects.exclusions.create).
type SinkExclusion struct {
	Resource *Resource
	Value    Value // the exclusion: its filter and disabled
}

// Filter is the exclusion's filter.
func (e SinkExclusion) Filter() Value { return e.Value.Get("filter") }

// Disabled is the exclusion's disabled flag (absent: enabled).
func (e SinkExclusion) Disabled() Value { return e.Value.Get("disabled") }

// LogSink is a sink of a project as the stack shows it.
type LogSink struct {
	// Resource is the ProjectSink; nil for a _Default sink the stack does
	// not declare, which is taken as Google creates it.
	Resource *Resource
	Project  string
	// Default: the sink is the project's _Default sink.
	Default    bool
	Exclusions []SinkExclusion
}

// BuiltIn reports whether the sink is a _Default sink the stack does not
// declare.
func (k LogSink) BuiltIn() bool { return k.Resource == nil }

// Filter is the sink's filter as a string and the value it comes from
// (absent for a built-in sink, whose filter is BuiltInDefaultSinkFilter).
func (k LogSink) Filter() (string, Value) {
	if k.BuiltIn() {
		return BuiltInDefaultSinkFilter, Value{}
	}
	v := k.Resource.Get("filter")
	s, _ := v.String()
	return s, v
}

// Disabled is the sink's disabled flag (absent for a built-in sink).
func (k LogSink) Disabled() Value {
	if k.BuiltIn() {
		return Value{}
	}
	return k.Resource.Get("disabled")
}

// Destination is the sink's destination and the value it comes from
// (absent for a built-in sink, whose destination is the project's _Default
// bucket).
func (k LogSink) Destination() (string, Value) {
	if k.BuiltIn() {
		return "logging.googleapis.com/projects/" + k.Project + "/locations/global/buckets/" + DefaultSinkName, Value{}
	}
	v := k.Resource.Get("destination")
	s, _ := v.String()
	return strings.TrimSpace(s), v
}

// ProjectLogRouter is the Log Router of one project whose routing the stack
// declares something about (a ProjectSink, a ProjectExclusion or its _Default
// bucket's config): its _Default sink, declared or built in, with the
// exclusion resources added to it, and its other sinks.
type ProjectLogRouter struct {
	// Project is the project ID as written, "" when it is not known yet;
	// then Unknown is the value that will name it.
	Project string
	Unknown Value
	// Secret: a value naming the project is secret; do not print it.
	Secret  bool
	Default []LogSink // one, or every ProjectSink that manages it
	Sinks   []LogSink
}

// ProjectLogRouters returns the Log Router of every project the stack's
// sinks, exclusions and _Default bucket configs belong to, in the order the
// stack first names them. Resources whose project is unknown form one
// router of their own.
func (s *Stack) ProjectLogRouters() []*ProjectLogRouter {
	var out []*ProjectLogRouter
	index := map[string]*ProjectLogRouter{}
	routerOf := func(r *Resource) *ProjectLogRouter {
		project, v := resourceProject(r)
		key := project
		if v.IsUnknown() {
			key = "\x00unknown"
		}
		pr := index[key]
		if pr == nil {
			pr = &ProjectLogRouter{Project: project}
			if v.IsUnknown() {
				pr.Unknown = v
			}
			index[key] = pr
			out = append(out, pr)
		}
		pr.Secret = pr.Secret || v.Secret()
		return pr
	}
	for _, r := range s.OfType(LoggingProjectSink, LoggingProjectExclusion, LoggingProjectBucketConfig) {
		switch r.Type {
		case LoggingProjectBucketConfig:
			if id, _ := r.Get("bucketId").String(); strings.TrimSpace(id) == DefaultSinkName {
				routerOf(r)
			}
		case LoggingProjectExclusion:
			routerOf(r)
		case LoggingProjectSink:
			pr := routerOf(r)
			sink := LogSink{Resource: r, Project: pr.Project}
			for _, e := range r.Get("exclusions").Items() {
				sink.Exclusions = append(sink.Exclusions, SinkExclusion{Resource: r, Value: e})
			}
			switch name, _ := r.Get("name").String(); strings.TrimSpace(name) {
			case DefaultSinkName:
				sink.Default = true
				pr.Default = append(pr.Default, sink)
			case requiredSinkName:
				// Cloud Logging refuses any change to it: it routes only the
				// audit logs it always routes, whatever the stack says.
			default:
				pr.Sinks = append(pr.Sinks, sink)
			}
		}
	}
	for _, pr := range out {
		if len(pr.Default) == 0 {
			pr.Default = []LogSink{{Project: pr.Project, Default: true}}
		}
	}
	for _, r := range s.OfType(LoggingProjectExclusion) {
		pr := routerOf(r)
		for i := range pr.Default {
			pr.Default[i].Exclusions = append(pr.Default[i].Exclusions, SinkExclusion{Resource: r, Value: r.Root()})
		}
	}
	return out
}

// resourceProject is the project a resource belongs to, and the value that
// names it: its `project` property (a "projects/" prefix dropped), else its
// provider's.
func resourceProject(r *Resource) (string, Value) {
	v := r.Get("project")
	if v.IsAbsent() && r.Provider != nil {
		v = r.Provider.Get("project")
	}
	s, _ := v.String()
	return strings.TrimPrefix(strings.TrimSpace(s), "projects/"), v
}

// DefaultBucketStore is the stack's config of a project's _Default log
// bucket, at any location (a _Default bucket can be regional), when the
// stack declares one; of several, one whose retention is not known yet, else
// the one keeping entries the shortest.
func (s *Stack) DefaultBucketStore(project string) (DestinationStore, bool) {
	var out DestinationStore
	found := false
	for _, r := range s.OfType(LoggingProjectBucketConfig) {
		if id, _ := r.Get("bucketId").String(); strings.TrimSpace(id) != DefaultSinkName {
			continue
		}
		if p, v := resourceProject(r); v.IsUnknown() || p != project {
			continue
		}
		retention := r.Get("retentionDays")
		days := float64(DefaultLogBucketRetentionDays)
		if n, ok := numberOf(retention); ok && n != 0 {
			days = n
		} else if !ok && retention.IsSet() {
			days = 0
		}
		st := DestinationStore{Resource: r, Certain: true, Retention: retention, Days: days}
		switch {
		case !found, retention.IsUnknown() && !out.Retention.IsUnknown(),
			!out.Retention.IsUnknown() && !retention.IsUnknown() && days < out.Days:
			out, found = st, true
		}
	}
	return out, found
}

// AggregatedSinkChildren reports whether a folder or organization sink
// routes the entries of its child projects (includeChildren), and the value
// that decides it when it is not known yet.
func AggregatedSinkChildren(r *Resource) (bool, Value) {
	v := r.Get("includeChildren")
	if v.IsUnknown() {
		return false, v
	}
	b, _ := v.Bool()
	return b, Value{}
}
