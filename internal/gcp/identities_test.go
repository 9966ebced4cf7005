package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

const (
	idProject  = "etl-prod-1234"
	idWorker   = "etl-worker@etl-prod-1234.iam.gserviceaccount.com"
	idDeployer = "etl-deployer@etl-prod-1234.iam.gserviceaccount.com"
	idPoolSet  = "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/github/attribute.repository/acme/etl"
	idStaff    = "principalSet://iam.googleapis.com/locations/global/workforcePools/staff/group/admins"
)

// idProps builds a property map from plain Go values; the string "?" is an
// unknown value.
func idProps(kv map[string]any) property.Map {
	out := make(map[string]property.Value, len(kv))
	for k, v := range kv {
		out[k] = idValue(v)
	}
	return property.NewMap(out)
}

func idValue(v any) property.Value {
	switch x := v.(type) {
	case string:
		if x == "?" {
			return property.New(property.Computed)
		}
		return property.New(x)
	case property.Value:
		return x
	case []string:
		items := make([]property.Value, len(x))
		for i, s := range x {
			items[i] = idValue(s)
		}
		return property.New(items)
	case map[string]any:
		return property.New(idProps(x))
	}
	panic("unsupported test value")
}

func idRes(typ, name string, kv map[string]any) *gcp.Resource {
	return &gcp.Resource{URN: "urn:pulumi:dev::etl::" + typ + "::" + name, Type: typ, Name: name, Props: idProps(kv)}
}

func idDeps(r *gcp.Resource, prop string, deps ...*gcp.Resource) *gcp.Resource {
	if r.PropertyDependencies == nil {
		r.PropertyDependencies = map[string][]string{}
	}
	for _, d := range deps {
		r.PropertyDependencies[prop] = append(r.PropertyDependencies[prop], d.URN)
		r.Dependencies = append(r.Dependencies, d.URN)
	}
	return r
}

func idStack(rs ...*gcp.Resource) *gcp.Stack { return gcp.NewStack("etl", "dev", rs) }

func idAccount(name, email string) *gcp.Resource {
	return idRes(gcp.ServiceAccountResource, name, map[string]any{"accountId": name, "project": idProject, "email": email})
}

func idMember(name, typ, role, member string, target map[string]any) *gcp.Resource {
	kv := map[string]any{"role": role, "member": member}
	for k, v := range target {
		kv[k] = v
	}
	return idRes(typ, name, kv)
}

func TestTopKeyAndPropertyDeps(t *testing.T) {
	for path, want := range map[string]string{
		"member":                        "member",
		"members[2]":                    "members",
		"policyData.bindings[0].role":   "policyData",
		"workload.dataflowFlexTemplate": "workload",
		`["odd.key"].x`:                 "odd.key",
		"":                              "",
	} {
		assert.Equal(t, want, gcp.TopKey(path), path)
	}
	r := &gcp.Resource{Dependencies: []string{"a", "b"}, PropertyDependencies: map[string][]string{"member": {"a"}, "role": {}}}
	assert.Equal(t, []string{"a"}, gcp.PropertyDeps(r, "member"))
	assert.Equal(t, []string{"a", "b"}, gcp.PropertyDeps(r, "role"), "an empty entry falls back to every dependency")
	assert.Equal(t, []string{"a", "b"}, gcp.PropertyDeps(r, "condition.title"), "a missing entry falls back to every dependency")
}

func TestAccountEmail(t *testing.T) {
	provider := &gcp.Provider{Props: idProps(map[string]any{"project": "from-provider"})}
	withProvider := func(r *gcp.Resource) *gcp.Resource { r.Provider = provider; return r }
	cases := []struct {
		name string
		r    *gcp.Resource
		want string
		ok   bool
	}{
		{"email output", idAccount("w", "W@P.iam.gserviceaccount.com"), "w@p.iam.gserviceaccount.com", true},
		{"unknown email, accountId and project", idRes(gcp.ServiceAccountResource, "w", map[string]any{"accountId": "etl-worker", "project": idProject, "email": "?"}), idWorker, true},
		{"project from the provider", withProvider(idRes(gcp.ServiceAccountResource, "w", map[string]any{"accountId": "etl-worker", "email": "?"})), "etl-worker@from-provider.iam.gserviceaccount.com", true},
		{"no project anywhere", idRes(gcp.ServiceAccountResource, "w", map[string]any{"accountId": "etl-worker", "email": "?"}), "", false},
		{"unknown accountId", idRes(gcp.ServiceAccountResource, "w", map[string]any{"accountId": "?", "project": idProject}), "", false},
		{"not an account", idRes(gcp.StorageBucketResource, "b", map[string]any{"email": idWorker}), "", false},
	}
	for _, tc := range cases {
		got, ok := gcp.AccountEmail(tc.r)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
	var nilResource *gcp.Resource
	_, ok := gcp.AccountEmail(nilResource)
	assert.False(t, ok)
}

func TestResolveServiceAccount(t *testing.T) {
	acct := idRes(gcp.ServiceAccountResource, "d", map[string]any{"accountId": "etl-deployer", "project": idProject, "email": idDeployer, "uniqueId": "1048576"})
	s := idStack(acct)
	for ref, want := range map[string]string{
		idDeployer:                               idDeployer,
		"serviceAccount:" + idDeployer:           idDeployer,
		"projects/p/serviceAccounts/" + idWorker: idWorker,
		"projects/-/serviceAccounts/1048576":     idDeployer,
		"1048576":                                idDeployer,
		"projects/-/serviceAccounts/99":          "",
		"":                                       "",
	} {
		got, ok := s.ResolveServiceAccount(ref)
		assert.Equal(t, want != "", ok, ref)
		assert.Equal(t, want, got, ref)
	}
}

func TestWorkerIdentities(t *testing.T) {
	worker := idAccount("etl-worker", idWorker)
	newWorker := idRes(gcp.ServiceAccountResource, "etl-worker", map[string]any{"accountId": "etl-worker", "project": idProject, "email": "?"})
	opaque := idRes(gcp.ServiceAccountResource, "opaque", map[string]any{"accountId": "?", "email": "?"})
	pipeline := func(env map[string]any, scheduler string) *gcp.Resource {
		return idRes(gcp.DataflowPipeline, "nightly", map[string]any{"schedulerServiceAccountEmail": scheduler,
			"workload": map[string]any{"dataflowLaunchTemplateRequest": map[string]any{"launchParameters": map[string]any{"environment": env}}}})
	}
	cases := []struct {
		name       string
		stack      *gcp.Stack
		emails     []string
		accounts   int
		open       bool
		sources    []string
		secretFrom string // an email whose identity must be secret
	}{
		{name: "job email in any form", stack: idStack(worker,
			idRes(gcp.DataflowJob, "a", map[string]any{"serviceAccountEmail": "serviceAccount:ETL-Worker@etl-prod-1234.iam.gserviceaccount.com"}),
			idRes(gcp.DataflowFlexTemplateJob, "b", map[string]any{"serviceAccountEmail": "projects/p/serviceAccounts/" + idWorker})),
			emails: []string{idWorker}, accounts: 1, sources: []string{"a", "b"}},
		{name: "pipeline environment, not the scheduler", stack: idStack(pipeline(map[string]any{"serviceAccountEmail": idWorker}, idDeployer)),
			emails: []string{idWorker}, sources: []string{"nightly"}},
		{name: "no email: the default account adds nothing", stack: idStack(idRes(gcp.DataflowJob, "a", map[string]any{"name": "a"}))},
		{name: "unknown email resolved through the account it depends on",
			stack:  idStack(newWorker, idDeps(idRes(gcp.DataflowJob, "a", map[string]any{"serviceAccountEmail": "?"}), "serviceAccountEmail", newWorker)),
			emails: []string{idWorker}, accounts: 1, sources: []string{"a"}},
		{name: "unknown email depending on an account of unknown email",
			stack:    idStack(opaque, idDeps(idRes(gcp.DataflowJob, "a", map[string]any{"serviceAccountEmail": "?"}), "serviceAccountEmail", opaque)),
			accounts: 1},
		{name: "unknown email depending on nothing opens the set",
			stack: idStack(idRes(gcp.DataflowJob, "a", map[string]any{"serviceAccountEmail": "?"})), open: true},
		{name: "unknown pipeline workload", stack: idStack(idRes(gcp.DataflowPipeline, "p", map[string]any{"workload": "?"})), open: true},
		{name: "secret email", stack: idStack(idRes(gcp.DataflowJob, "a", map[string]any{"serviceAccountEmail": property.New(idWorker).WithSecret(true)})),
			emails: []string{idWorker}, sources: []string{"a"}, secretFrom: idWorker},
	}
	for _, tc := range cases {
		set := gcp.WorkerIdentities(tc.stack)
		assert.Equal(t, tc.emails, nilIfEmpty(set.Emails()), tc.name)
		assert.Len(t, set.AccountURNs(), tc.accounts, tc.name)
		assert.Equal(t, tc.open, set.Open, tc.name)
		if len(tc.emails) > 0 {
			id, ok := set.Lookup(tc.emails[0])
			require.True(t, ok, tc.name)
			assert.Equal(t, tc.sources, id.Sources, tc.name)
			assert.True(t, id.Certain, tc.name)
			assert.Equal(t, tc.secretFrom != "", id.Secret, tc.name)
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestIdentitySetMatch(t *testing.T) {
	worker := idRes(gcp.ServiceAccountResource, "etl-worker", map[string]any{"accountId": "etl-worker", "project": idProject, "email": "?"})
	deployer := idRes(gcp.ServiceAccountResource, "etl-deployer", map[string]any{"accountId": "etl-deployer", "project": idProject, "email": "?"})
	job := idDeps(idRes(gcp.DataflowJob, "a", map[string]any{"serviceAccountEmail": "?"}), "serviceAccountEmail", worker)
	s := idStack(worker, deployer, job)
	set := gcp.WorkerIdentities(s)
	grant := func(member any, deps ...*gcp.Resource) (gcp.MemberMatch, *gcp.Identity) {
		r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"role": "roles/editor", "member": member})
		idDeps(r, "member", deps...)
		return set.Match(r, r.Get("member"))
	}
	cases := []struct {
		name   string
		member any
		deps   []*gcp.Resource
		want   gcp.MemberMatch
	}{
		{"the worker", "serviceAccount:" + idWorker, nil, gcp.IsMember},
		{"the worker in another case", "serviceaccount:ETL-WORKER@etl-prod-1234.iam.gserviceaccount.com", nil, gcp.IsMember},
		{"another account", "serviceAccount:" + idDeployer, nil, gcp.NotMember},
		{"a deleted worker", "deleted:serviceAccount:" + idWorker + "?uid=1", nil, gcp.NotMember},
		{"a user", "user:" + idWorker, nil, gcp.NotMember},
		{"a pool principal", idPoolSet, nil, gcp.NotMember},
		{"unknown, from the worker account", "?", []*gcp.Resource{worker}, gcp.MaybeMember},
		{"unknown, from another account", "?", []*gcp.Resource{deployer}, gcp.NotMember},
		{"unknown, from nothing recorded", "?", nil, gcp.MaybeMember},
		{"not a string", map[string]any{"x": "y"}, nil, gcp.NotMember},
	}
	for _, tc := range cases {
		got, id := grant(tc.member, tc.deps...)
		assert.Equal(t, tc.want, got, tc.name)
		if got == gcp.IsMember {
			require.NotNil(t, id, tc.name)
			assert.Equal(t, idWorker, id.Email, tc.name)
			assert.Equal(t, []string{"a"}, id.Sources, tc.name)
		}
	}

	open := gcp.WorkerIdentities(idStack(idRes(gcp.DataflowJob, "a", map[string]any{"serviceAccountEmail": "?"})))
	r := idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"member": "serviceAccount:" + idDeployer})
	m, _ := open.Match(r, r.Get("member"))
	assert.Equal(t, gcp.MaybeMember, m, "an open set may hold any service account")
	r = idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"member": "group:g@example.com"})
	m, _ = open.Match(r, r.Get("member"))
	assert.Equal(t, gcp.NotMember, m, "but never a group")

	empty := gcp.WorkerIdentities(idStack())
	assert.True(t, empty.Empty())
	r = idRes("gcp:projects/iAMMember:IAMMember", "g", map[string]any{"member": "?"})
	m, _ = empty.Match(r, r.Get("member"))
	assert.Equal(t, gcp.NotMember, m, "an empty set matches nothing, not even unknowns")
}

func TestDeployerIdentities(t *testing.T) {
	pool := idRes(gcp.WorkloadIdentityPoolResource, "github", map[string]any{"name": "?"})
	deployer := idAccount("etl-deployer", idDeployer)
	saRef := "projects/" + idProject + "/serviceAccounts/" + idDeployer
	onSA := func(name, role, member string) *gcp.Resource {
		return idMember(name, "gcp:serviceaccount/iAMMember:IAMMember", role, member, map[string]any{"serviceAccountId": saRef})
	}
	cases := []struct {
		name      string
		grants    []*gcp.Resource
		deployer  gcp.MemberMatch // how a literal grant to the deployer account matches
		mechanism []bool          // IsImpersonationMechanism per grant
	}{
		{"workload identity user from a pool", []*gcp.Resource{onSA("wif", gcp.RoleWorkloadIdentityUser, idPoolSet)},
			gcp.IsMember, []bool{true}},
		{"token creator from a pool subject", []*gcp.Resource{onSA("tc", gcp.RoleTokenCreator,
			"principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/github/subject/repo:acme/etl:ref:refs/heads/main")},
			gcp.IsMember, []bool{true}},
		{"workforce people are not deployers", []*gcp.Resource{onSA("staff", gcp.RoleWorkloadIdentityUser, idStaff)},
			gcp.NotMember, []bool{false}},
		{"GKE workload identity is not a pool principal", []*gcp.Resource{onSA("gke", gcp.RoleWorkloadIdentityUser, "serviceAccount:"+idProject+".svc.id.goog[ns/app]")},
			gcp.NotMember, []bool{false}},
		{"another role for a pool principal", []*gcp.Resource{onSA("user", "roles/iam.serviceAccountUser", idPoolSet)},
			gcp.NotMember, []bool{false}},
		{"project scope is not the mechanism", []*gcp.Resource{idMember("proj", "gcp:projects/iAMMember:IAMMember", gcp.RoleWorkloadIdentityUser, idPoolSet, map[string]any{"project": idProject})},
			gcp.NotMember, []bool{false}},
		{"member computed from the pool", []*gcp.Resource{idDeps(onSA("wif", gcp.RoleWorkloadIdentityUser, "?"), "member", pool)},
			gcp.IsMember, []bool{true}},
		{"member computed from elsewhere: possibly a deployer", []*gcp.Resource{onSA("wif", gcp.RoleWorkloadIdentityUser, "?")},
			gcp.MaybeMember, []bool{false}},
		{"role computed for a pool principal: possibly a deployer", []*gcp.Resource{onSA("wif", "?", idPoolSet)},
			gcp.MaybeMember, []bool{false}},
		{"account computed from the deployer account", []*gcp.Resource{idDeps(idMember("wif", "gcp:serviceaccount/iAMMember:IAMMember",
			gcp.RoleWorkloadIdentityUser, idPoolSet, map[string]any{"serviceAccountId": "?"}), "serviceAccountId", deployer)},
			gcp.IsMember, []bool{true}},
		{"policyData binding", []*gcp.Resource{idRes("gcp:serviceaccount/iAMPolicy:IAMPolicy", "pol", map[string]any{"serviceAccountId": saRef,
			"policyData": `{"bindings":[{"role":"roles/iam.workloadIdentityUser","members":["` + idPoolSet + `"]}]}`})},
			gcp.IsMember, []bool{true}},
	}
	for _, tc := range cases {
		s := idStack(append([]*gcp.Resource{pool, deployer}, tc.grants...)...)
		set := gcp.DeployerIdentities(s)
		assert.True(t, set.PoolPrincipals, tc.name)
		probe := idRes("gcp:projects/iAMMember:IAMMember", "probe", map[string]any{"member": "serviceAccount:" + idDeployer})
		got, _ := set.Match(probe, probe.Get("member"))
		assert.Equal(t, tc.deployer, got, tc.name)
		for i, g := range tc.grants {
			grants, problems := gcp.Grants(g)
			require.Empty(t, problems, tc.name)
			require.Len(t, grants, 1, tc.name)
			assert.Equal(t, tc.mechanism[i], gcp.IsImpersonationMechanism(s, g, grants[0]), tc.name)
		}
		principal := idRes("gcp:projects/iAMMember:IAMMember", "p", map[string]any{"member": idPoolSet})
		got, id := set.Match(principal, principal.Get("member"))
		assert.Equal(t, gcp.IsMember, got, "%s: a workload pool principal is always a deployer", tc.name)
		assert.True(t, id.Principal, tc.name)
		staff := idRes("gcp:projects/iAMMember:IAMMember", "p", map[string]any{"member": idStaff})
		got, _ = set.Match(staff, staff.Get("member"))
		assert.Equal(t, gcp.NotMember, got, "%s: a workforce principal never is", tc.name)
	}
}

func TestJobGCSLocations(t *testing.T) {
	type loc struct{ path, bucket string }
	read := func(r *gcp.Resource) []loc {
		var out []loc
		for _, l := range gcp.JobGCSLocations(r) {
			out = append(out, loc{l.Value.Path(), l.Bucket})
		}
		return out
	}
	cases := []struct {
		name string
		r    *gcp.Resource
		want []loc
	}{
		{"job", idRes(gcp.DataflowJob, "j", map[string]any{"tempGcsLocation": "gs://Temp-Bucket/tmp", "templateGcsPath": "gs://dataflow-templates/latest/WordCount"}),
			[]loc{{"tempGcsLocation", "temp-bucket"}, {"templateGcsPath", "dataflow-templates"}}},
		{"flex template job, unknown staging", idRes(gcp.DataflowFlexTemplateJob, "f", map[string]any{"containerSpecGcsPath": "gs://tpl/flex.json", "stagingLocation": "?", "tempLocation": "/local/path"}),
			[]loc{{"containerSpecGcsPath", "tpl"}, {"stagingLocation", ""}, {"tempLocation", ""}}},
		{"pipeline, both requests", idRes(gcp.DataflowPipeline, "p", map[string]any{"workload": map[string]any{
			"dataflowFlexTemplateRequest": map[string]any{"launchParameter": map[string]any{"containerSpecGcsPath": "gs://tpl/a.json",
				"environment": map[string]any{"tempLocation": "gs://temp/a"}}},
			"dataflowLaunchTemplateRequest": map[string]any{"gcsPath": "gs://tpl/b",
				"launchParameters": map[string]any{"environment": map[string]any{"tempLocation": "gs://temp/b"}}}}}),
			[]loc{{"workload.dataflowFlexTemplateRequest.launchParameter.containerSpecGcsPath", "tpl"},
				{"workload.dataflowFlexTemplateRequest.launchParameter.environment.tempLocation", "temp"},
				{"workload.dataflowLaunchTemplateRequest.gcsPath", "tpl"},
				{"workload.dataflowLaunchTemplateRequest.launchParameters.environment.tempLocation", "temp"}}},
		{"pipeline with unknown workload", idRes(gcp.DataflowPipeline, "p", map[string]any{"workload": "?"}), []loc{{"workload", ""}}},
		{"not a dataflow type", idRes(gcp.StorageBucketResource, "b", map[string]any{"tempLocation": "gs://x/y"}), nil},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, read(tc.r), tc.name)
	}
	for url, want := range map[string]string{"gs://b/x": "b", "GS://B": "b", " gs://b/ ": "b", "gs://": "", "gs:///x": "", "https://b": "", "b": ""} {
		got, ok := gcp.GCSBucketName(url)
		assert.Equal(t, want, got, url)
		assert.Equal(t, want != "", ok, url)
	}
}

func TestStackBuckets(t *testing.T) {
	named := idRes(gcp.StorageBucketResource, "a", map[string]any{"name": "Temp"})
	unknown := idRes(gcp.StorageBucketResource, "b", map[string]any{"name": "?"})
	absent := idRes(gcp.StorageBucketResource, "c", map[string]any{})
	byName, unnamed := gcp.StackBuckets(idStack(named, unknown, absent, idRes(gcp.DataflowJob, "j", map[string]any{"name": "temp"})))
	assert.Equal(t, map[string][]*gcp.Resource{"temp": {named}}, byName)
	assert.Equal(t, []*gcp.Resource{unknown}, unnamed)
}
