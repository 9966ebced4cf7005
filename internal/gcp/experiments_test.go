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
		}),
	})
	opts, unknown := gcp.Experiments(job)
	require.Len(t, opts, 2)
	assert.Equal(t, "use_runner_v2", opts[0].Name)
	assert.True(t, opts[0].Bare)
	assert.Equal(t, "additionalExperiments[0]", opts[0].Path())
	assert.True(t, opts[1].Is("usePublicIps"))
	assert.Equal(t, "false", opts[1].Value.Str())
	require.Len(t, unknown, 1)
	assert.Equal(t, "additionalExperiments[2]", unknown[0].Path())

	flex := resource(gcp.DataflowFlexTemplateJob, map[string]property.Value{"additionalExperiments": computed})
	opts, unknown = gcp.Experiments(flex)
	assert.Empty(t, opts)
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
	opts, unknown = gcp.Experiments(pipeline)
	require.Len(t, opts, 1)
	assert.Equal(t, "workload.dataflowFlexTemplateRequest.launchParameter.environment.additionalExperiments[0]", opts[0].Path())
	assert.True(t, opts[0].Is("serviceAccountEmail"))
	require.Len(t, unknown, 1)
	assert.Equal(t, "workload.dataflowLaunchTemplateRequest.launchParameters.environment", unknown[0].Path())

	_, unknown = gcp.Experiments(resource(gcp.DataflowPipeline, map[string]property.Value{"workload": computed}))
	require.Len(t, unknown, 1)
	assert.Equal(t, "workload", unknown[0].Path())

	opts, unknown = gcp.Experiments(resource("gcp:storage/bucket:Bucket", nil))
	assert.Empty(t, opts)
	assert.Empty(t, unknown)
}
