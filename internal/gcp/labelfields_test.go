package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestLabelsAtTheirSDKPath(t *testing.T) {
	provider := &gcp.Provider{Props: property.NewMap(map[string]property.Value{
		"defaultLabels": property.New(`{"team":"data"}`),
	})}
	str := property.New[string]
	run := func(props map[string]property.Value) *gcp.Resource {
		return &gcp.Resource{Type: "gcp:cloudrun/service:Service", Provider: provider, Props: property.NewMap(props)}
	}

	// A Cloud Run v1 Service's labels are metadata.labels, merged with the
	// provider's defaults and attribution label like top-level labels.
	sets := gcp.Labels(run(map[string]property.Value{"metadata": property.New(map[string]property.Value{
		"namespace": str("p"), "labels": property.New(map[string]property.Value{"env": str("prod")}),
	})}))
	require.Len(t, sets, 1)
	assert.Equal(t, "metadata.labels", sets[0].Own.Path())
	require.NotNil(t, sets[0].Defaults)
	assert.True(t, sets[0].Attribution)
	v, present, final := sets[0].Lookup("team")
	assert.Equal(t, gcp.Set, present)
	assert.True(t, final)
	assert.Equal(t, "data", v.Str())

	// Without metadata pulumi-gcp merges nothing.
	sets = gcp.Labels(run(map[string]property.Value{"name": str("bare")}))
	require.Len(t, sets, 1)
	assert.Equal(t, "metadata.labels", sets[0].Own.Path())
	assert.Nil(t, sets[0].Defaults)
	assert.False(t, sets[0].Attribution)
	_, present, _ = sets[0].Lookup("team")
	assert.Equal(t, gcp.Absent, present)

	// A GKE cluster's are resourceLabels.
	gke := &gcp.Resource{Type: gcp.ContainerCluster, Provider: provider, Props: property.NewMap(nil)}
	require.Len(t, gcp.Labels(gke), 1)
	assert.Equal(t, "resourceLabels", gcp.Labels(gke)[0].Own.Path())

	assert.Contains(t, gcp.LabelTargets(), "gcp:cloudrun/service:Service")
	assert.Contains(t, gcp.LabelTargets(), "gcp:cloudrun/domainMapping:DomainMapping")
	assert.NotContains(t, gcp.LabelTypes(), "gcp:cloudrun/service:Service", "LabelTypes lists top-level labels only")
	assert.Contains(t, gcp.LabelTypes(), gcp.DataflowJob)
	assert.Equal(t, []string{"metadata", "labels"}, gcp.LabelFieldPaths()["gcp:cloudrun/service:Service"])
}
