package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func str(s string) property.Value { return property.New(s) }

func strs(ss ...string) property.Value {
	out := make([]property.Value, len(ss))
	for i, s := range ss {
		out[i] = str(s)
	}
	return property.New(out)
}

func obj(kv map[string]property.Value) property.Value { return property.New(kv) }

var computed = property.New(property.Computed)

func resource(typ string, props map[string]property.Value) *gcp.Resource {
	return &gcp.Resource{URN: "urn:pulumi:dev::etl::" + typ + "::r", Type: typ, Props: property.NewMap(props)}
}

func TestValueStatesAndPaths(t *testing.T) {
	r := resource("gcp:dataflow/job:Job", map[string]property.Value{
		"labels":   obj(map[string]property.Value{"team": str("data"), "odd.key": str("x")}),
		"unknown":  computed,
		"secret":   obj(map[string]property.Value{"inner": str("s3cret")}).WithSecret(true),
		"list":     strs("a", "b"),
		"nullable": property.New(property.Null),
	})
	assert.Equal(t, gcp.Set, r.Get("labels").State())
	assert.Equal(t, gcp.Absent, r.Get("missing").State())
	assert.Equal(t, gcp.Absent, r.Get("nullable").State())
	assert.Equal(t, gcp.Unknown, r.At("unknown", "deeper", "still").State(), "reading into an unknown stays unknown")
	assert.Equal(t, "unknown.deeper.still", r.At("unknown", "deeper", "still").Path())
	assert.Equal(t, `labels["odd.key"]`, r.At("labels", "odd.key").Path())
	assert.True(t, r.At("secret", "inner").Secret(), "secrecy is inherited")
	assert.Equal(t, "[secret]", r.At("secret", "inner").Display())
	assert.Equal(t, "list[1]", r.Get("list").Index(1).Path())
	assert.Equal(t, gcp.Absent, r.Get("list").Index(7).State())
	assert.Equal(t, gcp.Absent, r.At("list", "key").State(), "a key of a list is absent, not a panic")
	assert.Equal(t, gcp.Absent, r.At("labels", "team", "deeper").State())
}

func TestParseMember(t *testing.T) {
	cases := map[string]gcp.MemberKind{
		"user:a@example.com":                         gcp.MemberUser,
		"Group:admins@example.com":                   gcp.MemberGroup,
		"serviceAccount:w@p.iam.gserviceaccount.com": gcp.MemberServiceAccount,
		"domain:example.com":                         gcp.MemberDomain,
		"allUsers":                                   gcp.MemberAllUsers,
		"allAuthenticatedUsers":                      gcp.MemberAllAuthenticatedUsers,
		"deleted:user:a@example.com?uid=1":           gcp.MemberDeleted,
		"projectOwner:etl":                           gcp.MemberProjectRole,
		"allUsersGroup@example.com":                  gcp.MemberOther,
		"principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/*": gcp.MemberPrincipalSet,
		"principal://iam.googleapis.com/locations/global/workforcePools/staff/subject/alice":       gcp.MemberPrincipal,
	}
	for raw, kind := range cases {
		assert.Equal(t, kind, gcp.ParseMember(raw).Kind, raw)
	}
	m := gcp.ParseMember("principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/attribute.repository/acme/etl")
	require.NotNil(t, m.Pool)
	assert.False(t, m.Pool.Workforce)
	assert.Equal(t, "gh", m.Pool.PoolID)
	assert.Equal(t, "projects/1/locations/global/workloadIdentityPools/gh", m.Pool.PoolName)
	assert.Equal(t, "attribute.repository/acme/etl", m.Pool.Selector)
	assert.True(t, gcp.ParseMember("principal://iam.googleapis.com/locations/global/workforcePools/staff/subject/alice").Pool.Workforce)
	assert.Equal(t, "w@p.iam.gserviceaccount.com", gcp.ParseMember("serviceAccount:W@p.iam.gserviceaccount.com").Email)

	email, ok := gcp.ServiceAccountEmail("projects/p/serviceAccounts/W@p.iam.gserviceaccount.com")
	assert.True(t, ok)
	assert.Equal(t, "w@p.iam.gserviceaccount.com", email)
	_, ok = gcp.ServiceAccountEmail("projects/p/serviceAccounts/1234567890")
	assert.False(t, ok)
	assert.True(t, gcp.IsDefaultServiceAccount("123-compute@developer.gserviceaccount.com"))
	assert.True(t, gcp.IsDefaultServiceAccount("serviceAccount:my-proj@appspot.gserviceaccount.com"))
	assert.False(t, gcp.IsDefaultServiceAccount("compute@my-proj.iam.gserviceaccount.com"))
}

func TestGrantsFromEveryShape(t *testing.T) {
	member := resource("gcp:projects/iAMMember:IAMMember", map[string]property.Value{
		"project": str("p"), "role": str("roles/editor"), "member": str("user:a@example.com"),
		"condition": obj(map[string]property.Value{"expression": str("true"), "title": str("t")}),
	})
	gs, problems := gcp.Grants(member)
	require.Empty(t, problems)
	require.Len(t, gs, 1)
	assert.Equal(t, gcp.ScopeProject, gs[0].Scope)
	assert.True(t, gs[0].Condition.IsSet())

	binding := resource("gcp:serviceaccount/iAMBinding:IAMBinding", map[string]property.Value{
		"serviceAccountId": str("projects/p/serviceAccounts/w@p.iam.gserviceaccount.com"),
		"role":             str("roles/iam.serviceAccountUser"), "members": strs("user:a@example.com", "group:g@example.com"),
	})
	gs, _ = gcp.Grants(binding)
	require.Len(t, gs, 2)
	assert.Equal(t, "members[1]", gs[1].Member.Path())
	assert.Equal(t, gcp.ScopeServiceAccount, gs[1].Scope)
	assert.Equal(t, "projects/p/serviceAccounts/w@p.iam.gserviceaccount.com", gs[1].Target("serviceAccountId").Str())

	pol := resource("gcp:storage/bucketIAMPolicy:BucketIAMPolicy", map[string]property.Value{
		"bucket":     str("b"),
		"policyData": str(`{"bindings":[{"role":"roles/storage.admin","members":["user:a@example.com"]},{"role":"roles/storage.objectViewer","members":["allUsers","group:g@example.com"]}]}`),
	})
	gs, _ = gcp.Grants(pol)
	require.Len(t, gs, 3)
	assert.Equal(t, "policyData.bindings[1].members[0]", gs[1].Member.Path())
	assert.Equal(t, "allUsers", gs[1].Member.Str())

	unknownPolicy := resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"project": str("p"), "policyData": computed})
	gs, _ = gcp.Grants(unknownPolicy)
	require.Len(t, gs, 1)
	assert.True(t, gs[0].Role.IsUnknown())

	_, problems = gcp.Grants(resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"policyData": str("{not json")}))
	require.Len(t, problems, 1)
	assert.Equal(t, "policyData", problems[0].Path)

	ds := resource(gcp.BigQueryDataset, map[string]property.Value{"datasetId": str("d"), "accesses": property.New([]property.Value{
		obj(map[string]property.Value{"role": str("OWNER"), "userByEmail": str("w@p.iam.gserviceaccount.com")}),
		obj(map[string]property.Value{"role": str("READER"), "specialGroup": str("allAuthenticatedUsers")}),
		obj(map[string]property.Value{"view": obj(map[string]property.Value{"datasetId": str("v")})}),
	})})
	gs, _ = gcp.Grants(ds)
	require.Len(t, gs, 2, "authorized views are not principals")
	role, _ := gs[0].RoleName()
	assert.Equal(t, "roles/bigquery.dataOwner", role)
	assert.Equal(t, "serviceAccount:w@p.iam.gserviceaccount.com", gs[0].Member.Str())
	assert.Equal(t, "accesses[0].userByEmail", gs[0].Member.Path())
	assert.Equal(t, "allAuthenticatedUsers", gs[1].Member.Str())
}

func TestLabelLookupWithProviderDefaults(t *testing.T) {
	prov := &gcp.Provider{Type: gcp.ProviderType, Props: property.NewMap(map[string]property.Value{
		"defaultLabels": str(`{"env":"prod","team":"data"}`),
	})}
	job := resource(gcp.DataflowJob, map[string]property.Value{"labels": obj(map[string]property.Value{"team": str("ml")})})
	job.Provider = prov
	sets := gcp.Labels(job)
	require.Len(t, sets, 1)
	v, present, final := sets[0].Lookup("team")
	assert.Equal(t, "ml", v.Str(), "own labels win over defaults")
	assert.Equal(t, gcp.Set, present)
	assert.True(t, final)
	v, present, _ = sets[0].Lookup("env")
	assert.Equal(t, "prod", v.Str())
	assert.Equal(t, gcp.Set, present)
	_, present, _ = sets[0].Lookup("owner")
	assert.Equal(t, gcp.Absent, present)

	unknownOwn := resource(gcp.DataflowJob, map[string]property.Value{"labels": computed})
	unknownOwn.Provider = prov
	_, present, final = gcp.Labels(unknownOwn)[0].Lookup("env")
	assert.Equal(t, gcp.Set, present, "a default is present whatever the unknown own labels hold")
	assert.False(t, final, "but its value may still be overridden")
	_, present, _ = gcp.Labels(unknownOwn)[0].Lookup("owner")
	assert.Equal(t, gcp.Unknown, present)

	pipeline := resource(gcp.DataflowPipeline, map[string]property.Value{"workload": obj(map[string]property.Value{
		"dataflowFlexTemplateRequest": obj(map[string]property.Value{"launchParameter": obj(map[string]property.Value{
			"environment": obj(map[string]property.Value{"additionalUserLabels": obj(map[string]property.Value{"team": str("x")})}),
		})}),
	})})
	pipeline.Provider = prov
	sets = gcp.Labels(pipeline)
	require.Len(t, sets, 1)
	_, present, _ = sets[0].Lookup("env")
	assert.Equal(t, gcp.Absent, present, "pipelines get no provider default labels")
}

func TestMalformedPolicyDataShapesAreProblems(t *testing.T) {
	for _, doc := range []string{
		`{"bindings":[{"role":"roles/owner","members":"user:a@example.com"}]}`,
		`{"bindings":{"role":"roles/owner"}}`,
		`{"bindings":["roles/owner"]}`,
	} {
		_, problems := gcp.Grants(resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"policyData": str(doc)}))
		assert.NotEmpty(t, problems, doc)
	}
}
