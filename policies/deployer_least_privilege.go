package policies

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type deployerLeastPrivilegeConfig struct {
	AllowedRoles                 []string `json:"allowedRoles"`
	AllowedServiceAccountPattern string   `json:"allowedServiceAccountPattern"`
	AllowedServiceAccounts       []string `json:"allowedServiceAccounts"`
	ActAsTargetRoles             []string `json:"actAsTargetRoles"`
	CIIssuers                    []string `json:"ciIssuers"`
	DeployerPools                []string `json:"deployerPools"`
	WorkloadPools                []string `json:"workloadPools"`

	pattern         *regexp.Regexp
	allowedAccounts map[string]bool
	targetRoles     roleSet
	pools           *gcp.DeployerPools
}

// Validate compiles the pattern and indexes the lists once per
// configuration.
func (c *deployerLeastPrivilegeConfig) Validate() error {
	c.pattern = nil
	if c.AllowedServiceAccountPattern != "" {
		// Fully anchored, as in dataflow-dedicated-worker-service-account.
		re, err := regexp.Compile(`^(?:` + c.AllowedServiceAccountPattern + `)$`)
		if err != nil {
			return fmt.Errorf("allowedServiceAccountPattern: %w", err)
		}
		c.pattern = re
	}
	c.allowedAccounts = make(map[string]bool, len(c.AllowedServiceAccounts))
	for _, a := range c.AllowedServiceAccounts {
		email, ok := gcp.ServiceAccountEmail(a)
		if !ok {
			return fmt.Errorf("allowedServiceAccounts: %q is not a service account email", a)
		}
		c.allowedAccounts[email] = true
	}
	c.targetRoles = newRoleSet(c.ActAsTargetRoles)
	for _, iss := range c.CIIssuers {
		if _, ok := gcp.ParseIssuer(iss); !ok {
			return fmt.Errorf("ciIssuers: %q is not an absolute URL", iss)
		}
	}
	c.pools = &gcp.DeployerPools{CIIssuers: c.CIIssuers, Deployers: c.DeployerPools, Workloads: c.WorkloadPools}
	return nil
}

// ciIssuer is the OIDC issuer of a CI system, with where it is documented.
type ciIssuer struct{ issuer, system, source string }

// defaultCIIssuers are the issuers whose providers make a pool a deployer
// pool by default. An issuer below one of them counts too (CircleCI's
// https://oidc.circleci.com/org/ORG_ID, Bitbucket's per-workspace issuer,
// GitHub Enterprise Cloud's https://token.actions.githubusercontent.com/ENTERPRISE).
var defaultCIIssuers = []ciIssuer{
	{"https://token.actions.githubusercontent.com", "GitHub Actions",
		"https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect"},
	{"https://gitlab.com", "GitLab CI/CD", "https://docs.gitlab.com/ci/secrets/id_token_authentication/"},
	{"https://api.pulumi.com/oidc", "Pulumi Cloud and Pulumi Deployments", "https://www.pulumi.com/docs/pulumi-cloud/access-management/oidc/"},
	{"https://api.bitbucket.org/2.0/workspaces", "Bitbucket Pipelines",
		"https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/"},
	{"https://oidc.circleci.com/org", "CircleCI", "https://circleci.com/docs/openid-connect-tokens/"},
	{"https://agent.buildkite.com", "Buildkite", "https://buildkite.com/docs/agent/v3/cli-oidc"},
	{"https://app.terraform.io", "HCP Terraform",
		"https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/gcp-configuration"},
	{"https://vstoken.dev.azure.com", "Azure Pipelines",
		"https://learn.microsoft.com/en-us/azure/devops/pipelines/library/connect-to-azure"},
}

func ciIssuerURLs() []string {
	out := make([]string, len(defaultCIIssuers))
	for i, c := range defaultCIIssuers {
		out[i] = c.issuer
	}
	return out
}

// ciIssuersText lists the default CI issuers with their sources, for the docs.
func ciIssuersText() string {
	parts := make([]string, len(defaultCIIssuers))
	for i, c := range defaultCIIssuers {
		parts[i] = c.system + " " + c.issuer + " (" + c.source + ")"
	}
	return strings.Join(parts, "; ")
}

// defaultActAsTargetRoles are the worker's data-plane roles plus the role a
// data pipeline's scheduler account needs to run it.
var defaultActAsTargetRoles = append(append([]string{}, defaultWorkerRoles...), "roles/datapipelines.invoker")

// DeployerLeastPrivilege limits the roles of the identities CI deploys with:
// service accounts a workload identity pool principal can impersonate, and
// pool principals granted roles directly.
func DeployerLeastPrivilege() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "deployer-least-privilege",
		Title: "Federated deployer identities hold only the roles to launch Dataflow jobs, and act only as worker accounts",
		Description: "CI pipelines authenticate through a workload identity pool and either impersonate a " +
			"deployer service account (roles/iam.workloadIdentityUser or roles/iam.serviceAccountTokenCreator on " +
			"it) or are granted roles directly as principal:// or principalSet:// members. Whoever can push to the " +
			"repository holds those roles, so they should only launch and inspect Dataflow jobs and Data Pipelines, " +
			"read templates and act as the worker account. roles/datapipelines.admin is the only predefined role " +
			"with the datapipelines.pipelines.create, update and delete permissions a deployer of " +
			"gcp.dataflow.Pipeline needs, and it holds nothing else but resourcemanager.projects.get and list " +
			"(https://cloud.google.com/iam/docs/roles-permissions/datapipelines): it, roles/datapipelines.invoker " +
			"and roles/datapipelines.viewer are allowed by default, on the project (Data Pipelines has no " +
			"resource-level IAM), also in a landing-zone stack that grants them before any pipeline exists. " +
			"The impersonation grants themselves are the federation mechanism and " +
			"are not checked here. Who is a deployer: a principal of a CI pool, and every service account such a " +
			"principal can impersonate. A pool's principals are whoever its providers trust, so a workload identity " +
			"pool is a CI pool when one of its providers in the stack has an OIDC issuerUri in ciIssuers or below one " +
			"(a path under it), or when deployerPools names it. The default ciIssuers, with where each CI system " +
			"documents its issuer: " + ciIssuersText() + "; keep it in step with the CI issuers wif-provider-oidc-only " +
			"admits. Other federated principals are workloads, not deployers: a pool whose providers in the stack " +
			"all trust other issuers or protocols (an AWS or on-premises workload, say) or that workloadPools names, " +
			"GKE and fleet workload identity (PROJECT.svc.id.goog, PROJECT.hub.id.goog) and workforce pools " +
			"(people); iam-no-public-members, iam-no-primitive-roles and iam-no-broad-impersonation still judge " +
			"their grants, this allow-list does not. A pool whose providers the stack does not show (created by " +
			"another stack) cannot be told apart and is taken for a CI pool, failing closed: name it in " +
			"workloadPools when it federates workloads. A pool is taken for a workload pool only from a pool and " +
			"providers of the stack that are certainly the principal's (same pool ID, same project by the pool's " +
			"name or the stack's projects), so a pool of the same ID elsewhere cannot stand in for a CI pool; while " +
			"an issuer or a new pool's project number is not known (preview), neither is whether its principals " +
			"are deployers. By default wif-provider-oidc-only admits only CI issuers and OIDC, so a workload pool " +
			"also needs its configuration. Every grant in the stack " +
			"counts, with or without a condition, and so does every role a Privileged Access Manager entitlement " +
			"lets a deployer request, approval or not (" + docPAM + "). A grant on an organization or folder is " +
			"inherited by every project below it, so any deployer role there is a violation. A role carrying " +
			"iam.serviceAccounts.actAs (roles/iam.serviceAccountUser, owner, editor, the IAM job-function and " +
			"service agent roles, or a custom role of the stack listing it; see " +
			"https://cloud.google.com/iam/docs/roles-permissions/iam) lets the deployer launch a job as a service " +
			"account and so use that account's roles (https://cloud.google.com/iam/docs/service-account-permissions). " +
			"On a project it covers every account there, admin accounts, accounts created later and the Compute " +
			"Engine default account (often an Editor) included, which Google advises against " +
			"(https://cloud.google.com/iam/docs/best-practices-service-accounts#project-folder-grants): always a " +
			"violation. On one service account it must name the worker or scheduler account of a Dataflow job of " +
			"the stack, an account matching allowedServiceAccountPattern or one in allowedServiceAccounts; a stack " +
			"with no job and no pattern (a landing zone) may also name an account it creates. Whatever the list, " +
			"the account must hold, in the stack, no role outside actAsTargetRoles and nothing above a project, and " +
			"must not be a Google default service account. A token-minting role (serviceAccountTokenCreator, " +
			"workloadIdentityUser, serviceAccountOpenIdTokenCreator) that allowedRoles admits is held to the same " +
			"rule.",
		Remediation: "Grant the deployer only roles/dataflow.developer (or dataflow.admin / dataflow.viewer), " +
			"roles/datapipelines.admin when it deploys Data Pipelines, roles/storage.objectViewer on the " +
			"template bucket and roles/iam.serviceAccountUser on the worker " +
			"service account (gcp.serviceaccount.IAMMember), all on the project or a resource, never on a folder " +
			"or the organization. Keep admin roles off the accounts the deployer may act as; name worker accounts " +
			"the stack does not run jobs with in allowedServiceAccounts or allowedServiceAccountPattern. Manage " +
			"infrastructure roles from a separate, more tightly guarded pipeline, or add a role to allowedRoles " +
			"when the deployer really needs it.",
		URL:      "https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types: append(append(append(gcp.GrantTypes(), gcp.DataflowTypes...), gcp.ServiceAccountResource),
			gcp.CustomRoleTypes()...),
		ConfigSchema: `{"type":"object","properties":{
			"allowedRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":["roles/dataflow.admin","roles/dataflow.developer","roles/dataflow.viewer",
					"roles/datapipelines.admin","roles/datapipelines.invoker","roles/datapipelines.viewer",
					"roles/storage.objectViewer","roles/iam.serviceAccountUser"],
				"description":"Roles a deployer identity may be granted on a project or a resource (never above); a list given here replaces the default."},
			"allowedServiceAccountPattern":{"type":"string","format":"regex","default":"",
				"description":"Regular expression (Go RE2 syntax) the whole email of a service account must match for a deployer to act as it besides the stack's worker and scheduler accounts (empty: none), usually the pattern of dataflow-dedicated-worker-service-account."},
			"allowedServiceAccounts":{"type":"array","items":{"type":"string","minLength":3},"uniqueItems":true,"default":[],
				"description":"Emails of further service accounts a deployer may act as, for example the worker accounts of jobs launched outside the stack."},
			"actAsTargetRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":` + jsonList(defaultActAsTargetRoles) + `,
				"description":"Roles an account a deployer acts as may hold in the stack (keep it in step with dataflow-worker-least-privilege allowedRoles); a list given here replaces the default."},
			"ciIssuers":{"type":"array","items":{"type":"string","format":"uri","pattern":"^https://[^/?#]+"},"uniqueItems":true,
				"default":` + jsonList(ciIssuerURLs()) + `,
				"description":"OIDC issuers of CI systems: a workload identity pool with a provider in the stack that trusts one of them, or an issuer below one, federates deployers. A list given here replaces the default."},
			"deployerPools":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Workload identity pools (ID, or projects/P/locations/global/workloadIdentityPools/ID) whose principals are deployers whatever their providers."},
			"workloadPools":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Workload identity pools whose principals are workloads, not deployers, for pools whose providers are not in the stack (deployerPools wins)."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *deployerLeastPrivilegeConfig) {
		deployers := gcp.DeployerIdentitiesOf(s, cfg.pools)
		if deployers.Empty() {
			return
		}
		actAs := newActAsJudge(c, s, cfg)
		checkIdentityGrants(c, s, identityGrantRule{
			set:     deployers,
			allowed: cfg.AllowedRoles,
			skip: func(r *gcp.Resource, g gcp.Grant) bool {
				return gcp.IsImpersonationMechanism(s, r, g)
			},
			unreadable: "cannot be read (%s), so its grants to deployer identities cannot be checked; set it to a " +
				"JSON IAM policy document, for example from organizations.getIAMPolicy",
			violation: func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity) {
				c.ViolationOn(r, g.Role.Path(),
					"grants %s at %s scope to %s%s, and the role is not in allowedRoles; a deployer should only launch "+
						"Dataflow jobs (roles/dataflow.developer, roles/storage.objectViewer, roles/iam.serviceAccountUser "+
						"on the worker account): remove the grant or add the role to allowedRoles",
					identityRoleDisplay(g), scopeText(g), deployerDisplay(g, id), eligibilityNote(g))
			},
			aboveProject: func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity) {
				c.ViolationOn(r, g.Role.Path(),
					"grants %s at %s scope to %s, so whoever can run the pipeline holds it in every project of the %s%s; "+
						"grant deployer roles on the project it deploys to or on the resources it uses",
					identityRoleText(g), g.Scope, deployerDisplay(g, id), g.Scope, grantNote(g))
			},
			judge: actAs.judge,
			judged: func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity, v grantVerdict) {
				c.ViolationOn(r, g.Role.Path(), "grants %s at %s scope to %s%s, %s",
					identityRoleDisplay(g), scopeText(g), deployerDisplay(g, id), eligibilityNote(g), v.reason)
			},
		})
	})
}

// deployerDisplay names the deployer a grant is to, and why it is one.
func deployerDisplay(g gcp.Grant, id *gcp.Identity) string {
	if id.Principal {
		why := ""
		switch {
		case id.PoolReason == "":
		case g.Member.Secret() || id.Secret:
			why = " (a CI deployer)" // the reason names the member's pool
		default:
			why = " (a CI deployer: " + id.PoolReason + ")"
		}
		return "workload identity pool principal " + g.Member.Display() + why
	}
	impersonated := " (impersonated by workload identity pool principals through " +
		identityQuotedNames("grant", id.Sources) + ")"
	if set, ok := serviceAccountSetText(g, id); ok {
		return identityMemberDisplay(g, id) + ", " + set + ", which includes a deployer service account" + impersonated
	}
	return "deployer service account " + identityMemberDisplay(g, id) + impersonated
}

// actAsJudge decides whether a deployer's grant of an allowed role lets it
// act as a service account it should not. Its indexes are built on first
// use, so a stack whose deployers hold no actAs role pays nothing.
type actAsJudge struct {
	c   *policy.Call
	s   *gcp.Stack
	cfg *deployerLeastPrivilegeConfig

	built       bool
	workers     *gcp.IdentitySet
	schedulers  *gcp.IdentitySet
	landingZone bool
	// held indexes every grant of the stack by the email of a service
	// account member; grants whose member is not known yet are kept apart.
	held       map[string][]heldGrant
	heldEmails []string // the keys of held, sorted
	// heldBySets are the grants to every service account of a project,
	// folder or organization, which every account there holds.
	heldBySets []heldSetGrant
	// unknownHeld indexes the grants whose member is not known yet by the
	// Account the member depends on; unknownNoDeps depend on nothing
	// recorded, unknownOpaque on an Account whose email is not known.
	unknownHeld   map[string][]heldGrant
	unknownNoDeps []heldGrant
	unknownOpaque []heldGrant
	accountEmails gcp.AccountIndex
	verdicts      map[string]accountVerdict
}

// heldGrant is a grant some service account holds, classified against
// actAsTargetRoles.
type heldGrant struct {
	r *gcp.Resource
	g gcp.Grant
	// beyond is Yes for a role outside actAsTargetRoles or above project
	// scope, Maybe for a role not known yet.
	beyond gcp.Answer
}

// heldSetGrant is a grant to every service account of a container.
type heldSetGrant struct {
	heldGrant
	container gcp.Container
}

// accountVerdict is the judgement of one account a deployer may act as.
type accountVerdict struct {
	state  verdictState
	reason string
	// blocker is the grant whose unknown role or member leaves it
	// undecided, when one does.
	blocker *heldGrant
}

func newActAsJudge(c *policy.Call, s *gcp.Stack, cfg *deployerLeastPrivilegeConfig) *actAsJudge {
	return &actAsJudge{c: c, s: s, cfg: cfg}
}

func (j *actAsJudge) build() {
	if j.built {
		return
	}
	j.built = true
	j.workers = gcp.WorkerIdentities(j.s)
	j.schedulers = gcp.SchedulerIdentities(j.s)
	j.landingZone = len(j.s.OfType(gcp.DataflowTypes...)) == 0 && j.cfg.pattern == nil
	j.held = map[string][]heldGrant{}
	j.unknownHeld = map[string][]heldGrant{}
	j.verdicts = map[string]accountVerdict{}
	for _, r := range j.s.OfType(gcp.GrantTypes()...) {
		grants, _ := j.c.Views().Grants(r)
		for _, g := range grants {
			h := heldGrant{r: r, g: g, beyond: gcp.No}
			switch role, known := g.RoleName(); {
			case known && (!j.cfg.targetRoles.has(role) || aboveProjectScope(g)):
				h.beyond = gcp.Yes
			case !known && g.Role.HasUnknown():
				h.beyond = gcp.Maybe
			case !known:
				continue // no role: nothing held
			}
			if g.Member.HasUnknown() {
				j.indexUnknownMember(h)
				continue
			}
			m, ok := g.ParsedMember()
			if !ok {
				continue
			}
			switch email := m.Email; {
			case m.Kind == gcp.MemberServiceAccountSet && m.Container != nil:
				j.heldBySets = append(j.heldBySets, heldSetGrant{heldGrant: h, container: *m.Container})
			case m.Kind == gcp.MemberServiceAccount:
				if email == "" && m.AccountID != "" {
					// The unique-ID spelling: an Account of the stack, or none.
					email, _ = j.s.ResolveServiceAccount(m.AccountID)
				}
				if email == "" {
					continue
				}
				if _, seen := j.held[email]; !seen {
					j.heldEmails = append(j.heldEmails, email)
				}
				j.held[email] = append(j.held[email], h)
			}
		}
	}
	sort.Strings(j.heldEmails)
	j.accountEmails = gcp.IndexAccounts(j.s)
}

// indexUnknownMember files a grant whose member is not known yet under the
// Accounts it may turn out to be, so an account is matched (by
// IdentitySet.Match) against its few candidates rather than every such
// grant of the stack.
func (j *actAsJudge) indexUnknownMember(h heldGrant) {
	deps := gcp.PropertyDeps(h.r, h.g.Member.Path())
	if len(deps) == 0 {
		j.unknownNoDeps = append(j.unknownNoDeps, h)
		return
	}
	opaque := false
	for _, urn := range deps {
		dep, ok := j.s.Lookup(urn)
		if !ok || dep.Type != gcp.ServiceAccountResource {
			continue
		}
		j.unknownHeld[urn] = append(j.unknownHeld[urn], h)
		if _, known := gcp.AccountEmail(dep); !known {
			opaque = true
		}
	}
	if opaque {
		j.unknownOpaque = append(j.unknownOpaque, h)
	}
}

// unknownCandidates lists the grants with a member not known yet that may
// be to the account.
func (j *actAsJudge) unknownCandidates(ref gcp.AccountRef) [][]heldGrant {
	out := [][]heldGrant{j.unknownNoDeps}
	if ref.Account != nil {
		out = append(out, j.unknownHeld[ref.Account.URN])
	} else {
		out = append(out, j.unknownOpaque)
	}
	return out
}

// judge decides a grant of an allowed role to a (possible) deployer.
func (j *actAsJudge) judge(r *gcp.Resource, g gcp.Grant) grantVerdict {
	role, _ := g.RoleName()
	power, customRole := j.s.RoleActsAs(role)
	does, on := "carries iam.serviceAccounts.actAs", "on"
	if power == gcp.No && tokenRoles.has(role) {
		power, does, on = gcp.Yes, "mints credentials", "for"
	}
	if power == gcp.No {
		return grantVerdict{}
	}
	var v grantVerdict
	switch g.Scope {
	case gcp.ScopeProject:
		v = grantVerdict{state: verdictViolates, reason: "and the role " + does + ", so the deployer can act as every " +
			"service account of the project, admin accounts, accounts created later and the Compute Engine default " +
			"account included; grant roles/iam.serviceAccountUser on the worker service account only " +
			"(gcp.serviceaccount.IAMMember)"}
	case gcp.ScopeServiceAccount:
		v = j.target(r, g, does+" "+on)
	default:
		return grantVerdict{} // neither means anything on other resources
	}
	if power == gcp.Maybe && v.state != verdictFine {
		// A custom role whose name or permissions are not known yet.
		return grantVerdict{state: verdictUndecided, on: customRole, path: customRoleUnknownPath(customRole)}
	}
	return v
}

// tokenRoles let a principal mint credentials for a service account, which
// is more than acting as it: when allowedRoles admits one, it is held to the
// same accounts as actAs.
var tokenRoles = newRoleSet([]string{gcp.RoleTokenCreator, gcp.RoleWorkloadIdentityUser,
	"roles/iam.serviceAccountOpenIdTokenCreator"})

// target judges the service account an actAs grant is on: every account
// the target may turn out to be must be fine.
func (j *actAsJudge) target(r *gcp.Resource, g gcp.Grant, doesOn string) grantVerdict {
	j.build()
	t := g.Target("serviceAccountId")
	refs, ok := j.s.AccountRefs(r, t, j.accountEmails)
	if !ok {
		if t.HasUnknown() {
			return grantVerdict{state: verdictUndecided, path: t.Path()}
		}
		return grantVerdict{state: verdictViolates, reason: fmt.Sprintf("and the role %s %s, which names no "+
			"service account of the stack, so it cannot be told from an admin account; name the worker service "+
			"account by email", doesOn, t.Display())}
	}
	fine, violations := 0, []string{}
	var blocker *heldGrant
	for _, ref := range refs {
		switch v := j.account(ref, t); v.state {
		case verdictFine:
			fine++
		case verdictViolates:
			violations = append(violations, v.reason)
		default:
			if blocker == nil {
				blocker = v.blocker
			}
		}
	}
	switch {
	case fine == len(refs):
		return grantVerdict{}
	case len(violations) == len(refs):
		return grantVerdict{state: verdictViolates, reason: "and the role " + doesOn + " " + violations[0]}
	case len(violations) == 0 && blocker != nil:
		return grantVerdict{state: verdictUndecided, on: blocker.r, path: blocker.unknownPath()}
	}
	return grantVerdict{state: verdictUndecided, path: t.Path()}
}

// account judges one service account a deployer may act as; t is the value
// that named it, for messages.
func (j *actAsJudge) account(ref gcp.AccountRef, t gcp.Value) accountVerdict {
	key := ref.Email
	if ref.Account != nil {
		key = ref.Account.URN
	}
	if v, done := j.verdicts[key]; done {
		return v
	}
	v := j.judgeAccount(ref, t)
	j.verdicts[key] = v
	return v
}

func (j *actAsJudge) judgeAccount(ref gcp.AccountRef, t gcp.Value) accountVerdict {
	name := accountText(ref, t)
	if ref.Email != "" && gcp.IsDefaultServiceAccount(ref.Email) {
		return accountVerdict{state: verdictViolates, reason: name + ", a Google default service account, which is " +
			"granted Editor on its project unless an organization policy prevents it, so the deployer can act as an " +
			"admin; run the jobs as a dedicated worker account and grant the role on that one"}
	}
	beyond, example := j.holdsBeyond(ref)
	if beyond == gcp.Yes {
		return accountVerdict{state: verdictViolates, reason: fmt.Sprintf("%s, which holds %s through %s, a role "+
			"outside actAsTargetRoles or above project scope, so the deployer can launch a job as it and use that role; "+
			"let the deployer act only as accounts that hold worker roles", name, roleText(example.g), quote(example.r.Name))}
	}
	allowed := j.allowedTarget(ref)
	switch {
	case allowed == gcp.No && j.landingZone:
		return accountVerdict{state: verdictViolates, reason: name + ", which is not a service account this stack " +
			"creates, and the stack runs no Dataflow job to tell worker accounts by; list the worker accounts in " +
			"allowedServiceAccounts or set allowedServiceAccountPattern"}
	case allowed == gcp.No:
		return accountVerdict{state: verdictViolates, reason: name + ", which is not the worker or scheduler account of " +
			"a Dataflow job of the stack, does not match allowedServiceAccountPattern and is not in " +
			"allowedServiceAccounts; grant the role on the job's worker service account only"}
	case allowed == gcp.Yes && beyond == gcp.No:
		return accountVerdict{state: verdictFine}
	case beyond == gcp.Maybe:
		return accountVerdict{state: verdictUndecided, blocker: &example}
	}
	return accountVerdict{state: verdictUndecided}
}

// holdsBeyond says whether the account holds, anywhere in the stack, a role
// outside actAsTargetRoles or above project scope, with a grant that shows
// it.
func (j *actAsJudge) holdsBeyond(ref gcp.AccountRef) (gcp.Answer, heldGrant) {
	out := gcp.No
	var example heldGrant
	maybe := func(h heldGrant) {
		if out == gcp.No {
			out, example = gcp.Maybe, h
		}
	}
	if ref.Email != "" {
		for _, h := range j.held[ref.Email] {
			switch h.beyond {
			case gcp.Yes:
				return gcp.Yes, h
			case gcp.Maybe:
				maybe(h)
			}
		}
	}
	// A grant to every service account of a container that may hold the
	// account counts as a grant to it.
	projectID, projectNumber := gcp.ServiceAccountHome(ref.Email)
	if ref.Email == "" && ref.Account != nil {
		projectID = accountHomeProject(ref.Account)
	}
	for _, h := range j.heldBySets {
		if h.beyond == gcp.No || !j.s.ContainerMayHold(h.container, projectID, projectNumber) {
			continue
		}
		if h.beyond == gcp.Yes {
			return gcp.Yes, h.heldGrant
		}
		maybe(h.heldGrant)
	}
	set := gcp.AccountIdentity(j.s, ref, j.accountEmails)
	for _, candidates := range j.unknownCandidates(ref) {
		for _, h := range candidates {
			if h.beyond == gcp.No || out != gcp.No {
				continue
			}
			if m, _ := set.Match(h.r, h.g.Member); m != gcp.NotMember {
				maybe(h)
			}
		}
	}
	if ref.Email == "" {
		// Its email is not known yet: a known service account member with a
		// role beyond could be it, unless another Account of the stack has
		// that email.
		for _, email := range j.heldEmails {
			if a, ok := j.accountEmails[email]; ok && (ref.Account == nil || a.URN != ref.Account.URN) {
				continue
			}
			for _, h := range j.held[email] {
				if h.beyond != gcp.No {
					maybe(h)
				}
			}
		}
	}
	return out, example
}

// accountHomeProject is the project an Account of the stack is created in,
// as far as its inputs say: its own project, else its provider's.
func accountHomeProject(acct *gcp.Resource) string {
	if p, ok := acct.Get("project").String(); ok && p != "" {
		return p
	}
	p, _ := acct.Provider.Get("project").String()
	return p
}

// unknownPath is the value of a held grant that is not known yet: its member
// when that is unknown, else its role.
func (h heldGrant) unknownPath() string {
	if h.g.Member.HasUnknown() {
		return h.g.Member.Path()
	}
	return h.g.Role.Path()
}

// allowedTarget says whether the account is one a deployer may act as:
// the worker or scheduler account of a job of the stack, one matching the
// pattern or listed, or, in a landing zone, an account the stack creates.
func (j *actAsJudge) allowedTarget(ref gcp.AccountRef) gcp.Answer {
	out := memberAnswer(j.workers.MatchAccount(ref)).Or(memberAnswer(j.schedulers.MatchAccount(ref)))
	if j.cfg.pattern != nil {
		if ref.Email == "" {
			out = out.Or(gcp.Maybe)
		} else if j.cfg.pattern.MatchString(ref.Email) {
			out = gcp.Yes
		}
	}
	if len(j.cfg.allowedAccounts) > 0 {
		if ref.Email == "" {
			out = out.Or(gcp.Maybe)
		} else if j.cfg.allowedAccounts[ref.Email] {
			out = gcp.Yes
		}
	}
	if j.landingZone && ref.Account != nil && !ref.Account.External {
		out = gcp.Yes // what it holds is judged by holdsBeyond
	}
	return out
}

func memberAnswer(m gcp.MemberMatch) gcp.Answer {
	switch m {
	case gcp.IsMember:
		return gcp.Yes
	case gcp.MaybeMember:
		return gcp.Maybe
	}
	return gcp.No
}

// accountText names an account for a message without revealing a secret.
func accountText(ref gcp.AccountRef, t gcp.Value) string {
	switch {
	case ref.Secret:
		return "a service account read from a secret"
	case ref.Email != "":
		return "service account " + strconv.Quote(ref.Email)
	case ref.Account != nil:
		return "service account " + strconv.Quote(ref.Account.Name) + " (created in this deployment)"
	}
	return strings.TrimSpace(t.Display())
}

// customRoleUnknownPath is the property of a custom role that is not known
// yet: its permissions, else what its name is made of.
func customRoleUnknownPath(cr *gcp.Resource) string {
	if perms := gcp.CustomRolePermissions(cr); perms.HasUnknown() {
		for _, p := range perms.Items() {
			if p.IsUnknown() {
				return p.Path()
			}
		}
		return perms.Path()
	}
	return "roleId"
}
