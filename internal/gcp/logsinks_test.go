package gcp_test

import (
	"math"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestParseSinkDestination(t *testing.T) {
	cases := map[string]gcp.SinkDestination{
		"logging.googleapis.com/projects/central": {Kind: gcp.DestinationProject, Collection: "projects", Parent: "central"},
		" logging.googleapis.com/projects/central/locations/global/buckets/b ": {Kind: gcp.DestinationLogBucket,
			Collection: "projects", Parent: "central", Location: "global", ID: "b"},
		"logging.googleapis.com/folders/1/locations/global/buckets/_Default": {Kind: gcp.DestinationLogBucket,
			Collection: "folders", Parent: "1", Location: "global", ID: "_Default"},
		"storage.googleapis.com/archive":                              {Kind: gcp.DestinationStorageBucket, ID: "archive"},
		"bigquery.googleapis.com/projects/p/datasets/d":               {Kind: gcp.DestinationBigQueryDataset, Collection: "projects", Parent: "p", ID: "d"},
		"pubsub.googleapis.com/projects/p/topics/t":                   {Kind: gcp.DestinationPubSubTopic, Collection: "projects", Parent: "p", ID: "t"},
		"logging.googleapis.com/projects/p/locations/global/buckets/": {},
		"logging.googleapis.com/projects//locations/g/buckets/b":      {},
		"logging.googleapis.com/widgets/1/locations/g/buckets/b":      {},
		"Logging.googleapis.com/projects/p":                           {},
		"storage.googleapis.com/a/b":                                  {},
		"storage.googleapis.com/":                                     {},
		"gs://archive":                                                {},
		"":                                                            {},
	}
	for in, want := range cases {
		assert.Equal(t, want, gcp.ParseSinkDestination(in), "%q", in)
	}
}

func TestProjectLogRouters(t *testing.T) {
	res := func(typ, urn string, props map[string]property.Value) *gcp.Resource {
		return &gcp.Resource{Type: typ, URN: urn, Props: property.NewMap(props)}
	}
	str := property.New[string]
	provider := &gcp.Provider{Props: property.NewMap(map[string]property.Value{"project": str("from-provider")})}
	declared := res(gcp.LoggingProjectSink, "default", map[string]property.Value{
		"name": str("_Default"), "destination": str("logging.googleapis.com/projects/p/locations/global/buckets/_Default"),
		"exclusions": property.New(property.NewArray([]property.Value{property.New(property.NewMap(map[string]property.Value{
			"name": str("x"), "filter": str("severity < INFO")}))}))})
	declared.Provider = provider
	s := gcp.NewStack("p", "s", []*gcp.Resource{
		declared,
		res(gcp.LoggingProjectExclusion, "exclusion", map[string]property.Value{"project": str("projects/from-provider"), "filter": str("x")}),
		res(gcp.LoggingProjectSink, "archive", map[string]property.Value{"project": str("from-provider"), "name": str("archive")}),
		res(gcp.LoggingProjectBucketConfig, "bucket", map[string]property.Value{"project": str("other"), "bucketId": str("_Default"),
			"location": str("europe-west1"), "retentionDays": property.New(7.0)}),
		res(gcp.LoggingProjectBucketConfig, "regional", map[string]property.Value{"project": str("third"), "bucketId": str("regional")}),
		res(gcp.LoggingProjectExclusion, "pending", map[string]property.Value{"project": property.New(property.Computed), "filter": str("x")}),
	})
	routers := s.ProjectLogRouters()
	require.Len(t, routers, 3)

	p := routers[0]
	assert.Equal(t, "from-provider", p.Project)
	require.Len(t, p.Default, 1)
	assert.Equal(t, "default", p.Default[0].Resource.URN)
	require.Len(t, p.Default[0].Exclusions, 2, "its own exclusion and the exclusion resource")
	assert.Equal(t, "exclusions[0].filter", p.Default[0].Exclusions[0].Filter().Path())
	assert.Equal(t, "filter", p.Default[0].Exclusions[1].Filter().Path())
	require.Len(t, p.Sinks, 1)
	assert.Equal(t, "archive", p.Sinks[0].Resource.URN)

	other := routers[1]
	assert.Equal(t, "other", other.Project)
	require.Len(t, other.Default, 1)
	assert.True(t, other.Default[0].BuiltIn())
	filter, _ := other.Default[0].Filter()
	assert.Equal(t, gcp.BuiltInDefaultSinkFilter, filter)
	dest, _ := other.Default[0].Destination()
	assert.Equal(t, "logging.googleapis.com/projects/other/locations/global/buckets/_Default", dest)
	store, ok := s.DefaultBucketStore("other")
	require.True(t, ok, "a _Default bucket config at any location")
	assert.Equal(t, 7.0, store.Days)
	_, ok = s.DefaultBucketStore("third")
	assert.False(t, ok)

	assert.True(t, routers[2].Unknown.IsUnknown())
	assert.Empty(t, routers[2].Project)
}

func TestDestinationStores(t *testing.T) {
	res := func(typ, urn string, props map[string]property.Value) *gcp.Resource {
		return &gcp.Resource{Type: typ, URN: urn, Props: property.NewMap(props)}
	}
	s := gcp.NewStack("p", "s", []*gcp.Resource{
		res(gcp.LoggingProjectBucketConfig, "default", map[string]property.Value{
			"project": property.New("projects/central"), "location": property.New("global"), "bucketId": property.New("b")}),
		res(gcp.LoggingProjectBucketConfig, "other-region", map[string]property.Value{
			"project": property.New("central"), "location": property.New("us"), "bucketId": property.New("b"), "retentionDays": property.New(7.0)}),
		res(gcp.LoggingProjectBucketConfig, "pending", map[string]property.Value{
			"project": property.New(property.Computed), "location": property.New("global"), "bucketId": property.New("b"),
			"retentionDays": property.New(400.0)}),
		res(gcp.LoggingFolderBucketConfig, "folder", map[string]property.Value{
			"folder": property.New("central"), "location": property.New("global"), "bucketId": property.New("b")}),
		res(gcp.StorageBucketResource, "archive", map[string]property.Value{
			"name": property.New("archive"), "retentionPolicy": property.New(property.NewMap(map[string]property.Value{
				"retentionPeriod": property.New("2592000")}))}),
		res(gcp.BigQueryDataset, "ds", map[string]property.Value{
			"project": property.New("central"), "datasetId": property.New("logs"),
			"defaultTableExpirationMs": property.New(864000000.0), "defaultPartitionExpirationMs": property.New(172800000.0)}),
	})

	stores := s.DestinationStores(gcp.ParseSinkDestination("logging.googleapis.com/projects/central/locations/global/buckets/b"))
	require.Len(t, stores, 2)
	assert.Equal(t, "default", stores[0].Resource.URN)
	assert.True(t, stores[0].Certain)
	assert.True(t, stores[0].Retention.IsAbsent())
	assert.Equal(t, float64(gcp.DefaultLogBucketRetentionDays), stores[0].Days)
	assert.Equal(t, "pending", stores[1].Resource.URN)
	assert.False(t, stores[1].Certain)
	assert.Equal(t, "project", stores[1].Identity.Path())

	stores = s.DestinationStores(gcp.ParseSinkDestination("storage.googleapis.com/archive"))
	require.Len(t, stores, 1)
	assert.Equal(t, 30.0, stores[0].Days)
	assert.Equal(t, "retentionPolicy.retentionPeriod", stores[0].Retention.Path())

	stores = s.DestinationStores(gcp.ParseSinkDestination("bigquery.googleapis.com/projects/central/datasets/logs"))
	require.Len(t, stores, 1)
	assert.Equal(t, 2.0, stores[0].Days)
	assert.Equal(t, "defaultPartitionExpirationMs", stores[0].Retention.Path())

	assert.Empty(t, s.DestinationStores(gcp.ParseSinkDestination("bigquery.googleapis.com/projects/other/datasets/logs")))
	assert.Empty(t, s.DestinationStores(gcp.ParseSinkDestination("logging.googleapis.com/projects/central")))
	assert.Empty(t, s.DestinationStores(gcp.ParseSinkDestination("pubsub.googleapis.com/projects/central/topics/t")))

	forever := gcp.NewStack("p", "s", []*gcp.Resource{res(gcp.BigQueryDataset, "ds", map[string]property.Value{
		"project": property.New("central"), "datasetId": property.New("logs")})})
	stores = forever.DestinationStores(gcp.ParseSinkDestination("bigquery.googleapis.com/projects/central/datasets/logs"))
	require.Len(t, stores, 1)
	assert.True(t, math.IsInf(stores[0].Days, 1))
}
