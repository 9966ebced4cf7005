package conformance

import (
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// TestEveryGrantTypeExistsInTheSDK proves that each type the grant extractor
// reads (and every grant policy lists) is a pulumi-gcp v9.6.0 resource, and
// that every property it reads from a Privileged Access Manager entitlement
// is declared there, whatever the fixtures happen to contain.
func TestEveryGrantTypeExistsInTheSDK(t *testing.T) {
	dir, byToken := scanSDK(t)
	for _, tok := range gcp.GrantTypes() {
		_, ok := byToken[tok]
		require.True(t, ok, "%s: type token not in pulumi-gcp v9.6.0", tok)
	}

	reads := map[string]bool{}
	gcp.ReadHook = func(typ, path string, _ bool) {
		if typ == gcp.PAMEntitlement {
			reads[path] = true
		}
	}
	defer func() { gcp.ReadHook = nil }()
	str := property.New[string]
	strs := func(ss ...string) property.Value {
		out := make([]property.Value, len(ss))
		for i, s := range ss {
			out[i] = str(s)
		}
		return property.New(out)
	}
	obj := func(m map[string]property.Value) property.Value { return property.New(m) }
	r := &gcp.Resource{URN: "urn:pulumi:dev::etl::" + gcp.PAMEntitlement + "::e", Type: gcp.PAMEntitlement,
		Props: property.NewMap(map[string]property.Value{
			"entitlementId": str("ops-elevate"),
			"parent":        str("projects/p"),
			"eligibleUsers": property.New([]property.Value{obj(map[string]property.Value{"principals": strs("group:ops@example.com")})}),
			"privilegedAccess": obj(map[string]property.Value{"gcpIamAccess": obj(map[string]property.Value{
				"resourceType": str("cloudresourcemanager.googleapis.com/Project"),
				"resource":     str("//cloudresourcemanager.googleapis.com/projects/p"),
				"roleBindings": property.New([]property.Value{obj(map[string]property.Value{
					"role": str("roles/dataflow.developer"), "conditionExpression": str("true")})}),
			})}),
			"approvalWorkflow": obj(map[string]property.Value{"manualApprovals": obj(map[string]property.Value{
				"steps": property.New([]property.Value{obj(map[string]property.Value{
					"approvers": obj(map[string]property.Value{"principals": strs("group:approvers@example.com")})})}),
			})}),
		})}
	grants, problems := gcp.Grants(r)
	require.Empty(t, problems)
	require.Len(t, grants, 1)

	paths := make([]string, 0, len(reads))
	for p := range reads {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	require.Subset(t, paths, []string{"eligibleUsers", "eligibleUsers[0].principals", "entitlementId", "parent",
		"privilegedAccess.gcpIamAccess.resourceType", "privilegedAccess.gcpIamAccess.resource",
		"privilegedAccess.gcpIamAccess.roleBindings[0].role", "privilegedAccess.gcpIamAccess.roleBindings[0].conditionExpression",
		"approvalWorkflow.manualApprovals.steps[0].approvers.principals"})
	res := byToken[gcp.PAMEntitlement]
	for _, p := range paths {
		require.NoError(t, resolve(dir, res, read{typ: gcp.PAMEntitlement, path: p}), p)
	}
}
