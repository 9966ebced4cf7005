package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestPipelineOptionsEverywhere(t *testing.T) {
	flex := resource(gcp.DataflowFlexTemplateJob, map[string]property.Value{
		"parameters": obj(map[string]property.Value{
			"--defaultWorkerLogLevel":      str("OFF"),
			"inputTopic":                   str("t"),
			"service_account_email=evil@x": str("y"),
			"--":                           str("skipped"),
		}),
		"additionalPipelineOptions": property.New([]property.Value{
			str("--default_sdk_harness_log_level=ERROR"), str("streaming"), str("numberOfWorkerHarnessThreads=20"),
			str("workerLogLevelOverrides={\"a\":\"OFF\"}").WithSecret(true), computed, str(" --temp_location  gs://b/t "),
		}),
		"additionalExperiments": strs("use_runner_v2"),
	})
	opts, unknown := gcp.PipelineOptions(flex)
	require.Len(t, unknown, 1)
	assert.Equal(t, "additionalPipelineOptions[4]", unknown[0].Path())
	byPath := map[string]gcp.PipelineOption{}
	for _, o := range opts {
		byPath[o.Path()] = o
	}
	require.Len(t, byPath, 8)
	p := byPath["parameters.--defaultWorkerLogLevel"]
	assert.Equal(t, "defaultWorkerLogLevel", p.Name)
	assert.Equal(t, gcp.FromParameters, p.Source)
	assert.True(t, p.Sets(gcp.OptionDefaultWorkerLogLevel).Java)
	assert.Equal(t, "OFF", p.Value.Str())
	cut := byPath[`parameters["service_account_email=evil@x"]`]
	assert.Equal(t, "service_account_email", cut.Name, "a key is cut at its first =")
	assert.Equal(t, "evil@x=y", cut.Value.Str(), "the rest of the key comes before the value")
	l := byPath["additionalPipelineOptions[0]"]
	assert.Equal(t, "default_sdk_harness_log_level", l.Name)
	assert.Equal(t, gcp.FromPipelineOptions, l.Source)
	assert.Equal(t, gcp.PythonFlag, l.Sets(gcp.OptionDefaultSdkHarnessLogLevel).Python)
	assert.Equal(t, "ERROR", l.Value.Str())
	bare := byPath["additionalPipelineOptions[1]"]
	assert.True(t, bare.Bare)
	assert.True(t, bare.Value.IsAbsent())
	s := byPath["additionalPipelineOptions[3]"]
	assert.True(t, s.Sets(gcp.OptionWorkerLogLevelOverrides).Java)
	assert.True(t, s.Value.Secret())
	assert.Equal(t, "[secret]", s.Value.Display())
	spaced := byPath["additionalPipelineOptions[5]"]
	assert.Equal(t, "temp_location", spaced.Name, "`--name value` is read too")
	assert.Equal(t, "gs://b/t", spaced.Value.Str())

	job := resource(gcp.DataflowJob, map[string]property.Value{"parameters": computed})
	opts, unknown = gcp.PipelineOptions(job)
	assert.Empty(t, opts)
	require.Len(t, unknown, 1)
	assert.Equal(t, "parameters", unknown[0].Path())

	pipeline := resource(gcp.DataflowPipeline, map[string]property.Value{"workload": obj(map[string]property.Value{
		"dataflowFlexTemplateRequest": obj(map[string]property.Value{"launchParameter": obj(map[string]property.Value{
			"parameters":    obj(map[string]property.Value{"a": str("1")}),
			"launchOptions": obj(map[string]property.Value{"b": str("2")}),
		})}),
		"dataflowLaunchTemplateRequest": obj(map[string]property.Value{"launchParameters": computed}),
	})})
	opts, unknown = gcp.PipelineOptions(pipeline)
	require.Len(t, opts, 2)
	assert.Equal(t, "workload.dataflowFlexTemplateRequest.launchParameter.parameters.a", opts[0].Path())
	assert.Equal(t, "workload.dataflowFlexTemplateRequest.launchParameter.launchOptions.b", opts[1].Path())
	require.Len(t, unknown, 1)
	assert.Equal(t, "workload.dataflowLaunchTemplateRequest.launchParameters", unknown[0].Path())

	_, unknown = gcp.PipelineOptions(resource(gcp.DataflowPipeline, map[string]property.Value{"workload": computed}))
	require.Len(t, unknown, 1)
	assert.Equal(t, "workload", unknown[0].Path())

	opts, unknown = gcp.PipelineOptions(resource("gcp:storage/bucket:Bucket", nil))
	assert.Empty(t, opts)
	assert.Empty(t, unknown)
}

// TestBeamOptionMatch pins how each SDK reads a name: Java exact, Python
// flags, aliases, negations and pre-2.66 prefixes; lookalikes no SDK reads.
func TestBeamOptionMatch(t *testing.T) {
	for _, tc := range []struct {
		opt    *gcp.BeamOption
		name   string
		java   bool
		python gcp.PythonMatch
		other  bool
		as     string
	}{
		{gcp.OptionServiceAccount, "serviceAccount", true, gcp.PythonNone, false, "serviceAccount"},
		{gcp.OptionServiceAccount, "service_account_email", false, gcp.PythonFlag, false, "service_account_email"},
		{gcp.OptionServiceAccount, "service_acc", false, gcp.PythonPrefix, false, "service_account_email"},
		{gcp.OptionServiceAccount, "s", false, gcp.PythonPrefix, false, "service_account_email"},
		{gcp.OptionServiceAccount, "serviceAccountEmail", false, gcp.PythonNone, true, "serviceAccountEmail"},
		{gcp.OptionServiceAccount, "SERVICEACCOUNTEMAIL", false, gcp.PythonNone, false, ""},
		{gcp.OptionServiceAccount, "service-account-email", false, gcp.PythonNone, false, ""},
		{gcp.OptionServiceAccount, "serviceaccount", false, gcp.PythonNone, false, ""},
		{gcp.OptionServiceAccount, "service_account_email_x", false, gcp.PythonNone, false, ""},
		{gcp.OptionUsePublicIPs, "no_use_public_ips", false, gcp.PythonNegation, false, "no_use_public_ips"},
		{gcp.OptionUsePublicIPs, "no_use", false, gcp.PythonPrefix, false, "no_use_public_ips"},
		{gcp.OptionUsePublicIPs, "use_public", false, gcp.PythonPrefix, false, "use_public_ips"},
		{gcp.OptionUsePublicIPs, "usePublicIps", true, gcp.PythonNone, false, "usePublicIps"},
		{gcp.OptionUsePublicIPs, "noUsePublicIps", false, gcp.PythonNone, false, ""},
		{gcp.OptionLabels, "label", false, gcp.PythonFlag, false, "label"},
		{gcp.OptionLabels, "labels", true, gcp.PythonFlag, false, "labels"},
		{gcp.OptionLabels, "labels_table", false, gcp.PythonNone, false, ""},
		{gcp.OptionSubnetwork, "subnet", false, gcp.PythonPrefix, false, "subnetwork"},
		{gcp.OptionKMSKey, "dataflow_kms", false, gcp.PythonPrefix, false, "dataflow_kms_key"},
		{gcp.OptionTempLocation, "gcpTempLocation", true, gcp.PythonNone, false, "gcpTempLocation"},
		{gcp.OptionTempLocation, "temp", false, gcp.PythonPrefix, false, "temp_location"},
		{gcp.OptionTempLocation, "templ", false, gcp.PythonNone, false, ""},
		{gcp.OptionExperiments, "experiment", false, gcp.PythonFlag, false, "experiment"},
		{gcp.OptionNetwork, "", false, gcp.PythonNone, false, ""},
	} {
		m := tc.opt.Match(tc.name)
		assert.Equal(t, tc.java, m.Java, "%s java", tc.name)
		assert.Equal(t, tc.python, m.Python, "%s python", tc.name)
		assert.Equal(t, tc.other, m.Other, "%s other", tc.name)
		assert.Equal(t, tc.as, m.Spelling, "%s spelling", tc.name)
		assert.Equal(t, tc.as != "", m.Matched(), tc.name)
	}
	assert.Contains(t, gcp.OptionLabels.Match("label").How(gcp.OptionLabels), "alias of labels")
	assert.Contains(t, gcp.OptionSubnetwork.Match("subnet").How(gcp.OptionSubnetwork), "prefix Beam Python before 2.66 expands to its flag subnetwork")
	assert.Contains(t, gcp.OptionUsePublicIPs.Match("no_use_public_ips").How(gcp.OptionUsePublicIPs), "negative flag for use_public_ips")
	assert.Empty(t, gcp.OptionNetwork.Match("network").How(gcp.OptionNetwork))
}

func TestOptionLocations(t *testing.T) {
	flex := resource(gcp.DataflowFlexTemplateJob, map[string]property.Value{
		"tempLocation":         str("gs://Declared/tmp"),
		"stagingLocation":      computed,
		"containerSpecGcsPath": str("gs://templates/t.json"),
		"parameters": obj(map[string]property.Value{
			"temp_location": str("gs://other/tmp"), "stagingLocation": computed, "gcpTempLocation": str("/local"),
			"input": str("gs://in/x"),
		}),
	})
	declared := gcp.DeclaredTempLocations(flex)
	require.Len(t, declared, 2)
	assert.Equal(t, "stagingLocation", declared[0].Value.Path())
	assert.True(t, declared[0].Value.IsUnknown())
	assert.Equal(t, "declared", declared[1].Bucket)

	opts, _ := gcp.PipelineOptions(flex)
	locs := gcp.OptionGCSLocations(opts)
	byPath := map[string]gcp.GCSLocation{}
	for _, l := range locs {
		byPath[l.Value.Path()] = l
	}
	require.Len(t, byPath, 3)
	assert.Equal(t, "other", byPath["parameters.temp_location"].Bucket)
	assert.True(t, byPath["parameters.stagingLocation"].Value.IsUnknown())
	assert.Equal(t, "", byPath["parameters.gcpTempLocation"].Bucket)

	unknownWorkload := resource(gcp.DataflowPipeline, map[string]property.Value{"workload": computed})
	require.Len(t, gcp.DeclaredTempLocations(unknownWorkload), 1)
}
