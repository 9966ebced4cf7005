package gcp

import (
	"slices"
	"strings"
	"sync"
)

// What a Dataflow job reads and writes, as its own inputs declare it: the
// Cloud Storage, Pub/Sub, BigQuery, Cloud KMS and Secret Manager resources
// named in its parameters and pipeline options, its temp, staging and
// template locations and the kmsKeyName of each worker environment; and what
// a grant is on, in the same terms, so the two can be compared.

// IOKind is the kind of resource a job names or a grant is on.
type IOKind uint8

const (
	IOBucket       IOKind = iota + 1 // gs://BUCKET/...
	IOTopic                          // projects/P/topics/T
	IOSubscription                   // projects/P/subscriptions/S
	IOTable                          // P:D.T, P.D.T, D.T, projects/P/datasets/D/tables/T
	IODataset                        // a grant on a dataset
	IOCryptoKey                      // projects/P/locations/L/keyRings/R/cryptoKeys/K
	IOKeyRing                        // a grant on a key ring
	IOSecret                         // projects/P/[locations/L/]secrets/S[/versions/V]
)

func (k IOKind) String() string {
	switch k {
	case IOBucket:
		return "bucket"
	case IOTopic:
		return "topic"
	case IOSubscription:
		return "subscription"
	case IOTable:
		return "table"
	case IODataset:
		return "dataset"
	case IOCryptoKey:
		return "key"
	case IOKeyRing:
		return "key ring"
	case IOSecret:
		return "secret"
	}
	return "resource"
}

// IOService is the service whose roles grant on a kind of resource.
type IOService uint8

const (
	ServiceStorage IOService = iota + 1
	ServicePubSub
	ServiceBigQuery
	ServiceKMS
	ServiceSecretManager
)

func (s IOService) String() string {
	switch s {
	case ServiceStorage:
		return "Cloud Storage"
	case ServicePubSub:
		return "Pub/Sub"
	case ServiceBigQuery:
		return "BigQuery"
	case ServiceKMS:
		return "Cloud KMS"
	case ServiceSecretManager:
		return "Secret Manager"
	}
	return "unknown service"
}

// Service is the service of a kind (0 for none).
func (k IOKind) Service() IOService {
	switch k {
	case IOBucket:
		return ServiceStorage
	case IOTopic, IOSubscription:
		return ServicePubSub
	case IOTable, IODataset:
		return ServiceBigQuery
	case IOCryptoKey, IOKeyRing:
		return ServiceKMS
	case IOSecret:
		return ServiceSecretManager
	}
	return 0
}

// IORef names one resource. Names are as Google spells them; bucket names
// and projects are lowercased (both are lower case by definition).
type IORef struct {
	Kind IOKind
	// Project is the project ID or number as written, "" when the name
	// carries none (a bucket).
	Project string
	// Location of a key, key ring or regional secret.
	Location string
	// Parent is the dataset of a table, the key ring of a key.
	Parent string
	// Name is the bucket, topic, subscription, table, dataset, key, key ring
	// or secret ID; "" for a table of a known dataset whose own name is not
	// known yet.
	Name string
	// URN is set instead of the names for a resource of the stack whose
	// name is not known yet.
	URN string
}

// Resource renders the reference as Google names the resource (a bucket by
// its name), or by the stack resource it stands for.
func (r IORef) Resource() string {
	if r.URN != "" {
		name := r.URN
		if _, _, n, ok := ParseURN(r.URN); ok {
			name = n
		}
		return "the " + r.Kind.String() + " of resource " + quote(name)
	}
	project := r.Project
	if project == "" {
		project = "-"
	}
	switch r.Kind {
	case IOBucket:
		return r.Name
	case IOTopic:
		return "projects/" + project + "/topics/" + r.Name
	case IOSubscription:
		return "projects/" + project + "/subscriptions/" + r.Name
	case IOTable:
		if r.Name == "" {
			return "projects/" + project + "/datasets/" + r.Parent + "/tables/*"
		}
		return "projects/" + project + "/datasets/" + r.Parent + "/tables/" + r.Name
	case IODataset:
		return "projects/" + project + "/datasets/" + r.Name
	case IOCryptoKey:
		return "projects/" + project + "/locations/" + r.Location + "/keyRings/" + r.Parent + "/cryptoKeys/" + r.Name
	case IOKeyRing:
		return "projects/" + project + "/locations/" + r.Location + "/keyRings/" + r.Name
	case IOSecret:
		if r.Location != "" {
			return "projects/" + project + "/locations/" + r.Location + "/secrets/" + r.Name
		}
		return "projects/" + project + "/secrets/" + r.Name
	}
	return r.Name
}

// Dataset is the dataset of a table reference (the reference itself for a
// dataset).
func (r IORef) Dataset() IORef {
	if r.Kind != IOTable || r.URN != "" {
		return r
	}
	return IORef{Kind: IODataset, Project: r.Project, Name: r.Parent}
}

// KeyRing is the key ring of a key reference (the reference itself
// otherwise).
func (r IORef) KeyRing() IORef {
	if r.Kind != IOCryptoKey || r.URN != "" {
		return r
	}
	return IORef{Kind: IOKeyRing, Project: r.Project, Location: r.Location, Name: r.Parent}
}

// ParseIOReference reads one reference: `gs://BUCKET[/...]`,
// `projects/P/topics/T`, `projects/P/subscriptions/S`,
// `projects/P/datasets/D/tables/T`, `P:D.T`,
// `projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V]`,
// `projects/P/[locations/L/]secrets/S/versions/V`. The `P.D.T` and `D.T`
// table forms are read only when table is set (the value comes from a
// parameter known to hold a table): anywhere else a Java class or a file name
// would read as one.
func ParseIOReference(s string, table bool) (IORef, bool) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return IORef{}, false
	case foldPrefix(s, "gs://"):
		name, ok := GCSBucketName(s)
		if !ok || !bucketName().MatchString(name) {
			return IORef{}, false
		}
		return IORef{Kind: IOBucket, Name: name}, true
	case strings.HasPrefix(s, "projects/"):
		return parseResourceName(s)
	}
	return parseTableSpec(s, table)
}

// bucketName is what a bucket name may hold (a placeholder such as
// `gs://${BUCKET}` names none).
var bucketName = lazyRegexp(`^[a-z0-9][-a-z0-9_.]{1,220}[a-z0-9]$`)

// parseResourceName reads a `projects/...` resource name.
func parseResourceName(s string) (IORef, bool) {
	parts := strings.Split(s, "/")
	if len(parts) < 4 || parts[0] != "projects" {
		return IORef{}, false
	}
	for _, p := range parts {
		if p == "" {
			return IORef{}, false
		}
	}
	project := strings.ToLower(parts[1])
	is := func(words ...string) bool {
		if len(parts) != 2*len(words)+2 {
			return false
		}
		for i, w := range words {
			if parts[2+2*i] != w {
				return false
			}
		}
		return true
	}
	switch {
	case is("topics"):
		return IORef{Kind: IOTopic, Project: project, Name: parts[3]}, true
	case is("subscriptions"):
		return IORef{Kind: IOSubscription, Project: project, Name: parts[3]}, true
	case is("datasets", "tables"):
		return IORef{Kind: IOTable, Project: project, Parent: parts[3], Name: stripTableDecorator(parts[5])}, true
	case is("locations", "keyRings", "cryptoKeys"), is("locations", "keyRings", "cryptoKeys", "cryptoKeyVersions"):
		return IORef{Kind: IOCryptoKey, Project: project, Location: strings.ToLower(parts[3]), Parent: parts[5],
			Name: parts[7]}, true
	case is("secrets", "versions"):
		return IORef{Kind: IOSecret, Project: project, Name: parts[3]}, true
	case is("locations", "secrets", "versions"):
		return IORef{Kind: IOSecret, Project: project, Location: strings.ToLower(parts[3]), Name: parts[5]}, true
	}
	return IORef{}, false
}

// BigQuery name rules, from Beam's TABLE_SPEC (the project part, which
// allows a domain-scoped `example.com:p`) and BigQuery's dataset and table
// naming rules.
var (
	bqProjectName = lazyRegexp(`^[a-z][-a-z0-9:.]{0,61}[a-z0-9]$`)
	bqDatasetName = lazyRegexp(`^\w+$`)
	bqTableName   = lazyRegexp(`^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}$@]+$`)
)

// parseTableSpec reads `P:D.T` and, when loose, `P.D.T` and `D.T` (whose
// project the caller fills in).
func parseTableSpec(s string, loose bool) (IORef, bool) {
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return IORef{}, false
	}
	head, table := s[:dot], s[dot+1:]
	project, dataset := "", head
	if sep := strings.LastIndexAny(head, ".:"); sep >= 0 {
		project, dataset = head[:sep], head[sep+1:]
		if head[sep] == '.' && !loose {
			return IORef{}, false
		}
		if !bqProjectName().MatchString(project) {
			return IORef{}, false
		}
	} else if !loose {
		return IORef{}, false
	}
	if len(dataset) > 1024 || len(table) > 1024 || !bqDatasetName().MatchString(dataset) ||
		!bqTableName().MatchString(table) {
		return IORef{}, false
	}
	return IORef{Kind: IOTable, Project: strings.ToLower(project), Parent: dataset, Name: stripTableDecorator(table)}, true
}

// stripTableDecorator drops a partition (`$20240101`) or snapshot (`@...`)
// decorator: IAM knows the table only.
func stripTableDecorator(t string) string {
	if i := strings.IndexAny(t, "$@"); i > 0 {
		return t[:i]
	}
	return t
}

// IOUse is what a job does with a resource it names.
type IOUse uint8

const (
	// IOUseAny: a value that parses as a reference under a parameter the
	// model does not know: read, written, or both.
	IOUseAny IOUse = iota
	IORead
	IOWrite
	// IOReadWrite: temp and staging locations, read, written, listed and
	// deleted.
	IOReadWrite
	// IODecrypt: a key the pipeline decrypts parameters with
	// (KMSEncryptionKey).
	IODecrypt
	// IOJobKey: the job's kmsKeyName, used by the Dataflow and Compute
	// Engine service agents, not the worker.
	IOJobKey
)

// IOReference is one resource a job names.
type IOReference struct {
	IORef
	Use IOUse
	// Value is where it was read: its path and secrecy.
	Value Value
}

// IOUnknown is a value of a job not known until apply that may name a
// resource the model cannot tell.
type IOUnknown struct {
	Value Value
	// Kind is the kind the value names (from its parameter), 0 for any.
	Kind IOKind
}

// IOOpaque is a known value that reads resources the model cannot list: a
// BigQuery query, which also creates a temporary dataset in the project.
type IOOpaque struct {
	Value Value
	Kind  IOKind
}

// JobIO is what one Dataflow resource reads and writes, as its inputs say.
type JobIO struct {
	Job *Resource
	// Project is the project the job runs in, lowercased ("" when not known):
	// its `project` (a Pipeline's launch request `projectId`), else the
	// provider's.
	Project string
	Refs    []IOReference
	Unknown []IOUnknown
	Opaque  []IOOpaque
	// WorkerUnknown holds the worker email values (or environments) not known
	// until apply that depend on no service account of the stack: the job
	// may run as any account.
	WorkerUnknown []Value
}

// ioParam is what a template parameter or pipeline option names.
type ioParam struct {
	kind IOKind
	use  IOUse
	// opaque marks a BigQuery query.
	opaque bool
}

// templateParameterList lists the parameters of Google's provided templates
// that name a resource, with what they name and how the job uses it. Source:
// the README_<Template>.md files of GoogleCloudPlatform/DataflowTemplates,
// generated from the templates' @TemplateParameter annotations.
var templateParameterList = []struct {
	name string
	p    ioParam
}{
	// Pub/Sub.
	{"inputTopic", ioParam{kind: IOTopic, use: IORead}},
	{"inputSubscription", ioParam{kind: IOSubscription, use: IORead}},
	{"gcsPubSubSubscription", ioParam{kind: IOSubscription, use: IORead}},
	{"outputTopic", ioParam{kind: IOTopic, use: IOWrite}},
	{"outputDeadletterTopic", ioParam{kind: IOTopic, use: IOWrite}},
	// BigQuery.
	{"outputTableSpec", ioParam{kind: IOTable, use: IOWrite}},
	{"outputTable", ioParam{kind: IOTable, use: IOWrite}},
	{"outputDeadletterTable", ioParam{kind: IOTable, use: IOWrite}},
	{"deadletterTable", ioParam{kind: IOTable, use: IOWrite}},
	{"inputTableSpec", ioParam{kind: IOTable, use: IORead}},
	{"tableRef", ioParam{kind: IOTable, use: IORead}},
	{"query", ioParam{kind: IOTable, use: IORead, opaque: true}},
	{"readQuery", ioParam{kind: IOTable, use: IORead, opaque: true}},
	// Cloud Storage, read.
	{"inputFilePattern", ioParam{kind: IOBucket, use: IORead}},
	{"inputFile", ioParam{kind: IOBucket, use: IORead}},
	{"JSONPath", ioParam{kind: IOBucket, use: IORead}},
	{"javascriptTextTransformGcsPath", ioParam{kind: IOBucket, use: IORead}},
	{"pythonTextTransformGcsPath", ioParam{kind: IOBucket, use: IORead}},
	{"bigQuerySchemaPath", ioParam{kind: IOBucket, use: IORead}},
	{"driverJars", ioParam{kind: IOBucket, use: IORead}},
	{"extraFilesToStage", ioParam{use: IORead}}, // gs:// files and Secret Manager versions
	// Cloud Storage, written: a file sink writes temporary files, renames
	// and deletes them.
	{"outputDirectory", ioParam{kind: IOBucket, use: IOWrite}},
	{"outputDir", ioParam{kind: IOBucket, use: IOWrite}},
	{"output", ioParam{kind: IOBucket, use: IOWrite}},
	{"bucket", ioParam{kind: IOBucket, use: IOWrite}},
	{"textWritePrefix", ioParam{kind: IOBucket, use: IOWrite}},
	// Cloud Storage, temporary folders of the templates (the Beam temp and
	// staging options are read by the Beam option reader).
	{"userTempLocation", ioParam{kind: IOBucket, use: IOReadWrite}},
	{"avroTempDirectory", ioParam{kind: IOBucket, use: IOReadWrite}},
	{"csvTempDirectory", ioParam{kind: IOBucket, use: IOReadWrite}},
	{"bigQueryLoadingTemporaryDirectory", ioParam{kind: IOBucket, use: IOReadWrite}},
	{"deadLetterQueueDirectory", ioParam{kind: IOBucket, use: IOReadWrite}},
	// Cloud KMS: KMSEncryptionKey decrypts parameters inside the pipeline
	// (the job's own key, dataflowKmsKey, is a Beam option).
	{"KMSEncryptionKey", ioParam{kind: IOCryptoKey, use: IODecrypt}},
	// Secret Manager: the JDBC templates read these from a secret version
	// when they hold one.
	{"username", ioParam{kind: IOSecret, use: IORead}},
	{"password", ioParam{kind: IOSecret, use: IORead}},
	{"connectionURL", ioParam{kind: IOSecret, use: IORead}},
}

// jdbcParameters mark a job whose `query` runs on a JDBC source, not
// BigQuery.
var jdbcParameters = []string{"connectionurl", "driverclassname", "jdbcurl"}

// TemplateParameter is a known parameter of Google's provided templates,
// for the docs.
type TemplateParameter struct {
	Name string
	// Kind is what it names (0: a Cloud Storage file or a Secret Manager
	// version).
	Kind IOKind
	Use  IOUse
	// Opaque marks a BigQuery query.
	Opaque bool
}

// TemplateParameters lists the known parameters in the order of the table.
func TemplateParameters() []TemplateParameter {
	out := make([]TemplateParameter, len(templateParameterList))
	for i, t := range templateParameterList {
		out[i] = TemplateParameter{Name: t.name, Kind: t.p.kind, Use: t.p.use, Opaque: t.p.opaque}
	}
	return out
}

// templateParameters indexes templateParameterList by canonical name
// (CanonicalOptionName): a Python Flex Template may spell a parameter in
// snake case.
var templateParameters = sync.OnceValue(func() map[string]ioParam {
	out := make(map[string]ioParam, len(templateParameterList))
	for _, t := range templateParameterList {
		out[CanonicalOptionName(t.name)] = t.p
	}
	return out
})

// templatePaths are the location properties that hold a template file: read,
// not written.
var templatePaths = []string{"templateGcsPath", "containerSpecGcsPath", "gcsPath"}

// JobReferences reads what a Dataflow resource names. Unknown values are
// resolved through the resources of the stack they depend on (a Bucket,
// Topic, Subscription, Dataset, Table, CryptoKey, Secret or SecretVersion);
// what stays unresolved is listed in Unknown.
func JobReferences(s *Stack, r *Resource) JobIO {
	io := JobIO{Job: r, Project: jobProject(r)}
	seen := map[string]bool{}
	if r.Type == DataflowPipeline {
		if workload := r.Get("workload"); workload.IsUnknown() {
			io.addUnknown(workload, 0, seen)
			if len(accountDeps(s, r, workload.Path())) == 0 {
				io.WorkerUnknown = append(io.WorkerUnknown, workload)
			}
			return io
		}
	}
	for _, loc := range JobGCSLocations(r) {
		use := IOReadWrite
		for _, p := range templatePaths {
			if strings.HasSuffix(loc.Value.Path(), p) {
				use = IORead
			}
		}
		io.add(s, loc.Value, ioParam{kind: IOBucket, use: use}, seen)
	}
	for _, env := range s.views.WorkerEnvs(r) {
		if env.IsUnknown() {
			io.addUnknown(env.Value, 0, seen)
			if len(accountDeps(s, r, env.Path())) == 0 {
				io.WorkerUnknown = append(io.WorkerUnknown, env.Value)
			}
			continue
		}
		io.add(s, env.Get("kmsKeyName"), ioParam{kind: IOCryptoKey, use: IOJobKey}, seen)
		if email := env.Get("serviceAccountEmail"); email.IsUnknown() && len(accountDeps(s, r, email.Path())) == 0 {
			io.WorkerUnknown = append(io.WorkerUnknown, email)
		}
	}
	opts, unknown := s.views.PipelineOptions(r)
	jdbc := false
	for _, o := range opts {
		if slices.Contains(jdbcParameters, CanonicalOptionName(o.Name)) {
			jdbc = true
		}
	}
	for _, o := range opts {
		io.add(s, o.Value, optionParam(o, jdbc), seen)
	}
	for _, u := range unknown {
		io.addUnknown(u, 0, seen)
	}
	return io
}

// optionParam is what a pipeline option names: a Beam temp, staging or KMS
// key option as the Beam option reader reads it, else a template parameter
// by its name; a parameter the model does not know may still hold
// references.
func optionParam(o PipelineOption, jdbc bool) ioParam {
	switch {
	case o.Sets(OptionTempLocation).Matched(), o.Sets(OptionStagingLocation).Matched():
		return ioParam{kind: IOBucket, use: IOReadWrite}
	case o.Sets(OptionKMSKey).Matched():
		return ioParam{kind: IOCryptoKey, use: IOJobKey}
	}
	p := templateParameters()[CanonicalOptionName(o.Name)]
	if p.opaque && jdbc {
		return ioParam{} // a query on the JDBC source
	}
	return p
}

// add reads one value that may name resources.
func (io *JobIO) add(s *Stack, v Value, p ioParam, seen map[string]bool) {
	if p.opaque {
		if text, _ := v.String(); v.IsUnknown() || strings.TrimSpace(text) != "" {
			io.Opaque = append(io.Opaque, IOOpaque{Value: v, Kind: p.kind})
		}
		return
	}
	switch v.State() {
	case Unknown:
		refs := resolveDeps(s, io.Job, v.Path(), p.kind)
		if len(refs) == 0 {
			io.addUnknown(v, p.kind, seen)
			return
		}
		for _, ref := range refs {
			io.Refs = append(io.Refs, IOReference{IORef: ref, Use: useOf(p, ref.Kind), Value: v})
		}
	case Set:
		text, ok := v.String()
		if !ok {
			return
		}
		for _, part := range strings.Split(text, ",") {
			ref, ok := ParseIOReference(part, p.kind == IOTable)
			if !ok {
				continue
			}
			if ref.Kind == IOTable && ref.Project == "" {
				ref.Project = io.Project // Beam's default for `D.T`
			}
			io.Refs = append(io.Refs, IOReference{IORef: ref, Use: useOf(p, ref.Kind), Value: v})
		}
	}
}

func (io *JobIO) addUnknown(v Value, kind IOKind, seen map[string]bool) {
	if key := v.Path(); !seen[key] {
		seen[key] = true
		io.Unknown = append(io.Unknown, IOUnknown{Value: v, Kind: kind})
	}
}

// useOf is the use a parameter declares for what it names, when the value
// names the kind the parameter is known for.
func useOf(p ioParam, kind IOKind) IOUse {
	switch {
	case p.kind == kind, p.kind == 0 && p.use != IOUseAny:
		return p.use
	case p.kind == IOTable && kind == IODataset:
		return p.use
	}
	return IOUseAny
}

// jobProject is the project a Dataflow resource runs its job in.
func jobProject(r *Resource) string {
	var candidates []Value
	if r.Type == DataflowPipeline {
		for _, req := range []string{"dataflowFlexTemplateRequest", "dataflowLaunchTemplateRequest"} {
			candidates = append(candidates, r.At("workload", req, "projectId"))
		}
	}
	candidates = append(candidates, r.Get("project"), r.Provider.Get("project"))
	for _, v := range candidates {
		if p, ok := v.String(); ok && strings.TrimSpace(p) != "" {
			return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(p), "projects/"))
		}
	}
	return ""
}

// accountDeps lists the service accounts of the stack a value depends on.
func accountDeps(s *Stack, r *Resource, path string) []string {
	var out []string
	for _, urn := range PropertyDeps(r, path) {
		if dep, ok := s.Lookup(urn); ok && dep.Type == ServiceAccountResource {
			out = append(out, urn)
		}
	}
	return out
}

// Type tokens of the resources a reference or a grant target resolves to.
const (
	PubSubTopicResource        = "gcp:pubsub/topic:Topic"
	PubSubSubscriptionResource = "gcp:pubsub/subscription:Subscription"
	BigQueryTableResource      = "gcp:bigquery/table:Table"
	SecretResource             = "gcp:secretmanager/secret:Secret"
	RegionalSecretResource     = "gcp:secretmanager/regionalSecret:RegionalSecret"
	SecretVersionResource      = "gcp:secretmanager/secretVersion:SecretVersion"
)

// IOResourceTypes are the types StackIORef names.
var IOResourceTypes = []string{StorageBucketResource, PubSubTopicResource, PubSubSubscriptionResource, BigQueryDataset,
	BigQueryTableResource, KMSCryptoKeyResource, KMSKeyRingResource, SecretResource, RegionalSecretResource,
	SecretVersionResource}

// resolveDeps resolves an unknown value read at path of r through the
// resources of the stack it depends on: those of the kind (any kind for 0).
func resolveDeps(s *Stack, r *Resource, path string, kind IOKind) []IORef {
	var out []IORef
	for _, urn := range PropertyDeps(r, path) {
		dep, ok := s.Lookup(urn)
		if !ok {
			continue
		}
		ref, ok := StackIORef(s, dep, 1)
		if !ok || !kindAccepts(kind, ref.Kind) {
			continue
		}
		if kind == IOTable && ref.Kind == IODataset {
			// A table spec built from a dataset: the table is in it.
			ref = IORef{Kind: IOTable, Project: ref.Project, Parent: ref.Name, URN: ref.URN}
		}
		out = append(out, ref)
	}
	return out
}

// kindAccepts reports whether a value named for want may be a resource of
// kind got.
func kindAccepts(want, got IOKind) bool {
	switch want {
	case 0:
		return got != IOKeyRing
	case IOTable:
		return got == IOTable || got == IODataset
	}
	return want == got
}

// StackIORef names a resource of the stack that can be read or written: a
// Bucket, Topic, Subscription, Dataset, Table, CryptoKey, KeyRing, Secret,
// RegionalSecret or SecretVersion (by its secret). A resource whose name is
// not known yet is named by its URN. depth bounds the hops from a
// SecretVersion to its Secret.
func StackIORef(s *Stack, r *Resource, depth int) (IORef, bool) {
	project := func() string {
		for _, v := range []Value{r.Get("project"), r.Provider.Get("project")} {
			if p, ok := v.String(); ok && strings.TrimSpace(p) != "" {
				return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(p), "projects/"))
			}
		}
		return ""
	}
	named := func(kind IOKind, key string) IORef {
		name, ok := r.Get(key).String()
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return IORef{Kind: kind, URN: r.URN}
		}
		if kind == IOBucket {
			return IORef{Kind: kind, Name: strings.ToLower(name)}
		}
		return IORef{Kind: kind, Project: project(), Name: name}
	}
	switch r.Type {
	case StorageBucketResource:
		return named(IOBucket, "name"), true
	case PubSubTopicResource, PubSubSubscriptionResource:
		kind := IOTopic
		if r.Type == PubSubSubscriptionResource {
			kind = IOSubscription
		}
		ref := named(kind, "name")
		if full, ok := parseResourceName(ref.Name); ok && full.Kind == kind {
			return full, true // the provider accepts the full name too
		}
		return ref, true
	case BigQueryDataset:
		return named(IODataset, "datasetId"), true
	case BigQueryTableResource:
		dataset, ok1 := r.Get("datasetId").String()
		table, ok2 := r.Get("tableId").String()
		if !ok1 || dataset == "" {
			return IORef{Kind: IOTable, URN: r.URN}, true
		}
		if !ok2 {
			table = ""
		}
		return IORef{Kind: IOTable, Project: project(), Parent: dataset, Name: table}, true
	case KMSCryptoKeyResource:
		if name, ok := CryptoKeyName(r); ok {
			if ref, ok := parseResourceName(name); ok && ref.Kind == IOCryptoKey {
				return ref, true
			}
		}
		return IORef{Kind: IOCryptoKey, URN: r.URN}, true
	case KMSKeyRingResource:
		if name, ok := KeyRingName(r); ok {
			if ref, ok := parseKeyRingName(name); ok {
				return ref, true
			}
		}
		return IORef{Kind: IOKeyRing, URN: r.URN}, true
	case SecretResource, RegionalSecretResource:
		ref := named(IOSecret, "secretId")
		if r.Type == RegionalSecretResource && ref.URN == "" {
			loc, _ := r.Get("location").String()
			ref.Location = strings.ToLower(strings.TrimSpace(loc))
		}
		return ref, true
	case SecretVersionResource:
		secret := r.Get("secret")
		if name, ok := secret.String(); ok {
			if ref, ok := parseSecretName(name); ok {
				return ref, true
			}
		}
		if secret.IsUnknown() && depth > 0 {
			for _, urn := range PropertyDeps(r, secret.Path()) {
				if dep, ok := s.Lookup(urn); ok && (dep.Type == SecretResource || dep.Type == RegionalSecretResource) {
					return StackIORef(s, dep, depth-1)
				}
			}
		}
		return IORef{Kind: IOSecret, URN: r.URN}, true
	}
	return IORef{}, false
}

// parseKeyRingName reads `projects/P/locations/L/keyRings/R`.
func parseKeyRingName(s string) (IORef, bool) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "keyRings" ||
		parts[1] == "" || parts[3] == "" || parts[5] == "" {
		return IORef{}, false
	}
	return IORef{Kind: IOKeyRing, Project: strings.ToLower(parts[1]), Location: strings.ToLower(parts[3]), Name: parts[5]}, true
}

// parseSecretName reads `projects/P/[locations/L/]secrets/S[/versions/V]`.
func parseSecretName(s string) (IORef, bool) {
	s = strings.TrimSpace(s)
	if ref, ok := parseResourceName(s); ok && ref.Kind == IOSecret {
		return ref, true
	}
	return parseResourceName(strings.TrimRight(s, "/") + "/versions/latest")
}

// GrantIOTarget says what a resource-scope grant is on, in the terms of
// JobReferences: a bucket (or a managed folder of it), topic, subscription,
// dataset, table, key, key ring or secret. ok is false for a grant on
// anything else. at is the input that names it (for messages: its path and
// secrecy). An unknown target is resolved through the resources of the stack
// it depends on; when nothing resolves it, targets is empty and at is the
// unknown value.
func GrantIOTarget(s *Stack, g Grant) (targets []IORef, at Value, ok bool) {
	if g.res == nil || g.Scope != ScopeResource {
		return nil, Value{}, false
	}
	kind, keys := grantTargetKind(g.res)
	if kind == 0 {
		return nil, Value{}, false
	}
	r := g.res
	at = r.Get(keys[0])
	for _, key := range keys {
		if v := r.Get(key); v.IsUnknown() {
			for _, ref := range resolveDeps(s, r, v.Path(), 0) {
				if t, ok := asTarget(ref, kind); ok {
					targets = append(targets, t)
				}
			}
			return targets, v, true
		}
	}
	project := func() string {
		for _, v := range []Value{r.Get("project"), r.Provider.Get("project")} {
			if p, ok := v.String(); ok && strings.TrimSpace(p) != "" {
				return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(p), "projects/"))
			}
		}
		return ""
	}
	str := func(key string) string {
		v, _ := r.Get(key).String()
		return strings.TrimSpace(v)
	}
	var t IORef
	switch kind {
	case IOBucket:
		t = IORef{Kind: IOBucket, Name: strings.ToLower(strings.TrimPrefix(str("bucket"), "b/"))}
	case IOTopic, IOSubscription:
		name := str(keys[0])
		if full, ok := parseResourceName(name); ok && full.Kind == kind {
			t = full
		} else {
			t = IORef{Kind: kind, Project: project(), Name: name}
		}
	case IODataset:
		name := str("datasetId")
		if i := strings.LastIndex(name, "/datasets/"); i >= 0 {
			name = name[i+len("/datasets/"):]
		}
		t = IORef{Kind: IODataset, Project: project(), Name: name}
	case IOTable:
		if full, ok := parseResourceName(str("tableId")); ok && full.Kind == IOTable {
			t = full
		} else {
			t = IORef{Kind: IOTable, Project: project(), Parent: str("datasetId"), Name: stripTableDecorator(str("tableId"))}
		}
	case IOCryptoKey, IOKeyRing:
		t = kmsTarget(kind, str(keys[0]), r)
	case IOSecret:
		name := str("secretId")
		if full, ok := parseSecretName(name); ok {
			t = full
		} else {
			t = IORef{Kind: IOSecret, Project: project(), Name: name}
			if slices.Contains(keys, "location") {
				t.Location = strings.ToLower(str("location"))
			}
		}
	}
	if t.Name == "" {
		return nil, Value{}, false // no name at all: nothing is granted on
	}
	return []IORef{t}, at, true
}

// grantTargetKind is what an IAM resource type grants on, and the inputs
// that name it (the first one decisive).
func grantTargetKind(r *Resource) (IOKind, []string) {
	switch r.Type {
	case BigQueryDataset, BigQueryDatasetAccess:
		return IODataset, []string{"datasetId"}
	}
	module, _, _ := strings.Cut(strings.TrimPrefix(r.Type, "gcp:"), ":")
	switch module {
	case "storage/bucketIAMBinding", "storage/bucketIAMMember", "storage/bucketIAMPolicy",
		"storage/managedFolderIamBinding", "storage/managedFolderIamMember", "storage/managedFolderIamPolicy":
		return IOBucket, []string{"bucket"}
	case "pubsub/topicIAMBinding", "pubsub/topicIAMMember", "pubsub/topicIAMPolicy":
		return IOTopic, []string{"topic", "project"}
	case "pubsub/subscriptionIAMBinding", "pubsub/subscriptionIAMMember", "pubsub/subscriptionIAMPolicy":
		return IOSubscription, []string{"subscription", "project"}
	case "bigquery/datasetIamBinding", "bigquery/datasetIamMember", "bigquery/datasetIamPolicy":
		return IODataset, []string{"datasetId", "project"}
	case "bigquery/iamBinding", "bigquery/iamMember", "bigquery/iamPolicy":
		return IOTable, []string{"tableId", "datasetId", "project"}
	case "kms/cryptoKeyIAMBinding", "kms/cryptoKeyIAMMember", "kms/cryptoKeyIAMPolicy":
		return IOCryptoKey, []string{"cryptoKeyId"}
	case "kms/keyRingIAMBinding", "kms/keyRingIAMMember", "kms/keyRingIAMPolicy":
		return IOKeyRing, []string{"keyRingId"}
	case "secretmanager/secretIamBinding", "secretmanager/secretIamMember", "secretmanager/secretIamPolicy":
		return IOSecret, []string{"secretId", "project"}
	case "secretmanager/regionalSecretIamBinding", "secretmanager/regionalSecretIamMember",
		"secretmanager/regionalSecretIamPolicy":
		return IOSecret, []string{"secretId", "location", "project"}
	}
	return 0, nil
}

// asTarget turns a resolved stack resource into a grant target of kind.
func asTarget(ref IORef, kind IOKind) (IORef, bool) {
	switch {
	case ref.Kind == kind:
		return ref, true
	case kind == IODataset && ref.Kind == IOTable:
		if ref.URN != "" {
			return IORef{Kind: IODataset, URN: ref.URN}, true
		}
		return ref.Dataset(), true
	case kind == IOKeyRing && ref.Kind == IOCryptoKey:
		if ref.URN != "" {
			return IORef{Kind: IOKeyRing, URN: ref.URN}, true
		}
		return ref.KeyRing(), true
	}
	return IORef{}, false
}

// kmsTarget reads a cryptoKeyId or keyRingId: the full resource name,
// `P/L/R[/K]` or `L/R[/K]` (the provider's project).
func kmsTarget(kind IOKind, id string, r *Resource) IORef {
	if strings.HasPrefix(id, "projects/") {
		if kind == IOCryptoKey {
			if ref, ok := parseResourceName(id); ok && ref.Kind == IOCryptoKey {
				return ref
			}
		} else if ref, ok := parseKeyRingName(id); ok {
			return ref
		}
		return IORef{}
	}
	parts := strings.Split(id, "/")
	want := 2
	if kind == IOCryptoKey {
		want = 3
	}
	project := ""
	switch len(parts) {
	case want + 1:
		project, parts = strings.ToLower(parts[0]), parts[1:]
	case want:
		p, _ := r.Provider.Get("project").String()
		project = strings.ToLower(strings.TrimSpace(p))
	default:
		return IORef{}
	}
	if kind == IOCryptoKey {
		return IORef{Kind: IOCryptoKey, Project: project, Location: strings.ToLower(parts[0]), Parent: parts[1], Name: parts[2]}
	}
	return IORef{Kind: IOKeyRing, Project: project, Location: strings.ToLower(parts[0]), Name: parts[1]}
}

// IOMatch is whether a grant target covers a reference.
type IOMatch uint8

const (
	IONoMatch IOMatch = iota
	IOMatches
	IOMayMatch // a name not known yet on one side
)

// Covers decides whether a grant on target t is a grant on the resource ref
// names (or, for a dataset or key ring, on its parent): a bucket grant covers
// the bucket, a dataset grant every table in it, a key ring grant every key
// in it. Projects named by ID on one side and by number on the other may be
// the same project unless the stack's Project resources tell them apart.
func (s *Stack) Covers(t, ref IORef) IOMatch {
	switch {
	case t.Kind == IODataset && ref.Kind == IOTable:
		if ref.URN != "" && t.URN != "" {
			ref = IORef{Kind: IODataset, URN: ref.URN}
		} else {
			ref = ref.Dataset()
		}
	case t.Kind == IOKeyRing && ref.Kind == IOCryptoKey:
		if ref.URN != "" && t.URN != "" {
			ref = IORef{Kind: IOKeyRing, URN: ref.URN}
		} else {
			ref = ref.KeyRing()
		}
	case t.Kind != ref.Kind:
		return IONoMatch
	}
	if t.URN != "" || ref.URN != "" {
		if t.URN == ref.URN {
			return IOMatches
		}
		return IOMayMatch
	}
	if t.Name != ref.Name && !(t.Kind == IOTable && (t.Name == "" || ref.Name == "")) {
		return IONoMatch
	}
	if t.Parent != ref.Parent || (t.Location != ref.Location && t.Location != "" && ref.Location != "") {
		return IONoMatch
	}
	if !s.MaySameProject(t.Project, ref.Project) {
		return IONoMatch
	}
	if t.Kind == IOTable && (t.Name == "" || ref.Name == "") {
		return IOMayMatch
	}
	return IOMatches
}

// MaySameProject reports whether two project IDs or numbers may name the
// same project: equal, either unknown (""), or an ID and a number the
// stack's Project resources do not tell apart.
func (s *Stack) MaySameProject(a, b string) bool {
	a = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(a), "projects/"))
	b = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(b), "projects/"))
	if a == "" || b == "" || a == b {
		return true
	}
	id, number := b, ""
	if isDigits(b) {
		id, number = "", b
	}
	return s.ContainerMayHold(Container{Type: "projects", ID: a}, id, number)
}

// ProjectNumber returns the number of a project named by ID or number, when
// the name is a number or a Project resource of the stack pairs the two.
func (s *Stack) ProjectNumber(project string) (string, bool) {
	project = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(project), "projects/"))
	if isDigits(project) {
		return project, true
	}
	if project == "" {
		return "", false
	}
	_, number := s.pairProject(project, "")
	return number, number != ""
}

// Identities lists the distinct identities of the set: by email, then the
// Accounts whose email is not known yet.
func (set *IdentitySet) Identities() []*Identity {
	seen := map[*Identity]bool{}
	var out []*Identity
	for _, e := range set.Emails() {
		if id := set.emails[e]; !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, urn := range set.AccountURNs() {
		if id := set.accounts[urn]; !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// BucketProject is the project of the stack's bucket of that name ("" when
// the stack has none, or several that disagree).
func (s *Stack) BucketProject(name string) string {
	project := ""
	for _, b := range s.BucketsNamed(name) {
		n, ok := b.Get("name").String()
		if !ok || !strings.EqualFold(strings.TrimSpace(n), name) {
			continue
		}
		p := ""
		for _, v := range []Value{b.Get("project"), b.Provider.Get("project")} {
			if text, ok := v.String(); ok && strings.TrimSpace(text) != "" {
				p = strings.ToLower(strings.TrimSpace(text))
				break
			}
		}
		if project != "" && p != project {
			return ""
		}
		project = p
	}
	return project
}

// IsGooglePublicBucket reports whether a bucket is one of Google's public
// Dataflow buckets (the provided templates, the samples), on which nobody
// outside Google grants anything.
func IsGooglePublicBucket(name string) bool {
	return name == "dataflow-templates" || strings.HasPrefix(name, "dataflow-templates-") || name == "dataflow-samples"
}

// Service agents that use a Dataflow job's kmsKeyName, by the number of the
// job's project (PROJECT_NUMBER when it is not known).
func DataflowServiceAgent(number string) string {
	return "service-" + orPlaceholder(number) + "@dataflow-service-producer-prod.iam.gserviceaccount.com"
}

// ComputeServiceAgent is the Compute Engine service agent of a project.
func ComputeServiceAgent(number string) string {
	return "service-" + orPlaceholder(number) + "@compute-system.iam.gserviceaccount.com"
}

func orPlaceholder(number string) string {
	if number == "" {
		return "PROJECT_NUMBER"
	}
	return number
}
