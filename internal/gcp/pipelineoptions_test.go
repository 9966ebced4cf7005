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
		"parameters": obj(map[string]property.Value{"--defaultWorkerLogLevel": str("OFF"), "inputTopic": str("t")}),
		"additionalPipelineOptions": property.New([]property.Value{
			str("--default_worker_log_level=ERROR"), str("streaming"), str("numberOfWorkerHarnessThreads=20"),
			str("workerLogLevelOverrides={\"a\":\"OFF\"}").WithSecret(true), computed,
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
	require.Len(t, byPath, 6)
	p := byPath["parameters.--defaultWorkerLogLevel"]
	assert.True(t, p.Is("defaultWorkerLogLevel", "default_worker_log_level"))
	assert.Equal(t, "OFF", p.Value.Str())
	l := byPath["additionalPipelineOptions[0]"]
	assert.Equal(t, "default_worker_log_level", l.Name)
	assert.True(t, l.Is("defaultWorkerLogLevel"))
	assert.Equal(t, "ERROR", l.Value.Str())
	assert.Equal(t, "additionalPipelineOptions[0]", l.Value.Path())
	bare := byPath["additionalPipelineOptions[1]"]
	assert.True(t, bare.Bare)
	assert.True(t, bare.Value.IsAbsent())
	s := byPath["additionalPipelineOptions[3]"]
	assert.True(t, s.Is("WORKERLOGLEVELOVERRIDES"))
	assert.True(t, s.Value.Secret())
	assert.Equal(t, "[secret]", s.Value.Display())

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
