package policies_test

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// Remediation tests for propagate-stack-labels, through policy.Pack.Remediate
// as the analyzer calls it.

const (
	pslName    = "propagate-stack-labels"
	pslProject = "Data.Platform" // label-safe: data-platform
	pslStack   = "Prod_EU"       // label-safe: prod_eu
	pslBucket  = "gcp:storage/bucket:Bucket"
)

var (
	pslStackInfo = policy.StackInfo{Project: pslProject, Stack: pslStack}
	pslComputed  = property.New(property.Computed)
)

func pslStr(s string) property.Value { return property.New(s) }

func pslMap(kv ...string) property.Value {
	m := map[string]property.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = property.New(kv[i+1])
	}
	return property.New(m)
}

func pslObj(m map[string]property.Value) property.Value { return property.New(m) }

// pslPack configures the pack with propagate-stack-labels at remediate and
// the given properties.
func pslPack(t *testing.T, props map[string]any) *policy.Pack {
	t.Helper()
	pack, err := policies.NewPack("0.0.0-test", "test")
	require.NoError(t, err)
	_, err = pack.Configure(map[string]policy.PolicyConfig{pslName: {Level: policy.Remediate, Properties: props}})
	require.NoError(t, err)
	return pack
}

func pslResource(typ, name string, props map[string]property.Value, prov *gcp.Provider) *gcp.Resource {
	return &gcp.Resource{URN: "urn:pulumi:" + pslStack + "::" + pslProject + "::" + typ + "::" + name, Type: typ, Name: name,
		Props: property.NewMap(props), Provider: prov}
}

func pslProvider(defaultLabels property.Value) *gcp.Provider {
	return &gcp.Provider{URN: "urn:pulumi:" + pslStack + "::" + pslProject + "::pulumi:providers:gcp::default_9_6_0",
		Type: gcp.ProviderType, Name: "default_9_6_0",
		Props: property.NewMap(map[string]property.Value{"project": pslStr("etl-prod-1234"), "defaultLabels": defaultLabels})}
}

// pslRemediate runs the pack's remediations and returns the new inputs of
// propagate-stack-labels, or nil when it changed nothing.
func pslRemediate(t *testing.T, pack *policy.Pack, r *gcp.Resource, stack policy.StackInfo) *property.Map {
	t.Helper()
	rems, _ := pack.Remediate(context.Background(), r, policy.Options{Stack: stack, Mode: policy.EngineMode})
	var out *property.Map
	for _, rem := range rems {
		require.Equal(t, pslName, rem.Policy, "only propagate-stack-labels is at remediate")
		require.Empty(t, rem.Diagnostic)
		props := rem.Props
		out = &props
	}
	return out
}

// pslAt walks keys into a property map.
func pslAt(t *testing.T, m property.Map, keys ...string) property.Value {
	t.Helper()
	v := property.New(m)
	for _, k := range keys {
		require.True(t, v.IsMap(), "not a map before %q", k)
		v = v.AsMap().Get(k)
	}
	return v
}

func TestRemediateAddsProjectAndStackLabels(t *testing.T) {
	pack := pslPack(t, nil)
	r := pslResource(pslBucket, "temp", map[string]property.Value{
		"name":       pslStr("etl-prod-1234-temp"),
		"location":   pslStr("EU"),
		"labels":     pslMap("env", "prod"),
		"__defaults": property.New([]property.Value{pslStr("forceDestroy")}),
	}, nil)
	got := pslRemediate(t, pack, r, pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslMap("env", "prod", "pulumi-project", "data-platform", "pulumi-stack", "prod_eu"), got.Get("labels"))
	for _, k := range []string{"name", "location", "__defaults"} {
		assert.Equal(t, r.Props.Get(k), got.Get(k), "input %s is kept", k)
	}
	assert.Equal(t, 4, got.Len(), "no input is added or dropped")

	// Applying the result again changes nothing.
	again := *r
	again.Props = *got
	assert.Nil(t, pslRemediate(t, pack, &again, pslStackInfo))
}

func TestRemediateCreatesAbsentLabels(t *testing.T) {
	pack := pslPack(t, nil)
	got := pslRemediate(t, pack, pslResource(pslBucket, "temp", map[string]property.Value{"name": pslStr("b")}, nil), pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslMap("pulumi-project", "data-platform", "pulumi-stack", "prod_eu"), got.Get("labels"))
}

func TestRemediateReturnsNothingWhenNothingChanges(t *testing.T) {
	pack := pslPack(t, nil)
	for name, labels := range map[string]property.Value{
		"already labelled":          pslMap("pulumi-project", "data-platform", "pulumi-stack", "prod_eu"),
		"other values are kept":     pslMap("pulumi-project", "legacy", "pulumi-stack", "blue"),
		"unknown value is present":  pslObj(map[string]property.Value{"pulumi-project": pslComputed, "pulumi-stack": pslStr("x")}),
		"secret map already has it": pslMap("pulumi-project", "p", "pulumi-stack", "s").WithSecret(true),
	} {
		r := pslResource(pslBucket, "temp", map[string]property.Value{"labels": labels}, nil)
		rems, _ := pack.Remediate(context.Background(), r, policy.Options{Stack: pslStackInfo})
		assert.Empty(t, rems, name)
	}
	// A resource type without labels is not applicable.
	rems, na := pack.Remediate(context.Background(), pslResource("gcp:serviceaccount/account:Account", "w",
		map[string]property.Value{"accountId": pslStr("w")}, nil), policy.Options{Stack: pslStackInfo})
	assert.Empty(t, rems)
	require.Len(t, na, 1)
	assert.Equal(t, pslName, na[0].Policy)
}

func TestRemediateKeepsSecretness(t *testing.T) {
	pack := pslPack(t, nil)

	// A secret labels map stays secret, with the new keys inside it.
	secretMap := pslMap("env", "prod").WithSecret(true)
	got := pslRemediate(t, pack, pslResource(pslBucket, "a", map[string]property.Value{"labels": secretMap}, nil), pslStackInfo)
	require.NotNil(t, got)
	labels := got.Get("labels")
	assert.True(t, labels.Secret(), "a secret labels map stays secret")
	assert.Equal(t, pslMap("env", "prod", "pulumi-project", "data-platform", "pulumi-stack", "prod_eu").WithSecret(true), labels)

	// A secret value stays secret and is not overwritten.
	withSecret := pslObj(map[string]property.Value{"pulumi-project": pslStr("finance-project").WithSecret(true), "env": pslStr("prod")})
	got = pslRemediate(t, pack, pslResource(pslBucket, "b", map[string]property.Value{"labels": withSecret}, nil), pslStackInfo)
	require.NotNil(t, got)
	labels = got.Get("labels")
	assert.False(t, labels.Secret())
	assert.Equal(t, pslStr("finance-project").WithSecret(true), labels.AsMap().Get("pulumi-project"))
	assert.Equal(t, pslStr("prod_eu"), labels.AsMap().Get("pulumi-stack"))
}

func TestRemediateOverwrite(t *testing.T) {
	wrong := pslObj(map[string]property.Value{
		"pulumi-project": pslStr("old-project").WithSecret(true),
		"pulumi-stack":   pslStr("staging"),
		"env":            pslStr("prod"),
	})
	r := pslResource(pslBucket, "temp", map[string]property.Value{"labels": wrong}, nil)

	assert.Nil(t, pslRemediate(t, pslPack(t, nil), r, pslStackInfo), "without overwrite present keys are kept")

	got := pslRemediate(t, pslPack(t, map[string]any{"overwrite": true}), r, pslStackInfo)
	require.NotNil(t, got)
	labels := got.Get("labels").AsMap()
	assert.Equal(t, pslStr("data-platform").WithSecret(true), labels.Get("pulumi-project"), "a replaced secret value stays secret")
	assert.Equal(t, pslStr("prod_eu"), labels.Get("pulumi-stack"))
	assert.Equal(t, pslStr("prod"), labels.Get("env"))

	// Overwrite with the right values already there changes nothing.
	right := pslResource(pslBucket, "temp", map[string]property.Value{"labels": pslObj(map[string]property.Value{
		"pulumi-project": pslStr("data-platform").WithSecret(true), "pulumi-stack": pslStr("prod_eu")})}, nil)
	assert.Nil(t, pslRemediate(t, pslPack(t, map[string]any{"overwrite": true}), right, pslStackInfo))

	// Overwrite replaces an unknown own value.
	unknown := pslResource(pslBucket, "temp", map[string]property.Value{"labels": pslObj(map[string]property.Value{
		"pulumi-project": pslComputed, "pulumi-stack": pslStr("prod_eu")})}, nil)
	got = pslRemediate(t, pslPack(t, map[string]any{"overwrite": true}), unknown, pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslStr("data-platform"), pslAt(t, *got, "labels", "pulumi-project"))
}

func TestRemediateCountsProviderDefaultLabels(t *testing.T) {
	asJSON := pslProvider(pslStr(`{"pulumi-project":"data-platform","pulumi-stack":"old"}`))
	asMap := pslProvider(pslMap("pulumi-project", "data-platform", "pulumi-stack", "old"))
	for _, prov := range []*gcp.Provider{asJSON, asMap} {
		r := pslResource(pslBucket, "temp", map[string]property.Value{"labels": pslMap("env", "prod")}, prov)
		assert.Nil(t, pslRemediate(t, pslPack(t, nil), r, pslStackInfo), "defaults count as present")

		got := pslRemediate(t, pslPack(t, map[string]any{"overwrite": true}), r, pslStackInfo)
		require.NotNil(t, got, "with overwrite a wrong default is overridden by an own label")
		assert.Equal(t, pslMap("env", "prod", "pulumi-stack", "prod_eu"), got.Get("labels"))
	}

	// Only a missing key is added next to the defaults.
	partial := pslProvider(pslMap("pulumi-project", "data-platform"))
	got := pslRemediate(t, pslPack(t, nil), pslResource(pslBucket, "temp", nil, partial), pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslMap("pulumi-stack", "prod_eu"), got.Get("labels"))
}

func TestRemediateStopsAtUnknowns(t *testing.T) {
	cases := map[string]struct {
		props map[string]property.Value
		prov  *gcp.Provider
		path  string
	}{
		"unknown labels map":             {map[string]property.Value{"labels": pslComputed}, nil, "labels"},
		"unknown secret labels map":      {map[string]property.Value{"labels": pslComputed.WithSecret(true)}, nil, "labels"},
		"unknown provider defaultLabels": {map[string]property.Value{"labels": pslMap("env", "prod")}, pslProvider(pslComputed), "defaultLabels"},
	}
	for name, tc := range cases {
		pack := pslPack(t, nil)
		r := pslResource(pslBucket, "temp", tc.props, tc.prov)
		rems, _ := pack.Remediate(context.Background(), r, policy.Options{Stack: pslStackInfo})
		require.Len(t, rems, 1, name)
		assert.Zero(t, rems[0].Props.Len(), name)
		assert.Contains(t, rems[0].Diagnostic, "can't run remediation '"+pslName+"'", name)
		assert.Contains(t, rems[0].Diagnostic, tc.path+" can't be known during preview", name)
	}

	// With overwrite, own labels win over unknown defaults: nothing to wait for.
	r := pslResource(pslBucket, "temp", map[string]property.Value{"labels": pslMap("env", "prod")}, pslProvider(pslComputed))
	got := pslRemediate(t, pslPack(t, map[string]any{"overwrite": true}), r, pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslMap("env", "prod", "pulumi-project", "data-platform", "pulumi-stack", "prod_eu"), got.Get("labels"))
}

const (
	pslFlexEnv   = "dataflowFlexTemplateRequest"
	pslLaunchEnv = "dataflowLaunchTemplateRequest"
)

func pslPipeline(flexEnv, launchEnv *property.Value) map[string]property.Value {
	workload := map[string]property.Value{}
	if flexEnv != nil {
		lp := map[string]property.Value{"jobName": pslStr("nightly"), "containerSpecGcsPath": pslStr("gs://t/flex.json")}
		if !flexEnv.IsNull() {
			lp["environment"] = *flexEnv
		}
		workload[pslFlexEnv] = pslObj(map[string]property.Value{"projectId": pslStr("etl-prod-1234"), "launchParameter": pslObj(lp)})
	}
	if launchEnv != nil {
		lp := map[string]property.Value{"jobName": pslStr("classic")}
		if !launchEnv.IsNull() {
			lp["environment"] = *launchEnv
		}
		workload[pslLaunchEnv] = pslObj(map[string]property.Value{"gcsPath": pslStr("gs://t/classic"), "launchParameters": pslObj(lp)})
	}
	return map[string]property.Value{"name": pslStr("nightly"), "workload": pslObj(workload)}
}

func TestRemediatePipelines(t *testing.T) {
	pack := pslPack(t, nil)
	defaults := pslProvider(pslMap("pulumi-project", "data-platform", "pulumi-stack", "prod_eu"))
	const sa = "etl-worker@etl-prod-1234.iam.gserviceaccount.com"
	flexEnv := pslObj(map[string]property.Value{"serviceAccountEmail": pslStr(sa)})
	launchEnv := pslObj(map[string]property.Value{"serviceAccountEmail": pslStr(sa),
		"additionalUserLabels": pslMap("env", "prod").WithSecret(true)})
	r := pslResource(gcp.DataflowPipeline, "nightly", pslPipeline(&flexEnv, &launchEnv), defaults)

	got := pslRemediate(t, pack, r, pslStackInfo)
	require.NotNil(t, got, "provider defaults do not reach a Pipeline's additionalUserLabels")
	flex := pslAt(t, *got, "workload", pslFlexEnv, "launchParameter", "environment")
	assert.Equal(t, pslStr(sa), flex.AsMap().Get("serviceAccountEmail"))
	assert.Equal(t, pslMap("pulumi-project", "data-platform", "pulumi-stack", "prod_eu"), flex.AsMap().Get("additionalUserLabels"))
	launch := pslAt(t, *got, "workload", pslLaunchEnv, "launchParameters", "environment", "additionalUserLabels")
	assert.Equal(t, pslMap("env", "prod", "pulumi-project", "data-platform", "pulumi-stack", "prod_eu").WithSecret(true), launch)
	assert.Equal(t, pslStr("gs://t/classic"), pslAt(t, *got, "workload", pslLaunchEnv, "gcsPath"))
	assert.Equal(t, pslStr("nightly"), got.Get("name"))

	// A request without an environment is left alone; the other one is fixed.
	absent := property.New(property.Null)
	r = pslResource(gcp.DataflowPipeline, "nightly", pslPipeline(&absent, &launchEnv), nil)
	got = pslRemediate(t, pack, r, pslStackInfo)
	require.NotNil(t, got)
	_, hasEnv := pslAt(t, *got, "workload", pslFlexEnv, "launchParameter").AsMap().GetOk("environment")
	assert.False(t, hasEnv, "no environment is invented")
	assert.Equal(t, r.Props.Get("workload").AsMap().Get(pslFlexEnv), got.Get("workload").AsMap().Get(pslFlexEnv))

	// A Pipeline without any environment: nothing at all.
	r = pslResource(gcp.DataflowPipeline, "nightly", pslPipeline(&absent, nil), nil)
	assert.Nil(t, pslRemediate(t, pack, r, pslStackInfo))
}

func TestRemediateOtherLabelFields(t *testing.T) {
	pack := pslPack(t, nil)
	want := pslMap("pulumi-project", "data-platform", "pulumi-stack", "prod_eu")

	got := pslRemediate(t, pack, pslResource(gcp.ContainerCluster, "gke", map[string]property.Value{"name": pslStr("gke")}, nil), pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, want, got.Get("resourceLabels"))
	assert.True(t, got.Get("labels").IsNull(), "a cluster's labels live in resourceLabels")

	settings := pslObj(map[string]property.Value{"tier": pslStr("db-custom-2-7680"),
		"ipConfiguration": pslObj(map[string]property.Value{"ipv4Enabled": property.New(false)})}).WithSecret(true)
	got = pslRemediate(t, pack, pslResource(gcp.SQLInstance, "db", map[string]property.Value{"settings": settings}, nil), pslStackInfo)
	require.NotNil(t, got)
	s := got.Get("settings")
	assert.True(t, s.Secret(), "settings keep their secretness")
	assert.Equal(t, pslStr("db-custom-2-7680"), s.AsMap().Get("tier"))
	assert.Equal(t, settings.AsMap().Get("ipConfiguration"), s.AsMap().Get("ipConfiguration"))
	assert.Equal(t, want, s.AsMap().Get("userLabels"))

	// An SQL instance without settings (a clone) is left alone.
	assert.Nil(t, pslRemediate(t, pack, pslResource(gcp.SQLInstance, "clone", map[string]property.Value{
		"databaseVersion": pslStr("POSTGRES_16")}, nil), pslStackInfo))

	got = pslRemediate(t, pack, pslResource("gcp:monitoring/alertPolicy:AlertPolicy", "lag", map[string]property.Value{
		"displayName": pslStr("lag"), "userLabels": pslMap("severity", "page")}, nil), pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslMap("severity", "page", "pulumi-project", "data-platform", "pulumi-stack", "prod_eu"), got.Get("userLabels"))

	// A Cloud Run v1 Service keeps its labels in metadata, beside the
	// namespace; without metadata it is left alone.
	const run = "gcp:cloudrun/service:Service"
	got = pslRemediate(t, pack, pslResource(run, "api", map[string]property.Value{
		"metadata": pslObj(map[string]property.Value{"namespace": pslStr("etl-prod-1234"), "labels": pslMap("team", "data")})}, nil), pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslStr("etl-prod-1234"), got.Get("metadata").AsMap().Get("namespace"))
	assert.Equal(t, pslMap("pulumi-project", "data-platform", "pulumi-stack", "prod_eu", "team", "data"), got.Get("metadata").AsMap().Get("labels"))
	assert.True(t, got.Get("labels").IsNull(), "a Cloud Run v1 Service has no top-level labels")
	assert.Nil(t, pslRemediate(t, pack, pslResource(run, "bare", map[string]property.Value{"name": pslStr("bare")}, nil), pslStackInfo))

	got = pslRemediate(t, pack, pslResource(gcp.DataflowJob, "stream", map[string]property.Value{
		"parameters": pslMap("inputTopic", "projects/p/topics/t")}, nil), pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, want, got.Get("labels"))
	assert.Equal(t, pslMap("inputTopic", "projects/p/topics/t"), got.Get("parameters"), "parameters are not labels")
}

func TestRemediateNamesFromURNWithoutConfigureStack(t *testing.T) {
	pack := pslPack(t, nil)
	r := pslResource(pslBucket, "temp", nil, nil)
	r.URN = "urn:pulumi:42.Blue::My_Project::gcp:storage/bucket:Bucket::temp"
	got := pslRemediate(t, pack, r, policy.StackInfo{})
	require.NotNil(t, got)
	assert.Equal(t, pslMap("pulumi-project", "my_project", "pulumi-stack", "p-42-blue"), got.Get("labels"))

	// ConfigureStack wins over the URN.
	got = pslRemediate(t, pack, r, policy.StackInfo{Project: "etl", Stack: "dev"})
	require.NotNil(t, got)
	assert.Equal(t, pslMap("pulumi-project", "etl", "pulumi-stack", "dev"), got.Get("labels"))
}

func TestRemediateStaticLabelsAndCustomKeys(t *testing.T) {
	pack := pslPack(t, map[string]any{
		"projectLabelKey": "project", "stackLabelKey": "stack",
		"labels": map[string]any{"managed-by": "pulumi", "cost-center": "cc-42"},
	})
	r := pslResource(pslBucket, "temp", map[string]property.Value{"labels": pslMap("managed-by", "terraform")}, nil)
	got := pslRemediate(t, pack, r, pslStackInfo)
	require.NotNil(t, got)
	assert.Equal(t, pslMap("managed-by", "terraform", "cost-center", "cc-42", "project", "data-platform", "stack", "prod_eu"),
		got.Get("labels"), "a present static key is kept without overwrite")
}

func TestPropagateStackLabelsConfigIsValidated(t *testing.T) {
	pack, err := policies.NewPack("0.0.0-test", "test")
	require.NoError(t, err)
	for name, props := range map[string]map[string]any{
		"uppercase key":        {"projectLabelKey": "Project"},
		"key with a dot":       {"stackLabelKey": "pulumi.stack"},
		"same keys":            {"projectLabelKey": "owner", "stackLabelKey": "owner"},
		"bad static key":       {"labels": map[string]any{"Cost": "x"}},
		"bad static value":     {"labels": map[string]any{"cost": "CC 42"}},
		"static takes the key": {"labels": map[string]any{"pulumi-stack": "prod"}},
		"not a boolean":        {"overwrite": "yes"},
	} {
		_, err := pack.Configure(map[string]policy.PolicyConfig{pslName: {Properties: props}})
		assert.Error(t, err, name)
		if err != nil {
			assert.Contains(t, err.Error(), pslName, name)
		}
	}
}

func TestPropagateStackLabelsCheckUsesURNWithoutConfigureStack(t *testing.T) {
	pack, err := policies.NewPack("0.0.0-test", "test")
	require.NoError(t, err)
	r := pslResource(pslBucket, "temp", map[string]property.Value{"labels": pslMap("pulumi-project", "data-platform")}, nil)
	findings, _ := pack.Analyze(context.Background(), r, policy.Options{Only: map[string]bool{pslName: true}})
	require.Len(t, findings, 1)
	assert.Equal(t, policy.Advisory, findings[0].Level)
	assert.Equal(t, "labels.pulumi-stack", findings[0].Path)
	assert.Equal(t, `label "pulumi-stack" is missing; add it with value "prod_eu" to labels`, findings[0].Message)
}
