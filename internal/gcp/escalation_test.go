package gcp_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// exactPermission is service.resource.verb as Google's reference spells it.
var exactPermission = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*){2,}$`)

func TestEscalationListIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range gcp.EscalationPermissions() {
		key := gcp.NormalizePermission(e.Name)
		assert.False(t, seen[key], "%s listed twice", e.Name)
		seen[key] = true
		if e.Name != gcp.AnySetIamPolicy {
			assert.Regexp(t, exactPermission, e.Name)
		}
		assert.NotEqual(t, "escalate their privileges", e.Kind.Effect(), "%s has no kind", e.Name)
		assert.NotEqual(t, "Other", e.Kind.Heading(), "%s has no kind", e.Name)
		require.NotEmpty(t, e.Sources, "%s has no source", e.Name)
		for _, s := range e.Sources {
			assert.NotEmpty(t, s.Title, e.Name)
			assert.True(t, strings.HasPrefix(s.URL, "https://"), "%s: source %q", e.Name, s.URL)
		}
	}
	assert.True(t, seen[gcp.NormalizePermission(gcp.AnySetIamPolicy)])
}

// The permissions issue #12 names must all be on the list.
func TestEscalationListCoversTheKnownPaths(t *testing.T) {
	names := gcp.EscalationPermissionNames()
	assert.NotContains(t, names, gcp.AnySetIamPolicy)
	for _, p := range []string{
		"iam.serviceAccounts.actAs", "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signBlob",
		"iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation", "iam.serviceAccounts.getOpenIdToken",
		"iam.serviceAccountKeys.create", "iam.roles.create", "iam.roles.update",
		"orgpolicy.policy.set", "orgpolicy.policies.create", "orgpolicy.policies.update", "orgpolicy.policies.delete",
		"deploymentmanager.deployments.create", "cloudbuild.builds.create", "cloudfunctions.functions.create",
		"run.services.create", "compute.instances.create", "compute.instances.setMetadata",
		"compute.projects.setCommonInstanceMetadata", "storage.hmacKeys.create",
	} {
		assert.Contains(t, names, p)
	}
}

func TestEscalationOf(t *testing.T) {
	for perm, want := range map[string]gcp.EscalationKind{
		"iam.serviceAccounts.actAs":               gcp.EscalatesByImpersonation,
		" IAM.SERVICEACCOUNTS.ACTAS\t":            gcp.EscalatesByImpersonation,
		"iam.serviceAccounts.setIamPolicy":        gcp.EscalatesByIAMPolicy,
		"storage.buckets.setIamPolicy":            gcp.EscalatesByIAMPolicy,
		"secretmanager.secrets.SETIAMPOLICY":      gcp.EscalatesByIAMPolicy,
		"resourcemanager.projects.setIamPolicy  ": gcp.EscalatesByIAMPolicy,
		"iam.serviceAccountKeys.create":           gcp.EscalatesByKeys,
		"iam.roles.update":                        gcp.EscalatesByRoles,
		"orgpolicy.policies.delete":               gcp.EscalatesByOrgPolicy,
		"cloudbuild.builds.create":                gcp.EscalatesByRunAs,
	} {
		e, ok := gcp.EscalationOf(perm)
		require.True(t, ok, perm)
		assert.Equal(t, want, e.Kind, perm)
	}
	for _, perm := range []string{
		"dataflow.jobs.create", "dataflow.jobs.cancel", "iam.serviceAccounts.get", "iam.serviceAccounts.list",
		"resourcemanager.projects.getIamPolicy", "storage.hmacKeys.list", "setIamPolicy", "", "*",
	} {
		_, ok := gcp.EscalationOf(perm)
		assert.False(t, ok, perm)
	}
}

func TestEscalationPermissionsIsACopy(t *testing.T) {
	list := gcp.EscalationPermissions()
	list[0].Name = "changed"
	assert.Equal(t, gcp.AnySetIamPolicy, gcp.EscalationPermissions()[0].Name)
}

func TestIsWildcardPermission(t *testing.T) {
	for p, want := range map[string]bool{
		"*": true, "iam.*": true, "*.setIamPolicy": true, "storage.objects.*": true,
		"storage.objects.get": false, "": false,
	} {
		assert.Equal(t, want, gcp.IsWildcardPermission(p), p)
	}
}

func TestCustomRolePermissions(t *testing.T) {
	assert.Equal(t, []string{gcp.ProjectCustomRole, gcp.OrganizationCustomRole}, gcp.CustomRoleTypes())
	r := &gcp.Resource{Type: gcp.ProjectCustomRole, Props: property.NewMap(map[string]property.Value{
		"permissions": property.New([]property.Value{property.New("dataflow.jobs.get")}),
		"stage":       property.New("DISABLED"),
	})}
	perms := gcp.CustomRolePermissions(r)
	assert.Equal(t, "permissions", perms.Path())
	require.Len(t, perms.Items(), 1)
	assert.Equal(t, "dataflow.jobs.get", perms.Items()[0].Str())
}
