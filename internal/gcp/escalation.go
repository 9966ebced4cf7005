package gcp

import (
	"slices"
	"strings"
	"sync"
)

// EscalationKind is how a permission lets whoever holds it gain access the
// role itself does not grant.
type EscalationKind uint8

const (
	// EscalatesByIAMPolicy: rewrite an allow policy and grant any role.
	EscalatesByIAMPolicy EscalationKind = iota + 1
	// EscalatesByImpersonation: act as a service account or mint its tokens.
	EscalatesByImpersonation
	// EscalatesByKeys: create a long-lived credential for a service account.
	EscalatesByKeys
	// EscalatesByRoles: create or widen a custom role.
	EscalatesByRoles
	// EscalatesByOrgPolicy: lift an organization policy guardrail.
	EscalatesByOrgPolicy
	// EscalatesByRunAs: have a Google service run the holder's code as a
	// service account (deployments, builds, functions, Cloud Run, VMs).
	EscalatesByRunAs
)

// Effect completes "lets holders of the role ...".
func (k EscalationKind) Effect() string {
	switch k {
	case EscalatesByIAMPolicy:
		return "rewrite IAM policy and grant themselves any role"
	case EscalatesByImpersonation:
		return "act as or mint tokens for service accounts"
	case EscalatesByKeys:
		return "create long-lived keys"
	case EscalatesByRoles:
		return "create or widen custom roles"
	case EscalatesByOrgPolicy:
		return "lift organization policy guardrails"
	case EscalatesByRunAs:
		return "run their own code as a service account"
	}
	return "escalate their privileges"
}

// Heading names the kind in the policy reference.
func (k EscalationKind) Heading() string {
	switch k {
	case EscalatesByIAMPolicy:
		return "Rewrite allow policies"
	case EscalatesByImpersonation:
		return "Impersonate service accounts"
	case EscalatesByKeys:
		return "Mint long-lived credentials"
	case EscalatesByRoles:
		return "Create or widen roles"
	case EscalatesByOrgPolicy:
		return "Lift organization policy guardrails"
	case EscalatesByRunAs:
		return "Act through a service that runs as a service account"
	}
	return "Other"
}

// Source is a public document that shows a permission escalates.
type Source struct {
	Title string
	URL   string
}

// EscalationPermission is one permission that lets its holder grant
// themselves more, with the documents that say so.
type EscalationPermission struct {
	// Name as Google's permission reference spells it, or AnySetIamPolicy.
	Name    string
	Kind    EscalationKind
	Sources []Source
}

// AnySetIamPolicy stands for the setIamPolicy permission of every service
// (resourcemanager.projects, iam.serviceAccounts, storage.buckets, ...).
const AnySetIamPolicy = "*.setIamPolicy"

// The documents behind the list: Google's own, and the public GCP
// privilege-escalation research (Rhino Security Labs' methods and exploit
// scripts, one per permission).
var (
	srcManageAccess = Source{"Google: manage access to projects, folders and organizations",
		"https://cloud.google.com/iam/docs/granting-changing-revoking-access"}
	srcSAAuthRoles = Source{"Google: roles for service account authentication",
		"https://cloud.google.com/iam/docs/service-account-permissions"}
	srcSABestPractices = Source{"Google: best practices for securing service accounts",
		"https://cloud.google.com/iam/docs/best-practices-for-securing-service-accounts"}
	srcWIFBestPractices = Source{"Google: best practices for workload identity federation",
		"https://cloud.google.com/iam/docs/best-practices-for-using-workload-identity-federation"}
	srcSAKeys = Source{"Google: create and delete service account keys",
		"https://cloud.google.com/iam/docs/keys-create-delete"}
	srcSAKeyUpload = Source{"Google: serviceAccounts.keys.upload (a key pair of your own, on the same permission)",
		"https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys/upload"}
	srcHMACKeys = Source{"Google: HMAC keys",
		"https://cloud.google.com/storage/docs/authentication/hmackeys"}
	srcCustomRoles = Source{"Google: understanding custom roles",
		"https://cloud.google.com/iam/docs/understanding-custom-roles"}
	srcOrgPolicies = Source{"Google: creating and managing organization policies",
		"https://cloud.google.com/resource-manager/docs/organization-policy/creating-managing-policies"}
	srcCustomConstraints = Source{"Google: creating and managing custom constraints",
		"https://cloud.google.com/resource-manager/docs/organization-policy/creating-managing-custom-constraints"}
	srcDeploymentManager = Source{"Google: Deployment Manager access control (deployments run as the Google APIs service agent)",
		"https://cloud.google.com/deployment-manager/docs/access-control"}
	srcCloudBuildSA = Source{"Google: Cloud Build service account change (the legacy account needs no actAs)",
		"https://cloud.google.com/build/docs/cloud-build-service-account-updates"}
	srcVMAccess = Source{"Google: choose a VM access method (metadata SSH keys)",
		"https://cloud.google.com/compute/docs/instances/access-overview"}
	srcRhino = Source{"Rhino Security Labs: GCP IAM privilege escalation",
		"https://github.com/RhinoSecurityLabs/GCP-IAM-Privilege-Escalation"}
)

// escalationPermissions is the list, in the order the reference shows it.
var escalationPermissions = []EscalationPermission{
	{AnySetIamPolicy, EscalatesByIAMPolicy, []Source{srcManageAccess, srcSABestPractices, srcRhino}},

	{"iam.serviceAccounts.actAs", EscalatesByImpersonation, []Source{srcSAAuthRoles}},
	{"iam.serviceAccounts.getAccessToken", EscalatesByImpersonation, []Source{srcSAAuthRoles, srcRhino}},
	{"iam.serviceAccounts.getOpenIdToken", EscalatesByImpersonation, []Source{srcSAAuthRoles}},
	{"iam.serviceAccounts.implicitDelegation", EscalatesByImpersonation, []Source{srcSAAuthRoles, srcRhino}},
	{"iam.serviceAccounts.signBlob", EscalatesByImpersonation, []Source{srcSAAuthRoles, srcRhino}},
	{"iam.serviceAccounts.signJwt", EscalatesByImpersonation, []Source{srcSAAuthRoles, srcRhino}},
	{"iam.workloadIdentityPoolProviders.create", EscalatesByImpersonation, []Source{srcWIFBestPractices}},
	{"iam.workloadIdentityPoolProviders.update", EscalatesByImpersonation, []Source{srcWIFBestPractices}},

	{"iam.serviceAccountKeys.create", EscalatesByKeys, []Source{srcSAKeys, srcSAKeyUpload, srcRhino}},
	{"storage.hmacKeys.create", EscalatesByKeys, []Source{srcHMACKeys, srcRhino}},

	{"iam.roles.create", EscalatesByRoles, []Source{srcCustomRoles}},
	{"iam.roles.update", EscalatesByRoles, []Source{srcCustomRoles, srcRhino}},

	{"orgpolicy.policy.set", EscalatesByOrgPolicy, []Source{srcOrgPolicies, srcRhino}},
	{"orgpolicy.policies.create", EscalatesByOrgPolicy, []Source{srcOrgPolicies}},
	{"orgpolicy.policies.update", EscalatesByOrgPolicy, []Source{srcOrgPolicies}},
	{"orgpolicy.policies.delete", EscalatesByOrgPolicy, []Source{srcOrgPolicies}},
	{"orgpolicy.customConstraints.update", EscalatesByOrgPolicy, []Source{srcCustomConstraints}},
	{"orgpolicy.customConstraints.delete", EscalatesByOrgPolicy, []Source{srcCustomConstraints}},

	{"deploymentmanager.deployments.create", EscalatesByRunAs, []Source{srcDeploymentManager, srcRhino}},
	{"deploymentmanager.deployments.update", EscalatesByRunAs, []Source{srcDeploymentManager}},
	{"cloudbuild.builds.create", EscalatesByRunAs, []Source{srcCloudBuildSA, srcRhino}},
	{"compute.instances.setMetadata", EscalatesByRunAs, []Source{srcVMAccess, srcRhino}},
	{"compute.projects.setCommonInstanceMetadata", EscalatesByRunAs, []Source{srcVMAccess}},
	{"compute.instances.create", EscalatesByRunAs, []Source{srcSAAuthRoles, srcRhino}},
	{"compute.instances.setServiceAccount", EscalatesByRunAs, []Source{srcSAAuthRoles, srcRhino}},
	{"cloudfunctions.functions.create", EscalatesByRunAs, []Source{srcSAAuthRoles, srcRhino}},
	{"cloudfunctions.functions.update", EscalatesByRunAs, []Source{srcSAAuthRoles, srcRhino}},
	{"cloudfunctions.functions.sourceCodeSet", EscalatesByRunAs, []Source{srcRhino}},
	{"run.services.create", EscalatesByRunAs, []Source{srcSAAuthRoles, srcRhino}},
	{"run.services.update", EscalatesByRunAs, []Source{srcSAAuthRoles}},
	{"run.jobs.create", EscalatesByRunAs, []Source{srcSAAuthRoles}},
	{"run.jobs.update", EscalatesByRunAs, []Source{srcSAAuthRoles}},
}

// EscalationPermissions returns the list with its sources, AnySetIamPolicy
// first.
func EscalationPermissions() []EscalationPermission { return slices.Clone(escalationPermissions) }

// EscalationPermissionNames returns the exact permission names of the list,
// without AnySetIamPolicy (which no exact name can stand for).
func EscalationPermissionNames() []string {
	out := make([]string, 0, len(escalationPermissions))
	for _, e := range escalationPermissions {
		if e.Name != AnySetIamPolicy {
			out = append(out, e.Name)
		}
	}
	return out
}

var escalationIndex = sync.OnceValue(func() map[string]EscalationPermission {
	m := make(map[string]EscalationPermission, len(escalationPermissions))
	for _, e := range escalationPermissions {
		m[NormalizePermission(e.Name)] = e
	}
	return m
})

// NormalizePermission is the form permissions are compared in: without
// surrounding space, lower case. IAM rejects names that are not spelled as
// its reference spells them, so this only ever widens what a check catches.
func NormalizePermission(p string) string { return strings.ToLower(strings.TrimSpace(p)) }

// IsWildcardPermission reports whether p is a pattern rather than a
// permission. IAM rejects these in custom roles ("Permission pubsub.* is not
// valid"), but a role that asks for one asks for everything it could match.
func IsWildcardPermission(p string) bool { return strings.Contains(p, "*") }

// IsSetIamPolicy reports whether p is some service's setIamPolicy.
func IsSetIamPolicy(p string) bool {
	return strings.HasSuffix(NormalizePermission(p), ".setiampolicy")
}

// EscalationOf returns the list entry a permission falls under, compared
// without regard to case or surrounding space.
func EscalationOf(p string) (EscalationPermission, bool) {
	key := NormalizePermission(p)
	if IsSetIamPolicy(key) {
		key = NormalizePermission(AnySetIamPolicy)
	}
	e, ok := escalationIndex()[key]
	return e, ok
}
