package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestExperiments(t *testing.T) {
	job := resource(gcp.DataflowJob, map[string]property.Value{
		"additionalExperiments": property.New([]property.Value{
			str("use_runner_v2"), str("--use_public_ips=false"), computed, property.New(7.0),
			str("a=b=c,network=default"),
		}),
		"parameters": obj(map[string]property.Value{
			"experiments":             str("enable_x,subnetwork=regions/r/subnetworks/s"),
			"dataflow_service_option": str("enable_secure_boot"),
			"dataflowServiceOptions":  computed,
			"inputFile":               str("gs://x/y,network=z"),
		}),
	})
	opts, _ := gcp.PipelineOptions(job)
	items, unknown := gcp.Experiments(job, opts)
	byName := map[string]gcp.PipelineOption{}
	for _, it := range items {
		assert.Equal(t, gcp.FromExperiments, it.Source)
		byName[it.Name] = it
	}
	assert.True(t, byName["use_runner_v2"].Bare)
	assert.Equal(t, "additionalExperiments[0]", byName["use_runner_v2"].Path())
	assert.Equal(t, "false", byName["use_public_ips"].Value.Str())
	assert.Equal(t, "additionalExperiments[4]", byName["network"].Path(), "Java splits a=b=c,network=default in two")
	assert.Equal(t, "b=c,network=default", byName["a"].Value.Str(), "Beam Python keeps it whole")
	assert.Equal(t, "parameters.experiments", byName["subnetwork"].Path())
	assert.Equal(t, "parameters.dataflow_service_option", byName["enable_secure_boot"].Path())
	_, fromInput := byName["gs://x/y"]
	assert.False(t, fromInput, "values of other options are not experiments")
	paths := []string{}
	for _, u := range unknown {
		paths = append(paths, u.Path())
	}
	assert.ElementsMatch(t, []string{"additionalExperiments[2]", "parameters.dataflowServiceOptions"}, paths)

	flex := resource(gcp.DataflowFlexTemplateJob, map[string]property.Value{"additionalExperiments": computed})
	items, unknown = gcp.Experiments(flex, nil)
	assert.Empty(t, items)
	require.Len(t, unknown, 1)
	assert.Equal(t, "additionalExperiments", unknown[0].Path())

	pipeline := resource(gcp.DataflowPipeline, map[string]property.Value{"workload": obj(map[string]property.Value{
		"dataflowFlexTemplateRequest": obj(map[string]property.Value{"launchParameter": obj(map[string]property.Value{
			"environment": obj(map[string]property.Value{"additionalExperiments": strs("service_account_email=x@y")}),
		})}),
		"dataflowLaunchTemplateRequest": obj(map[string]property.Value{"launchParameters": obj(map[string]property.Value{
			"environment": computed,
		})}),
	})})
	items, unknown = gcp.Experiments(pipeline, nil)
	require.Len(t, items, 1)
	assert.Equal(t, "workload.dataflowFlexTemplateRequest.launchParameter.environment.additionalExperiments[0]", items[0].Path())
	assert.True(t, items[0].Sets(gcp.OptionServiceAccount).Matched())
	require.Len(t, unknown, 1)
	assert.Equal(t, "workload.dataflowLaunchTemplateRequest.launchParameters.environment", unknown[0].Path())

	_, unknown = gcp.Experiments(resource(gcp.DataflowPipeline, map[string]property.Value{"workload": computed}), nil)
	require.Len(t, unknown, 1)
	assert.Equal(t, "workload", unknown[0].Path())

	items, unknown = gcp.Experiments(resource("gcp:storage/bucket:Bucket", nil), nil)
	assert.Empty(t, items)
	assert.Empty(t, unknown)
}

func TestSplitOptionList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                                 nil,
		"a":                                {"a"},
		" a , b ,,c":                       {"a", "b", "c"},
		"abc,def,master_key=k1=v1,k2=v2":   {"abc", "def", "master_key=k1=v1", "k2=v2", "master_key=k1=v1,k2=v2"},
		"a=b=c,use_public_ips=false":       {"a=b=c", "use_public_ips=false", "a=b=c,use_public_ips=false"},
		"x=1,network=default":              {"x=1", "network=default"},
		"min_cpu_platform=Intel Skylake,y": {"min_cpu_platform=Intel Skylake", "y"},
	} {
		assert.Equal(t, want, gcp.SplitOptionList(in), in)
	}
}
