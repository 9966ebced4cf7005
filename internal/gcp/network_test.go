package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestIsDefaultNetwork(t *testing.T) {
	for s, want := range map[string]bool{
		"default":                            true,
		" default ":                          true,
		"global/networks/default":            true,
		"projects/p/global/networks/default": true,
		"https://www.googleapis.com/compute/v1/projects/p/global/networks/default":  true,
		"https://www.googleapis.com/compute/v1/projects/p/global/networks/default/": true,
		"default-vpc":                           false,
		"projects/p/global/networks/defaults":   false,
		"projects/p/global/networks/my-default": false,
		"custom":                                false,
		"":                                      false,
	} {
		assert.Equal(t, want, gcp.IsDefaultNetwork(s), s)
	}
}

func TestResourceLocation(t *testing.T) {
	loc, ok := gcp.ResourceLocation("projects/p/locations/Europe-West1/keyRings/r/cryptoKeys/k")
	assert.True(t, ok)
	assert.Equal(t, "europe-west1", loc)
	loc, ok = gcp.ResourceLocation("projects/p/locations/global/keyRings/r")
	assert.True(t, ok)
	assert.Equal(t, "global", loc)
	_, ok = gcp.ResourceLocation("projects/p/keyRings/r/cryptoKeys/k")
	assert.False(t, ok)
	_, ok = gcp.ResourceLocation("projects/p/locations/")
	assert.False(t, ok)
}

func withProvider(r *gcp.Resource, props map[string]property.Value) *gcp.Resource {
	r.Provider = &gcp.Provider{Type: gcp.ProviderType, Props: property.NewMap(props)}
	return r
}

func TestDataflowRegion(t *testing.T) {
	prov := map[string]property.Value{"project": str("p"), "region": str("europe-west1")}

	job := withProvider(resource(gcp.DataflowJob, map[string]property.Value{"region": str("us-central1")}), prov)
	reg := gcp.DataflowRegion(job, gcp.WorkerEnvs(job)[0])
	name, ok := reg.Name()
	assert.True(t, ok)
	assert.Equal(t, "us-central1", name)
	assert.Equal(t, "region", reg.Describe())

	job = withProvider(resource(gcp.DataflowJob, map[string]property.Value{"region": str("")}), prov)
	reg = gcp.DataflowRegion(job, gcp.WorkerEnvs(job)[0])
	name, _ = reg.Name()
	assert.Equal(t, "europe-west1", name, "an empty region is the provider's")
	assert.True(t, reg.Provider)
	assert.Equal(t, "the provider's region", reg.Describe())

	job = resource(gcp.DataflowFlexTemplateJob, map[string]property.Value{})
	reg = gcp.DataflowRegion(job, gcp.WorkerEnvs(job)[0])
	assert.True(t, reg.Value.IsAbsent(), "no region anywhere")

	// An unknown region output: the provider's default unless it depends on something.
	job = withProvider(resource(gcp.DataflowJob, map[string]property.Value{"region": computed}), prov)
	reg = gcp.DataflowRegion(job, gcp.WorkerEnvs(job)[0])
	assert.True(t, reg.Provider)
	job.PropertyDependencies = map[string][]string{"region": {"urn:pulumi:dev::etl::gcp:compute/subnetwork:Subnetwork::s"}}
	reg = gcp.DataflowRegion(job, gcp.WorkerEnvs(job)[0])
	assert.True(t, reg.Value.IsUnknown())
	assert.Equal(t, "region", reg.Value.Path())

	pipe := withProvider(resource(gcp.DataflowPipeline, map[string]property.Value{
		"region": str("us-east1"),
		"workload": obj(map[string]property.Value{
			"dataflowFlexTemplateRequest": obj(map[string]property.Value{
				"location":        str("asia-east1"),
				"launchParameter": obj(map[string]property.Value{"environment": obj(map[string]property.Value{})}),
			}),
			"dataflowLaunchTemplateRequest": obj(map[string]property.Value{
				"launchParameters": obj(map[string]property.Value{}),
			}),
		}),
	}), prov)
	envs := gcp.WorkerEnvs(pipe)
	require.Len(t, envs, 2)
	reg = gcp.DataflowRegion(pipe, envs[0])
	name, _ = reg.Name()
	assert.Equal(t, "asia-east1", name)
	assert.Equal(t, "workload.dataflowFlexTemplateRequest.location", reg.Describe())
	reg = gcp.DataflowRegion(pipe, envs[1])
	name, _ = reg.Name()
	assert.Equal(t, "us-east1", name, "a launch request without a location uses the Pipeline's region")
}

const (
	ringURN = "urn:pulumi:dev::etl::gcp:kms/keyRing:KeyRing::ring"
	keyURN  = "urn:pulumi:dev::etl::gcp:kms/cryptoKey:CryptoKey::key"
	jobURN  = "urn:pulumi:dev::etl::gcp:dataflow/job:Job::job"
)

func named(r *gcp.Resource, urn, name string) *gcp.Resource {
	r.URN, r.Name = urn, name
	return r
}

func TestKMSNames(t *testing.T) {
	prov := map[string]property.Value{"project": str("p")}
	ring := withProvider(resource(gcp.KMSKeyRingResource, map[string]property.Value{
		"name": str("r"), "location": str("europe-west1")}), prov)
	n, ok := gcp.KeyRingName(ring)
	assert.True(t, ok)
	assert.Equal(t, "projects/p/locations/europe-west1/keyRings/r", n, "project from the provider")

	ring = resource(gcp.KMSKeyRingResource, map[string]property.Value{
		"id": str("projects/q/locations/us-east1/keyRings/x"), "name": computed})
	n, ok = gcp.KeyRingName(ring)
	assert.True(t, ok)
	assert.Equal(t, "projects/q/locations/us-east1/keyRings/x", n, "the id output")

	key := resource(gcp.KMSCryptoKeyResource, map[string]property.Value{
		"keyRing": str("projects/p/locations/europe-west1/keyRings/r/"), "name": str("k")})
	n, ok = gcp.CryptoKeyName(key)
	assert.True(t, ok)
	assert.Equal(t, "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k", n)

	key = resource(gcp.KMSCryptoKeyResource, map[string]property.Value{"keyRing": computed, "name": str("k")})
	_, ok = gcp.CryptoKeyName(key)
	assert.False(t, ok)
}

func TestKMSKeyLocations(t *testing.T) {
	ring := named(resource(gcp.KMSKeyRingResource, map[string]property.Value{
		"name": str("r"), "location": str("us-central1"), "project": str("p")}), ringURN, "ring")
	key := named(resource(gcp.KMSCryptoKeyResource, map[string]property.Value{
		"keyRing": computed, "name": str("k")}), keyURN, "key")
	key.PropertyDependencies = map[string][]string{"keyRing": {ringURN}}
	job := named(resource(gcp.DataflowJob, map[string]property.Value{"kmsKeyName": computed}), jobURN, "job")
	job.PropertyDependencies = map[string][]string{"kmsKeyName": {keyURN}}
	s := gcp.NewStack("etl", "dev", []*gcp.Resource{ring, key, job})

	// Unknown name -> key -> key ring.
	locs := gcp.KMSKeyLocations(s, job, job.Get("kmsKeyName"))
	require.Len(t, locs, 1)
	assert.Equal(t, "us-central1", locs[0].Location)
	assert.Equal(t, `key ring "ring"`, locs[0].From)

	// A known name carries its location.
	locs = gcp.KMSKeyLocations(s, job, gcp.NewValue(str("projects/p/locations/global/keyRings/g/cryptoKeys/k"), "kmsKeyName"))
	require.Len(t, locs, 1)
	assert.Equal(t, "global", locs[0].Location)
	assert.Equal(t, "the key name", locs[0].From)

	// A known name without a location segment naming no key locates nothing.
	assert.Empty(t, gcp.KMSKeyLocations(s, job, gcp.NewValue(str("k"), "kmsKeyName")))

	// An unknown name depending on no key is itself what is unknown.
	other := named(resource(gcp.DataflowJob, map[string]property.Value{"kmsKeyName": computed}), jobURN+"2", "other")
	locs = gcp.KMSKeyLocations(s, other, other.Get("kmsKeyName"))
	require.Len(t, locs, 1)
	assert.Equal(t, other, locs[0].UnknownOn)
	assert.Equal(t, "kmsKeyName", locs[0].UnknownPath)

	// A key ring whose location is not known yet.
	ring.Props = property.NewMap(map[string]property.Value{"name": str("r"), "location": computed})
	locs = gcp.KMSKeyLocations(s, job, job.Get("kmsKeyName"))
	require.Len(t, locs, 1)
	assert.Equal(t, ring, locs[0].UnknownOn)
	assert.Equal(t, "location", locs[0].UnknownPath)

	// A key whose known keyRing is outside the stack: its location segment.
	key.Props = property.NewMap(map[string]property.Value{
		"keyRing": str("projects/x/locations/asia-east1/keyRings/y").WithSecret(true), "name": str("k")})
	locs = gcp.KMSKeyLocations(s, job, job.Get("kmsKeyName"))
	require.Len(t, locs, 1)
	assert.Equal(t, "asia-east1", locs[0].Location)
	assert.True(t, locs[0].Secret)
}

func TestIDOutputIsNotAnSDKRead(t *testing.T) {
	var reads []string
	gcp.ReadHook = func(_, path string, _ bool) { reads = append(reads, path) }
	defer func() { gcp.ReadHook = nil }()
	r := resource(gcp.KMSCryptoKeyResource, map[string]property.Value{"id": str("projects/p/locations/l/keyRings/r/cryptoKeys/k")})
	id, ok := gcp.IDOutput(r)
	assert.True(t, ok)
	assert.Equal(t, "projects/p/locations/l/keyRings/r/cryptoKeys/k", id)
	assert.Empty(t, reads)
}
