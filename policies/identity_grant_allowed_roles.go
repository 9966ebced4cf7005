package policies

import (
	"fmt"
	"regexp"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// The stack policies dataflow-worker-least-privilege and
// deployer-least-privilege find the worker and deployer accounts from the
// stack (a job's serviceAccountEmail, a pool's principals), so they run only
// after `pulumi up --skip-preview` has created the grants, and never on an
// Insights scan, which runs resource policies only. When the accounts follow
// a naming pattern, a grant names its member on itself: these resource
// policies judge each grant to an account matching the configured pattern,
// before the grant exists.

// patternGrantConfig is the config of a per-grant identity policy.
type patternGrantConfig struct {
	ServiceAccountPattern string   `json:"serviceAccountPattern"`
	AllowedRoles          []string `json:"allowedRoles"`
	pattern               *regexp.Regexp
	allowed               roleSet
}

// Validate compiles the pattern, fully anchored like every pattern of the
// pack, once per configuration.
func (c *patternGrantConfig) Validate() error {
	c.allowed = newRoleSet(c.AllowedRoles)
	if c.ServiceAccountPattern == "" {
		return nil
	}
	re, err := regexp.Compile(`^(?:` + c.ServiceAccountPattern + `)$`)
	if err != nil {
		return fmt.Errorf("serviceAccountPattern: %w", err)
	}
	c.pattern = re
	return nil
}

// defaultDeployerRoles is the default of deployer-least-privilege
// allowedRoles (a test keeps the two in step).
var defaultDeployerRoles = []string{"roles/dataflow.admin", "roles/dataflow.developer", "roles/dataflow.viewer",
	"roles/datapipelines.admin", "roles/datapipelines.invoker", "roles/datapipelines.viewer",
	"roles/storage.objectViewer", "roles/iam.serviceAccountUser"}

func patternGrantSchema(who, stackPolicy string, roles []string) string {
	return `{"type":"object","properties":{
		"serviceAccountPattern":{"type":"string","format":"regex","default":"",
			"description":"Regular expression (Go RE2 syntax) the whole email of a ` + who + ` service account matches (empty: the policy judges nothing); usually the pattern of dataflow-dedicated-worker-service-account or your naming convention."},
		"allowedRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
			"default":` + jsonList(roles) + `,
			"description":"Roles such an account may be granted on a project or a resource (never above); keep it in step with ` + stackPolicy + ` allowedRoles."}}}`
}

// DataflowWorkerGrantAllowedRoles judges each grant to a service account
// whose email matches the configured worker pattern.
func DataflowWorkerGrantAllowedRoles() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-worker-grant-allowed-roles",
		Title: "Grants to service accounts named like Dataflow workers give only allowed roles, on a project or a resource",
		Description: "dataflow-worker-least-privilege recognises a worker account from the jobs of the stack, so it is " +
			"a stack policy: it runs after `pulumi up --skip-preview` has created the grants, and an Insights scan " +
			"(resource policies only) never runs it. When worker accounts follow a naming convention, each grant " +
			"says on itself that its member is a worker: with serviceAccountPattern set, every grant (IAM member, " +
			"binding or policy at any scope, BigQuery dataset access, Privileged Access Manager entitlement) to a " +
			"service account whose email matches it must give a role of allowedRoles, on a project or a resource; " +
			"any role on a folder or the organization is inherited by every project below it " +
			"(https://cloud.google.com/iam/docs/resource-hierarchy-access-control). Workers run user code with their " +
			"account's permissions on every VM of the job " +
			"(https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account). " +
			"Grants to every service account of a project, folder or organization are left to the stack policy, " +
			"which knows the workers.",
		Remediation: "Grant the worker account only roles/dataflow.worker plus the data-plane roles its pipeline uses, " +
			"on its project or the buckets, subscriptions, datasets, keys and secrets it uses; add a role to " +
			"allowedRoles only when a pipeline needs it.",
		URL:          "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account",
		Severity:     policy.High,
		Level:        policy.Mandatory,
		Family:       policy.FamilyLeastPrivilege,
		Types:        gcp.GrantTypes(),
		ConfigSchema: patternGrantSchema("Dataflow worker", "dataflow-worker-least-privilege", defaultWorkerRoles),
	}, func(c *policy.Call, r *gcp.Resource, cfg *patternGrantConfig) {
		checkPatternGrants(c, r, cfg, "a Dataflow worker",
			"grant the worker only roles/dataflow.worker and the data-plane roles its pipeline needs, on the resources it uses, or add the role to allowedRoles")
	})
}

// DeployerGrantAllowedRoles judges each grant to a service account whose
// email matches the configured deployer pattern.
func DeployerGrantAllowedRoles() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "deployer-grant-allowed-roles",
		Title: "Grants to service accounts named like deployers give only allowed roles, on a project or a resource",
		Description: "deployer-least-privilege recognises deployer identities from the stack's workload identity " +
			"pools and impersonation grants, so it is a stack policy: it runs after `pulumi up --skip-preview` has " +
			"created the grants, and an Insights scan never runs it. When deployer service accounts follow a " +
			"naming convention, each grant says on itself that its member is a deployer: with " +
			"serviceAccountPattern set, every grant to a service account whose email matches it must give a role " +
			"of allowedRoles, on a project or a resource, never on a folder or the organization " +
			"(https://cloud.google.com/iam/docs/resource-hierarchy-access-control). A deployer needs only to launch " +
			"Dataflow jobs and act as their worker account " +
			"(https://cloud.google.com/dataflow/docs/concepts/security-and-permissions). Federated principals " +
			"(principal:// and principalSet:// members) and which accounts a deployer may act as are left to " +
			"deployer-least-privilege, which reads the pools and the workers from the stack.",
		Remediation: "Grant the deployer account only roles/dataflow.developer (or dataflow.admin / dataflow.viewer), " +
			"the Data Pipelines roles it uses, roles/storage.objectViewer on the template bucket and " +
			"roles/iam.serviceAccountUser on the worker account; add a role to allowedRoles only when it needs it.",
		URL:          "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions",
		Severity:     policy.High,
		Level:        policy.Mandatory,
		Family:       policy.FamilyLeastPrivilege,
		Types:        gcp.GrantTypes(),
		ConfigSchema: patternGrantSchema("deployer", "deployer-least-privilege", defaultDeployerRoles),
	}, func(c *policy.Call, r *gcp.Resource, cfg *patternGrantConfig) {
		checkPatternGrants(c, r, cfg, "a deployer",
			"grant the deployer only the roles to launch Dataflow jobs and act as their worker account, or add the role to allowedRoles")
	})
}

// checkPatternGrants reports each grant to a service account matching the
// configured pattern whose role is not allowed or whose scope is above a
// project.
func checkPatternGrants(c *policy.Call, r *gcp.Resource, cfg *patternGrantConfig, who, fix string) {
	if cfg.pattern == nil {
		return
	}
	eachGrant(c, r, func(g gcp.Grant) {
		if g.Role.IsAbsent() {
			return
		}
		matches, known := patternMember(g, cfg.pattern)
		if !matches && known {
			return
		}
		above := g.Scope == gcp.ScopeOrganization || g.Scope == gcp.ScopeFolder
		role := matchRole(g, cfg.allowed)
		switch {
		case !known:
			// Only a grant that could be wrong is worth the advisory.
			if above || role != roleMatches || g.ScopeUndecided() {
				c.Unknown(g.Member.Path())
			}
		case above:
			c.Violation(g.Role.Path(), "grants %s at %s scope to %s, which serviceAccountPattern marks as %s service account, so it holds "+
				"the role in every project of the %s%s; %s",
				roleText(g), g.Scope, memberText(g), who, g.Scope, grantNote(g), fix)
		case role == roleUnknown || g.ScopeUndecided():
			c.Unknown(g.Role.Path())
		case role == roleNoMatch:
			c.Violation(g.Role.Path(), "grants %s at %s scope to %s, which serviceAccountPattern marks as %s service account, and the "+
				"role is not in allowedRoles%s; %s",
				roleText(g), scopeText(g), memberText(g), who, grantNote(g), fix)
		}
	})
}

// patternMember reports whether a grant's member is one service account
// whose email matches pattern; known is false while the member is unknown.
func patternMember(g gcp.Grant, pattern *regexp.Regexp) (matches, known bool) {
	if g.Member.IsUnknown() {
		return false, false
	}
	m, ok := g.ParsedMember()
	if !ok || m.Kind != gcp.MemberServiceAccount || m.Email == "" {
		return false, true
	}
	return pattern.MatchString(m.Email), true
}
