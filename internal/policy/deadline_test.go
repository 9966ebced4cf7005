package policy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
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

// fixer is a remediating policy that sets the `fixed` input (a list of the
// fixers that ran), or blocks until release is closed when block is set.
func fixer(name string, release <-chan struct{}, block bool) *policy.Policy {
	p := policy.Resource(meta(name, policy.Remediate), func(*policy.Call, *gcp.Resource, *struct{}) {})
	return policy.WithRemediation(p, func(c *policy.Call, r *gcp.Resource, _ *struct{}) (property.Map, bool) {
		if block {
			<-release
		}
		var fixed []property.Value
		if v := r.Props.Get("fixed"); v.IsArray() {
			fixed = v.AsArray().AsSlice()
		}
		return r.Props.Set("fixed", property.New(append(fixed, property.New(name)))), true
	})
}

// Remediate is bounded like Analyze: a remediation that never returns fails
// closed as a diagnostic, and so does every later one (each works on the
// inputs the one before it left); the ones that finished still count.
func TestRemediateHonoursTheTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	pack := newPack(t, fixer("first", release, false), fixer("stuck", release, true), fixer("last", release, false))
	start := time.Now()
	rems, _ := pack.Remediate(context.Background(), res(), policy.Options{Timeout: 30 * time.Millisecond})
	assert.Less(t, time.Since(start), 10*time.Second, "the call does not wait for the blocked remediation")
	require.Len(t, rems, 3)
	assert.Equal(t, "first", rems[0].Policy)
	assert.Empty(t, rems[0].Diagnostic)
	assert.Equal(t, []property.Value{property.New("first")}, rems[0].Props.Get("fixed").AsArray().AsSlice())
	for _, rem := range rems[1:] {
		assert.Equal(t, "could not evaluate "+rem.Policy+" on urn:pulumi:dev::etl::"+bucket+"::b: evaluation timed out after 30ms", rem.Diagnostic)
		assert.Zero(t, rem.Props.Len(), "a remediation that did not finish changes nothing")
	}
	assert.Equal(t, []string{"first", "stuck", "last"}, []string{rems[0].Policy, rems[1].Policy, rems[2].Policy})

	// Without a deadline every remediation runs, each on the inputs the one before it left.
	unbounded := newPack(t, fixer("a", release, false), fixer("b", release, false))
	rems, _ = unbounded.Remediate(context.Background(), res(), policy.Options{})
	require.Len(t, rems, 2)
	assert.Equal(t, []property.Value{property.New("a"), property.New("b")}, rems[1].Props.Get("fixed").AsArray().AsSlice())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rems, _ = unbounded.Remediate(ctx, res(), policy.Options{})
	require.Len(t, rems, 2)
	for _, rem := range rems {
		assert.Contains(t, rem.Diagnostic, "evaluation was cancelled")
	}
}
