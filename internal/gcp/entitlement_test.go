package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func list(vs ...property.Value) property.Value { return property.New(vs) }

// entitlement builds an entitlement's inputs as pulumi-gcp v9.6.0 sends
// them; the overrides replace top-level inputs (property.Null removes one).
func entitlement(access property.Value, overrides map[string]property.Value) *gcp.Resource {
	props := map[string]property.Value{
		"entitlementId":      str("ops-elevate"),
		"location":           str("global"),
		"parent":             str("projects/etl-prod-1234"),
		"maxRequestDuration": str("3600s"),
		"eligibleUsers": list(obj(map[string]property.Value{
			"principals": strs("group:ops@example.com", "serviceAccount:w@etl-prod-1234.iam.gserviceaccount.com")})),
		"privilegedAccess":             obj(map[string]property.Value{"gcpIamAccess": access}),
		"requesterJustificationConfig": obj(map[string]property.Value{"unstructured": obj(nil)}),
	}
	for k, v := range overrides {
		if v.IsNull() {
			delete(props, k)
			continue
		}
		props[k] = v
	}
	return resource(gcp.PAMEntitlement, props)
}

func iamAccess(resourceType, name string, bindings ...property.Value) property.Value {
	return obj(map[string]property.Value{
		"resourceType": str(resourceType), "resource": str(name), "roleBindings": list(bindings...),
	})
}

func binding(role, condition string) property.Value {
	m := map[string]property.Value{"role": str(role)}
	if condition != "" {
		m["conditionExpression"] = str(condition)
	}
	return obj(m)
}

func TestEntitlementGrantsEachRoleToEachPrincipal(t *testing.T) {
	assert.Contains(t, gcp.GrantTypes(), "gcp:privilegedaccessmanager/entitlement:entitlement")
	r := entitlement(iamAccess("cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/etl-prod-1234",
		binding("roles/storage.admin", ""), binding("roles/owner", "request.time < timestamp('2030-01-01T00:00:00Z')")), nil)
	gs, problems := gcp.Grants(r)
	require.Empty(t, problems)
	require.Len(t, gs, 4)
	assert.Equal(t, "privilegedAccess.gcpIamAccess.roleBindings[1].role", gs[2].Role.Path())
	assert.Equal(t, "roles/owner", gs[2].Role.Str())
	assert.Equal(t, "eligibleUsers[0].principals[0]", gs[2].Member.Path())
	assert.Equal(t, "group:ops@example.com", gs[2].Member.Str())
	assert.True(t, gs[0].Condition.IsAbsent())
	assert.Equal(t, "privilegedAccess.gcpIamAccess.roleBindings[1].conditionExpression", gs[3].Condition.Path(),
		"a role binding's condition is the grant's IAM condition")
	for _, g := range gs {
		assert.Equal(t, gcp.ScopeProject, g.Scope)
		assert.False(t, g.ScopeUndecided())
		require.NotNil(t, g.Eligible)
		assert.Equal(t, "ops-elevate", g.Eligible.Entitlement.Str())
		assert.Equal(t, gcp.No, g.Eligible.NeedsApproval(), "no approvalWorkflow: granted on request")
		assert.True(t, g.Target("project").IsAbsent(), "an entitlement has no target input")
	}
}

func TestEntitlementApprovers(t *testing.T) {
	approval := obj(map[string]property.Value{"manualApprovals": obj(map[string]property.Value{
		"steps": list(obj(map[string]property.Value{
			"approvalsNeeded": property.New(1.0),
			"approvers":       obj(map[string]property.Value{"principals": strs("group:approvers@example.com")}),
		})),
	})})
	r := entitlement(iamAccess("cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p",
		binding("roles/dataflow.developer", "")), map[string]property.Value{"approvalWorkflow": approval})
	gs, _ := gcp.Grants(r)
	require.Len(t, gs, 2)
	e := gs[0].Eligible
	assert.Equal(t, gcp.Yes, e.NeedsApproval())
	require.Len(t, e.Approvers, 1)
	assert.Equal(t, "group:approvers@example.com", e.Approvers[0].Str())
	assert.Equal(t, "approvalWorkflow.manualApprovals.steps[0].approvers.principals[0]", e.Approvers[0].Path())

	r = entitlement(iamAccess("cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p",
		binding("roles/dataflow.developer", "")), map[string]property.Value{"approvalWorkflow": computed})
	gs, _ = gcp.Grants(r)
	assert.Equal(t, gcp.Maybe, gs[0].Eligible.NeedsApproval())

	r = entitlement(iamAccess("cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p",
		binding("roles/dataflow.developer", "")), map[string]property.Value{"approvalWorkflow": obj(map[string]property.Value{
		"manualApprovals": obj(map[string]property.Value{"steps": list()})})})
	gs, _ = gcp.Grants(r)
	assert.Equal(t, gcp.No, gs[0].Eligible.NeedsApproval(), "a workflow without a step approves nothing")
}

func TestEntitlementScope(t *testing.T) {
	cases := []struct {
		name, resourceType, resource, parent string
		want                                 gcp.Scope
		undecided                            bool
	}{
		{"project", "cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p", "projects/p", gcp.ScopeProject, false},
		{"folder", "cloudresourcemanager.googleapis.com/Folder", "//cloudresourcemanager.googleapis.com/folders/1", "folders/1", gcp.ScopeFolder, false},
		{"organization", "cloudresourcemanager.googleapis.com/Organization", "//cloudresourcemanager.googleapis.com/organizations/1", "organizations/1", gcp.ScopeOrganization, false},
		{"type case", "CloudResourceManager.googleapis.com/organization", "", "", gcp.ScopeOrganization, false},
		{"mismatch takes the broadest", "cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/folders/1", "projects/p", gcp.ScopeFolder, false},
		{"parent above the resource", "cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p", "organizations/1", gcp.ScopeOrganization, false},
		{"computed resource, known type", "cloudresourcemanager.googleapis.com/Project", "?", "?", gcp.ScopeProject, false},
		{"computed type, resource tells", "?", "//cloudresourcemanager.googleapis.com/folders/1", "?", gcp.ScopeFolder, false},
		{"nothing known", "?", "?", "?", gcp.ScopeProject, true},
		{"unreadable type, computed parent", "storage.googleapis.com/Bucket", "b", "?", gcp.ScopeProject, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			val := func(s string) property.Value {
				if s == "?" {
					return computed
				}
				return str(s)
			}
			access := obj(map[string]property.Value{"resourceType": val(c.resourceType), "resource": val(c.resource),
				"roleBindings": list(binding("roles/viewer", ""))})
			gs, _ := gcp.Grants(entitlement(access, map[string]property.Value{"parent": val(c.parent)}))
			require.Len(t, gs, 2)
			assert.Equal(t, c.want, gs[0].Scope)
			assert.Equal(t, c.undecided, gs[0].ScopeUndecided())
		})
	}
}

func TestEntitlementUnknownsAndOddShapes(t *testing.T) {
	access := iamAccess("cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p", binding("roles/owner", ""))

	gs, problems := gcp.Grants(entitlement(access, map[string]property.Value{"eligibleUsers": computed}))
	require.Empty(t, problems)
	require.Len(t, gs, 1)
	assert.True(t, gs[0].Member.IsUnknown())
	assert.Equal(t, "eligibleUsers", gs[0].Member.Path())

	gs, _ = gcp.Grants(entitlement(access, map[string]property.Value{"eligibleUsers": list(obj(map[string]property.Value{
		"principals": list(str("user:a@example.com"), computed)}))}))
	require.Len(t, gs, 2)
	assert.True(t, gs[1].Member.IsUnknown())
	assert.Equal(t, "eligibleUsers[0].principals[1]", gs[1].Member.Path())

	gs, _ = gcp.Grants(entitlement(obj(map[string]property.Value{"resourceType": str("cloudresourcemanager.googleapis.com/Project"),
		"resource": str("//cloudresourcemanager.googleapis.com/projects/p"), "roleBindings": computed}), nil))
	require.Len(t, gs, 2, "one grant of the unknown roles to each principal")
	assert.True(t, gs[0].Role.IsUnknown())
	assert.Equal(t, "privilegedAccess.gcpIamAccess.roleBindings", gs[0].Role.Path())

	gs, _ = gcp.Grants(entitlement(computed, nil))
	require.Len(t, gs, 2)
	assert.True(t, gs[0].Role.IsUnknown())
	assert.False(t, gs[0].ScopeUndecided(), "the parent tells the level")

	gs, _ = gcp.Grants(entitlement(access, map[string]property.Value{"privilegedAccess": computed, "eligibleUsers": computed}))
	require.Len(t, gs, 1)
	assert.True(t, gs[0].Role.IsUnknown() && gs[0].Member.IsUnknown())

	gs, problems = gcp.Grants(entitlement(obj(map[string]property.Value{"roleBindings": str("roles/owner")}),
		map[string]property.Value{"eligibleUsers": str("user:a@example.com")}))
	assert.Empty(t, gs)
	require.Len(t, problems, 2, "a shape the model cannot read fails closed")
	assert.Equal(t, "privilegedAccess.gcpIamAccess.roleBindings", problems[0].Path)
	assert.Equal(t, "eligibleUsers", problems[1].Path)

	_, problems = gcp.Grants(entitlement(access, map[string]property.Value{"eligibleUsers": list(str("user:a@example.com"))}))
	require.Len(t, problems, 1)
	assert.Equal(t, "eligibleUsers[0]", problems[0].Path)

	gs, problems = gcp.Grants(entitlement(access, map[string]property.Value{"eligibleUsers": property.New(property.Null), "privilegedAccess": property.New(property.Null)}))
	assert.Empty(t, gs, "nothing eligible, nothing granted")
	assert.Empty(t, problems)

	gs, _ = gcp.Grants(entitlement(iamAccess("cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p",
		binding("roles/owner", "  ")), nil))
	assert.True(t, gs[0].Condition.IsAbsent(), "an empty expression is no condition")
}

func TestEntitlementSecretsStaySecret(t *testing.T) {
	access := iamAccess("cloudresourcemanager.googleapis.com/Project", "//cloudresourcemanager.googleapis.com/projects/p", binding("roles/owner", ""))
	gs, _ := gcp.Grants(entitlement(access, map[string]property.Value{"eligibleUsers": list(obj(map[string]property.Value{
		"principals": strs("user:hidden@example.com")})).WithSecret(true)}))
	require.Len(t, gs, 1)
	assert.True(t, gs[0].Member.Secret())
	assert.Equal(t, "[secret]", gs[0].Member.Display())
}
