package analyzer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

const blockType = "gcp:pubsub/topic:Topic"

// blocking is a test policy that never returns until released: it stands for
// a policy stuck on a pathological input.
func blocking(entered chan<- struct{}, release <-chan struct{}) *policy.Policy {
	return policy.Resource(policy.Meta{
		Name: "test-blocks", Title: "Blocks", Description: "A test policy that blocks.",
		Remediation: "None.", URL: "https://cloud.google.com/", Severity: policy.High, Level: policy.Mandatory,
		Family: "labels", Types: []string{blockType},
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		entered <- struct{}{}
		<-release
	})
}

func analyzeTopic(srv interface {
	Analyze(context.Context, *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error)
}, t *testing.T) *pulumirpc.AnalyzeResponse {
	resp, err := srv.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{
		Type: blockType, Urn: "urn:pulumi:dev::etl::" + blockType + "::events",
		Properties: props(t, map[string]property.Value{"labels": labels2()}),
	})
	require.NoError(t, err)
	return resp
}

func TestBlockedPolicyTimesOutAndFailsClosed(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	srv, _ := newServer(t, blocking(entered, release))
	srv.SetTimeout(20 * time.Millisecond)
	resp := analyzeTopic(srv, t)
	got := byPolicy(resp)
	require.Len(t, got["test-blocks"], 1)
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, got["test-blocks"][0].GetEnforcementLevel())
	assert.Contains(t, got["test-blocks"][0].GetMessage(), "could not evaluate test-blocks on urn:pulumi:dev::etl::"+blockType+"::events: evaluation timed out")
}

func TestCancelReleasesInFlightCallsAndKeepsServing(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	srv, _ := newServer(t, blocking(entered, release))
	srv.SetTimeout(0) // only Cancel can end the call

	var wg sync.WaitGroup
	var resp *pulumirpc.AnalyzeResponse
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp = analyzeTopic(srv, t)
	}()
	<-entered // the policy is running
	_, err := srv.Cancel(context.Background(), &emptypb.Empty{})
	require.NoError(t, err)
	wg.Wait()
	got := byPolicy(resp)
	require.Len(t, got["test-blocks"], 1)
	assert.Contains(t, got["test-blocks"][0].GetMessage(), "evaluation was cancelled")

	// The server keeps serving after Cancel.
	job := analyze(t, srv, jobType, jobURN, map[string]property.Value{"labels": labels2()})
	assert.NotEmpty(t, byPolicy(job)["dataflow-dedicated-worker-service-account"])
}

func TestTimeoutFromEnvironment(t *testing.T) {
	t.Setenv("DATAFLOW_GUARDRAILS_TIMEOUT", "not-a-duration")
	srv, log := newServer(t)
	_ = srv
	assert.Contains(t, log.String(), "ignoring DATAFLOW_GUARDRAILS_TIMEOUT")
}

// A remediation stuck on a pathological input is bounded by the server's
// time limit like Analyze: the engine gets a diagnostic instead of waiting in
// its main loop.
func TestBlockedRemediationTimesOut(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	stuck := policy.Resource(policy.Meta{
		Name: "test-blocks-remediation", Title: "Blocks", Description: "A test policy whose remediation blocks.",
		Remediation: "None.", URL: "https://cloud.google.com/", Severity: policy.High, Level: policy.Remediate,
		Family: "labels", Types: []string{blockType},
	}, func(*policy.Call, *gcp.Resource, *struct{}) {})
	stuck = policy.WithRemediation(stuck, func(c *policy.Call, r *gcp.Resource, _ *struct{}) (property.Map, bool) {
		entered <- struct{}{}
		<-release
		return r.Props, true
	})
	srv, _ := newServer(t, stuck)
	srv.SetTimeout(20 * time.Millisecond)
	resp, err := srv.Remediate(context.Background(), &pulumirpc.AnalyzeRequest{
		Type: blockType, Urn: "urn:pulumi:dev::etl::" + blockType + "::events",
		Properties: props(t, map[string]property.Value{"labels": labels2()}),
	})
	require.NoError(t, err)
	<-entered
	require.Len(t, resp.GetRemediations(), 1)
	rem := resp.GetRemediations()[0]
	assert.Equal(t, "test-blocks-remediation", rem.GetPolicyName())
	assert.Nil(t, rem.GetProperties())
	assert.Equal(t, "could not evaluate test-blocks-remediation on urn:pulumi:dev::etl::"+blockType+"::events: evaluation timed out after 20ms",
		rem.GetDiagnostic())
}
