package gcp

import (
	"math"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
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
		for _, r := range s.OfType(StorageBucketResource) {
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

// ---- what a sink routes -----------------------------------------------------

// SinkRoute judges whether the sink r routes Dataflow job or worker logs or
// Cloud Audit Logs: whether its filter, less its enabled exclusions, can
// match them (see logquery.ClassifySink). An absent filter matches everything;
// an exclusion that is disabled, has no filter or cannot be parsed carves
// nothing out. When unknown values could turn a match into no match,
// undecided is the first of them. The verdict's Clause is empty when the
// filter or an exclusion filter is secret.
func SinkRoute(r *Resource) (v logquery.Verdict, undecided Value) {
	filter := r.Get("filter")
	if filter.IsUnknown() {
		return logquery.Verdict{}, filter
	}
	secret := filter.Secret()
	var enabled, maybe []string // exclusion filters, by whether the exclusion is known to be enabled
	var unknownFilter, unknownDisabled Value
	exclusions := r.Get("exclusions")
	if exclusions.IsUnknown() {
		unknownFilter = exclusions
	}
	for _, e := range exclusions.Items() {
		disabled, ef := e.Get("disabled"), e.Get("filter")
		if b, ok := disabled.Bool(); ok && b {
			continue
		}
		if ef.IsUnknown() { // also an unknown entry
			if !unknownFilter.IsUnknown() {
				unknownFilter = ef
			}
			continue
		}
		s, ok := ef.String()
		if !ok || logquery.Blank(s) {
			continue // Google requires an exclusion filter: an empty one is not a carve-out to rely on
		}
		secret = secret || ef.Secret()
		if disabled.IsUnknown() {
			maybe = append(maybe, s)
			if !unknownDisabled.IsUnknown() {
				unknownDisabled = disabled
			}
			continue
		}
		enabled = append(enabled, s)
	}
	f, _ := filter.String()
	v = logquery.ClassifySink(f, enabled...)
	if secret {
		v.Clause = ""
	}
	switch {
	case !v.CanMatch:
		return v, Value{}
	case unknownFilter.IsUnknown():
		return v, unknownFilter
	case unknownDisabled.IsUnknown() && !logquery.ClassifySink(f, append(enabled, maybe...)...).CanMatch:
		return v, unknownDisabled
	}
	return v, Value{}
}
