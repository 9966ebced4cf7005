package policies

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type workerLeastPrivilegeConfig struct {
	AllowedRoles []string `json:"allowedRoles"`
}

// workerRole is a role a Dataflow worker may hold by default, what needs it
// and where Google documents that.
type workerRole struct{ role, need, source string }

// workerRoles are the data-plane roles the worker of a job using Dataflow's
// common I/O connectors needs: no admin role (no setIamPolicy, no creating or
// deleting the buckets, topics, datasets, databases, keys or secrets
// themselves). Where the narrowest predefined role Google names for a
// connector is an admin role (storage.objectAdmin for staging, pubsub.editor
// for reading a topic), the data-plane role that covers the same data access
// (storage.objectUser) is listed instead, or none (read from a subscription).
var workerRoles = []workerRole{
	{"roles/dataflow.worker", "running the job", docDataflowSecurity},
	{"roles/storage.objectViewer", "TextIO/FileIO reads, templates, UDFs and staged files", docRoles + "storage"},
	{"roles/storage.objectCreator", "writing new objects", docRoles + "storage"},
	{"roles/storage.objectUser", "FileIO writes (temporary files renamed and deleted) and the staging and temp locations", docDataflowSecurity},
	{"roles/pubsub.subscriber", "PubsubIO reads from a subscription", docDataflowSecurity},
	{"roles/pubsub.publisher", "PubsubIO writes", docRoles + "pubsub"},
	{"roles/pubsub.viewer", "reading the configuration of topics and subscriptions, which Dataflow recommends", docDataflowSecurity},
	{"roles/bigquery.dataViewer", "BigQueryIO reads (export and Storage Read API)", docDataflowSecurity},
	{"roles/bigquery.dataEditor", "BigQueryIO writes (load jobs, streaming inserts, Storage Write API)", docRoles + "bigquery"},
	{"roles/bigquery.jobUser", "BigQueryIO export, query and load jobs", docRoles + "bigquery"},
	{"roles/bigquery.readSessionUser", "BigQueryIO DIRECT_READ, whose read sessions need bigquery.readsessions.create on the project",
		"https://cloud.google.com/bigquery/docs/reference/storage/rpc/google.cloud.bigquery.storage.v1beta2"},
	{"roles/spanner.databaseReader", "SpannerIO reads", docRoles + "spanner"},
	{"roles/spanner.databaseReaderWithDataBoost", "SpannerIO reads with Data Boost", docRoles + "spanner"},
	{"roles/spanner.databaseUser", "SpannerIO writes (the narrowest predefined role that writes; it also changes schemas)", docRoles + "spanner"},
	{"roles/bigtable.reader", "BigtableIO reads", docRoles + "bigtable"},
	{"roles/bigtable.user", "BigtableIO writes", docRoles + "bigtable"},
	{"roles/datastore.viewer", "DatastoreIO and Firestore reads", docDataflowSecurity},
	{"roles/datastore.user", "DatastoreIO and Firestore writes", docRoles + "datastore"},
	{"roles/cloudkms.cryptoKeyEncrypterDecrypter", "encrypting and decrypting with a customer-managed key", docRoles + "cloudkms"},
	{"roles/cloudkms.cryptoKeyEncrypter", "encrypting only", docRoles + "cloudkms"},
	{"roles/cloudkms.cryptoKeyDecrypter", "decrypting only (templates' KMS-encrypted parameters)", docRoles + "cloudkms"},
	{"roles/secretmanager.secretAccessor", "reading secrets (templates' Secret Manager parameters)", "https://cloud.google.com/secret-manager/docs/access-secret-version"},
	{"roles/logging.logWriter", "writing logs (also in roles/dataflow.worker)", docRoles + "logging"},
	{"roles/monitoring.metricWriter", "writing custom metrics", docRoles + "monitoring"},
	{"roles/artifactregistry.reader", "pulling a custom container or Flex Template image", "https://cloud.google.com/dataflow/docs/guides/using-custom-containers"},
}

// Where the default worker roles are documented: Dataflow's security page,
// and the IAM reference of each service's roles (docRoles + service).
const (
	docDataflowSecurity = "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions"
	docRoles            = "https://cloud.google.com/iam/docs/roles-permissions/"
)

// defaultWorkerRoles are the data-plane roles a Dataflow worker may hold by
// default: the default of allowedRoles here, and with the Data Pipelines
// invoker role of deployer-least-privilege's actAsTargetRoles.
var defaultWorkerRoles = workerRoleNames()

func workerRoleNames() []string {
	out := make([]string, len(workerRoles))
	for i, r := range workerRoles {
		out[i] = r.role
	}
	return out
}

// workerRolesText lists the default roles with what needs each and the
// source, for the docs.
func workerRolesText() string {
	parts := make([]string, len(workerRoles))
	for i, r := range workerRoles {
		parts[i] = r.role + " (" + r.need + "; " + r.source + ")"
	}
	return strings.Join(parts, "; ")
}

// DataflowWorkerLeastPrivilege limits the roles granted anywhere in the stack
// to the service accounts Dataflow workers run as.
func DataflowWorkerLeastPrivilege() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "dataflow-worker-least-privilege",
		Title: "Dataflow worker service accounts hold only data-plane roles, on a project or a resource",
		Description: "Dataflow workers run user code with their service account's permissions on every VM of the " +
			"job, so anything granted to the worker account is reachable from the pipeline and its dependencies. " +
			"The worker needs roles/dataflow.worker and read or write access to its own sources and sinks, never " +
			"administrative, IAM or primitive roles. Scope counts too: a role granted on an organization or folder " +
			"is inherited by every project below it " +
			"(https://cloud.google.com/iam/docs/resource-hierarchy-access-control), so " +
			"roles/secretmanager.secretAccessor on the organization reads every secret of the company; any role " +
			"granted to a worker above project scope is a violation, allowed or not. Every grant in the stack " +
			"counts: IAM members, bindings and policies at every scope (conditions do not exempt a grant), " +
			"BigQuery dataset accesses, and the roles a Privileged Access Manager entitlement lets the worker " +
			"request, which its code can request itself, at once when the entitlement has no approval step (" +
			docPAM + "). Grants on the worker account to other principals are not grants to the worker and are " +
			"left alone; a grant to every service account of a project, folder or organization that may hold the " +
			"worker is a grant to it. allowedRoles holds by default the data-plane roles Dataflow's common I/O " +
			"connectors need, and no admin role: " + workerRolesText() + ". Reading from a Pub/Sub topic rather than " +
			"a subscription makes Dataflow create a subscription, which needs pubsub.subscriptions.create on the " +
			"project: only roles/pubsub.editor holds it, an admin role that creates and deletes every topic, so " +
			"read from a subscription or grant a custom role. Google names roles/storage.objectAdmin for the " +
			"staging and temp buckets; roles/storage.objectUser reads, writes and deletes the same objects " +
			"without changing their IAM.",
		Remediation: "Grant the worker service account only roles/dataflow.worker plus the data-plane roles its " +
			"pipeline uses (storage object, Pub/Sub, BigQuery data, KMS encrypter/decrypter, secret accessor, " +
			"logging and monitoring writers, Artifact Registry reader), on the project or, better, on the specific " +
			"bucket, subscription, dataset, key or secret, never on a folder or the organization. Add a role to " +
			"allowedRoles only when the pipeline really needs it.",
		URL:      "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types:    append(append([]string{}, gcp.DataflowTypes...), gcp.GrantTypes()...),
		ConfigSchema: `{"type":"object","properties":{
			"allowedRoles":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":` + jsonList(defaultWorkerRoles) + `,
				"description":"Roles a Dataflow worker service account may be granted on a project or a resource (never above); a list given here replaces the default."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *workerLeastPrivilegeConfig) {
		// An unknown worker email (an account created in the same preview)
		// stands for the Accounts it depends on, whose email usually follows
		// from accountId and project; only an email that depends on no
		// Account (a stack reference, say) leaves every service account
		// grant with a role outside allowedRoles undecided. Grants with an
		// allowed role on a project or resource never are.
		workers := gcp.WorkerIdentities(s)
		checkIdentityGrants(c, s, identityGrantRule{
			set:     workers,
			allowed: cfg.AllowedRoles,
			unreadable: "cannot be read (%s), so its grants to the Dataflow worker service accounts cannot be checked; " +
				"set it to a JSON IAM policy document, for example from organizations.getIAMPolicy",
			violation: func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity) {
				c.ViolationOn(r, g.Role.Path(),
					"grants %s at %s scope to %s%s, and the role is not in allowedRoles; "+
						"grant the worker only roles/dataflow.worker and the data-plane roles its pipeline needs, on the "+
						"buckets, topics and datasets it uses, or add the role to allowedRoles",
					identityRoleDisplay(g), scopeText(g), workerDisplay(g, id), eligibilityNote(g))
			},
			aboveProject: func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity) {
				c.ViolationOn(r, g.Role.Path(),
					"grants %s at %s scope to %s, so the pipeline's code holds it "+
						"in every project of the %s%s; grant the worker its roles on its own project or, better, on the "+
						"buckets, topics, datasets and secrets it uses",
					identityRoleText(g), g.Scope, workerDisplay(g, id), g.Scope, grantNote(g))
			},
		})
	})
}

// workerDisplay names the member of a grant to a worker: the worker's
// account, or every service account of a container that may hold it.
func workerDisplay(g gcp.Grant, id *gcp.Identity) string {
	worker := "the Dataflow worker service account of " + identityQuotedNames("job", id.Sources)
	if set, ok := serviceAccountSetText(g, id); ok {
		return identityMemberDisplay(g, id) + ", " + set + ", which includes " + worker
	}
	return identityMemberDisplay(g, id) + ", " + worker
}

// serviceAccountSetText describes a grant's member when it is every service
// account of a project, folder or organization: `every service account of
// project 123` (of a container, when the member must not be printed).
func serviceAccountSetText(g gcp.Grant, id *gcp.Identity) (string, bool) {
	m, ok := g.ParsedMember()
	if !ok {
		return "", false
	}
	m = m.Restored()
	if m.Kind != gcp.MemberServiceAccountSet || m.Container == nil {
		return "", false
	}
	if g.Member.Secret() || (id != nil && id.Secret) {
		return "every service account of a project, folder or organization", true
	}
	return "every service account of " + m.Container.String(), true
}

// jsonList renders a list of strings as a JSON array for a config schema.
func jsonList(items []string) string {
	b, _ := json.Marshal(items) // a list of strings always marshals
	return string(b)
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
	// aboveProject reports a grant on an organization or folder, whatever
	// its role: inherited by every project below, it is never least
	// privilege for one pipeline.
	aboveProject func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity)
	// judge looks further at a grant of an allowed role on a project or
	// resource (nil: such a grant is fine); it is asked only when the member
	// may be in the set. judged reports what it found wrong.
	judge  func(r *gcp.Resource, g gcp.Grant) grantVerdict
	judged func(c *policy.Call, r *gcp.Resource, g gcp.Grant, id *gcp.Identity, v grantVerdict)
}

// grantVerdict is what identityGrantRule.judge found.
type grantVerdict struct {
	state verdictState
	// on and path are where an undecided verdict is reported: the value
	// that is not known yet (on nil: the grant's own resource).
	on   *gcp.Resource
	path string
	// reason completes a violation message.
	reason string
}

type verdictState uint8

const (
	verdictFine verdictState = iota
	verdictViolates
	verdictUndecided
)

// aboveProjectScope reports whether a grant is on an organization or folder.
func aboveProjectScope(g gcp.Grant) bool {
	return g.Scope == gcp.ScopeOrganization || g.Scope == gcp.ScopeFolder
}

// checkIdentityGrants checks every grant of the stack to a member of the set
// against the allowed roles and scopes, reporting on the granting resource.
// A grant gives at most one unknown: on its member when the member may be
// in the set and the grant would be wrong for it, on its role when the
// member is in the set and the role, not known yet, decides, where the
// judge says, or on what names its level when only a level above a project
// would make it wrong.
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
			if !roleKnown && !g.Role.HasUnknown() {
				continue // no role at all: nothing is granted
			}
			above := aboveProjectScope(g)
			mayBeAbove := !above && g.ScopeUndecided()
			roleAllowed := roleKnown && allowed[role]
			if roleAllowed && !above && !mayBeAbove && rule.judge == nil {
				continue
			}
			match, id := rule.set.Match(r, g.Member)
			if match == gcp.NotMember {
				continue
			}
			var v grantVerdict
			if roleAllowed && !above && rule.judge != nil {
				v = rule.judge(r, g)
			}
			if roleAllowed && !above && v.state == verdictFine {
				// Fine on a project; above one it would not be.
				switch {
				case mayBeAbove && match == gcp.MaybeMember:
					unknownOn(r, g.Member.Path())
				case mayBeAbove:
					unknownOn(r, g.ScopeValue.Path())
				}
				continue
			}
			switch {
			case match == gcp.MaybeMember && id != nil && id.Pending != nil:
				unknownOn(id.Pending.Resource, id.Pending.Value.Path()) // what decides the member, elsewhere
			case match == gcp.MaybeMember:
				unknownOn(r, g.Member.Path())
			case above:
				rule.aboveProject(c, r, g, id)
			case !roleKnown:
				unknownOn(r, g.Role.Path())
			case !roleAllowed:
				rule.violation(c, r, g, id)
			case v.state == verdictUndecided && v.on != nil:
				unknownOn(v.on, v.path)
			case v.state == verdictUndecided:
				unknownOn(r, v.path)
			default:
				rule.judged(c, r, g, id, v)
			}
		}
	}
}

// identityRoleText renders the role of a grant whose role may not be known
// yet.
func identityRoleText(g gcp.Grant) string {
	if g.Role.HasUnknown() {
		return "a role not known until apply"
	}
	return identityRoleDisplay(g)
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
