package engine

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/harness"
)

// referenceStreamingStack is the reference platform the engine deploys: the
// same export `check` judges in examples/reference_stacks_test.go.
const referenceStreamingStack = "../../testdata/stacks/reference-streaming-pubsub-bigquery.json"

type exportedResource struct {
	URN    string         `json:"urn"`
	Custom bool           `json:"custom"`
	Type   string         `json:"type"`
	Inputs map[string]any `json:"inputs"`
}

// readReferenceStack returns the custom resources of a reference stack and
// the inputs of its default gcp provider.
func readReferenceStack(t *testing.T, path string) (resources []exportedResource, provider map[string]any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Deployment struct{ Resources []exportedResource } `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	for _, r := range doc.Deployment.Resources {
		switch {
		case r.Type == tGCPProvider:
			provider = r.Inputs
		case r.Custom:
			resources = append(resources, r)
		}
	}
	require.NotNil(t, provider, "%s has no gcp provider", path)
	return resources, provider
}

// urnName is the resource name at the end of a URN.
func urnName(urn string) string { return urn[strings.LastIndex(urn, "::")+2:] }

// referenceProgram registers every resource of an exported stack with its
// recorded inputs, under the default gcp provider, so the engine and the
// pack see the very resources and property names the export holds (and no
// SDK package has to be compiled for them).
func referenceProgram(resources []exportedResource) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		for _, r := range resources {
			var res struct{ pulumi.CustomResourceState }
			if err := ctx.RegisterResource(r.Type, urnName(r.URN), pulumi.ToMap(r.Inputs), &res,
				pulumi.Version("9.6.0")); err != nil {
				return err
			}
		}
		return nil
	}
}

// Scenario (issue 13): a reference platform built the way Google documents a
// secure streaming Pub/Sub -> Dataflow -> BigQuery setup (CMEK in the job's
// region, private IPs on a Shared VPC subnetwork, a dedicated worker with
// resource-level data roles, regional Dataflow logs) goes through preview
// and up with no policy event at all, and its export is clean in `check`.
func TestReferenceStreamingPlatform(t *testing.T) {
	resources, provider := readReferenceStack(t, referenceStreamingStack)
	require.GreaterOrEqual(t, len(resources), 25)
	// The export's own project and stack names, so URNs and the
	// pulumi-project / pulumi-stack default labels match it exactly.
	stackURN := strings.SplitN(resources[0].URN, "::", 3)
	stackName, projectName := strings.TrimPrefix(stackURN[0], "urn:pulumi:"), stackURN[1]
	config := auto.ConfigMap{}
	for _, key := range []string{"project", "region", "defaultLabels"} {
		v, ok := provider[key].(string)
		require.True(t, ok, "provider %s", key)
		config["gcp:"+key] = auto.ConfigValue{Value: v}
	}

	env := harness.NewEnv(t)
	s := env.NewStack(t, projectName, stackName, referenceProgram(resources), config)

	pre := s.Preview(t)
	logFindings(t, pre)
	requireOK(t, pre)
	assert.Empty(t, pre.Violations, "preview must report no policy event\n%s", pre.Dump())

	up := s.Up(t)
	logFindings(t, up)
	requireOK(t, up)
	assert.Empty(t, up.Violations, "up must report no policy event\n%s", up.Dump())
	var want []string
	for _, r := range resources {
		want = append(want, r.URN)
	}
	assert.ElementsMatch(t, want, up.CreatedURNs(), "up must create every resource")
	assert.NotEmpty(t, up.StackPassed(), "the stack policies ran")

	// What the engine recorded is what `check` judges too.
	exported, err := s.Auto.Export(context.Background())
	require.NoError(t, err)
	data, err := json.Marshal(exported)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "export.json")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	out, err := exec.Command(harness.PackBinary(t), "check", "--format", "json", path).Output()
	require.NoError(t, err, "check on the deployed stack's export: %s", out)
	var rep struct{ Findings []json.RawMessage }
	require.NoError(t, json.Unmarshal(out, &rep))
	assert.Empty(t, rep.Findings, "check on the deployed stack's export: %s", out)
}
