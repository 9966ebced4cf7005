package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// IAMNoPublicMembers forbids allUsers and allAuthenticatedUsers in every
// grant, every Cloud Storage ACL and every BigQuery dataset access entry.
func IAMNoPublicMembers() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "iam-no-public-members",
		Title: "Nothing is granted to allUsers or allAuthenticatedUsers",
		Description: "allUsers is anyone on the internet and allAuthenticatedUsers is anyone with any Google account, " +
			"not just your organization's. A grant to either exposes the bucket, topic, dataset or project that a " +
			"Dataflow pipeline reads or writes to the world. Every spelling counts: prefix case, surrounding " +
			"whitespace, and principalSet://goog/public:all, the same set as allUsers " +
			"(https://cloud.google.com/iam/docs/principal-identifiers). The rule covers every IAM grant (members, bindings, " +
			"policyData bindings, conditions included), the eligible principals of Privileged Access Manager " +
			"entitlements, approval or not (" + docPAM + "), BigQuery dataset access entries (specialGroup and " +
			"iamMember), Cloud Storage ACL entities and the canned ACLs publicRead, publicReadWrite and " +
			"authenticatedRead.",
		Remediation: "Remove the public member or ACL entry and grant access to the specific group, service account " +
			"or workload identity principal that needs it. For buckets, prefer uniform bucket-level access and " +
			"enforce public access prevention; use a canned ACL such as private or projectPrivate instead of a " +
			"public one.",
		URL:      "https://cloud.google.com/iam/docs/principals-overview#all-users",
		Severity: policy.Critical,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types:    append(gcp.GrantTypes(), gcp.StorageACLTypes()...),
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		eachGrant(c, r, func(g gcp.Grant) {
			if g.Member.IsUnknown() {
				c.Unknown(g.Member.Path())
				return
			}
			s, ok := g.Member.String()
			if !ok || !isPublicMember(s) {
				return
			}
			c.Violation(g.Member.Path(), "grants %s to %s%s, that is to %s%s; remove the public member and grant the role to the specific group or service account that needs it",
				roleText(g), memberText(g), eligibilityNote(g), publicAudience(s), conditionNote(g))
		})
		acl, ok := gcp.ReadStorageACL(r)
		if !ok {
			return
		}
		for _, e := range acl.Entries {
			switch {
			case e.Value.IsUnknown():
				c.Unknown(e.Value.Path())
			case gcp.IsPublicACLEntity(e.Entity):
				c.Violation(e.Value.Path(), "gives the ACL entity %s access, that is %s; remove the entry, grant a specific group or service account instead and turn on uniform bucket-level access",
					entityText(e), publicAudience(e.Entity))
			}
		}
		for _, v := range acl.Canned {
			if v.IsUnknown() {
				c.Unknown(v.Path())
				continue
			}
			s, ok := v.String()
			if !ok {
				continue
			}
			if entity, public := gcp.PublicCannedACL(s); public {
				c.Violation(v.Path(), "is the predefined ACL %s, which gives %s, that is %s, access%s; use private, projectPrivate or bucketOwnerFullControl and grant specific principals through IAM",
					v.Display(), entity, publicAudience(entity), cannedScope(v))
			}
		}
	})
}

// cannedScope says what a predefined ACL input applies to.
func cannedScope(v gcp.Value) string {
	if v.Path() == "defaultAcl" {
		return " to every new object in the bucket"
	}
	return ""
}

// entityText renders an ACL entry for a message.
func entityText(e gcp.ACLEntry) string {
	if e.Value.Secret() {
		return "[secret]"
	}
	if e.Role == "" {
		return quote(e.Entity)
	}
	return quote(e.Entity) + " (role " + e.Role + ")"
}
