package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestActAsPredefinedRoles(t *testing.T) {
	roles := gcp.ActAsPredefinedRoles()
	for _, want := range []string{"roles/iam.serviceAccountUser", "roles/owner", "roles/editor", "roles/dataflow.serviceAgent"} {
		assert.Contains(t, roles, want)
	}
	// Checked against Google's role reference: these do not include actAs.
	for _, not := range []string{"roles/iam.serviceAccountAdmin", "roles/iam.serviceAccountTokenCreator",
		"roles/iam.workloadIdentityUser", "roles/iam.securityAdmin", "roles/dataflow.admin", "roles/dataflow.developer",
		"roles/composer.worker"} {
		assert.NotContains(t, roles, not)
	}
	assert.IsIncreasing(t, roles)
}

func TestRoleActsAs(t *testing.T) {
	launcher := idRes(gcp.ProjectCustomRole, "launcher", map[string]any{"roleId": "launcher", "project": idProject,
		"name": "projects/" + idProject + "/roles/launcher", "permissions": []string{"dataflow.jobs.create", "iam.serviceAccounts.actAs"}})
	reader := idRes(gcp.ProjectCustomRole, "reader", map[string]any{"roleId": "reader", "project": idProject,
		"name": "?", "permissions": []string{"storage.objects.get"}})
	pending := idRes(gcp.OrganizationCustomRole, "pending", map[string]any{"roleId": "pending", "orgId": "42",
		"name": "?", "permissions": "?"})
	unnamed := idRes(gcp.ProjectCustomRole, "unnamed", map[string]any{"roleId": "?", "project": idProject,
		"permissions": []string{"IAM.ServiceAccounts.ActAs"}})
	wild := idRes(gcp.ProjectCustomRole, "wild", map[string]any{"roleId": "wild", "project": idProject,
		"name": "projects/" + idProject + "/roles/wild", "permissions": []string{"storage.*", "iam.serviceAccounts.*"}})
	storageOnly := idRes(gcp.ProjectCustomRole, "storage", map[string]any{"roleId": "storage", "project": idProject,
		"name": "projects/" + idProject + "/roles/storage", "permissions": []string{"storage.*"}})
	s := idStack(launcher, reader, pending, wild, storageOnly)
	cases := []struct {
		stack *gcp.Stack
		role  string
		want  gcp.Answer
		on    *gcp.Resource
	}{
		{s, "roles/iam.serviceAccountUser", gcp.Yes, nil},
		{s, "roles/dataflow.developer", gcp.No, nil},
		{s, "projects/" + idProject + "/roles/launcher", gcp.Yes, nil},
		{s, "projects/" + idProject + "/roles/reader", gcp.No, nil},
		{s, "organizations/42/roles/pending", gcp.Maybe, pending},
		{s, "organizations/43/roles/pending", gcp.No, nil},
		{s, "projects/other/roles/launcher", gcp.No, nil},
		{s, "projects/" + idProject + "/roles/wild", gcp.Yes, nil},
		{s, "projects/" + idProject + "/roles/storage", gcp.No, nil},
		{s, "projects/" + idProject + "/roles/not-in-stack", gcp.No, nil},
		{idStack(unnamed), "projects/" + idProject + "/roles/anything", gcp.Maybe, unnamed},
		{idStack(unnamed), "organizations/1/roles/anything", gcp.No, nil},
	}
	for _, tc := range cases {
		got, on := tc.stack.RoleActsAs(tc.role)
		assert.Equal(t, tc.want, got, tc.role)
		assert.Equal(t, tc.on, on, tc.role)
	}
}

func TestAnswer(t *testing.T) {
	assert.Equal(t, gcp.Yes, gcp.No.Or(gcp.Yes))
	assert.Equal(t, gcp.Maybe, gcp.No.Or(gcp.Maybe))
	assert.Equal(t, gcp.No, gcp.No.Or(gcp.No))
	assert.Equal(t, gcp.Maybe, gcp.Yes.And(gcp.Maybe))
	assert.Equal(t, gcp.No, gcp.Maybe.And(gcp.No))
	assert.Equal(t, gcp.Yes, gcp.Yes.And(gcp.Yes))
}

func TestSchedulerIdentities(t *testing.T) {
	scheduler := "pipeline-scheduler@" + idProject + ".iam.gserviceaccount.com"
	pipeline := idRes(gcp.DataflowPipeline, "nightly", map[string]any{"schedulerServiceAccountEmail": scheduler,
		"workload": map[string]any{"dataflowLaunchTemplateRequest": map[string]any{"launchParameters": map[string]any{
			"environment": map[string]any{"serviceAccountEmail": idWorker}}}}})
	set := gcp.SchedulerIdentities(idStack(pipeline, idRes(gcp.DataflowJob, "job", map[string]any{"serviceAccountEmail": idDeployer})))
	assert.Equal(t, []string{scheduler}, set.Emails(), "the scheduler, not the workers")

	assert.True(t, gcp.SchedulerIdentities(idStack(idRes(gcp.DataflowPipeline, "p", map[string]any{"schedulerServiceAccountEmail": "?"}))).Open)
	assert.True(t, gcp.SchedulerIdentities(idStack(idRes(gcp.DataflowPipeline, "p", map[string]any{"name": "p"}))).Empty())
}

func TestAccountRefs(t *testing.T) {
	worker := idRes(gcp.ServiceAccountResource, "etl-worker", map[string]any{"accountId": "etl-worker", "project": idProject,
		"email": idWorker, "uniqueId": "1048576"})
	opaque := idRes(gcp.ServiceAccountResource, "opaque", map[string]any{"accountId": "?", "email": "?"})
	bucket := idRes(gcp.StorageBucketResource, "b", map[string]any{"name": "?"})
	grant := func(target any, deps ...*gcp.Resource) *gcp.Resource {
		return idDeps(idRes("gcp:serviceaccount/iAMMember:IAMMember", "g", map[string]any{"serviceAccountId": target}), "serviceAccountId", deps...)
	}
	s := idStack(worker, opaque, bucket)
	cases := []struct {
		name string
		r    *gcp.Resource
		want []gcp.AccountRef
		ok   bool
	}{
		{"email of a stack account", grant("projects/p/serviceAccounts/ETL-WORKER@etl-prod-1234.iam.gserviceaccount.com"),
			[]gcp.AccountRef{{Email: idWorker, Account: worker}}, true},
		{"unique ID of a stack account", grant("projects/-/serviceAccounts/1048576"), []gcp.AccountRef{{Email: idWorker, Account: worker}}, true},
		{"email outside the stack", grant(idDeployer), []gcp.AccountRef{{Email: idDeployer}}, true},
		{"unique ID outside the stack", grant("projects/-/serviceAccounts/99"), nil, false},
		{"unknown, from an account", grant("?", worker, bucket), []gcp.AccountRef{{Email: idWorker, Account: worker}}, true},
		{"unknown, from an account of unknown email", grant("?", opaque), []gcp.AccountRef{{Account: opaque}}, true},
		{"unknown, from no account", grant("?", bucket), nil, false},
		{"secret email", grant(property.New(idDeployer).WithSecret(true)), []gcp.AccountRef{{Email: idDeployer, Secret: true}}, true},
	}
	for _, tc := range cases {
		got, ok := s.AccountRefs(tc.r, tc.r.Get("serviceAccountId"), gcp.IndexAccounts(s))
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}

func TestMatchAccountAndAccountIdentity(t *testing.T) {
	worker := idRes(gcp.ServiceAccountResource, "etl-worker", map[string]any{"accountId": "etl-worker", "project": idProject, "email": "?"})
	other := idAccount("other", "other@"+idProject+".iam.gserviceaccount.com")
	opaque := idRes(gcp.ServiceAccountResource, "opaque", map[string]any{"accountId": "?", "email": "?"})
	job := idRes(gcp.DataflowJob, "job", map[string]any{"serviceAccountEmail": idWorker})
	s := idStack(worker, other, opaque, job)
	workers := gcp.WorkerIdentities(s)

	assert.Equal(t, gcp.IsMember, workers.MatchAccount(gcp.AccountRef{Email: idWorker}))
	assert.Equal(t, gcp.IsMember, workers.MatchAccount(gcp.AccountRef{Account: worker}), "by its Account")
	assert.Equal(t, gcp.NotMember, workers.MatchAccount(gcp.AccountRef{Email: "other@" + idProject + ".iam.gserviceaccount.com", Account: other}))
	assert.Equal(t, gcp.NotMember, workers.MatchAccount(gcp.AccountRef{Account: opaque}), "every email of the set names an Account")

	open := gcp.WorkerIdentities(idStack(idRes(gcp.DataflowJob, "job", map[string]any{"serviceAccountEmail": "?"})))
	assert.Equal(t, gcp.MaybeMember, open.MatchAccount(gcp.AccountRef{Email: idDeployer}))

	// Grants to one account: a member known later that depends on its
	// Account may be it; one depending on another Account is not.
	single := gcp.AccountIdentity(s, gcp.AccountRef{Email: idWorker}, gcp.IndexAccounts(s))
	member := func(deps ...*gcp.Resource) *gcp.Resource {
		return idDeps(idRes("gcp:projects/iAMMember:IAMMember", "m", map[string]any{"member": "?", "role": "roles/owner"}), "member", deps...)
	}
	m, _ := single.Match(member(worker), member(worker).Get("member"))
	assert.Equal(t, gcp.MaybeMember, m)
	m, _ = single.Match(member(other), member(other).Get("member"))
	assert.Equal(t, gcp.NotMember, m)
	outside := gcp.AccountIdentity(s, gcp.AccountRef{Email: idDeployer}, gcp.IndexAccounts(s))
	m, _ = outside.Match(member(opaque), member(opaque).Get("member"))
	assert.Equal(t, gcp.MaybeMember, m, "an Account whose email is not known yet could have this one")
	m, _ = outside.Match(member(other), member(other).Get("member"))
	assert.Equal(t, gcp.NotMember, m)
	known := idRes("gcp:projects/iAMMember:IAMMember", "k", map[string]any{"member": "serviceAccount:" + idWorker})
	m, _ = single.Match(known, known.Get("member"))
	require.Equal(t, gcp.IsMember, m)
}
