package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestParseIOReference(t *testing.T) {
	key := gcp.IORef{Kind: gcp.IOCryptoKey, Project: "p", Location: "europe-west1", Parent: "r", Name: "k"}
	for _, tc := range []struct {
		in    string
		table bool
		want  gcp.IORef
		ok    bool
	}{
		{in: "gs://Etl-Bucket/a/b/*.csv", want: gcp.IORef{Kind: gcp.IOBucket, Name: "etl-bucket"}, ok: true},
		{in: " gs://bucket ", want: gcp.IORef{Kind: gcp.IOBucket, Name: "bucket"}, ok: true},
		{in: "GS://bucket/x", want: gcp.IORef{Kind: gcp.IOBucket, Name: "bucket"}, ok: true},
		{in: "gs://${BUCKET}/x"},
		{in: "gs://"},
		{in: "projects/P/topics/events", want: gcp.IORef{Kind: gcp.IOTopic, Project: "p", Name: "events"}, ok: true},
		{in: "projects/p/subscriptions/events-df", want: gcp.IORef{Kind: gcp.IOSubscription, Project: "p", Name: "events-df"}, ok: true},
		{in: "projects/p/subscription/events-df"}, // the README typo names nothing
		{in: "projects/p/topics/"},
		{in: "projects/p/topics/a/b"},
		{in: "proj:d.t", want: gcp.IORef{Kind: gcp.IOTable, Project: "proj", Parent: "d", Name: "t"}, ok: true},
		{in: "p:d.t"}, // a project ID has two characters or more
		{in: "example.com:proj:d.t", want: gcp.IORef{Kind: gcp.IOTable, Project: "example.com:proj", Parent: "d", Name: "t"}, ok: true},
		{in: "proj:d.t$20240101", want: gcp.IORef{Kind: gcp.IOTable, Project: "proj", Parent: "d", Name: "t"}, ok: true},
		{in: "proj.d.t"},
		{in: "proj.d.t", table: true, want: gcp.IORef{Kind: gcp.IOTable, Project: "proj", Parent: "d", Name: "t"}, ok: true},
		{in: "d.t", table: true, want: gcp.IORef{Kind: gcp.IOTable, Parent: "d", Name: "t"}, ok: true},
		{in: "d.t"},
		{in: "com.example.Main"},
		{in: "jdbc:mysql://host:3306/db.x"},
		{in: "https://example.com/a.b"},
		{in: "12:30.5"},
		{in: "projects/p/datasets/d/tables/t", want: gcp.IORef{Kind: gcp.IOTable, Project: "p", Parent: "d", Name: "t"}, ok: true},
		{in: "projects/p/locations/Europe-West1/keyRings/r/cryptoKeys/k", want: key, ok: true},
		{in: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3", want: key, ok: true},
		{in: "projects/p/locations/europe-west1/keyRings/r"},
		{in: "projects/123/secrets/s/versions/latest", want: gcp.IORef{Kind: gcp.IOSecret, Project: "123", Name: "s"}, ok: true},
		{in: "projects/p/locations/europe-west1/secrets/s/versions/2",
			want: gcp.IORef{Kind: gcp.IOSecret, Project: "p", Location: "europe-west1", Name: "s"}, ok: true},
		{in: "projects/p/secrets/s"},
		{in: ""},
		{in: "admin"},
	} {
		got, ok := gcp.ParseIOReference(tc.in, tc.table)
		assert.Equal(t, tc.ok, ok, tc.in)
		if tc.ok {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}
}

func ioStack(rs ...*gcp.Resource) *gcp.Stack {
	prov := &gcp.Provider{Type: gcp.ProviderType, Props: property.NewMap(map[string]property.Value{"project": str("p")})}
	for _, r := range rs {
		r.Provider = prov
		r.Name = r.URN
	}
	return gcp.NewStack("etl", "dev", rs)
}

func refsOf(io gcp.JobIO) map[string]gcp.IOUse {
	out := map[string]gcp.IOUse{}
	for _, r := range io.Refs {
		out[r.Kind.String()+" "+r.Resource()+" @"+r.Value.Path()] = r.Use
	}
	return out
}

func TestJobReferences(t *testing.T) {
	job := &gcp.Resource{Type: gcp.DataflowFlexTemplateJob, URN: "job", Props: property.NewMap(map[string]property.Value{
		"containerSpecGcsPath": str("gs://templates/spec.json"),
		"kmsKeyName":           str("projects/p/locations/l/keyRings/r/cryptoKeys/k"),
		"parameters": obj(map[string]property.Value{
			"input_subscription": str("projects/p/subscriptions/s"),
			"outputTable":        str("d.t"),
			"archive":            str("gs://archive/x"),
			"extraFilesToStage":  str("gs://jars/a.jar, projects/p/secrets/pw/versions/1"),
			"readQuery":          str("select 1"),
			"mainClass":          str("com.example.Main"),
			"computed":           computed,
		}),
		"additionalPipelineOptions": strs("--temp_location=gs://temp/t", "--dataflowKmsKey=projects/p/locations/l/keyRings/r/cryptoKeys/k2"),
	})}
	io := gcp.JobReferences(ioStack(job), job)
	assert.Equal(t, "p", io.Project)
	assert.Equal(t, map[string]gcp.IOUse{
		"bucket templates @containerSpecGcsPath":                                            gcp.IORead,
		"key projects/p/locations/l/keyRings/r/cryptoKeys/k @kmsKeyName":                    gcp.IOJobKey,
		"subscription projects/p/subscriptions/s @parameters.input_subscription":            gcp.IORead,
		"table projects/p/datasets/d/tables/t @parameters.outputTable":                      gcp.IOWrite,
		"bucket archive @parameters.archive":                                                gcp.IOUseAny,
		"bucket jars @parameters.extraFilesToStage":                                         gcp.IORead,
		"secret projects/p/secrets/pw @parameters.extraFilesToStage":                        gcp.IORead,
		"bucket temp @additionalPipelineOptions[0]":                                         gcp.IOReadWrite,
		"key projects/p/locations/l/keyRings/r/cryptoKeys/k2 @additionalPipelineOptions[1]": gcp.IOJobKey,
	}, refsOf(io))
	require.Len(t, io.Opaque, 1, "a BigQuery query reads tables the model does not list")
	assert.Equal(t, "parameters.readQuery", io.Opaque[0].Value.Path())
	require.Len(t, io.Unknown, 1)
	assert.Equal(t, "parameters.computed", io.Unknown[0].Value.Path())
	assert.Equal(t, gcp.IOKind(0), io.Unknown[0].Kind)
	assert.Empty(t, io.WorkerUnknown, "a job without a worker email runs as the default account")
}

func TestJobReferencesJDBCQueryIsNotBigQuery(t *testing.T) {
	job := resource(gcp.DataflowFlexTemplateJob, map[string]property.Value{"parameters": obj(map[string]property.Value{
		"connectionURL": str("jdbc:postgresql://10.0.0.5/db"), "query": str("select * from t"),
	})})
	job.URN = "job"
	io := gcp.JobReferences(ioStack(job), job)
	assert.Empty(t, io.Opaque)
	assert.Empty(t, io.Refs)
}

func TestJobReferencesResolveUnknownsThroughTheStack(t *testing.T) {
	sub := &gcp.Resource{Type: gcp.PubSubSubscriptionResource, URN: "sub", Props: property.NewMap(map[string]property.Value{
		"name": str("events"), "project": str("p")})}
	ds := &gcp.Resource{Type: gcp.BigQueryDataset, URN: "ds", Props: property.NewMap(map[string]property.Value{
		"datasetId": str("analytics")})}
	bucket := &gcp.Resource{Type: gcp.StorageBucketResource, URN: "bucket", Props: property.NewMap(map[string]property.Value{
		"name": computed})}
	acct := &gcp.Resource{Type: gcp.ServiceAccountResource, URN: "acct", Props: property.NewMap(map[string]property.Value{
		"accountId": str("w")})}
	other := &gcp.Resource{Type: "random:index/randomId:RandomId", URN: "rand"}
	job := &gcp.Resource{Type: gcp.DataflowJob, URN: "job", Props: property.NewMap(map[string]property.Value{
		"parameters": obj(map[string]property.Value{
			"inputSubscription": computed, "outputTableSpec": computed, "outputDirectory": computed, "inputTopic": computed,
		}),
		"tempGcsLocation":     computed,
		"serviceAccountEmail": computed,
	}), PropertyDependencies: map[string][]string{
		"parameters":          {"sub", "ds", "bucket", "rand"},
		"tempGcsLocation":     {"rand"},
		"serviceAccountEmail": {"acct"},
	}}
	s := ioStack(sub, ds, bucket, acct, other, job)
	io := gcp.JobReferences(s, job)
	assert.Equal(t, map[string]gcp.IOUse{
		"subscription projects/p/subscriptions/events @parameters.inputSubscription": gcp.IORead,
		"table projects/p/datasets/analytics/tables/* @parameters.outputTableSpec":   gcp.IOWrite,
		`bucket the bucket of resource "bucket" @parameters.outputDirectory`:         gcp.IOWrite,
	}, refsOf(io))
	var unknown []string
	for _, u := range io.Unknown {
		unknown = append(unknown, u.Value.Path()+" "+u.Kind.String())
	}
	assert.ElementsMatch(t, []string{"parameters.inputTopic topic", "tempGcsLocation bucket"}, unknown)
	assert.Empty(t, io.WorkerUnknown, "the worker email depends on an account of the stack")

	job.PropertyDependencies["serviceAccountEmail"] = []string{"rand"}
	io = gcp.JobReferences(s, job)
	require.Len(t, io.WorkerUnknown, 1)
	assert.Equal(t, "serviceAccountEmail", io.WorkerUnknown[0].Path())
}

func TestGrantIOTarget(t *testing.T) {
	grant := func(typ string, props map[string]property.Value) gcp.Grant {
		props["role"], props["member"] = str("roles/x"), str("user:a@b.c")
		r := &gcp.Resource{Type: typ, URN: "g", Props: property.NewMap(props)}
		ioStack(r)
		gs, _ := gcp.Grants(r)
		require.Len(t, gs, 1)
		return gs[0]
	}
	s := ioStack()
	for _, tc := range []struct {
		typ   string
		props map[string]property.Value
		want  string
	}{
		{"gcp:storage/bucketIAMMember:BucketIAMMember", map[string]property.Value{"bucket": str("b/Temp")}, "bucket temp"},
		{"gcp:storage/managedFolderIamMember:ManagedFolderIamMember",
			map[string]property.Value{"bucket": str("temp"), "managedFolder": str("f/")}, "bucket temp"},
		{"gcp:pubsub/topicIAMMember:TopicIAMMember", map[string]property.Value{"topic": str("t")}, "topic projects/p/topics/t"},
		{"gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
			map[string]property.Value{"subscription": str("projects/q/subscriptions/s")}, "subscription projects/q/subscriptions/s"},
		{"gcp:bigquery/datasetIamMember:DatasetIamMember", map[string]property.Value{"datasetId": str("d")},
			"dataset projects/p/datasets/d"},
		{"gcp:bigquery/iamMember:IamMember",
			map[string]property.Value{"datasetId": str("d"), "tableId": str("projects/q/datasets/d/tables/t")},
			"table projects/q/datasets/d/tables/t"},
		{"gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", map[string]property.Value{"cryptoKeyId": str("l/r/k")},
			"key projects/p/locations/l/keyRings/r/cryptoKeys/k"},
		{"gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", map[string]property.Value{"cryptoKeyId": str("q/l/r/k")},
			"key projects/q/locations/l/keyRings/r/cryptoKeys/k"},
		{"gcp:kms/keyRingIAMMember:KeyRingIAMMember", map[string]property.Value{"keyRingId": str("projects/q/locations/l/keyRings/r")},
			"key ring projects/q/locations/l/keyRings/r"},
		{"gcp:secretmanager/secretIamMember:SecretIamMember", map[string]property.Value{"secretId": str("projects/123/secrets/s")},
			"secret projects/123/secrets/s"},
		{"gcp:secretmanager/regionalSecretIamMember:RegionalSecretIamMember",
			map[string]property.Value{"secretId": str("s"), "location": str("EU-West1")}, "secret projects/p/locations/eu-west1/secrets/s"},
	} {
		targets, at, ok := gcp.GrantIOTarget(s, grant(tc.typ, tc.props))
		require.True(t, ok, tc.typ)
		require.Len(t, targets, 1, tc.typ)
		assert.Equal(t, tc.want, targets[0].Kind.String()+" "+targets[0].Resource(), tc.typ)
		assert.True(t, at.IsSet(), tc.typ)
	}
	_, _, ok := gcp.GrantIOTarget(s, grant("gcp:serviceaccount/iAMMember:IAMMember", map[string]property.Value{"serviceAccountId": str("x")}))
	assert.False(t, ok, "a grant on a service account is not a grant on data")
	_, _, ok = gcp.GrantIOTarget(s, grant("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", map[string]property.Value{"cryptoKeyId": str("k")}))
	assert.False(t, ok, "a key name that names nothing")
}

func TestCovers(t *testing.T) {
	s := ioStack(&gcp.Resource{Type: gcp.ProjectResource, URN: "proj", Props: property.NewMap(map[string]property.Value{
		"projectId": str("p"), "number": str("111")})})
	table := gcp.IORef{Kind: gcp.IOTable, Project: "p", Parent: "d", Name: "t"}
	key := gcp.IORef{Kind: gcp.IOCryptoKey, Project: "p", Location: "l", Parent: "r", Name: "k"}
	for _, tc := range []struct {
		target, ref gcp.IORef
		want        gcp.IOMatch
	}{
		{gcp.IORef{Kind: gcp.IODataset, Project: "p", Name: "d"}, table, gcp.IOMatches},
		{gcp.IORef{Kind: gcp.IODataset, Project: "111", Name: "d"}, table, gcp.IOMatches},
		{gcp.IORef{Kind: gcp.IODataset, Project: "222", Name: "d"}, table, gcp.IONoMatch},
		{gcp.IORef{Kind: gcp.IODataset, Project: "p", Name: "other"}, table, gcp.IONoMatch},
		{gcp.IORef{Kind: gcp.IOTable, Project: "p", Parent: "d", Name: "t"}, table, gcp.IOMatches},
		{gcp.IORef{Kind: gcp.IOTable, Project: "p", Parent: "d", Name: "u"}, table, gcp.IONoMatch},
		{gcp.IORef{Kind: gcp.IOTable, Project: "p", Parent: "d", Name: "u"}, gcp.IORef{Kind: gcp.IOTable, Project: "p", Parent: "d"}, gcp.IOMayMatch},
		{gcp.IORef{Kind: gcp.IOKeyRing, Project: "p", Location: "l", Name: "r"}, key, gcp.IOMatches},
		{gcp.IORef{Kind: gcp.IOKeyRing, Project: "p", Location: "l", Name: "r2"}, key, gcp.IONoMatch},
		{gcp.IORef{Kind: gcp.IOBucket, Name: "b"}, gcp.IORef{Kind: gcp.IOBucket, URN: "bucket"}, gcp.IOMayMatch},
		{gcp.IORef{Kind: gcp.IOBucket, URN: "bucket"}, gcp.IORef{Kind: gcp.IOBucket, URN: "bucket"}, gcp.IOMatches},
		{gcp.IORef{Kind: gcp.IOTopic, Project: "p", Name: "t"}, gcp.IORef{Kind: gcp.IOSubscription, Project: "p", Name: "t"}, gcp.IONoMatch},
		{gcp.IORef{Kind: gcp.IOSecret, Project: "999", Name: "s"}, gcp.IORef{Kind: gcp.IOSecret, Project: "q", Name: "s"}, gcp.IOMatches},
	} {
		assert.Equal(t, tc.want, s.Covers(tc.target, tc.ref), "%+v covers %+v", tc.target, tc.ref)
	}
	number, ok := s.ProjectNumber("p")
	assert.True(t, ok)
	assert.Equal(t, "111", number)
	_, ok = s.ProjectNumber("q")
	assert.False(t, ok)
}
