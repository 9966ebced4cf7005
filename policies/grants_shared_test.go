package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestIsPublicMember(t *testing.T) {
	for member, want := range map[string]bool{
		"allUsers": true, "ALLUSERS": true, " allAuthenticatedUsers ": true, "specialGroup:AllUsers": true,
		"group:allUsersGroup@example.com": false, "user:allusers@example.com": false, "domain:example.com": false,
		"projectViewer:etl-prod-1234": false, "specialGroup:projectReaders": false, "": false,
		"principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*": false,
	} {
		assert.Equal(t, want, isPublicMember(member), member)
	}
}

func TestMatchRole(t *testing.T) {
	roles := newRoleSet([]string{"roles/owner", " roles/bigquery.dataOwner "})
	grant := func(role property.Value) gcp.Grant { return gcp.Grant{Role: gcp.NewValue(role, "role")} }
	for _, tc := range []struct {
		name string
		role property.Value
		want roleMatch
	}{
		{"listed", property.New("roles/owner"), roleMatches},
		{"trimmed", property.New(" roles/owner "), roleMatches},
		{"bigquery legacy name", property.New("OWNER"), roleMatches},
		{"custom role with the same id", property.New("projects/p/roles/owner"), roleNoMatch},
		{"other", property.New("roles/editor"), roleNoMatch},
		{"unknown", property.New(property.Computed), roleUnknown},
		{"absent", property.New(property.Null), roleNoMatch},
		{"secret", property.New("roles/owner").WithSecret(true), roleMatches},
	} {
		assert.Equal(t, tc.want, matchRole(grant(tc.role), roles), tc.name)
	}
}

func TestGrantTextNeverShowsSecrets(t *testing.T) {
	g := gcp.Grant{
		Role:   gcp.NewValue(property.New("roles/owner").WithSecret(true), "role"),
		Member: gcp.NewValue(property.New("user:hidden@example.com").WithSecret(true), "member"),
	}
	assert.Equal(t, "a secret role", roleText(g))
	assert.Equal(t, "a secret member", memberText(g))
	g.Member = gcp.NewValue(property.New(property.Computed), "member")
	assert.Equal(t, "a member not known until apply", memberText(g))
	assert.Equal(t, "", conditionNote(g))
}

func TestEscalationReason(t *testing.T) {
	for perm, want := range map[string]string{
		"iam.serviceAccountKeys.create":           "create long-lived keys",
		"storage.hmacKeys.create":                 "create long-lived keys",
		"iam.serviceAccounts.actAs":               "act as or mint tokens for service accounts",
		"resourcemanager.folders.setIamPolicy":    "rewrite IAM policy and grant themselves any role",
		"iam.roles.create":                        "create or widen custom roles",
		"orgpolicy.policy.set":                    "lift organization policy guardrails",
		"bigquery.datasets.delete":                "escalate their privileges",
		" RESOURCEMANAGER.PROJECTS.SETIAMPOLICY ": "rewrite IAM policy and grant themselves any role",
	} {
		assert.Equal(t, want, escalationReason(perm), perm)
	}
}

func TestEligibilityNote(t *testing.T) {
	val := func(v property.Value, path string) gcp.Value { return gcp.NewValue(v, path) }
	id := val(property.New("ops-elevate"), "entitlementId")
	approval := val(property.New(map[string]property.Value{"manualApprovals": property.New(map[string]property.Value{
		"steps": property.New([]property.Value{property.New(map[string]property.Value{})})})}), "approvalWorkflow")
	approver := func(s string) gcp.Value {
		return val(property.New(s), "approvalWorkflow.manualApprovals.steps[0].approvers.principals[0]")
	}

	assert.Equal(t, "", eligibilityNote(gcp.Grant{}), "a standing grant")
	assert.Equal(t, ` through Privileged Access Manager entitlement "ops-elevate", on request without approval`,
		eligibilityNote(gcp.Grant{Eligible: &gcp.Eligibility{Entitlement: id}}))
	assert.Equal(t, ` through Privileged Access Manager entitlement "ops-elevate", on request once approved by "group:a@example.com", [secret]`,
		eligibilityNote(gcp.Grant{Eligible: &gcp.Eligibility{Entitlement: id, Approval: approval,
			Approvers: []gcp.Value{approver("group:a@example.com"), val(property.New("user:hidden@example.com").WithSecret(true), "p")}}}))
	assert.Equal(t, ` through Privileged Access Manager entitlement "ops-elevate", on request once approved by "a", "b", "c" and 2 more`,
		eligibilityNote(gcp.Grant{Eligible: &gcp.Eligibility{Entitlement: id, Approval: approval,
			Approvers: []gcp.Value{approver("a"), approver("b"), approver("c"), approver("d"), approver("e")}}}))
	assert.Equal(t, ` through Privileged Access Manager entitlement [unknown], on request (whether it needs approval is not known until apply)`,
		eligibilityNote(gcp.Grant{Eligible: &gcp.Eligibility{Entitlement: val(property.New(property.Computed), "entitlementId"),
			Approval: val(property.New(property.Computed), "approvalWorkflow")}}))
}
