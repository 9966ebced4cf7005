package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestAuditConfigsFromResourcesAndPolicyData(t *testing.T) {
	res := resource(gcp.ProjectAuditConfig, map[string]property.Value{
		"project": str("p"), "service": str("dataflow.googleapis.com"),
		"auditLogConfigs": property.New([]property.Value{
			obj(map[string]property.Value{"logType": str("admin_read")}),
			obj(map[string]property.Value{"logType": str("DATA_READ"), "exemptedMembers": strs("user:a@example.com")}),
		}),
	})
	configs, problem := gcp.AuditConfigs(res)
	require.Nil(t, problem)
	require.Len(t, configs, 1)
	covers, known := configs[0].Covers("dataflow.googleapis.com")
	assert.True(t, covers)
	assert.True(t, known)
	logs, list := configs[0].LogConfigs()
	assert.Equal(t, "auditLogConfigs", list.Path())
	require.Len(t, logs, 2)
	name, ok := logs[0].LogTypeName()
	assert.True(t, ok)
	assert.Equal(t, gcp.AdminRead, name)
	require.Len(t, logs[1].ExemptedMembers, 1)
	assert.Equal(t, "auditLogConfigs[1].exemptedMembers[0]", logs[1].ExemptedMembers[0].Path())

	policy := resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{
		"project": str("p"),
		"policyData": str(`{"bindings":[],"auditConfigs":[{"service":"allServices","auditLogConfigs":[{"logType":"DATA_WRITE"}]},` +
			`{"service":"storage.googleapis.com","auditLogConfigs":[]}]}`),
	})
	configs, problem = gcp.AuditConfigs(policy)
	require.Nil(t, problem)
	require.Len(t, configs, 2)
	covers, _ = configs[0].Covers("dataflow.googleapis.com")
	assert.True(t, covers, "allServices covers Dataflow")
	covers, _ = configs[1].Covers("dataflow.googleapis.com")
	assert.False(t, covers)
	logs, _ = configs[0].LogConfigs()
	require.Len(t, logs, 1)
	assert.Equal(t, "policyData.auditConfigs[0].auditLogConfigs[0].logType", logs[0].LogType.Path())

	unknown := resource("gcp:folder/iAMPolicy:IAMPolicy", map[string]property.Value{"folder": str("folders/1"), "policyData": computed})
	configs, problem = gcp.AuditConfigs(unknown)
	require.Nil(t, problem)
	require.Len(t, configs, 1)
	assert.True(t, configs[0].IsUnknown())
	_, known = configs[0].Covers("dataflow.googleapis.com")
	assert.False(t, known)

	broken := resource("gcp:organizations/iAMPolicy:IAMPolicy", map[string]property.Value{"orgId": str("1"), "policyData": str(`{"auditConfigs":{}}`)})
	_, problem = gcp.AuditConfigs(broken)
	require.NotNil(t, problem)
	assert.Equal(t, "policyData.auditConfigs", problem.Path)

	none, problem := gcp.AuditConfigs(resource("gcp:storage/bucket:Bucket", nil))
	assert.Nil(t, problem)
	assert.Empty(t, none)
	assert.Contains(t, gcp.AuditConfigTypes(), gcp.FolderAuditConfig)
	assert.Contains(t, gcp.AuditConfigTypes(), "gcp:projects/iAMPolicy:IAMPolicy")
}

func TestAuditConfigParent(t *testing.T) {
	cases := []struct {
		res  *gcp.Resource
		want string
	}{
		{resource(gcp.ProjectAuditConfig, map[string]property.Value{"project": str("p")}), "projects/p"},
		{resource(gcp.ProjectAuditConfig, map[string]property.Value{"project": str("projects/p")}), "projects/p"},
		{resource(gcp.FolderAuditConfig, map[string]property.Value{"folder": str("folders/1")}), "folders/1"},
		{resource(gcp.FolderAuditConfig, map[string]property.Value{"folder": str("1")}), "folders/1"},
		{resource(gcp.OrganizationAuditConfig, map[string]property.Value{"orgId": str("2")}), "organizations/2"},
		{resource("gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"project": str("p")}), "projects/p"},
		{resource(gcp.ProjectAuditConfig, map[string]property.Value{"project": property.New(property.Computed)}), ""},
		{resource("gcp:storage/bucketIAMPolicy:BucketIAMPolicy", map[string]property.Value{"bucket": str("b")}), ""},
	}
	for _, c := range cases {
		got, _ := gcp.AuditConfigParent(c.res)
		assert.Equal(t, c.want, got, c.res.Type)
	}
	_, secret := gcp.AuditConfigParent(resource(gcp.ProjectAuditConfig, map[string]property.Value{"project": str("p").WithSecret(true)}))
	assert.True(t, secret)
}
