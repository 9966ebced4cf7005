package policy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// blocker blocks on buckets until release is closed.
func blocker(name string, release <-chan struct{}) *policy.Policy {
	return policy.Resource(meta(name, policy.Mandatory), func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		<-release
	})
}

func TestTimedOutPolicyFailsClosedAndFinishedOnesCount(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	pack := newPack(t, reporter("first", policy.Mandatory), blocker("stuck", release), reporter("last", policy.Advisory))
	fs, _ := pack.Analyze(context.Background(), res("violation"), policy.Options{Timeout: 30 * time.Millisecond})
	require.Len(t, fs, 3)
	assert.Equal(t, "first", fs[0].Policy)
	assert.Contains(t, fs[0].Message, "is wrong")
	for _, f := range fs[1:] {
		assert.Contains(t, f.Message, "could not evaluate "+f.Policy+" on urn:pulumi:dev::etl::"+bucket+"::b: evaluation timed out after 30ms")
	}
	assert.Equal(t, policy.Advisory, fs[2].Level, "a policy that never ran fails closed at its own level")
}

// A shorter deadline than the ones in flight still expires on time: the
// shared timer is re-armed for the earliest.
func TestEachCallKeepsItsOwnDeadline(t *testing.T) {
	release := make(chan struct{})
	pack := newPack(t, blocker("stuck", release))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		fs, _ := pack.Analyze(context.Background(), res(), policy.Options{Timeout: time.Minute})
		assert.Empty(t, fs, "released in time, the policy passes")
	}()
	time.Sleep(10 * time.Millisecond) // the long call arms the timer first
	start := time.Now()
	fs, _ := pack.Analyze(context.Background(), res(), policy.Options{Timeout: 20 * time.Millisecond})
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "timed out after 20ms")
	assert.Less(t, time.Since(start), 30*time.Second, "the short deadline does not wait for the long one")

	// Calls after an expiry still get theirs.
	fs, _ = pack.Analyze(context.Background(), res(), policy.Options{Timeout: 20 * time.Millisecond})
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "timed out after 20ms")

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	fs, _ = pack.Analyze(ctx, res(), policy.Options{Timeout: time.Minute})
	require.Len(t, fs, 1)
	assert.Contains(t, fs[0].Message, "evaluation was cancelled")
	close(release)
	wg.Wait()
}

func TestNotApplicableListsFollowTheConfiguration(t *testing.T) {
	pack := newPack(t, reporter("p", policy.Mandatory), reporter("q", policy.Advisory))
	topic := &gcp.Resource{Type: "gcp:pubsub/topic:Topic"}
	_, na := pack.Analyze(context.Background(), topic, policy.Options{})
	assert.Len(t, na, 2)
	_, again := pack.Analyze(context.Background(), topic, policy.Options{})
	assert.Equal(t, na, again)
	_, only := pack.Analyze(context.Background(), topic, policy.Options{Only: map[string]bool{"q": true}})
	require.Len(t, only, 1)
	assert.Equal(t, "q", only[0].Policy)
	_, err := pack.Configure(map[string]policy.PolicyConfig{"p": {Level: policy.Disabled}})
	require.NoError(t, err)
	_, na = pack.Analyze(context.Background(), topic, policy.Options{})
	require.Len(t, na, 1, "a new configuration lists its own enabled policies")
	assert.Equal(t, "q", na[0].Policy)
	_, na = pack.Analyze(context.Background(), &gcp.Resource{Type: bucket}, policy.Options{})
	assert.Empty(t, na)
}
