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

func sinkResource(props map[string]property.Value) *gcp.Resource {
	return &gcp.Resource{Type: gcp.LoggingFolderSink, URN: "sink", Props: property.NewMap(props)}
}

func TestSinkRoute(t *testing.T) {
	unknown := property.New(property.Computed)
	exclusion := func(filter, disabled property.Value) property.Value {
		m := map[string]property.Value{"name": property.New("x"), "filter": filter}
		if !disabled.IsNull() {
			m["disabled"] = disabled
		}
		return property.New(property.NewMap(m))
	}
	carve := property.New(`resource.type:"dataflow" OR logName:"cloudaudit"`)
	list := func(vs ...property.Value) property.Value { return property.New(property.NewArray(vs)) }

	v, open := gcp.SinkRoute(sinkResource(map[string]property.Value{"filter": unknown}))
	assert.Equal(t, "filter", open.Path())
	assert.False(t, v.CanMatch)

	v, open = gcp.SinkRoute(sinkResource(map[string]property.Value{"exclusions": list(exclusion(carve, property.Value{}))}))
	assert.False(t, v.CanMatch)
	assert.False(t, open.IsUnknown())

	v, open = gcp.SinkRoute(sinkResource(map[string]property.Value{"exclusions": list(exclusion(carve, property.New(true)))}))
	assert.True(t, v.CanMatch, "a disabled exclusion carves nothing out")
	assert.False(t, open.IsUnknown())

	_, open = gcp.SinkRoute(sinkResource(map[string]property.Value{"exclusions": list(exclusion(carve, unknown))}))
	assert.Equal(t, "exclusions[0].disabled", open.Path())

	v, open = gcp.SinkRoute(sinkResource(map[string]property.Value{"exclusions": list(exclusion(property.New("severity < INFO"), unknown))}))
	assert.True(t, v.CanMatch)
	assert.False(t, open.IsUnknown(), "an exclusion that cannot carve them out leaves nothing undecided")

	_, open = gcp.SinkRoute(sinkResource(map[string]property.Value{"exclusions": list(exclusion(unknown, property.Value{}))}))
	assert.Equal(t, "exclusions[0].filter", open.Path())
	_, open = gcp.SinkRoute(sinkResource(map[string]property.Value{"exclusions": unknown}))
	assert.Equal(t, "exclusions", open.Path())

	v, _ = gcp.SinkRoute(sinkResource(map[string]property.Value{
		"filter": property.New(`resource.type="dataflow_step"`).WithSecret(true)}))
	assert.True(t, v.CanMatch)
	assert.Empty(t, v.Clause, "a secret filter is never quoted")
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
