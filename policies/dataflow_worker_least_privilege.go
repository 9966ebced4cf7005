package policies

import (
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type workerLeastPrivilegeConfig struct {
	AllowedRoles []string `json:"allowedRoles"`
}

// DataflowWorkerLeastPrivilege limits the roles granted anywhere in the stack
// to the service accounts Dataflow workers run as.
func DataflowWorkerLeastPrivilege() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "dataflow-worker-least-privilege",
		Title: "Dataflow worker service accounts hold only data-plane roles",
		Description: "Dataflow workers run user code with their service account's permissions on every VM of the " +
			"job, so anything granted to the worker account is reachable from the pipeline and its dependencies. " +
			"The worker needs roles/dataflow.worker and read or write access to its own sources and sinks, never " +
			"administrative, IAM or primitive roles. Every grant in the stack counts: IAM members, bindings and " +
			"policies at every scope (conditions do not exempt a grant) and BigQuery dataset accesses. Grants on " +
			"the worker account to other principals are not grants to the worker and are left alone.",
		Remediation: "Grant the worker service account only roles/dataflow.worker plus the data-plane roles its " +
			"pipeline uses (storage object, Pub/Sub, BigQuery data, KMS encrypter/decrypter, secret accessor, " +
			"logging and monitoring writers, Artifact Registry reader), preferably on the specific bucket, " +
			"subscription, dataset or key rather than the project. Add a role to allowedRoles only when the " +
			"pipeline really needs it.",
		URL:      "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "least-privilege",
		Types:    append(append([]string{}, gcp.DataflowTypes...), gcp.GrantTypes()...),
		ConfigSchema: `{"type":"object","properties":{
			"allowedRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":["roles/dataflow.worker","roles/storage.objectViewer","roles/storage.objectCreator",
					"roles/storage.objectUser","roles/pubsub.subscriber","roles/pubsub.publisher","roles/pubsub.viewer",
					"roles/bigquery.dataEditor","roles/bigquery.dataViewer","roles/bigquery.jobUser",
					"roles/cloudkms.cryptoKeyEncrypterDecrypter","roles/secretmanager.secretAccessor",
					"roles/logging.logWriter","roles/monitoring.metricWriter","roles/artifactregistry.reader"],
				"description":"Roles a Dataflow worker service account may be granted; a list given here replaces the default."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *workerLeastPrivilegeConfig) {
		// An unknown worker email (an account created in the same preview)
		// stands for the Accounts it depends on, whose email usually follows
		// from accountId and project; only an email that depends on no
		// Account (a stack reference, say) leaves every service account
		// grant with a role outside allowedRoles undecided. Grants with an
		// allowed role never are.
		workers := gcp.WorkerIdentities(s)
		checkIdentityGrants(c, s, identityGrantRule{
			set:     workers,
			allowed: cfg.AllowedRoles,
			unreadable: "cannot be read (%s), so its grants to the Dataflow worker service accounts cannot be checked; " +
				"set it to a JSON IAM policy document, for example from organizations.getIAMPolicy",
			violation: func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity) {
				c.ViolationOn(r, g.Role.Path(),
					"grants %s at %s scope to %s, the Dataflow worker service account of %s, and the role is not in allowedRoles; "+
						"grant the worker only roles/dataflow.worker and the data-plane roles its pipeline needs, on the "+
						"buckets, topics and datasets it uses, or add the role to allowedRoles",
					identityRoleDisplay(g), g.Scope, identityMemberDisplay(g, id), identityQuotedNames("job", id.Sources))
			},
		})
	})
}

// identityGrantRule is how checkIdentityGrants judges grants to a set of
// identities.
type identityGrantRule struct {
	set     *gcp.IdentitySet
	allowed []string
	// skip leaves a grant out entirely (nil: none).
	skip func(r *gcp.Resource, g gcp.Grant) bool
	// unreadable is the message format for a policyData that cannot be read.
	unreadable string
	// violation reports a known grant of a role outside allowed.
	violation func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity)
}

// checkIdentityGrants checks every grant of the stack to a member of the set
// against the allowed roles, reporting on the granting resource. A grant
// gives at most one unknown: on its role when the member is in the set but
// the role is not known, on its member when the role is outside the allowed
// roles (or unknown) and the member may be in the set.
func checkIdentityGrants(c *policy.Call, s *gcp.Stack, rule identityGrantRule) {
	if rule.set.Empty() {
		return
	}
	allowed := make(map[string]bool, len(rule.allowed))
	for _, role := range rule.allowed {
		allowed[gcp.NormalizeRole(role)] = true
	}
	reported := map[string]bool{}
	unknownOn := func(r *gcp.Resource, path string) {
		key := r.URN + "\x00" + path
		if !reported[key] {
			reported[key] = true
			c.UnknownOn(r, path)
		}
	}
	for _, r := range s.OfType(gcp.GrantTypes()...) {
		grants, problems := c.Views().Grants(r)
		for _, p := range problems {
			c.ViolationOn(r, p.Path, rule.unreadable, p.Message)
		}
		for _, g := range grants {
			if rule.skip != nil && rule.skip(r, g) {
				continue
			}
			role, roleKnown := g.RoleName()
			switch {
			case roleKnown && allowed[role]:
				continue
			case !roleKnown && !g.Role.HasUnknown():
				continue // no role at all: nothing is granted
			}
			match, id := rule.set.Match(r, g.Member)
			switch {
			case match == gcp.NotMember:
			case match == gcp.MaybeMember:
				unknownOn(r, g.Member.Path())
			case !roleKnown:
				unknownOn(r, g.Role.Path())
			default:
				rule.violation(c, r, g, id)
			}
		}
	}
}

// identityRoleDisplay renders the role of a grant, with the IAM role a
// BigQuery legacy dataset role stands for.
func identityRoleDisplay(g gcp.Grant) string {
	out := g.Role.Display()
	if g.Role.Secret() {
		return out
	}
	if raw, ok := g.Role.String(); ok {
		if role := gcp.NormalizeRole(raw); role != raw {
			out += " (" + role + ")"
		}
	}
	return out
}

// identityMemberDisplay renders the member of a grant to an identity, redacted when
// either the member or the identity's own email came from a secret.
func identityMemberDisplay(g gcp.Grant, id *gcp.Identity) string {
	if id != nil && id.Secret {
		return "[secret]"
	}
	return g.Member.Display()
}

// identityQuotedNames renders names as `job "a"` or `jobs "a", "b"`.
func identityQuotedNames(noun string, names []string) string {
	if len(names) == 0 {
		return "a " + noun + " of the stack"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return noun + " " + q[0]
	}
	return noun + "s " + strings.Join(q, ", ")
}
