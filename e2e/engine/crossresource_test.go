package engine

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/harness"
)

// workerOverGrantProgram grants a worker-named service account an admin
// role, with no Dataflow job in the stack: nothing but its name says the
// account is a worker.
func workerOverGrantProgram(ctx *pulumi.Context) error {
	return workerWithGrants(ctx, [2]string{"worker-bigquery-admin", "roles/bigquery.admin"})
}

// Scenario 14 (issue 14, 3): with the worker naming convention configured,
// `pulumi up --skip-preview` (the Automation API's up) stops a worker's
// over-grant before the provider creates it: the resource policy
// dataflow-worker-grant-allowed-roles judges the grant on its own, where
// the stack policy dataflow-worker-least-privilege would run only after the
// grant exists (and here finds no job to name the worker at all).
func TestWorkerOverGrantStoppedWithoutStack(t *testing.T) {
	const pWorkerGrant = "dataflow-worker-grant-allowed-roles"
	env := harness.NewEnv(t)
	s := env.NewStack(t, project, "workergrant", workerOverGrantProgram, baseConfig())
	bad, good := s.URN(tProjIAMMember, "worker-bigquery-admin"), s.URN(tProjIAMMember, "worker-dataflow-worker")
	cfg := env.WriteFile(t, "worker-pattern.json",
		`{"`+pWorkerGrant+`": {"serviceAccountPattern": "etl-[a-z-]*worker@`+gcpProject+`\\.iam\\.gserviceaccount\\.com"}}`)

	up := s.Up(t, harness.PolicyConfig(cfg))
	logFindings(t, up)
	requireFailed(t, up)
	got := up.ViolationsOf(pWorkerGrant, bad)
	if assert.Len(t, got, 1, up.Dump()) {
		assert.Equal(t, "mandatory", got[0].EnforcementLevel)
		assert.Contains(t, got[0].Message, `"roles/bigquery.admin"`)
		assert.Contains(t, got[0].Message, `"serviceAccount:`+workerEmail+`"`)
	}
	assert.Empty(t, up.ViolationsOf(pWorkerGrant, good))
	assertNotCreated(t, up, bad)
}
