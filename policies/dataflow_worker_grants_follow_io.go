package policies

import (
	"sort"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// Roles the derivation proposes or judges.
const (
	roleObjectViewer    = "roles/storage.objectViewer"
	roleObjectCreator   = "roles/storage.objectCreator"
	roleObjectUser      = "roles/storage.objectUser"
	roleSubscriber      = "roles/pubsub.subscriber"
	rolePublisher       = "roles/pubsub.publisher"
	rolePubSubViewer    = "roles/pubsub.viewer"
	roleDataViewer      = "roles/bigquery.dataViewer"
	roleDataEditor      = "roles/bigquery.dataEditor"
	roleJobUser         = "roles/bigquery.jobUser"
	roleReadSessionUser = "roles/bigquery.readSessionUser"
	roleEncDec          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
	roleEncrypter       = "roles/cloudkms.cryptoKeyEncrypter"
	roleDecrypter       = "roles/cloudkms.cryptoKeyDecrypter"
	roleSecretAccessor  = "roles/secretmanager.secretAccessor"
	roleDataflowWorker  = "roles/dataflow.worker"
)

// ioRole is a data-plane role the policy judges: the service it grants on and
// the roles whose permissions it holds (itself included).
type ioRole struct {
	service gcp.IOService
	holds   []string
}

var ioRoles = map[string]ioRole{
	roleObjectViewer:   {gcp.ServiceStorage, []string{roleObjectViewer}},
	roleObjectCreator:  {gcp.ServiceStorage, []string{roleObjectCreator}},
	roleObjectUser:     {gcp.ServiceStorage, []string{roleObjectUser, roleObjectViewer, roleObjectCreator}},
	roleSubscriber:     {gcp.ServicePubSub, []string{roleSubscriber}},
	rolePublisher:      {gcp.ServicePubSub, []string{rolePublisher}},
	rolePubSubViewer:   {gcp.ServicePubSub, []string{rolePubSubViewer}},
	roleDataViewer:     {gcp.ServiceBigQuery, []string{roleDataViewer}},
	roleDataEditor:     {gcp.ServiceBigQuery, []string{roleDataEditor, roleDataViewer}},
	roleEncDec:         {gcp.ServiceKMS, []string{roleEncDec, roleEncrypter, roleDecrypter}},
	roleEncrypter:      {gcp.ServiceKMS, []string{roleEncrypter}},
	roleDecrypter:      {gcp.ServiceKMS, []string{roleDecrypter}},
	roleSecretAccessor: {gcp.ServiceSecretManager, []string{roleSecretAccessor}},
}

// ioRoleNames is ioRoles' keys, sorted: the roles an unknown role may be.
var ioRoleNames = func() []string {
	out := make([]string, 0, len(ioRoles))
	for r := range ioRoles {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}()

func roleHolds(role, other string) bool {
	for _, h := range ioRoles[role].holds {
		if h == other {
			return true
		}
	}
	return false
}

// The documents the derivation rests on.
const (
	docWorkerSA     = "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account"
	docPubSubSource = "https://cloud.google.com/dataflow/docs/concepts/streaming-with-cloud-pubsub"
	docPubSubIAM    = "https://cloud.google.com/pubsub/docs/access-control"
	docCMEK         = "https://cloud.google.com/dataflow/docs/guides/customer-managed-encryption-keys"
	docBeamQuery    = "https://github.com/apache/beam/pull/9852" // BigQueryIO fromQuery creates a temp dataset
	docTemplates    = "https://cloud.google.com/dataflow/docs/guides/templates/provided-templates"
)

// DataflowWorkerGrantsFollowIO derives each worker's least-privilege data
// grants from what its jobs declare they read and write, and flags the
// grants that reach further.
func DataflowWorkerGrantsFollowIO() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:        "dataflow-worker-grants-follow-io",
		Title:       "Dataflow workers hold their data roles on the resources their jobs read and write, not on the project",
		Description: workerGrantsFollowIODescription(),
		Remediation: "Grant each data role to the worker on the bucket, topic, subscription, dataset, key or secret " +
			"the message names (gcp.storage.BucketIAMMember, gcp.pubsub.SubscriptionIAMMember, " +
			"gcp.pubsub.TopicIAMMember, gcp.bigquery.DatasetIamMember, gcp.kms.CryptoKeyIAMMember, " +
			"gcp.secretmanager.SecretIamMember) and remove the project-wide grant; remove a resource grant no job " +
			"of the account names. `check --format json` lists the derived grant set of each job under " +
			"`details`. When the pipeline's code opens a resource by itself, without a parameter, keep the grant " +
			"and record an exception.",
		URL:      docWorkerSA,
		Severity: policy.Medium,
		Level:    policy.Advisory,
		Family:   policy.FamilyLeastPrivilege,
		Types: append(append(append([]string{}, gcp.DataflowTypes...), gcp.GrantTypes()...),
			gcp.IOResourceTypes...),
	}, func(c *policy.Call, s *gcp.Stack, _ *struct{}) {
		workers := gcp.WorkerIdentities(s)
		if workers.Empty() {
			return
		}
		ev := newIOEvaluation(c, s, workers)
		for _, r := range s.OfType(gcp.GrantTypes()...) {
			grants, _ := c.Views().Grants(r) // an unreadable policyData fails the grant policies
			for _, g := range grants {
				ev.judge(r, g)
			}
		}
	})
}

// workerGrantsFollowIODescription explains the derivation; the parameter
// list is rendered from the table the derivation reads.
func workerGrantsFollowIODescription() string {
	var b strings.Builder
	b.WriteString("Google's guidance is to grant the worker service account its data roles on the resources the " +
		"pipeline uses ([Google](" + docWorkerSA + ")); IAM Recommender finds the excess only weeks after " +
		"deployment, from usage logs. A Dataflow job declares most of what it touches in its own inputs, so this " +
		"policy derives each worker's least-privilege grant set at preview, and `check --format json` attaches it " +
		"to every finding (`details`: the grants of each job of the worker).\n\n" +
		"References are read from every parameter and pipeline option (each comma-separated item of one), from the " +
		"temp, staging and template locations and from the kmsKeyName of every worker environment: " +
		"`gs://BUCKET/...`, `projects/P/topics/T`, `projects/P/subscriptions/S`, BigQuery tables as `P:D.T`, " +
		"`P.D.T`, `D.T` (in the job's project, as Beam reads it) or `projects/P/datasets/D/tables/T`, " +
		"`projects/P/locations/L/keyRings/R/cryptoKeys/K` and `projects/P/[locations/L/]secrets/S/versions/V`. " +
		"The parameters of [Google's provided templates](" + docTemplates + ") say how the job uses what they " +
		"name (names compared without case, dashes or underscores); the Beam temp, staging and KMS key options are " +
		"read as the Beam SDKs read them; any other parameter whose value parses as a reference counts too, in an " +
		"unknown direction (the `P.D.T` and `D.T` forms only under a table parameter, where a Java class name " +
		"cannot be meant):\n")
	groups := []struct {
		title string
		of    func(gcp.TemplateParameter) bool
	}{
		{"a subscription read: roles/pubsub.subscriber and roles/pubsub.viewer on it ([Google](" + docPubSubSource + "))",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOSubscription }},
		{"a topic read: roles/pubsub.subscriber and roles/pubsub.viewer on it, and the project-level grants below",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOTopic && p.Use == gcp.IORead }},
		{"a topic written: roles/pubsub.publisher on it",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOTopic && p.Use == gcp.IOWrite }},
		{"a table read: roles/bigquery.dataViewer on its dataset, roles/bigquery.jobUser on the project",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOTable && p.Use == gcp.IORead && !p.Opaque }},
		{"a table written: roles/bigquery.dataEditor on its dataset, roles/bigquery.jobUser on the project",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOTable && p.Use == gcp.IOWrite }},
		{"a BigQuery query, whose tables are not read: its job's BigQuery grants are never judged",
			func(p gcp.TemplateParameter) bool { return p.Opaque }},
		{"Cloud Storage files read: roles/storage.objectViewer on the bucket",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOBucket && p.Use == gcp.IORead }},
		{"Cloud Storage files written (a file sink writes temporary files, renames and deletes them) or temporary " +
			"folders, like the temp and staging locations: roles/storage.objectUser on the bucket",
			func(p gcp.TemplateParameter) bool {
				return p.Kind == gcp.IOBucket && (p.Use == gcp.IOWrite || p.Use == gcp.IOReadWrite)
			}},
		{"Cloud Storage files or Secret Manager versions read",
			func(p gcp.TemplateParameter) bool { return p.Kind == 0 }},
		{"a key the pipeline decrypts its parameters with: roles/cloudkms.cryptoKeyDecrypter on it",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOCryptoKey }},
		{"a Secret Manager version when it holds one: roles/secretmanager.secretAccessor on the secret",
			func(p gcp.TemplateParameter) bool { return p.Kind == gcp.IOSecret }},
	}
	params := gcp.TemplateParameters()
	for _, g := range groups {
		var names []string
		for _, p := range params {
			if g.of(p) {
				names = append(names, "`"+p.Name+"`")
			}
		}
		b.WriteString("\n- " + strings.Join(names, ", ") + ": " + g.title)
	}
	b.WriteString("\n\nA worker shared by several jobs is judged on the union of their references. A data-plane role " +
		"(roles/pubsub.subscriber, publisher or viewer; roles/bigquery.dataEditor or dataViewer; " +
		"roles/storage.objectViewer, objectCreator or objectUser; roles/secretmanager.secretAccessor; " +
		"roles/cloudkms.cryptoKeyEncrypterDecrypter, Encrypter or Decrypter) granted to a worker on a project, when " +
		"every reference of that service in its jobs is known, is reported with the narrower grants to make instead; " +
		"such a role granted on a bucket, topic, subscription, dataset, table, key, key ring or secret that none of " +
		"the account's jobs names is reported as not used by any job running as this account. Never reported:\n" +
		"\n- roles that are project-level by nature: roles/dataflow.worker, roles/logging.logWriter, " +
		"roles/monitoring.metricWriter, roles/bigquery.jobUser, roles/bigquery.readSessionUser (BigQuery has no " +
		"job-level IAM);" +
		"\n- a project-wide roles/pubsub.subscriber or roles/pubsub.viewer of a worker whose job reads a topic: " +
		"Dataflow then creates its own subscription in the project, which takes pubsub.subscriptions.create on the " +
		"project ([Pub/Sub](" + docPubSubIAM + "); among predefined roles only roles/pubsub.editor holds it, " +
		"[Google](" + docWorkerSA + ")) and consuming a subscription whose name is not known in advance;" +
		"\n- the BigQuery roles of a job with a BigQuery query: Beam's BigQueryIO creates a temporary dataset in " +
		"the project for the query's results ([Beam](" + docBeamQuery + ")), and the tables the query reads are " +
		"not listed;" +
		"\n- a worker grant on the job's kmsKeyName: the Dataflow service agent and the Compute Engine service " +
		"agent of the job's project use that key and need roles/cloudkms.cryptoKeyEncrypterDecrypter on it, not " +
		"the worker ([Google](" + docCMEK + ")), so a worker grant on it counts as used and the message names the " +
		"two agents.\n\n" +
		"A value not known at preview is resolved through the bucket, topic, subscription, dataset, table, key or " +
		"secret of the stack it depends on; otherwise it gives the preview advisory only where it could change the " +
		"verdict. Limits, and why the policy is advisory: I/O the pipeline's code opens by itself, without a " +
		"parameter (a table named in code, a side input at a fixed path), and the tables of a SQL query are " +
		"invisible to it; BigQuery grants are derived at dataset level, where Google asks for them; a reference " +
		"under a parameter the model does not know is taken as read and written.")
	return b.String()
}

// ioEvaluation holds what one evaluation knows of the workers and their jobs.
type ioEvaluation struct {
	c       *policy.Call
	s       *gcp.Stack
	workers *gcp.IdentitySet
	byName  map[string][]*gcp.JobIO
	open    []*gcp.JobIO // jobs whose worker may be any account
	all     []ioWorker   // every identity of the set, and every open job alone
	derived map[*gcp.JobIO][]ioGrant
	// workersOf caches worker by identity.
	workersOf map[*gcp.Identity]ioWorker
	// detailsOf caches each worker's derived grant set: every finding on a
	// grant to that worker carries the same one.
	detailsOf map[*gcp.Identity]ioDetails
	seen      map[string]bool
}

// ioWorker is one worker account and the jobs that run as it.
type ioWorker struct {
	id   *gcp.Identity
	jobs []*gcp.JobIO
}

func newIOEvaluation(c *policy.Call, s *gcp.Stack, workers *gcp.IdentitySet) *ioEvaluation {
	ev := &ioEvaluation{c: c, s: s, workers: workers, byName: map[string][]*gcp.JobIO{},
		derived: map[*gcp.JobIO][]ioGrant{}, workersOf: map[*gcp.Identity]ioWorker{},
		detailsOf: map[*gcp.Identity]ioDetails{}, seen: map[string]bool{}}
	for _, r := range s.OfType(gcp.DataflowTypes...) {
		job := gcp.JobReferences(s, r)
		ev.byName[r.Name] = append(ev.byName[r.Name], &job)
		if len(job.WorkerUnknown) > 0 {
			ev.open = append(ev.open, &job)
		}
	}
	for _, id := range workers.Identities() {
		ev.all = append(ev.all, ev.worker(id))
	}
	for _, job := range ev.open {
		ev.all = append(ev.all, ioWorker{jobs: []*gcp.JobIO{job}})
	}
	return ev
}

// worker gathers the jobs an identity runs: those that made it a worker.
func (ev *ioEvaluation) worker(id *gcp.Identity) ioWorker {
	if w, ok := ev.workersOf[id]; ok {
		return w
	}
	w := ioWorker{id: id}
	for _, name := range id.Sources {
		w.jobs = append(w.jobs, ev.byName[name]...)
	}
	ev.workersOf[id] = w
	return w
}

func (ev *ioEvaluation) unknownOn(r *gcp.Resource, path string) {
	if key := r.URN + "\x00" + path; !ev.seen[key] {
		ev.seen[key] = true
		ev.c.UnknownOn(r, path)
	}
}

// ioVerdict is what the policy finds about one grant for one worker.
type ioVerdict struct {
	state verdictState
	// on and path name the unknown value of an undecided verdict.
	on   *gcp.Resource
	path string
	// message is the violation, without the member part.
	message func(member, jobs string) string
}

// judge decides one grant.
func (ev *ioEvaluation) judge(r *gcp.Resource, g gcp.Grant) {
	roles := ioRoleNames
	role, roleKnown := g.RoleName()
	switch {
	case roleKnown:
		if _, judged := ioRoles[role]; !judged {
			return
		}
		roles = []string{role}
	case !g.Role.HasUnknown():
		return
	}
	var targets []gcp.IORef
	var at gcp.Value
	switch g.Scope {
	case gcp.ScopeProject:
		at = g.Target("project")
	case gcp.ScopeResource:
		var ok bool
		if targets, at, ok = gcp.GrantIOTarget(ev.s, g); !ok {
			return
		}
	default:
		return // service accounts: not data; folders and organizations: dataflow-worker-least-privilege
	}
	match, id := ev.workers.Match(r, g.Member)
	if match == gcp.NotMember {
		return
	}
	if id != nil {
		w := ev.worker(id)
		switch {
		case match == gcp.IsMember && roleKnown:
			ev.decide(r, g, role, targets, at, w)
		case !ev.mayViolate(r, g, roles, targets, at, w):
		case match != gcp.IsMember:
			ev.unknownOn(r, g.Member.Path())
		default:
			ev.unknownOn(r, g.Role.Path())
		}
		return
	}
	// No identity: a member not known yet may be any worker; a known one
	// may be an account whose email is not known yet, or run a job whose
	// worker is not known yet (that email is what stays unknown).
	if g.Member.HasUnknown() {
		for _, w := range ev.all {
			if ev.mayViolate(r, g, roles, targets, at, w) {
				ev.unknownOn(r, g.Member.Path())
				return
			}
		}
		return
	}
	for _, w := range ev.all {
		switch {
		case w.id != nil && w.id.Email == "" && ev.mayViolate(r, g, roles, targets, at, w):
			ev.unknownOn(r, g.Member.Path())
			return
		case w.id == nil && ev.mayViolate(r, g, roles, targets, at, w):
			ev.unknownOn(w.jobs[0].Job, w.jobs[0].WorkerUnknown[0].Path())
			return
		}
	}
}

// mayViolate reports whether a grant of any of roles to w would be found
// wrong, or could be once some value is known.
func (ev *ioEvaluation) mayViolate(r *gcp.Resource, g gcp.Grant, roles []string, targets []gcp.IORef, at gcp.Value, w ioWorker) bool {
	for _, role := range roles {
		if ev.verdict(r, g, role, targets, at, w).state != verdictFine {
			return true
		}
	}
	return false
}

// decide reports the verdict on a grant of a known role to a known worker.
// A job whose worker is not known yet may run as the same account and name
// more: when it could change the verdict, that is what stays unknown.
func (ev *ioEvaluation) decide(r *gcp.Resource, g gcp.Grant, role string, targets []gcp.IORef, at gcp.Value, w ioWorker) {
	v := ev.verdict(r, g, role, targets, at, w)
	switch v.state {
	case verdictFine:
		return
	case verdictUndecided:
		ev.unknownOn(v.on, v.path)
		return
	}
	for _, job := range ev.open {
		if contains(w.jobs, job) {
			continue
		}
		more := ioWorker{id: w.id, jobs: append(append([]*gcp.JobIO{}, w.jobs...), job)}
		if ev.verdict(r, g, role, targets, at, more).state != verdictViolates {
			ev.unknownOn(job.Job, job.WorkerUnknown[0].Path())
			return
		}
	}
	jobs := identityQuotedNames("job", nil)
	if w.id != nil {
		jobs = identityQuotedNames("job", w.id.Sources)
	}
	ev.c.DetailedViolationOn(r, ev.details(w), g.Role.Path(), "%s", v.message(identityMemberDisplay(g, w.id), jobs))
}

// ioDetails is what a finding carries in the JSON report: the derived
// least-privilege grant set of each job of the worker, to copy into the
// program.
type ioDetails struct {
	LeastPrivilegeGrants []ioJobGrants `json:"leastPrivilegeGrants"`
}

type ioJobGrants struct {
	Job    string        `json:"job"` // URN
	Name   string        `json:"name"`
	Grants []ioGrantJSON `json:"grants"`
}

type ioGrantJSON struct {
	Role string `json:"role,omitempty"`
	// Permission is set instead of Role where no narrow predefined role
	// holds it: grant it through a custom role.
	Permission string `json:"permission,omitempty"`
	// On is the kind of resource (project, bucket, topic, subscription,
	// dataset, key, secret) and Resource its name.
	On       string `json:"on"`
	Resource string `json:"resource"`
	// Member is the worker, or a service agent.
	Member  string   `json:"member"`
	Because []string `json:"because,omitempty"`
	Note    string   `json:"note,omitempty"`
}

// details renders the derived grant set of each job of w.
func (ev *ioEvaluation) details(w ioWorker) ioDetails {
	if w.id == nil {
		return ev.renderDetails(w)
	}
	d, ok := ev.detailsOf[w.id]
	if !ok {
		d = ev.renderDetails(w)
		ev.detailsOf[w.id] = d
	}
	return d
}

func (ev *ioEvaluation) renderDetails(w ioWorker) ioDetails {
	worker := "the worker service account"
	if w.id != nil && w.id.Email != "" && !w.id.Secret {
		worker = "serviceAccount:" + w.id.Email
	}
	out := ioDetails{LeastPrivilegeGrants: []ioJobGrants{}}
	for _, job := range w.jobs {
		jg := ioJobGrants{Job: job.Job.URN, Name: job.Job.Name, Grants: []ioGrantJSON{}}
		suffix := " of job " + quote(job.Job.Name)
		for _, d := range ev.jobGrants(job) {
			gj := ioGrantJSON{Role: d.role, Permission: d.permission, Member: worker, Note: d.note}
			if d.member != "" {
				gj.Member = "serviceAccount:" + d.member
			}
			switch {
			case d.on.Kind == 0:
				gj.On, gj.Resource = "project", d.project
			case d.secret:
				gj.On, gj.Resource = d.on.Kind.String(), "[secret]"
			default:
				gj.On, gj.Resource = d.on.Kind.String(), d.on.Resource()
			}
			for _, why := range d.why {
				gj.Because = append(gj.Because, strings.TrimSuffix(why, suffix))
			}
			jg.Grants = append(jg.Grants, gj)
		}
		out.LeastPrivilegeGrants = append(out.LeastPrivilegeGrants, jg)
	}
	return out
}

func contains(jobs []*gcp.JobIO, job *gcp.JobIO) bool {
	for _, j := range jobs {
		if j == job {
			return true
		}
	}
	return false
}

// verdict judges a grant of role to worker w.
func (ev *ioEvaluation) verdict(r *gcp.Resource, g gcp.Grant, role string, targets []gcp.IORef, at gcp.Value, w ioWorker) ioVerdict {
	svc := ioRoles[role].service
	for _, job := range w.jobs {
		for _, o := range job.Opaque {
			if o.Kind.Service() == svc {
				return ioVerdict{state: verdictFine} // a query reads what we cannot list
			}
		}
	}
	if g.Scope == gcp.ScopeProject {
		return ev.projectVerdict(r, g, role, svc, at, w)
	}
	return ev.resourceVerdict(r, g, role, svc, targets, at, w)
}

// unknownOf finds a value of w's jobs not known yet that may name a
// resource of svc.
func unknownOf(w ioWorker, svc gcp.IOService) (ioVerdict, bool) {
	for _, job := range w.jobs {
		for _, u := range job.Unknown {
			if u.Kind == 0 || u.Kind.Service() == svc {
				return ioVerdict{state: verdictUndecided, on: job.Job, path: u.Value.Path()}, true
			}
		}
	}
	return ioVerdict{}, false
}

// projectVerdict judges a data-plane role granted on a project.
func (ev *ioEvaluation) projectVerdict(r *gcp.Resource, g gcp.Grant, role string, svc gcp.IOService, at gcp.Value, w ioWorker) ioVerdict {
	project, _ := at.String()
	if at.Secret() {
		project = ""
	}
	if svc == gcp.ServicePubSub && (role == roleSubscriber || role == rolePubSubViewer) {
		// Reading a topic, Dataflow creates its own subscription in the
		// project: consuming it takes a project-wide grant.
		for _, job := range w.jobs {
			for _, ref := range job.Refs {
				if ref.Kind == gcp.IOTopic && (ref.Use == gcp.IORead || ref.Use == gcp.IOUseAny) &&
					(ev.s.MaySameProject(project, job.Project) || ev.s.MaySameProject(project, ref.Project)) {
					return ioVerdict{state: verdictFine}
				}
			}
		}
	}
	if v, ok := unknownOf(w, svc); ok {
		return v
	}
	where := "on the project"
	if project != "" {
		where = "on project " + quote(strings.TrimPrefix(project, "projects/"))
	}
	roleText := identityRoleDisplay(g)
	return ioVerdict{state: verdictViolates, message: func(member, jobs string) string {
		head := "grants " + roleText + " " + where + " to " + member + ", the Dataflow worker service account of " +
			jobs + ", so its jobs can use every " + svc.String() + " resource of the project" + conditionNote(g)
		narrower := ev.narrower(role, svc, project, w) // only for a message: it costs
		if len(narrower) == 0 {
			return head + ", but none of its jobs names a " + svc.String() + " resource that needs it in its " +
				"parameters, locations or kmsKeyName; remove the grant, or keep it only if the pipeline's code " +
				"opens such a resource by itself"
		}
		return head + "; its jobs need only " + joinGrants(narrower) + ": grant those instead and remove the " +
			"project-wide grant"
	}}
}

// narrower lists the grants that replace role on a project for worker w:
// each derived grant of the service the role holds, or the role itself on a
// resource where the job needs more than it.
func (ev *ioEvaluation) narrower(role string, svc gcp.IOService, project string, w ioWorker) []ioGrant {
	var out []ioGrant
	agents := map[string][]string{} // the job keys, and the service agents that use them
	agentNotes := map[string]string{}
	for _, d := range ev.workerGrants(w) {
		if d.on.Kind == 0 || d.on.Kind.Service() != svc || d.permission != "" ||
			!ev.s.MaySameProject(project, ev.projectOf(d.on)) {
			continue
		}
		if d.member != "" {
			// The job's key: a worker grant on it counts as used, but the
			// service agents are who need it.
			if d.role == roleEncDec && (roleHolds(role, roleEncDec) || roleHolds(roleEncDec, role)) {
				k := d.target()
				if len(agents[k]) == 0 {
					out = append(out, ioGrant{role: role, on: d.on, why: d.why, secret: d.secret})
				}
				agents[k] = append(agents[k], d.member)
				if d.note != "" {
					agentNotes[k] = d.note
				}
			}
			continue
		}
		switch {
		case roleHolds(role, d.role):
			out = append(out, d)
		case roleHolds(d.role, role):
			d.role = role
			out = append(out, d)
		}
	}
	for i, d := range out {
		if members := agents[d.target()]; len(members) > 0 && d.role == role && len(d.note) == 0 {
			sort.Sort(sort.Reverse(sort.StringSlice(members))) // the Dataflow agent, then Compute Engine's
			out[i].note = "the job's kmsKeyName, which Dataflow uses through " + strings.Join(members, " and ") +
				" (the Dataflow and Compute Engine service agents): they need " + roleEncDec + " on it, the worker does not"
			if n := agentNotes[d.target()]; n != "" {
				out[i].note += "; " + n
			}
		}
	}
	return mergeGrants(out)
}

// projectOf is the project a resource is in ("" when not known).
func (ev *ioEvaluation) projectOf(ref gcp.IORef) string {
	if ref.Kind == gcp.IOBucket && ref.URN == "" {
		return ev.s.BucketProject(ref.Name)
	}
	return ref.Project
}

// resourceVerdict judges a data-plane role granted on one resource.
func (ev *ioEvaluation) resourceVerdict(r *gcp.Resource, g gcp.Grant, role string, svc gcp.IOService, targets []gcp.IORef, at gcp.Value, w ioWorker) ioVerdict {
	if len(targets) == 0 {
		// A target not known until apply, and no resource of the stack
		// it depends on: it can only be unused if the jobs name nothing
		// of its service.
		for _, job := range w.jobs {
			for _, ref := range job.Refs {
				if ref.Kind.Service() == svc {
					return ioVerdict{state: verdictUndecided, on: r, path: at.Path()}
				}
			}
		}
		if v, ok := unknownOf(w, svc); ok {
			return v
		}
		roleText := identityRoleDisplay(g)
		return ioVerdict{state: verdictViolates, message: func(member, jobs string) string {
			return "grants " + roleText + " on a resource not known until apply (" + at.Path() + ") to " + member +
				", the Dataflow worker service account of " + jobs + ", and no job running as this account names " +
				"any " + svc.String() + " resource, so it is not used by any job running as this account; remove " +
				"the grant, or keep it only if the pipeline's code opens the resource by itself"
		}}
	}
	var maybe *ioVerdict
	for _, job := range w.jobs {
		for _, ref := range job.Refs {
			if ref.Kind.Service() != svc {
				continue
			}
			for _, t := range targets {
				switch ev.s.Covers(t, ref.IORef) {
				case gcp.IOMatches:
					return ioVerdict{state: verdictFine}
				case gcp.IOMayMatch:
					if maybe == nil {
						if t.URN != "" {
							maybe = &ioVerdict{state: verdictUndecided, on: r, path: at.Path()}
						} else {
							maybe = &ioVerdict{state: verdictUndecided, on: job.Job, path: ref.Value.Path()}
						}
					}
				}
			}
		}
	}
	if maybe != nil {
		return *maybe
	}
	if v, ok := unknownOf(w, svc); ok {
		return v
	}
	target := refText(targets[0], at.Secret())
	roleText := identityRoleDisplay(g)
	return ioVerdict{state: verdictViolates, message: func(member, jobs string) string {
		named := ev.namedOf(svc, w)
		msg := "grants " + roleText + " on " + target + " to " + member + ", the Dataflow worker service account of " +
			jobs + ", but it is not used by any job running as this account: none names it in its parameters, " +
			"locations or kmsKeyName"
		if named != "" {
			msg += " (they name " + named + ")"
		}
		return msg + "; remove the grant, or keep it only if the pipeline's code opens it by itself"
	}}
}

// namedOf lists the resources of a service w's jobs name, for a message.
func (ev *ioEvaluation) namedOf(svc gcp.IOService, w ioWorker) string {
	seen := map[string]bool{}
	var out []string
	for _, job := range w.jobs {
		for _, ref := range job.Refs {
			if ref.Kind.Service() != svc {
				continue
			}
			text := refText(ref.IORef, ref.Value.Secret())
			if !seen[text] {
				seen[text] = true
				out = append(out, text)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// refText renders a resource for a message.
func refText(ref gcp.IORef, secret bool) string {
	if secret {
		return "a " + ref.Kind.String() + " named by a secret value"
	}
	if ref.URN != "" {
		return ref.Resource()
	}
	return ref.Kind.String() + " " + quote(ref.Resource())
}

// ioGrant is one grant of a derived least-privilege set.
type ioGrant struct {
	role string
	// permission is set instead of role where no narrow predefined role
	// holds it.
	permission string
	// on is the resource; a Kind of 0 with project set is the project.
	on      gcp.IORef
	project string
	// member is "" for the worker, else a service agent's email.
	member string
	why    []string
	note   string
	secret bool
}

func (d ioGrant) key() string {
	return d.role + "\x00" + d.permission + "\x00" + d.target() + "\x00" + d.member
}

// target renders what the grant is on.
func (d ioGrant) target() string {
	switch {
	case d.secret:
		return refText(d.on, true)
	case d.on.Kind == 0 && d.project == "":
		return "the job's project"
	case d.on.Kind == 0:
		return "project " + quote(d.project)
	}
	return refText(d.on, false)
}

// String renders the grant for a message.
func (d ioGrant) String() string {
	what := d.role
	if d.permission != "" {
		what = d.permission + " (a custom role)"
	}
	out := what + " on " + d.target()
	if d.member != "" {
		out += " to " + d.member
	}
	if len(d.why) > 0 {
		out += " (" + strings.Join(d.why, ", ")
		if d.note != "" {
			out += "; " + d.note
		}
		out += ")"
	} else if d.note != "" {
		out += " (" + d.note + ")"
	}
	return out
}

func joinGrants(gs []ioGrant) string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.String()
	}
	return strings.Join(out, "; ")
}

// workerGrants is the derived grant set of a worker: the union of its jobs'.
func (ev *ioEvaluation) workerGrants(w ioWorker) []ioGrant {
	var all []ioGrant
	for _, job := range w.jobs {
		all = append(all, ev.jobGrants(job)...)
	}
	return mergeGrants(all)
}

// jobGrants derives, once per job, the grants its references need.
func (ev *ioEvaluation) jobGrants(job *gcp.JobIO) []ioGrant {
	if d, ok := ev.derived[job]; ok {
		return d
	}
	d := deriveGrants(ev.s, job)
	ev.derived[job] = d
	return d
}

// deriveGrants is the least-privilege grant set of one job, from what it
// names: the worker's grants, and those of the service agents that use the
// job's key.
func deriveGrants(s *gcp.Stack, job *gcp.JobIO) []ioGrant {
	name := quote(job.Job.Name)
	var out []ioGrant
	add := func(role string, on gcp.IORef, why, note string, secret bool) {
		out = append(out, ioGrant{role: role, on: on, project: job.Project, why: []string{why}, note: note, secret: secret})
	}
	project := gcp.IORef{}
	out = append(out, ioGrant{role: roleDataflowWorker, on: project, project: job.Project,
		why: []string{"job " + name + " runs on the project"}})
	for _, ref := range job.Refs {
		why := ref.Value.Path() + " of job " + name
		secret := ref.Value.Secret()
		switch ref.Kind {
		case gcp.IOBucket:
			if ref.URN == "" && gcp.IsGooglePublicBucket(ref.Name) {
				continue // Google's public templates and samples
			}
			switch ref.Use {
			case gcp.IORead:
				add(roleObjectViewer, ref.IORef, why, "", secret)
			case gcp.IOUseAny:
				add(roleObjectUser, ref.IORef, why, "roles/storage.objectViewer if the job only reads it", secret)
			default:
				add(roleObjectUser, ref.IORef, why, "", secret)
			}
		case gcp.IOSubscription:
			add(roleSubscriber, ref.IORef, why, "", secret)
			add(rolePubSubViewer, ref.IORef, why, "lets Dataflow read the subscription's settings", secret)
		case gcp.IOTopic:
			switch ref.Use {
			case gcp.IOWrite:
				add(rolePublisher, ref.IORef, why, "", secret)
			case gcp.IOUseAny:
				add(rolePublisher, ref.IORef, why, "if the job reads the topic instead, as for an inputTopic", secret)
			default:
				add(roleSubscriber, ref.IORef, why, "attaches the subscription Dataflow creates", secret)
				add(rolePubSubViewer, ref.IORef, why, "Dataflow reads the topic's settings", secret)
				out = append(out,
					ioGrant{role: roleSubscriber, on: project, project: job.Project, why: []string{why},
						note: "consumes the subscription Dataflow creates for the topic, whose name is not known in advance"},
					ioGrant{permission: "pubsub.subscriptions.create", on: project, project: job.Project,
						why: []string{why}, note: "roles/pubsub.editor is the narrowest predefined role holding it"})
			}
		case gcp.IOTable:
			dataset := ref.Dataset()
			switch ref.Use {
			case gcp.IORead:
				add(roleDataViewer, dataset, why, "", secret)
				out = append(out, ioGrant{role: roleJobUser, on: project, project: job.Project, why: []string{why},
					note: "export and query jobs; roles/bigquery.readSessionUser instead for the Storage Read API"})
			case gcp.IOUseAny:
				add(roleDataEditor, dataset, why, "roles/bigquery.dataViewer if the job only reads it", secret)
				out = append(out, ioGrant{role: roleJobUser, on: project, project: job.Project, why: []string{why},
					note: "load, export and query jobs"})
			default:
				add(roleDataEditor, dataset, why, "", secret)
				out = append(out, ioGrant{role: roleJobUser, on: project, project: job.Project, why: []string{why},
					note: "load jobs"})
			}
		case gcp.IOCryptoKey:
			switch ref.Use {
			case gcp.IOJobKey:
				number, _ := s.ProjectNumber(job.Project)
				for _, agent := range []string{gcp.DataflowServiceAgent(number), gcp.ComputeServiceAgent(number)} {
					out = append(out, ioGrant{role: roleEncDec, on: ref.IORef, project: job.Project, member: agent,
						why: []string{why}, note: projectNumberNote(number, job.Project), secret: secret})
				}
			case gcp.IODecrypt:
				add(roleDecrypter, ref.IORef, why, "", secret)
			default:
				add(roleEncDec, ref.IORef, why, "", secret)
			}
		case gcp.IOSecret:
			add(roleSecretAccessor, ref.IORef, why, "", secret)
		}
	}
	for _, o := range job.Opaque {
		out = append(out, ioGrant{role: roleJobUser, on: project, project: job.Project,
			why:  []string{o.Value.Path() + " of job " + name},
			note: "and roles/bigquery.dataViewer on the tables the query reads, which are not derived"})
	}
	return mergeGrants(out)
}

func projectNumberNote(number, project string) string {
	if number != "" {
		return ""
	}
	if project == "" {
		return "PROJECT_NUMBER is the number of the job's project"
	}
	return "PROJECT_NUMBER is the number of project " + quote(project)
}

// mergeGrants merges grants of the same role on the same resource to the
// same member, and drops a role on a resource where a role holding it is
// derived for the same member.
func mergeGrants(gs []ioGrant) []ioGrant {
	byKey := map[string]int{}
	var out []ioGrant
	for _, g := range gs {
		if i, ok := byKey[g.key()]; ok {
			for _, w := range g.why {
				if !containsString(out[i].why, w) {
					out[i].why = append(out[i].why, w)
				}
			}
			continue
		}
		byKey[g.key()] = len(out)
		g.why = append([]string{}, g.why...)
		out = append(out, g)
	}
	// A grant another grant of the same member on the same target holds is
	// dropped. Grouping by member and target keeps this linear in the
	// number of grants (a worker shared by many jobs has many), and each
	// target's text, quoting included, is built once.
	targets := make([]string, len(out))
	same := map[string][]int{}
	for i, g := range out {
		targets[i] = g.target()
		if g.permission == "" {
			k := g.member + "\x00" + targets[i]
			same[k] = append(same[k], i)
		}
	}
	type keptGrant struct {
		g      ioGrant
		target string
	}
	var kept []keptGrant
	for i, g := range out {
		held := false
		if g.permission == "" {
			for _, j := range same[g.member+"\x00"+targets[i]] {
				if h := out[j]; i != j && h.role != g.role && roleHolds(h.role, g.role) {
					held = true
					break
				}
			}
		}
		if !held {
			kept = append(kept, keptGrant{g, targets[i]})
		}
	}
	sort.SliceStable(kept, func(i, j int) bool {
		if kept[i].target != kept[j].target {
			return kept[i].target < kept[j].target
		}
		a, b := kept[i].g, kept[j].g
		return a.role+a.permission+a.member < b.role+b.permission+b.member
	})
	result := make([]ioGrant, len(kept))
	for i, k := range kept {
		result[i] = k.g
	}
	return result
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
