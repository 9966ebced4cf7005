// Package estate generates a seeded, realistic Google Cloud Dataflow estate
// as the Pulumi engine would hand it to a policy pack: jobs of all three
// Dataflow types and the service accounts, IAM grants (members, bindings and
// policies with policyData), buckets, topics, subscriptions, datasets,
// workload identity pools and providers, audit configs, log sinks and
// exclusions around them, behind gcp providers with defaultLabels.
//
// It lives in the e2e module with the benchmarks (e2e/hotpath) and the
// benchmark harness (e2e/bench) that use it: the pack's module does not ship it. The same (n, seed) always yields the same estate.
package estate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// DefaultSeed is the seed the harness and the benchmarks use.
const DefaultSeed uint64 = 20261128

// The Pulumi project and stack, and the Google Cloud project, of the estate.
const (
	Project    = "etl"
	Stack      = "prod"
	GCPProject = "etl-prod-1234"
	// ProjectNumber is the number of GCPProject (default service accounts,
	// workload identity pools).
	ProjectNumber = "123456789012"
)

// Type tokens the generator emits.
const (
	StackType        = "pulumi:pulumi:Stack"
	ProviderType     = "pulumi:providers:gcp"
	Account          = "gcp:serviceaccount/account:Account"
	ServiceKey       = "gcp:serviceaccount/key:Key"
	ProjectIAMMember = "gcp:projects/iAMMember:IAMMember"
	ProjectBinding   = "gcp:projects/iAMBinding:IAMBinding"
	ProjectPolicy    = "gcp:projects/iAMPolicy:IAMPolicy"
	SAIAMMember      = "gcp:serviceaccount/iAMMember:IAMMember"
	BucketIAMMember  = "gcp:storage/bucketIAMMember:BucketIAMMember"
	BucketPolicy     = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
	SubIAMMember     = "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember"
	TopicIAMMember   = "gcp:pubsub/topicIAMMember:TopicIAMMember"
	DatasetIAMMember = "gcp:bigquery/datasetIamMember:DatasetIamMember"
	Bucket           = "gcp:storage/bucket:Bucket"
	Topic            = "gcp:pubsub/topic:Topic"
	Subscription     = "gcp:pubsub/subscription:Subscription"
	Dataset          = "gcp:bigquery/dataset:Dataset"
	Job              = "gcp:dataflow/job:Job"
	FlexJob          = "gcp:dataflow/flexTemplateJob:FlexTemplateJob"
	Pipeline         = "gcp:dataflow/pipeline:Pipeline"
	Pool             = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
	PoolProvider     = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
	AuditConfig      = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
	ProjectSink      = "gcp:logging/projectSink:ProjectSink"
	ProjectExclusion = "gcp:logging/projectExclusion:ProjectExclusion"
	CryptoKey        = "gcp:kms/cryptoKey:CryptoKey"
	Subnetwork       = "gcp:compute/subnetwork:Subnetwork"
)

// Provider is a gcp provider resource as the engine describes it in an
// Analyze request: its URN, name and inputs.
type Provider struct {
	URN   string
	Type  string
	Name  string
	Props property.Map
}

// Resource is one resource of the estate. Inputs are what Analyze sees
// (some are unknown, as during a preview); Outputs are what AnalyzeStack
// sees after the update (every value known).
type Resource struct {
	URN     string
	Type    string
	Name    string
	Custom  bool
	Inputs  property.Map
	Outputs property.Map
	// Provider is nil for the stack and for provider resources.
	Provider             *Provider
	Parent               string
	Dependencies         []string
	PropertyDependencies map[string][]string
}

// Estate is a whole stack.
type Estate struct {
	Project string
	Stack   string
	// Root is the pulumi:pulumi:Stack component.
	Root *Resource
	// Resources are the n resources the engine analyzes one by one, the gcp
	// providers first.
	Resources []*Resource
}

// StackResources is what AnalyzeStack receives: the root and every resource.
func (e *Estate) StackResources() []*Resource {
	return append([]*Resource{e.Root}, e.Resources...)
}

// URN builds a resource URN in the estate's stack.
func URN(typ, name string) string {
	return "urn:pulumi:" + Stack + "::" + Project + "::" + typ + "::" + name
}

// Generate builds an estate of exactly n analyzed resources from seed.
func Generate(n int, seed uint64) *Estate {
	g := &gen{
		rnd:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		counts: map[string]int{},
		urns:   map[string]string{},
	}
	root := &Resource{URN: URN(StackType, Project+"-"+Stack), Type: StackType, Name: Project + "-" + Stack,
		Inputs: property.Map{}, Outputs: property.Map{}}
	g.root = root.URN
	e := &Estate{Project: Project, Stack: Stack, Root: root}

	for _, p := range g.providers() {
		if len(e.Resources) == n {
			return e
		}
		e.Resources = append(e.Resources, p)
	}
	// One of every kind first, so even a small estate covers every shape,
	// then a weighted mix.
	for _, k := range kinds {
		if len(e.Resources) == n {
			return e
		}
		e.Resources = append(e.Resources, g.resource(k))
	}
	total := 0.0
	for _, k := range kinds {
		total += k.weight
	}
	for len(e.Resources) < n {
		x := g.rnd.Float64() * total
		k := kinds[len(kinds)-1]
		for _, c := range kinds {
			if x < c.weight {
				k = c
				break
			}
			x -= c.weight
		}
		e.Resources = append(e.Resources, g.resource(k))
	}
	return e
}

type kind struct {
	weight float64
	build  func(g *gen, r *Resource)
	typ    string
}

// kinds are the resource shapes with their relative frequency in a Dataflow
// estate: many grants, buckets, topics and jobs; few pools, sinks and keys.
var kinds = []kind{
	{7, (*gen).account, Account},
	{12, (*gen).projectMember, ProjectIAMMember},
	{4, (*gen).saMember, SAIAMMember},
	{3, (*gen).projectBinding, ProjectBinding},
	{1, (*gen).projectPolicy, ProjectPolicy},
	{5, (*gen).bucketMember, BucketIAMMember},
	{1, (*gen).bucketPolicy, BucketPolicy},
	{4, (*gen).subMember, SubIAMMember},
	{2, (*gen).topicMember, TopicIAMMember},
	{4, (*gen).datasetMember, DatasetIAMMember},
	{8, (*gen).bucket, Bucket},
	{6, (*gen).topic, Topic},
	{6, (*gen).subscription, Subscription},
	{4, (*gen).dataset, Dataset},
	{7, (*gen).job, Job},
	{5, (*gen).flexJob, FlexJob},
	{3, (*gen).pipeline, Pipeline},
	{1, (*gen).pool, Pool},
	{2, (*gen).poolProvider, PoolProvider},
	{1, (*gen).auditConfig, AuditConfig},
	{2, (*gen).sink, ProjectSink},
	{2, (*gen).exclusion, ProjectExclusion},
	{0.5, (*gen).key, ServiceKey},
	{2, (*gen).cryptoKey, CryptoKey},
	{2, (*gen).subnetwork, Subnetwork},
}

type gen struct {
	rnd    *rand.Rand
	root   string
	counts map[string]int
	urns   map[string]string // entity (email, bucket name, ...) -> URN

	provs    []*Provider
	provURNs []string

	workers, deployers           []string // service account emails
	buckets, topics, subs, dsets []string
	pools                        []string
	keys, subnets                []string
}

const (
	badRate     = 0.12 // share of resources with a violation
	unknownRate = 0.04 // share of inputs computed during preview
	secretRate  = 0.05
)

func (g *gen) bad() bool             { return g.rnd.Float64() < badRate }
func (g *gen) unknown() bool         { return g.rnd.Float64() < unknownRate }
func (g *gen) chance(p float64) bool { return g.rnd.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.rnd.IntN(len(xs))] }

func (g *gen) name(prefix string) string {
	g.counts[prefix]++
	return fmt.Sprintf("%s-%d", prefix, g.counts[prefix])
}

// providers returns the three gcp providers: the default one (defaultLabels
// from stack config, a JSON string), an explicit one with a defaultLabels map
// and one without defaults or attribution label.
func (g *gen) providers() []*Resource {
	defs := []struct {
		name  string
		props property.Map
	}{
		{"default_9_6_0", mapOf(obj{
			"project": str(GCPProject), "region": str("europe-west1"), "version": str("9.6.0"),
			"defaultLabels": str(`{"pulumi-project":"etl","pulumi-stack":"prod","env":"prod"}`),
		})},
		{"us-central1", mapOf(obj{
			"project": str(GCPProject), "region": str("us-central1"), "version": str("9.6.0"),
			"defaultLabels": val(obj{"env": str("prod"), "team": str("data"), "cost-center": str("cc-4711")}),
		})},
		{"sandbox", mapOf(obj{
			"project": str("etl-sandbox-5678"), "region": str("europe-west4"), "version": str("9.6.0"),
			"addPulumiAttributionLabel": property.New(false),
		})},
	}
	var out []*Resource
	for _, d := range defs {
		urn := URN(ProviderType, d.name)
		p := &Provider{URN: urn, Type: ProviderType, Name: d.name, Props: d.props}
		g.provs = append(g.provs, p)
		g.provURNs = append(g.provURNs, urn)
		out = append(out, &Resource{URN: urn, Type: ProviderType, Name: d.name, Custom: true,
			Inputs: d.props, Outputs: d.props, Parent: g.root})
	}
	return out
}

// resource builds one resource of kind k, with its provider and parent.
func (g *gen) resource(k kind) *Resource {
	r := &Resource{Type: k.typ, Custom: true, Parent: g.root}
	x := g.rnd.Float64()
	switch {
	case x < 0.7:
		r.Provider = g.provs[0]
	case x < 0.9:
		r.Provider = g.provs[1]
	default:
		r.Provider = g.provs[2]
	}
	k.build(g, r)
	r.URN = URN(r.Type, r.Name)
	if r.Outputs.Len() == 0 {
		r.Outputs = r.Inputs
	}
	return r
}

// ---- helpers -------------------------------------------------------------

type obj = map[string]property.Value

func str(s string) property.Value              { return property.New(s) }
func num(f float64) property.Value             { return property.New(f) }
func val(m obj) property.Value                 { return property.New(m) }
func mapOf(m obj) property.Map                 { return property.NewMap(m) }
func list(vs ...property.Value) property.Value { return property.New(vs) }

func strs(ss ...string) property.Value {
	vs := make([]property.Value, len(ss))
	for i, s := range ss {
		vs[i] = str(s)
	}
	return property.New(vs)
}

// finish sets inputs and outputs: outputs are the known values plus extra
// output-only fields; inputs hide the keys listed in unknown (computed
// during preview).
func (r *Resource) finish(known obj, unknown []string, extra obj) {
	in := make(obj, len(known))
	for k, v := range known {
		in[k] = v
	}
	for _, k := range unknown {
		if _, ok := in[k]; ok {
			in[k] = property.New(property.Computed)
		}
	}
	r.Inputs = property.NewMap(in)
	if len(unknown) == 0 && len(extra) == 0 {
		r.Outputs = r.Inputs
		return
	}
	out := make(obj, len(known)+len(extra))
	for k, v := range known {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	r.Outputs = property.NewMap(out)
}

func (r *Resource) dependsOn(g *gen, prop string, entities ...string) {
	for _, e := range entities {
		urn, ok := g.urns[e]
		if !ok {
			continue
		}
		if !slices.Contains(r.Dependencies, urn) {
			r.Dependencies = append(r.Dependencies, urn)
		}
		if r.PropertyDependencies == nil {
			r.PropertyDependencies = map[string][]string{}
		}
		r.PropertyDependencies[prop] = append(r.PropertyDependencies[prop], urn)
	}
}

var (
	envs  = []string{"prod", "prod", "prod", "staging", "dev"}
	teams = []string{"data", "platform", "ml", "analytics", "growth"}
)

// labels returns a labels map; a bad one misses team or carries an invalid
// key. Some rely on the provider's defaultLabels for env.
func (g *gen) labels(allowDefaults bool) property.Value {
	m := obj{"team": str(pick(g, teams)), "app": str("etl")}
	if !allowDefaults || g.chance(0.6) {
		m["env"] = str(pick(g, envs))
	}
	if g.chance(0.3) {
		m["cost-center"] = str(fmt.Sprintf("cc-%04d", g.rnd.IntN(10000)))
	}
	if g.bad() {
		if g.chance(0.7) {
			delete(m, "team")
		} else {
			m["Owner Team"] = str("Data Platform")
		}
	}
	return val(m)
}

func (g *gen) worker() string {
	if len(g.workers) == 0 {
		return "etl-worker@" + GCPProject + ".iam.gserviceaccount.com"
	}
	return pick(g, g.workers)
}

func (g *gen) deployer() string {
	if len(g.deployers) == 0 {
		return "etl-deployer@" + GCPProject + ".iam.gserviceaccount.com"
	}
	return pick(g, g.deployers)
}

func orDefault(xs []string, def string, g *gen) string {
	if len(xs) == 0 {
		return def
	}
	return pick(g, xs)
}

func (g *gen) bucketName() string { return orDefault(g.buckets, GCPProject+"-dataflow-temp", g) }
func (g *gen) topicName() string  { return orDefault(g.topics, "events", g) }
func (g *gen) subName() string    { return orDefault(g.subs, "events-dataflow", g) }
func (g *gen) datasetID() string  { return orDefault(g.dsets, "analytics", g) }
func (g *gen) keyName() string {
	return orDefault(g.keys, "projects/"+GCPProject+"/locations/europe-west1/keyRings/dataflow/cryptoKeys/dataflow", g)
}
func (g *gen) subnet() string {
	return orDefault(g.subnets, "regions/europe-west1/subnetworks/dataflow-europe-west1", g)
}

func saMember(email string) string { return "serviceAccount:" + email }

const computeDefault = ProjectNumber + "-compute@developer.gserviceaccount.com"

func poolPrincipal(pool string) string {
	return "principalSet://iam.googleapis.com/projects/" + ProjectNumber + "/locations/global/workloadIdentityPools/" + pool
}

// member returns a member for a grant; a bad one is public, pool-wide or a
// default service account.
func (g *gen) member(bad bool) string {
	if bad {
		switch g.rnd.IntN(4) {
		case 0:
			return "allUsers"
		case 1:
			return "allAuthenticatedUsers"
		case 2:
			return poolPrincipal(orDefault(g.pools, "github", g)) + "/*"
		default:
			return saMember(computeDefault)
		}
	}
	switch g.rnd.IntN(6) {
	case 0:
		return "group:data-eng@example.com"
	case 1:
		return saMember(g.deployer())
	case 2:
		return "user:oncall@example.com"
	default:
		return saMember(g.worker())
	}
}

var (
	projectRoles = []string{"roles/dataflow.worker", "roles/dataflow.developer", "roles/bigquery.jobUser",
		"roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/dataflow.viewer", "roles/storage.objectViewer"}
	badRoles = []string{"roles/editor", "roles/owner", "roles/viewer", "roles/iam.serviceAccountUser",
		"roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountKeyAdmin", "roles/storage.hmacKeyAdmin"}
)

func (g *gen) role(good []string, bad bool) string {
	if bad {
		return pick(g, badRoles)
	}
	return pick(g, good)
}

func (g *gen) condition() (property.Value, bool) {
	if !g.chance(0.15) {
		return property.Value{}, false
	}
	return val(obj{"title": str("business-hours"),
		"expression": str("request.time.getHours('Europe/Berlin') < 20")}), true
}

// grant fills role/member/condition, sometimes with an unknown member (a
// service account email computed during preview).
func (g *gen) grant(m obj, roles []string, memberEntity string) (unknown []string) {
	bad := g.bad()
	badRole := bad && g.chance(0.5)
	m["role"] = str(g.role(roles, badRole))
	member := g.member(bad && !badRole)
	if memberEntity != "" && !bad && g.chance(0.6) {
		member = saMember(memberEntity)
	}
	m["member"] = str(member)
	if c, ok := g.condition(); ok {
		m["condition"] = c
	}
	if g.unknown() {
		unknown = append(unknown, "member")
	}
	return unknown
}

// ---- kinds ---------------------------------------------------------------

func (g *gen) account(r *Resource) {
	role := "worker"
	if g.chance(0.25) {
		role = "deployer"
	}
	r.Name = g.name("sa-" + role)
	email := r.Name + "@" + GCPProject + ".iam.gserviceaccount.com"
	if role == "worker" {
		g.workers = append(g.workers, email)
	} else {
		g.deployers = append(g.deployers, email)
	}
	g.urns[email] = URN(Account, r.Name)
	r.finish(obj{"accountId": str(r.Name), "displayName": str("ETL " + role + " " + r.Name), "project": str(GCPProject)},
		nil, obj{"email": str(email), "member": str(saMember(email)),
			"name":     str("projects/" + GCPProject + "/serviceAccounts/" + email),
			"uniqueId": str(fmt.Sprintf("1%020d", g.rnd.Uint64()%1e18))})
}

func (g *gen) key(r *Resource) {
	r.Name = g.name("sa-key")
	sa := g.deployer()
	r.finish(obj{"serviceAccountId": str("projects/" + GCPProject + "/serviceAccounts/" + sa),
		"privateKeyType": str("TYPE_GOOGLE_CREDENTIALS_FILE")}, nil,
		obj{"privateKey": str("c2VjcmV0").WithSecret(true), "validAfter": str("2026-11-28T12:00:00Z")})
	r.dependsOn(g, "serviceAccountId", sa)
}

func (g *gen) projectMember(r *Resource) {
	r.Name = g.name("project-grant")
	w := g.worker()
	m := obj{"project": str(GCPProject)}
	unknown := g.grant(m, projectRoles, w)
	r.finish(m, unknown, obj{"etag": str("BwX1")})
	r.dependsOn(g, "member", w)
}

func (g *gen) saMember(r *Resource) {
	r.Name = g.name("sa-grant")
	d := g.deployer()
	m := obj{"serviceAccountId": str("projects/" + GCPProject + "/serviceAccounts/" + d)}
	if g.chance(0.6) {
		m["role"] = str("roles/iam.workloadIdentityUser")
		pool := orDefault(g.pools, "github", g)
		if g.bad() {
			m["member"] = str(poolPrincipal(pool) + "/*")
		} else {
			m["member"] = str(poolPrincipal(pool) + "/attribute.repository/acme/etl")
		}
	} else {
		m["role"] = str("roles/iam.serviceAccountUser")
		m["member"] = str(saMember(d))
	}
	r.finish(m, nil, obj{"etag": str("BwX2")})
	r.dependsOn(g, "serviceAccountId", d)
}

func (g *gen) projectBinding(r *Resource) {
	r.Name = g.name("project-binding")
	bad := g.bad()
	members := []string{"group:data-eng@example.com", saMember(g.worker()), saMember(g.worker())}
	if bad && g.chance(0.5) {
		members = append(members, g.member(true))
	}
	m := obj{"project": str(GCPProject), "role": str(g.role(projectRoles, bad && g.chance(0.5))),
		"members": strs(members...)}
	var unknown []string
	if g.unknown() {
		unknown = append(unknown, "members")
	}
	r.finish(m, unknown, obj{"etag": str("BwX3")})
}

// policyData is an IAM policy document with a few bindings, sometimes with
// audit configs.
func (g *gen) policyData(roles []string, withAudit bool) string {
	type binding struct {
		Role      string            `json:"role"`
		Members   []string          `json:"members"`
		Condition map[string]string `json:"condition,omitempty"`
	}
	type logConfig struct {
		LogType string `json:"logType"`
	}
	type auditConfig struct {
		Service         string      `json:"service"`
		AuditLogConfigs []logConfig `json:"auditLogConfigs"`
	}
	doc := struct {
		Bindings     []binding     `json:"bindings"`
		AuditConfigs []auditConfig `json:"auditConfigs,omitempty"`
	}{}
	nb := 2 + g.rnd.IntN(5)
	for i := 0; i < nb; i++ {
		bad := g.bad()
		b := binding{Role: g.role(roles, bad && g.chance(0.5)),
			Members: []string{saMember(g.worker()), g.member(bad && g.chance(0.5))}}
		if g.chance(0.1) {
			b.Condition = map[string]string{"title": "expires", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}
		}
		doc.Bindings = append(doc.Bindings, b)
	}
	if withAudit {
		doc.AuditConfigs = []auditConfig{{Service: "allServices", AuditLogConfigs: []logConfig{
			{"ADMIN_READ"}, {"DATA_READ"}, {"DATA_WRITE"}}}}
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func (g *gen) projectPolicy(r *Resource) {
	r.Name = g.name("project-policy")
	r.finish(obj{"project": str(GCPProject), "policyData": str(g.policyData(projectRoles, g.chance(0.5)))},
		nil, obj{"etag": str("BwX4")})
}

var bucketRoles = []string{"roles/storage.objectViewer", "roles/storage.objectUser", "roles/storage.objectCreator"}

func (g *gen) bucketPolicy(r *Resource) {
	r.Name = g.name("bucket-policy")
	b := g.bucketName()
	r.finish(obj{"bucket": str(b), "policyData": str(g.policyData(bucketRoles, false))}, nil, obj{"etag": str("CAE=")})
	r.dependsOn(g, "bucket", b)
}

func (g *gen) bucketMember(r *Resource) {
	r.Name = g.name("bucket-grant")
	b, w := g.bucketName(), g.worker()
	m := obj{"bucket": str(b)}
	unknown := g.grant(m, bucketRoles, w)
	r.finish(m, unknown, obj{"etag": str("CAE=")})
	r.dependsOn(g, "bucket", b)
	r.dependsOn(g, "member", w)
}

func (g *gen) subMember(r *Resource) {
	r.Name = g.name("sub-grant")
	s, w := g.subName(), g.worker()
	m := obj{"subscription": str(s), "project": str(GCPProject)}
	unknown := g.grant(m, []string{"roles/pubsub.subscriber", "roles/pubsub.viewer"}, w)
	r.finish(m, unknown, obj{"etag": str("BwX5")})
	r.dependsOn(g, "subscription", s)
}

func (g *gen) topicMember(r *Resource) {
	r.Name = g.name("topic-grant")
	t := g.topicName()
	m := obj{"topic": str(t), "project": str(GCPProject)}
	unknown := g.grant(m, []string{"roles/pubsub.publisher"}, g.worker())
	r.finish(m, unknown, obj{"etag": str("BwX6")})
	r.dependsOn(g, "topic", t)
}

func (g *gen) datasetMember(r *Resource) {
	r.Name = g.name("dataset-grant")
	d := g.datasetID()
	m := obj{"datasetId": str(d), "project": str(GCPProject)}
	unknown := g.grant(m, []string{"roles/bigquery.dataEditor", "roles/bigquery.dataViewer"}, g.worker())
	r.finish(m, unknown, obj{"etag": str("BwX7")})
	r.dependsOn(g, "datasetId", d)
}

func (g *gen) bucket(r *Resource) {
	r.Name = g.name("bucket")
	name := GCPProject + "-" + r.Name
	g.buckets = append(g.buckets, name)
	g.urns[name] = URN(Bucket, r.Name)
	m := obj{"name": str(name), "location": str("EUROPE-WEST1"), "labels": g.labels(true),
		"uniformBucketLevelAccess": property.New(!g.bad()), "publicAccessPrevention": str("enforced"),
		"versioning": val(obj{"enabled": property.New(g.chance(0.5))})}
	if g.chance(0.6) {
		m["logging"] = val(obj{"logBucket": str(GCPProject + "-access-logs")})
	}
	if g.chance(0.5) {
		m["encryption"] = val(obj{"defaultKmsKeyName": str(g.keyName())})
	}
	if g.chance(0.3) {
		m["lifecycleRules"] = list(val(obj{"action": val(obj{"type": str("Delete")}),
			"condition": val(obj{"age": num(30)})}))
	}
	r.finish(m, nil, obj{"url": str("gs://" + name), "selfLink": str("https://www.googleapis.com/storage/v1/b/" + name)})
}

func (g *gen) topic(r *Resource) {
	r.Name = g.name("topic")
	g.topics = append(g.topics, r.Name)
	g.urns[r.Name] = URN(Topic, r.Name)
	m := obj{"name": str(r.Name), "project": str(GCPProject), "labels": g.labels(true),
		"messageRetentionDuration": str("86600s")}
	if g.chance(0.3) {
		m["kmsKeyName"] = str(g.keyName())
	}
	r.finish(m, nil, obj{"id": str("projects/" + GCPProject + "/topics/" + r.Name)})
}

func (g *gen) subscription(r *Resource) {
	r.Name = g.name("sub")
	t := g.topicName()
	g.subs = append(g.subs, r.Name)
	g.urns[r.Name] = URN(Subscription, r.Name)
	m := obj{"name": str(r.Name), "topic": str(t), "project": str(GCPProject), "labels": g.labels(true),
		"ackDeadlineSeconds": num(60), "messageRetentionDuration": str("604800s"),
		"retryPolicy": val(obj{"minimumBackoff": str("10s"), "maximumBackoff": str("600s")})}
	var unknown []string
	if g.unknown() {
		unknown = append(unknown, "topic")
	}
	r.finish(m, unknown, obj{"id": str("projects/" + GCPProject + "/subscriptions/" + r.Name)})
	r.dependsOn(g, "topic", t)
}

func (g *gen) dataset(r *Resource) {
	r.Name = g.name("dataset")
	id := "ds_" + r.Name[len("dataset-"):]
	g.dsets = append(g.dsets, id)
	g.urns[id] = URN(Dataset, r.Name)
	accesses := []property.Value{
		val(obj{"role": str("OWNER"), "groupByEmail": str("data-platform@example.com")}),
		val(obj{"role": str("WRITER"), "userByEmail": str(g.worker())}),
		val(obj{"role": str("READER"), "specialGroup": str("projectReaders")}),
	}
	if g.chance(0.3) {
		accesses = append(accesses, val(obj{"view": val(obj{"projectId": str(GCPProject),
			"datasetId": str("curated"), "tableId": str("v_events")})}))
	}
	if g.bad() {
		accesses = append(accesses, val(obj{"role": str("READER"), "specialGroup": str("allAuthenticatedUsers")}))
	}
	m := obj{"datasetId": str(id), "location": str("EU"), "project": str(GCPProject), "labels": g.labels(true),
		"accesses": list(accesses...), "defaultTableExpirationMs": num(7776000000)}
	r.finish(m, nil, obj{"selfLink": str("https://bigquery.googleapis.com/bigquery/v2/projects/" + GCPProject + "/datasets/" + id)})
}

// workerSettings returns the worker fields of a job or environment: a bad
// one runs as the default service account or none, on public IPs.
func (g *gen) workerSettings(m obj, pipeline bool) (unknown []string) {
	w := g.worker()
	switch {
	case g.bad():
		if g.chance(0.5) {
			m["serviceAccountEmail"] = str(computeDefault)
		}
		// else: no service account at all
	default:
		m["serviceAccountEmail"] = str(w)
		if g.unknown() {
			unknown = append(unknown, "serviceAccountEmail")
		}
	}
	if !g.bad() {
		m["ipConfiguration"] = str("WORKER_IP_PRIVATE")
	}
	m["subnetwork"] = str(g.subnet())
	if g.chance(0.6) {
		m["kmsKeyName"] = str(g.keyName())
	}
	if pipeline {
		m["additionalUserLabels"] = g.labels(false)
	}
	return unknown
}

func (g *gen) parameters() property.Value {
	m := obj{
		"inputSubscription":              str("projects/" + GCPProject + "/subscriptions/" + g.subName()),
		"outputTableSpec":                str(GCPProject + ":" + g.datasetID() + ".events"),
		"javascriptTextTransformGcsPath": str("gs://" + g.bucketName() + "/udf/transform.js"),
	}
	if g.chance(0.3) {
		m["defaultWorkerLogLevel"] = str("INFO")
	}
	if g.chance(secretRate) {
		m["apiToken"] = str(fmt.Sprintf("tok-%016x", g.rnd.Uint64())).WithSecret(true)
	}
	return val(m)
}

func (g *gen) job(r *Resource) {
	r.Name = g.name("job")
	b := g.bucketName()
	m := obj{"name": str(r.Name), "region": str("europe-west1"), "project": str(GCPProject),
		"templateGcsPath": str("gs://dataflow-templates-europe-west1/latest/PubSub_Subscription_to_BigQuery"),
		"tempGcsLocation": str("gs://" + b + "/tmp"), "labels": g.labels(true),
		"maxWorkers": num(float64(2 + g.rnd.IntN(20))), "parameters": g.parameters(), "onDelete": str("drain"),
		"additionalExperiments": strs("enable_streaming_engine")}
	unknown := g.workerSettings(m, false)
	r.finish(m, unknown, obj{"jobId": str(fmt.Sprintf("2026-11-28_%08d", g.rnd.IntN(1e8))), "state": str("JOB_STATE_RUNNING"),
		"effectiveLabels": m["labels"]})
	r.dependsOn(g, "tempGcsLocation", b)
}

func (g *gen) flexJob(r *Resource) {
	r.Name = g.name("flex")
	b := g.bucketName()
	m := obj{"name": str(r.Name), "region": str("europe-west1"), "project": str(GCPProject),
		"containerSpecGcsPath": str("gs://" + b + "/templates/" + r.Name + ".json"), "labels": g.labels(true),
		"parameters": g.parameters(), "tempLocation": str("gs://" + b + "/tmp"),
		"stagingLocation": str("gs://" + b + "/staging"), "maxWorkers": num(10), "sdkContainerImage": str(
			"europe-west1-docker.pkg.dev/" + GCPProject + "/dataflow/" + r.Name + ":1.4.2")}
	unknown := g.workerSettings(m, false)
	r.finish(m, unknown, obj{"jobId": str(fmt.Sprintf("2026-11-28_%08d", g.rnd.IntN(1e8))), "state": str("JOB_STATE_RUNNING")})
	r.dependsOn(g, "containerSpecGcsPath", b)
}

func (g *gen) pipeline(r *Resource) {
	r.Name = g.name("pipeline")
	b := g.bucketName()
	env := obj{}
	unknown := g.workerSettings(env, true)
	envIn := make(obj, len(env))
	for k, v := range env {
		envIn[k] = v
	}
	for _, k := range unknown {
		envIn[k] = property.New(property.Computed)
	}
	flex := g.chance(0.5)
	workload := func(env obj) property.Value {
		if flex {
			return val(obj{"dataflowFlexTemplateRequest": val(obj{"projectId": str(GCPProject), "location": str("europe-west1"),
				"launchParameter": val(obj{"jobName": str(r.Name), "containerSpecGcsPath": str("gs://" + b + "/templates/batch.json"),
					"parameters": val(obj{"input": str("gs://" + b + "/in/*.json")}), "environment": val(env)})})})
		}
		return val(obj{"dataflowLaunchTemplateRequest": val(obj{"projectId": str(GCPProject), "location": str("europe-west1"),
			"gcsPath": str("gs://dataflow-templates-europe-west1/latest/Word_Count"),
			"launchParameters": val(obj{"jobName": str(r.Name), "parameters": val(obj{"inputFile": str("gs://" + b + "/in.txt")}),
				"environment": val(env)})})})
	}
	m := obj{"name": str(r.Name), "state": str("STATE_ACTIVE"), "type": str("PIPELINE_TYPE_BATCH"),
		"region": str("europe-west1"), "project": str(GCPProject), "workload": workload(env),
		"scheduleInfo": val(obj{"schedule": str("0 3 * * *"), "timeZone": str("Europe/Berlin")})}
	r.finish(m, nil, nil)
	if len(unknown) > 0 {
		in := r.Inputs.AsMap()
		in["workload"] = workload(envIn)
		r.Inputs = property.NewMap(in)
	}
	r.dependsOn(g, "workload", b)
}

func (g *gen) pool(r *Resource) {
	r.Name = g.name("pool")
	g.pools = append(g.pools, r.Name)
	g.urns[r.Name] = URN(Pool, r.Name)
	r.finish(obj{"workloadIdentityPoolId": str(r.Name), "project": str(GCPProject), "displayName": str("CI " + r.Name)},
		nil, obj{"state": str("ACTIVE")})
}

func (g *gen) poolProvider(r *Resource) {
	r.Name = g.name("oidc")
	pool := orDefault(g.pools, "github", g)
	mapping := obj{"google.subject": str("assertion.sub"), "attribute.repository": str("assertion.repository"),
		"attribute.repository_owner_id": str("assertion.repository_owner_id")}
	m := obj{"workloadIdentityPoolId": str(pool), "workloadIdentityPoolProviderId": str(r.Name), "project": str(GCPProject),
		"oidc": val(obj{"issuerUri": str("https://token.actions.githubusercontent.com")})}
	cond := "assertion.repository_owner_id == '4242424' && assertion.repository == 'acme/etl'"
	if g.chance(0.3) {
		m["oidc"] = val(obj{"issuerUri": str("https://gitlab.com")})
		mapping = obj{"google.subject": str("assertion.sub"), "attribute.namespace_id": str("assertion.namespace_id")}
		cond = "attribute.namespace_id == '4242' && assertion.ref_type == 'branch'"
	}
	if g.bad() {
		switch g.rnd.IntN(3) {
		case 0:
			cond = ""
		case 1:
			cond = "assertion.ref == 'refs/heads/main' || true"
		default:
			delete(mapping, "google.subject")
		}
	}
	m["attributeMapping"] = val(mapping)
	if cond != "" {
		m["attributeCondition"] = str(cond)
	}
	r.finish(m, nil, obj{"state": str("ACTIVE")})
	r.dependsOn(g, "workloadIdentityPoolId", pool)
}

func (g *gen) auditConfig(r *Resource) {
	r.Name = g.name("audit")
	logs := []property.Value{val(obj{"logType": str("ADMIN_READ")}), val(obj{"logType": str("DATA_READ")}),
		val(obj{"logType": str("DATA_WRITE")})}
	if g.bad() {
		logs = logs[:1]
	}
	svc := "dataflow.googleapis.com"
	if g.chance(0.3) {
		svc = "allServices"
	}
	r.finish(obj{"project": str(GCPProject), "service": str(svc), "auditLogConfigs": list(logs...)}, nil, obj{"etag": str("BwX8")})
}

func (g *gen) sink(r *Resource) {
	r.Name = g.name("sink")
	m := obj{"project": str(GCPProject), "name": str(r.Name),
		"destination": str("storage.googleapis.com/" + GCPProject + "-log-archive"),
		"filter":      str(`severity >= INFO`), "uniqueWriterIdentity": property.New(true),
		"exclusions": list(val(obj{"name": str("gce-debug"), "filter": str(`resource.type = "gce_instance" AND severity <= DEBUG`)}))}
	if g.bad() {
		m["exclusions"] = list(val(obj{"name": str("dataflow"), "filter": str(`resource.type = "dataflow_step"`)}))
	}
	r.finish(m, nil, obj{"writerIdentity": str("serviceAccount:service-" + ProjectNumber + "@gcp-sa-logging.iam.gserviceaccount.com")})
}

func (g *gen) exclusion(r *Resource) {
	r.Name = g.name("exclusion")
	filter := `logName = "projects/` + GCPProject + `/logs/nginx-access"`
	if g.bad() {
		filter = `resource.type="dataflow_step" AND severity < WARNING`
	}
	r.finish(obj{"project": str(GCPProject), "name": str(r.Name), "filter": str(filter),
		"description": str("drop noisy logs")}, nil, nil)
}

func (g *gen) cryptoKey(r *Resource) {
	r.Name = g.name("key")
	id := "projects/" + GCPProject + "/locations/europe-west1/keyRings/dataflow/cryptoKeys/" + r.Name
	g.keys = append(g.keys, id)
	g.urns[id] = URN(CryptoKey, r.Name)
	r.finish(obj{"name": str(r.Name), "keyRing": str("projects/" + GCPProject + "/locations/europe-west1/keyRings/dataflow"),
		"rotationPeriod": str("7776000s"), "labels": g.labels(true)}, nil, obj{"id": str(id)})
}

func (g *gen) subnetwork(r *Resource) {
	r.Name = g.name("subnet")
	id := "regions/europe-west1/subnetworks/" + r.Name
	g.subnets = append(g.subnets, id)
	g.urns[id] = URN(Subnetwork, r.Name)
	r.finish(obj{"name": str(r.Name), "network": str("dataflow"), "region": str("europe-west1"),
		"ipCidrRange": str(fmt.Sprintf("10.%d.0.0/20", g.counts["subnet"]%250)), "privateIpGoogleAccess": property.New(!g.bad()),
		"logConfig": val(obj{"aggregationInterval": str("INTERVAL_5_SEC"), "flowSampling": num(0.5)})}, nil, nil)
}
