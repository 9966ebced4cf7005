package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestOrganizationPrincipalSet(t *testing.T) {
	for _, s := range []string{
		"//cloudresourcemanager.googleapis.com/organizations/123456",
		"principalSet://iam.googleapis.com/organizations/123456",
		"is:principalSet://iam.googleapis.com/organizations/123456",
		" IS: PrincipalSet://IAM.googleapis.com/Organizations/123456 ",
		"principalSet://cloudresourcemanager.googleapis.com/organizations/123456",
	} {
		id, ok := gcp.OrganizationPrincipalSet(s)
		assert.True(t, ok, s)
		assert.Equal(t, "123456", id, s)
	}
	for _, s := range []string{
		"C0abc123", "is:C0abc123", "principalSet://iam.googleapis.com/organizations/123456/",
		"principalSet://iam.googleapis.com/organizations/", "//cloudresourcemanager.googleapis.com/folders/1",
		"principalSet://iam.googleapis.com/organizations/12x", "user:a@example.com", "",
	} {
		_, ok := gcp.OrganizationPrincipalSet(s)
		assert.False(t, ok, s)
	}
}

func TestOrganizationIDOf(t *testing.T) {
	for s, want := range map[string]string{"123": "123", " organizations/123 ": "123", "Organizations/9": "9"} {
		id, ok := gcp.OrganizationIDOf(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, id, s)
	}
	for _, s := range []string{"folders/1", "projects/p", "", "organizations/", "acme"} {
		_, ok := gcp.OrganizationIDOf(s)
		assert.False(t, ok, s)
	}
}

func TestDeniesEveryHMACType(t *testing.T) {
	for _, denied := range [][]string{
		{"in:ALL_HMAC_SIGNED_REQUESTS"},
		{"is:in:ALL_HMAC_SIGNED_REQUESTS"},
		{"in:all_signed_requests"},
		{"USER_ACCOUNT_HMAC_SIGNED_REQUESTS", "SERVICE_ACCOUNT_HMAC_SIGNED_REQUESTS"},
		{"SERVICE_ACCOUNT_HMAC_SIGNED_REQUESTS", "RSA_SIGNED_REQUESTS", "USER_ACCOUNT_HMAC_SIGNED_REQUESTS"},
	} {
		assert.True(t, gcp.DeniesEveryHMACType(denied), "%v", denied)
	}
	for _, denied := range [][]string{
		nil, {"USER_ACCOUNT_HMAC_SIGNED_REQUESTS"}, {"SERVICE_ACCOUNT_HMAC_SIGNED_REQUESTS", "SERVICE_ACCOUNT_HMAC_SIGNED_REQUESTS"},
		{"in:ALL_HMAC"}, {"under:ALL_HMAC_SIGNED_REQUESTS"},
	} {
		assert.False(t, gcp.DeniesEveryHMACType(denied), "%v", denied)
	}
}

func TestParsedParameters(t *testing.T) {
	rule := func(params property.Value) gcp.OrgPolicyRule {
		r := resource(gcp.OrgPolicy, map[string]property.Value{"spec": obj(map[string]property.Value{
			"rules": property.New([]property.Value{obj(map[string]property.Value{"parameters": params})})})})
		view, ok := gcp.ReadOrgPolicy(r)
		require.True(t, ok)
		return view.Specs[0].Rules[0]
	}
	v, ok := rule(str(`{"allowedMemberSubjects": ["user:a@example.com"]}`)).ParsedParameters()
	require.True(t, ok)
	items := v.Get("allowedMemberSubjects").Items()
	require.Len(t, items, 1)
	assert.Equal(t, "user:a@example.com", items[0].Str())
	assert.Equal(t, "spec.rules[0].parameters.allowedMemberSubjects[0]", items[0].Path())

	v, ok = rule(obj(map[string]property.Value{"allowedPrincipalSets": strs("//cloudresourcemanager.googleapis.com/organizations/1")})).ParsedParameters()
	require.True(t, ok)
	assert.Len(t, v.Get("allowedPrincipalSets").Items(), 1)

	for _, bad := range []property.Value{str(`["user:a@example.com"]`), str(`{not json`), str(`"x"`), property.New(1.0),
		str(`{"allowedPrincipalSets": ["//cloudresourcemanager.googleapis.com/organizations/9"], "allowedPrincipalSets": ["//cloudresourcemanager.googleapis.com/organizations/1"]}`)} {
		_, ok := rule(bad).ParsedParameters()
		assert.False(t, ok, "%v", bad)
	}
	v, ok = rule(computed).ParsedParameters()
	assert.True(t, ok)
	assert.True(t, v.IsUnknown())
}

func TestStackOrganizations(t *testing.T) {
	s := idStack(
		idRes(gcp.ProjectResource, "p", map[string]any{"projectId": "p", "orgId": "111"}),
		idRes(gcp.FolderResource, "f", map[string]any{"parent": "organizations/222"}),
		idRes(gcp.FolderResource, "nested", map[string]any{"parent": "folders/9"}),
		idRes(gcp.OrgPolicy, "pol", map[string]any{"parent": "organizations/111"}),
		idRes("gcp:organizations/iAMMember:IAMMember", "m", map[string]any{"orgId": "333", "role": "roles/viewer", "member": "group:g@example.com"}),
		idRes("gcp:apigee/environmentIamMember:EnvironmentIamMember", "apigee", map[string]any{"orgId": "444"}),
		idRes(gcp.LoggingOrganizationSink, "sink", map[string]any{"orgId": "?"}),
	)
	ids, unknown := s.Organizations()
	assert.Equal(t, []string{"111", "222", "333"}, ids)
	require.Len(t, unknown, 1)
	assert.Equal(t, "sink", unknown[0].Resource.Name)
	assert.Equal(t, "orgId", unknown[0].Value.Path())
}
