package gcp_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestCanonicalConstraintName(t *testing.T) {
	for _, s := range []string{
		"iam.disableServiceAccountKeyCreation",
		"constraints/iam.disableServiceAccountKeyCreation",
		" projects/etl-prod-1234/policies/iam.disableServiceAccountKeyCreation ",
		"organizations/123/policies/constraints/IAM.disableServiceAccountKeyCreation",
		"Constraints/iam.DISABLEServiceAccountKeyCreation",
		"projects/p/policies/ constraints/iam.disableServiceAccountKeyCreation ",
	} {
		assert.Equal(t, "iam.disableserviceaccountkeycreation", gcp.CanonicalConstraintName(s), s)
	}
	assert.Equal(t, "", gcp.CanonicalConstraintName("constraints/"))
}

func TestIsDenyListConstraint(t *testing.T) {
	for _, s := range []string{"storage.restrictAuthTypes", "constraints/Storage.RestrictAuthTypes",
		"folders/1/policies/storage.restrictAuthTypes"} {
		assert.True(t, gcp.IsDenyListConstraint(s), s)
	}
	// allowlist constraints: an allowlist at the organization is the guardrail
	for _, s := range []string{"iam.allowedPolicyMemberDomains", "compute.vmExternalIpAccess", "gcp.restrictTLSVersion", ""} {
		assert.False(t, gcp.IsDenyListConstraint(s), s)
	}
}

func TestEnumBool(t *testing.T) {
	for _, tc := range []struct {
		in     property.Value
		on, ok bool
	}{
		{str("TRUE"), true, true},
		{str("tRuE"), true, true},
		{str("FALSE"), false, true},
		{str("false"), false, true},
		{property.New(true), true, true},
		{property.New(false), false, true},
		// the provider sends these as no value
		{str(" TRUE"), false, false},
		{str("1"), false, false},
		{str("t"), false, false},
		{str("yes"), false, false},
		{str(""), false, false},
		{property.New(1.0), false, false},
	} {
		v := resource(gcp.OrgPolicy, map[string]property.Value{"enforce": tc.in}).Get("enforce")
		on, ok := gcp.EnumBool(v)
		assert.Equal(t, tc.ok, ok, "%v", tc.in)
		assert.Equal(t, tc.on, on, "%v", tc.in)
	}
	on, ok := gcp.EnumBool(resource(gcp.OrgPolicy, nil).Get("enforce"))
	assert.False(t, on || ok, "absent")
}

func TestReadOrgPolicyV2(t *testing.T) {
	r := resource(gcp.OrgPolicy, map[string]property.Value{
		"name":   str("projects/etl-prod-1234/policies/iam.disableServiceAccountKeyCreation"),
		"parent": str("projects/etl-prod-1234"),
		"spec": obj(map[string]property.Value{
			"inheritFromParent": property.New(true),
			"rules": property.New([]property.Value{
				obj(map[string]property.Value{"enforce": str("TRUE")}),
				obj(map[string]property.Value{
					"enforce":   str("FALSE"),
					"condition": obj(map[string]property.Value{"expression": str("resource.matchTag('123/env', 'dev')")}),
				}),
				obj(map[string]property.Value{"values": obj(map[string]property.Value{"allowedValues": strs("C0abc")})}),
			}),
		}),
		"dryRunSpec": obj(map[string]property.Value{"reset": property.New(true)}),
	})
	v, ok := gcp.ReadOrgPolicy(r)
	require.True(t, ok)
	name, ok := v.ConstraintName()
	require.True(t, ok)
	assert.Equal(t, "iam.disableserviceaccountkeycreation", name)
	assert.Equal(t, gcp.ScopeProject, v.Scope)
	assert.Equal(t, "parent", v.ScopeValue.Path())
	require.Len(t, v.Specs, 2)

	spec := v.Specs[0]
	assert.False(t, spec.DryRun)
	assert.False(t, spec.Legacy)
	b, _ := spec.InheritFromParent.Bool()
	assert.True(t, b)
	require.Len(t, spec.Rules, 3)
	enforce, ok := spec.Rules[0].Enforce.Bool()
	assert.True(t, ok && enforce)
	assert.False(t, spec.Rules[0].IsConditional())
	enforce, ok = spec.Rules[1].Enforce.Bool()
	assert.True(t, ok && !enforce, `"FALSE" reads as false`)
	assert.True(t, spec.Rules[1].IsConditional())
	assert.Equal(t, "spec.rules[1].enforce", spec.Rules[1].Enforce.Path())
	assert.Equal(t, "spec.rules[2].values.allowedValues", spec.Rules[2].AllowedValues.Path())
	assert.Len(t, spec.Rules[2].AllowedValues.Items(), 1)

	dry := v.Specs[1]
	assert.True(t, dry.DryRun)
	assert.Equal(t, "dryRunSpec.reset", dry.Reset.Path())
	assert.Empty(t, dry.Rules)
	assert.True(t, dry.RulesValue.IsAbsent())
}

func TestReadOrgPolicyV2ScopeAndUnknowns(t *testing.T) {
	// The parent is computed but the name says where the policy sits.
	v, _ := gcp.ReadOrgPolicy(resource(gcp.OrgPolicy, map[string]property.Value{
		"name":   str("folders/456/policies/compute.vmExternalIpAccess"),
		"parent": computed,
	}))
	assert.Equal(t, gcp.ScopeFolder, v.Scope)
	assert.Equal(t, "name", v.ScopeValue.Path())
	assert.Empty(t, v.Specs, "no spec, no dry-run spec: nothing is set")

	v, _ = gcp.ReadOrgPolicy(resource(gcp.OrgPolicy, map[string]property.Value{
		"name":   computed,
		"parent": computed,
		"spec":   obj(map[string]property.Value{"rules": computed}),
	}))
	assert.Equal(t, gcp.Scope(0), v.Scope)
	assert.True(t, v.ScopeValue.IsUnknown())
	_, ok := v.ConstraintName()
	assert.False(t, ok)
	require.Len(t, v.Specs, 1)
	assert.True(t, v.Specs[0].RulesValue.IsUnknown())
	assert.Empty(t, v.Specs[0].Rules)

	v, _ = gcp.ReadOrgPolicy(resource(gcp.OrgPolicy, map[string]property.Value{
		"name":   str("organizations/123/policies/iam.allowedPolicyMemberDomains"),
		"parent": str("organizations/123"),
	}))
	assert.Equal(t, gcp.ScopeOrganization, v.Scope)
}

func TestReadOrgPolicyLegacy(t *testing.T) {
	scopes := map[string]gcp.Scope{
		gcp.OrganizationPolicy:        gcp.ScopeOrganization,
		gcp.FolderOrganizationPolicy:  gcp.ScopeFolder,
		gcp.ProjectOrganizationPolicy: gcp.ScopeProject,
	}
	for typ, scope := range scopes {
		v, ok := gcp.ReadOrgPolicy(resource(typ, map[string]property.Value{
			"constraint":    str("constraints/iam.allowedPolicyMemberDomains"),
			"booleanPolicy": obj(map[string]property.Value{"enforced": property.New(false)}),
			"listPolicy": obj(map[string]property.Value{
				"inheritFromParent": property.New(true),
				"allow":             obj(map[string]property.Value{"values": strs("C0partner")}),
				"deny":              obj(map[string]property.Value{"all": property.New(true)}),
			}),
			"restorePolicy": obj(map[string]property.Value{"default": property.New(true)}),
		}))
		require.True(t, ok, typ)
		assert.Equal(t, scope, v.Scope, typ)
		name, _ := v.ConstraintName()
		assert.Equal(t, "iam.allowedpolicymemberdomains", name)
		require.Len(t, v.Specs, 1)
		s := v.Specs[0]
		assert.True(t, s.Legacy)
		assert.Equal(t, "restorePolicy.default", s.Reset.Path())
		assert.Equal(t, "listPolicy.inheritFromParent", s.InheritFromParent.Path())
		require.Len(t, s.Rules, 2)
		assert.Equal(t, "booleanPolicy.enforced", s.Rules[0].Enforce.Path())
		assert.True(t, s.Rules[0].AllowAll.IsAbsent())
		assert.Equal(t, "listPolicy.allow.values", s.Rules[1].AllowedValues.Path())
		assert.Equal(t, "listPolicy.deny.all", s.Rules[1].DenyAll.Path())
		assert.True(t, s.Rules[1].Enforce.IsAbsent())
		assert.False(t, s.Rules[1].IsConditional())
	}

	v, _ := gcp.ReadOrgPolicy(resource(gcp.ProjectOrganizationPolicy, map[string]property.Value{
		"constraint": str("iam.disableServiceAccountKeyCreation"),
		"project":    str("etl-prod-1234"),
	}))
	assert.Empty(t, v.Specs, "none of the three blocks: the constraint is merely inherited")

	_, ok := gcp.ReadOrgPolicy(resource("gcp:storage/bucket:Bucket", nil))
	assert.False(t, ok)
}
