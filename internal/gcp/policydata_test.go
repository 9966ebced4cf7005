package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// policyData is read as the provider's encoding/json decode into
// cloudresourcemanager.Policy applies it.
func TestPolicyDataKeysReadAsTheProviderDecodes(t *testing.T) {
	type grant struct{ role, member, cond string }
	cases := []struct {
		name string
		doc  string
		want []grant
	}{
		{"canonical", `{"bindings":[{"role":"roles/owner","members":["user:a@b.c"]}]}`, []grant{{"roles/owner", "user:a@b.c", ""}}},
		{"other case", `{"Bindings":[{"ROLE":"roles/owner","Members":["user:a@b.c"]}]}`, []grant{{"roles/owner", "user:a@b.c", ""}}},
		{"unicode fold", `{"bindings":[{"role":"roles/owner","members":["user:a@b.c"],"condition":{"expreſſion":"true"}}]}`,
			[]grant{{"roles/owner", "user:a@b.c", "true"}}},
		{"last repeat wins", `{"bindings":[{"role":"roles/viewer","members":["user:a@b.c"]}],"BINDINGS":[{"role":"roles/owner","members":["user:m@b.c"]}]}`,
			[]grant{{"roles/owner", "user:m@b.c", ""}}},
		{"repeat merges into the decoded binding", `{"bindings":[{"role":"roles/viewer","members":["user:a@b.c"]}],"Bindings":[{"Role":"roles/owner"}]}`,
			[]grant{{"roles/owner", "user:a@b.c", ""}}},
		{"exact repeat", `{"bindings":[{"role":"roles/owner","role":"roles/viewer","members":["user:a@b.c"]}]}`,
			[]grant{{"roles/viewer", "user:a@b.c", ""}}},
		{"null leaves a string field", `{"bindings":[{"role":"roles/owner","Role":null,"members":["user:a@b.c"]}]}`,
			[]grant{{"roles/owner", "user:a@b.c", ""}}},
		{"escaped key", `{"bindings":[{"r\u006fle":"roles/owner","members":["user:a@b.c"]}]}`, []grant{{"roles/owner", "user:a@b.c", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"project": str("p"), "policyData": str(c.doc)})
			grants, problems := gcp.Grants(r)
			require.Empty(t, problems)
			var got []grant
			for _, g := range grants {
				role, _ := g.Role.String()
				member, _ := g.Member.String()
				cond, _ := g.Condition.Get("expression").String()
				got = append(got, grant{role, member, cond})
			}
			assert.Equal(t, c.want, got)
		})
	}
}

func TestPolicyDataAuditConfigKeyCase(t *testing.T) {
	r := resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"project": str("p"),
		"policyData": str(`{"AuditConfigs":[{"Service":"allServices","AuditLogConfigs":[{"LogType":"DATA_WRITE","ExemptedMembers":["user:a@b.c"]}]}]}`)})
	configs, problem := gcp.AuditConfigs(r)
	require.Nil(t, problem)
	require.Len(t, configs, 1)
	covers, known := configs[0].Covers("dataflow.googleapis.com")
	assert.True(t, covers && known)
	logs, _ := configs[0].LogConfigs()
	require.Len(t, logs, 1)
	name, _ := logs[0].LogTypeName()
	assert.Equal(t, "DATA_WRITE", name)
	assert.Len(t, logs[0].ExemptedMembers, 1)
}

// A document the provider refuses is read as written, so its shape problems
// still fail closed.
func TestPolicyDataRefusedByTheProviderKeepsProblems(t *testing.T) {
	r := resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"project": str("p"),
		"policyData": str(`{"Bindings":[{"role":"roles/owner","members":"user:a@b.c"}]}`)})
	_, problems := gcp.Grants(r)
	require.Len(t, problems, 1)
}

// A Config Connector IAMPartialPolicy adds its members: one grant per member
// of each binding, read as the target's IAMMember (never an authoritative
// policy that would replace audit configs).
func TestKCCPartialPolicyGrants(t *testing.T) {
	member := func(kv map[string]property.Value) property.Value { return obj(kv) }
	r := gcp.Equivalent(resource("kubernetes:iam.cnrm.cloud.google.com/v1beta1:IAMPartialPolicy", map[string]property.Value{
		"spec": obj(map[string]property.Value{
			"resourceRef": obj(map[string]property.Value{"kind": str("Project"), "external": str("projects/p")}),
			"bindings": property.New([]property.Value{
				obj(map[string]property.Value{"role": str("roles/owner"), "members": property.New([]property.Value{
					member(map[string]property.Value{"member": str("user:a@b.c")}),
					member(map[string]property.Value{"memberFrom": obj(map[string]property.Value{
						"serviceAccountRef": obj(map[string]property.Value{"external": str("sa@p.iam.gserviceaccount.com")})})}),
					member(map[string]property.Value{"memberFrom": obj(map[string]property.Value{
						"logSinkRef": obj(map[string]property.Value{"name": str("sink")})})}),
				})}),
			}),
		}),
	}))
	assert.Equal(t, "gcp:projects/iAMMember:IAMMember", r.Type)
	grants, problems := gcp.Grants(r)
	require.Empty(t, problems)
	require.Len(t, grants, 3)
	var members []string
	for _, g := range grants {
		role, _ := g.RoleName()
		assert.Equal(t, "roles/owner", role)
		s, _ := g.Member.String()
		members = append(members, s)
	}
	assert.Equal(t, []string{"user:a@b.c", "serviceAccount:sa@p.iam.gserviceaccount.com", ""}, members)
	assert.True(t, grants[2].Member.IsUnknown())
	assert.Equal(t, "p", func() string { s, _ := grants[0].Target("project").String(); return s }())
	configs, _ := gcp.AuditConfigs(r)
	assert.Empty(t, configs)
}
