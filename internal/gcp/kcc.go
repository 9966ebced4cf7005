package gcp

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Config Connector (KCC) objects applied with pulumi-kubernetes, read as the
// pulumi-gcp resource that manages the same thing. pulumi-kubernetes
// registers a custom resource as `kubernetes:<group>/<version>:<Kind>` with
// inputs apiVersion, kind, metadata and spec. Field names are those of the
// published CRDs of Config Connector v1.155.1
// (https://cloud.google.com/config-connector/docs/reference/overview); any
// served version is read the same.
//
// References are `{external}` (a Google Cloud name, which becomes the string
// pulumi-gcp would hold) or `{name, namespace}` (another KCC object, whose
// Google Cloud name KCC only learns when it reconciles: unknown, so the
// policies that need it give the preview advisory). A project falls back,
// as KCC does, from the cnrm.cloud.google.com/project-id annotation to the
// namespace name.

// kccGroupSuffix ends the API group of every Config Connector kind.
const kccGroupSuffix = ".cnrm.cloud.google.com/"

// kccObject is one KCC object being read.
type kccObject struct {
	r    *Resource
	spec Value
	meta Value
	out  map[string]property.Value
}

// kccEquivalent maps a KCC object onto a pulumi-gcp type token and inputs;
// typ is empty for a kind the model does not judge.
func kccEquivalent(r *Resource) (typ string, props map[string]property.Value) {
	rest := strings.TrimPrefix(r.Type, "kubernetes:")
	groupVersion, kind, ok := strings.Cut(rest, ":")
	if !ok {
		return "", nil
	}
	group, _, _ := strings.Cut(groupVersion, "/")
	service := strings.TrimSuffix(group, ".cnrm.cloud.google.com")
	k := &kccObject{r: r, spec: r.Get("spec"), meta: r.Get("metadata"), out: map[string]property.Value{}}
	switch service + "/" + kind {
	case "iam/IAMPolicyMember":
		typ = k.iamMember()
	case "iam/IAMPolicy":
		typ = k.iamPolicy()
	case "iam/IAMPartialPolicy":
		typ = k.iamPartialPolicy()
	case "iam/IAMAuditConfig":
		typ = k.iamAuditConfig()
	case "iam/IAMServiceAccount":
		typ = k.serviceAccount()
	case "iam/IAMServiceAccountKey":
		typ = k.serviceAccountKey()
	case "iam/IAMCustomRole":
		typ = k.customRole()
	case "iam/IAMWorkloadIdentityPool":
		typ = k.workloadIdentityPool()
	case "iam/IAMWorkloadIdentityPoolProvider":
		typ = k.workloadIdentityPoolProvider()
	case "dataflow/DataflowJob":
		typ = k.dataflowJob()
	case "dataflow/DataflowFlexTemplateJob":
		typ = k.dataflowFlexTemplateJob()
	case "storage/StorageBucket":
		typ = k.storageBucket()
	case "storage/StorageBucketAccessControl":
		typ = k.bucketAccessControl(StorageBucketAccessControl)
	case "storage/StorageDefaultObjectAccessControl":
		typ = k.bucketAccessControl(StorageDefaultObjectAccessControl)
	case "resourcemanager/ResourceManagerPolicy":
		typ = k.legacyOrgPolicy()
	case "orgpolicy/OrgPolicyPolicy":
		typ = k.orgPolicy()
	case "logging/LoggingLogSink":
		typ = k.logSink()
	case "logging/LoggingLogExclusion":
		typ = k.logExclusion()
	}
	if typ == "" {
		return "", nil
	}
	return typ, k.out
}

// raw is v's property value, secret when v or what holds it is.
func raw(v Value) property.Value {
	p := v.Raw()
	if v.Secret() && !p.Secret() {
		p = p.WithSecret(true)
	}
	return p
}

var unknownValue = property.New(property.Computed)

// copy sets the pulumi-gcp input to from the spec field of the same or
// another name, when the spec has it.
func (k *kccObject) copy(to string, from ...string) {
	if len(from) == 0 {
		from = []string{to}
	}
	v := k.spec.At(from...)
	if k.spec.IsUnknown() {
		k.out[to] = unknownValue
		return
	}
	if !v.IsAbsent() {
		k.out[to] = raw(v)
	}
}

func (k *kccObject) set(to string, v property.Value) {
	if !v.IsNull() {
		k.out[to] = v
	}
}

// ref reads a reference field of the spec as the Google Cloud name it
// denotes: the external name (with fix applied), unknown for a reference to
// another KCC object or an unknown value, absent when there is none.
func (k *kccObject) ref(field string, fix func(string) string) property.Value {
	v := k.spec.Get(field)
	if k.spec.IsUnknown() {
		return unknownValue
	}
	return kccRef(v, fix)
}

func kccRef(v Value, fix func(string) string) property.Value {
	switch {
	case v.IsAbsent():
		return property.Value{}
	case v.IsUnknown():
		return unknownValue
	}
	ext := v.Get("external")
	if s, ok := ext.String(); ok && strings.TrimSpace(s) != "" {
		if fix != nil {
			s = fix(strings.TrimSpace(s))
		}
		return property.New(s).WithSecret(ext.Secret())
	}
	if ext.IsUnknown() || !v.Get("name").IsAbsent() {
		return unknownValue // known once KCC reconciles the referenced object
	}
	return property.Value{}
}

// resourceID is the Google Cloud ID of the object: spec.resourceID, else
// metadata.name.
func (k *kccObject) resourceID() property.Value {
	if id := k.spec.Get("resourceID"); !id.IsAbsent() {
		return raw(id)
	}
	return raw(k.meta.Get("name"))
}

// annotation reads a metadata annotation.
func (k *kccObject) annotation(key string) Value { return k.meta.At("annotations", key) }

// project is the project of a kind placed by annotation: the
// cnrm.cloud.google.com/project-id annotation, else the namespace name.
func (k *kccObject) project() property.Value {
	if p := k.annotation("cnrm.cloud.google.com/project-id"); !p.IsAbsent() {
		return raw(p)
	}
	return raw(k.meta.Get("namespace"))
}

// labels are metadata.labels as KCC copies them onto the resource: keys
// with a prefix (`app.kubernetes.io/name`) are not Google Cloud labels.
func (k *kccObject) labels() property.Value {
	l := k.meta.Get("labels")
	if !l.IsMap() {
		return raw(l)
	}
	out := map[string]property.Value{}
	for _, e := range l.Entries() {
		if !strings.Contains(e.Key, "/") {
			out[e.Key] = raw(e.Value)
		}
	}
	return property.New(property.NewMap(out))
}

func trimPrefixFix(prefix string) func(string) string {
	return func(s string) string { return strings.TrimPrefix(s, prefix) }
}

func addPrefixFix(prefix string) func(string) string {
	return func(s string) string {
		if strings.HasPrefix(s, prefix) {
			return s
		}
		return prefix + s
	}
}

// parent reads the projectRef / folderRef / organizationRef of the spec:
// which one is set ("project", "folder", "organization"), and the value as
// `projects/P`, `folders/F` or `organizations/O`.
func (k *kccObject) parent() (scope string, name property.Value) {
	for _, p := range []struct{ field, scope, prefix string }{
		{"projectRef", "project", "projects/"},
		{"folderRef", "folder", "folders/"},
		{"organizationRef", "organization", "organizations/"},
		{"billingAccountRef", "billingAccount", "billingAccounts/"},
	} {
		if v := k.ref(p.field, addPrefixFix(p.prefix)); !v.IsNull() {
			return p.scope, v
		}
	}
	return "", property.Value{}
}

// withoutPrefix drops `projects/`, `folders/` or `organizations/` from a
// known parent name.
func withoutPrefix(v property.Value) property.Value {
	if !v.IsString() {
		return v
	}
	s := v.AsString()
	if _, id, ok := strings.Cut(s, "/"); ok {
		s = id
	}
	return property.New(s).WithSecret(v.Secret())
}

// kccIAMTarget is how an IAM resourceRef kind maps onto pulumi-gcp.
type kccIAMTarget struct {
	member, policy, audit string
	input                 string
	fix                   func(string) string
}

var kccIAMTargets = map[string]kccIAMTarget{
	"Project": {"gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMPolicy:IAMPolicy", ProjectAuditConfig,
		"project", trimPrefixFix("projects/")},
	"Folder": {"gcp:folder/iAMMember:IAMMember", "gcp:folder/iAMPolicy:IAMPolicy", FolderAuditConfig,
		"folder", addPrefixFix("folders/")},
	"Organization": {"gcp:organizations/iAMMember:IAMMember", "gcp:organizations/iAMPolicy:IAMPolicy", OrganizationAuditConfig,
		"orgId", trimPrefixFix("organizations/")},
	"IAMServiceAccount": {"gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMPolicy:IAMPolicy", "",
		"serviceAccountId", func(s string) string {
			if strings.Contains(s, "/") {
				return s
			}
			return "projects/-/serviceAccounts/" + s
		}},
	"StorageBucket": {"gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMPolicy:BucketIAMPolicy", "",
		"bucket", nil},
	"KMSCryptoKey": {"gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy", "",
		"cryptoKeyId", nil},
	"PubSubTopic": {"gcp:pubsub/topicIAMMember:TopicIAMMember", "gcp:pubsub/topicIAMPolicy:TopicIAMPolicy", "",
		"topic", nil},
	"SecretManagerSecret": {"gcp:secretmanager/secretIamMember:SecretIamMember", "gcp:secretmanager/secretIamPolicy:SecretIamPolicy", "",
		"secretId", nil},
}

// iamTarget reads spec.resourceRef: the mapping of its kind and the target
// input set on k.out; ok is false for a kind the model does not map.
func (k *kccObject) iamTarget() (kccIAMTarget, bool) {
	ref := k.spec.Get("resourceRef")
	kind, _ := ref.Get("kind").String()
	t, ok := kccIAMTargets[kind]
	if !ok {
		return t, false
	}
	k.set(t.input, kccRef(ref, t.fix))
	return t, true
}

func (k *kccObject) iamMember() string {
	t, ok := k.iamTarget()
	if !ok {
		return ""
	}
	k.copy("role")
	k.copy("condition")
	k.set("member", kccMember(k.spec))
	return t.member
}

// kccMember reads `member` or `memberFrom` of an IAMPolicyMember spec or an
// IAMPartialPolicy binding member as a member string.
func kccMember(v Value) property.Value {
	if v.IsUnknown() {
		return unknownValue
	}
	if m := v.Get("member"); !m.IsAbsent() {
		return raw(m)
	}
	from := v.Get("memberFrom")
	if sa := from.Get("serviceAccountRef"); !sa.IsAbsent() {
		return kccRef(sa, addPrefixFix("serviceAccount:"))
	}
	if !from.IsAbsent() {
		// A log sink's writer identity, a service identity, an SQL
		// instance's account: known once KCC reconciles.
		return unknownValue
	}
	return property.Value{}
}

// KCCPartialPolicyBindings is the property under which an IAMPartialPolicy's
// spec.bindings are kept, members read as strings, in policyData's shape.
const KCCPartialPolicyBindings = "kccPartialPolicyBindings"

// iamPartialPolicy maps an IAMPartialPolicy, which adds its bindings'
// members to the target's policy and leaves everything else as it is: one
// IAMMember of the target per member, so it is read as non-authoritative
// (it never wipes audit configs or other members). Grants reads its
// bindings (see partialPolicyGrants).
func (k *kccObject) iamPartialPolicy() string {
	t, ok := k.iamTarget()
	if !ok {
		return ""
	}
	bindings := k.spec.Get("bindings")
	if k.spec.IsUnknown() || bindings.IsUnknown() {
		k.out[KCCPartialPolicyBindings] = unknownValue
		return t.member
	}
	list := make([]property.Value, 0, bindings.Len())
	for _, b := range bindings.Items() {
		if b.IsUnknown() {
			list = append(list, unknownValue)
			continue
		}
		out := map[string]property.Value{}
		for _, key := range []string{"role", "condition"} {
			if v := b.Get(key); !v.IsAbsent() {
				out[key] = raw(v)
			}
		}
		if members := b.Get("members"); members.IsUnknown() {
			out["members"] = unknownValue
		} else if !members.IsAbsent() {
			items := make([]property.Value, 0, members.Len())
			for _, m := range members.Items() {
				items = append(items, kccMember(m))
			}
			out["members"] = property.New(items)
		}
		list = append(list, property.New(out))
	}
	k.out[KCCPartialPolicyBindings] = property.New(list)
	return t.member
}

// iamPolicy writes spec.bindings and spec.auditConfigs as the policyData
// JSON that pulumi-gcp's IAMPolicy types hold.
func (k *kccObject) iamPolicy() string {
	t, ok := k.iamTarget()
	if !ok {
		return ""
	}
	doc := map[string]any{}
	for _, key := range []string{"bindings", "auditConfigs"} {
		v := k.spec.Get(key)
		if v.IsAbsent() {
			continue
		}
		plain, known := plainValue(v.Raw())
		if !known || k.spec.IsUnknown() {
			k.out["policyData"] = unknownValue
			return t.policy
		}
		doc[key] = plain
	}
	text, err := json.Marshal(doc)
	if err != nil {
		k.out["policyData"] = unknownValue
		return t.policy
	}
	k.out["policyData"] = property.New(string(text)).WithSecret(k.spec.Raw().HasSecrets() || k.spec.Secret())
	return t.policy
}

func (k *kccObject) iamAuditConfig() string {
	t, ok := k.iamTarget()
	if !ok || t.audit == "" {
		return ""
	}
	k.copy("service")
	k.copy("auditLogConfigs")
	return t.audit
}

func (k *kccObject) serviceAccount() string {
	id, project := k.resourceID(), k.project()
	k.set("accountId", id)
	k.set("project", project)
	k.copy("displayName")
	k.copy("description")
	k.copy("disabled")
	if id.IsString() && project.IsString() {
		email := id.AsString() + "@" + project.AsString() + ".iam.gserviceaccount.com"
		if _, has := k.r.Props.GetOk("email"); !has {
			k.out["email"] = property.New(email)
			k.out["member"] = property.New("serviceAccount:" + email)
		}
	}
	return ServiceAccountResource
}

func (k *kccObject) serviceAccountKey() string {
	k.set("serviceAccountId", k.ref("serviceAccountRef", nil))
	for _, f := range []string{"keyAlgorithm", "privateKeyType", "publicKeyType", "publicKeyData"} {
		k.copy(f)
	}
	return ServiceAccountKey
}

func (k *kccObject) customRole() string {
	k.set("roleId", k.resourceID())
	for _, f := range []string{"title", "description", "permissions", "stage"} {
		k.copy(f)
	}
	if org := k.annotation("cnrm.cloud.google.com/organization-id"); !org.IsAbsent() {
		k.set("orgId", raw(org))
		return OrganizationCustomRole
	}
	k.set("project", k.project())
	return ProjectCustomRole
}

func (k *kccObject) workloadIdentityPool() string {
	k.set("workloadIdentityPoolId", k.resourceID())
	k.set("project", k.ref("projectRef", trimPrefixFix("projects/")))
	for _, f := range []string{"displayName", "description", "disabled"} {
		k.copy(f)
	}
	return WorkloadIdentityPoolResource
}

func (k *kccObject) workloadIdentityPoolProvider() string {
	k.set("workloadIdentityPoolProviderId", k.resourceID())
	k.set("project", k.ref("projectRef", trimPrefixFix("projects/")))
	k.set("workloadIdentityPoolId", k.ref("workloadIdentityPoolRef", func(s string) string {
		return s[strings.LastIndex(s, "/")+1:]
	}))
	for _, f := range []string{"attributeCondition", "attributeMapping", "oidc", "aws", "displayName", "description", "disabled"} {
		k.copy(f)
	}
	return WorkloadIdentityPoolProviderResource
}

// dataflowShared are the DataflowJob and DataflowFlexTemplateJob fields
// whose names pulumi-gcp shares.
var dataflowShared = []string{"parameters", "transformNameMapping", "additionalExperiments", "ipConfiguration",
	"region", "machineType", "maxWorkers", "enableStreamingEngine"}

func (k *kccObject) dataflowJob() string {
	k.set("name", k.resourceID())
	k.set("project", k.project())
	for _, f := range append([]string{"templateGcsPath", "tempGcsLocation", "zone"}, dataflowShared...) {
		k.copy(f)
	}
	k.set("serviceAccountEmail", k.ref("serviceAccountRef", nil))
	k.set("kmsKeyName", k.ref("kmsKeyRef", nil))
	k.set("network", k.ref("networkRef", nil))
	k.set("subnetwork", k.ref("subnetworkRef", nil))
	k.set("labels", k.labels())
	return DataflowJob
}

// dataflowFlexTemplateJob: KCC v1.155.1 ignores labels on this kind
// (servicemapping ignoredFields), so the job carries none.
func (k *kccObject) dataflowFlexTemplateJob() string {
	k.set("name", k.resourceID())
	k.set("project", k.project())
	for _, f := range append([]string{"containerSpecGcsPath", "stagingLocation", "tempLocation", "sdkContainerImage",
		"launcherMachineType", "numWorkers", "autoscalingAlgorithm"}, dataflowShared...) {
		k.copy(f)
	}
	k.set("serviceAccountEmail", k.ref("serviceAccountEmailRef", nil))
	k.set("kmsKeyName", k.ref("kmsKeyNameRef", nil))
	k.set("network", k.ref("networkRef", nil))
	k.set("subnetwork", k.ref("subnetworkRef", nil))
	return DataflowFlexTemplateJob
}

func (k *kccObject) storageBucket() string {
	k.set("name", k.resourceID())
	k.set("project", k.project())
	for _, f := range []string{"location", "uniformBucketLevelAccess", "publicAccessPrevention", "logging",
		"retentionPolicy", "versioning", "softDeletePolicy", "storageClass"} {
		k.copy(f)
	}
	k.copy("lifecycleRules", "lifecycleRule")
	if _, set := k.out["location"]; !set {
		k.out["location"] = property.New("US") // the CRD's default
	}
	if _, set := k.out["uniformBucketLevelAccess"]; !set {
		k.copy("uniformBucketLevelAccess", "bucketPolicyOnly")
	}
	if enc := k.spec.Get("encryption"); !enc.IsAbsent() {
		k.set("encryption", property.New(property.NewMap(map[string]property.Value{
			"defaultKmsKeyName": kccRef(enc.Get("kmsKeyRef"), nil),
		})))
	}
	k.set("labels", k.labels())
	return "gcp:storage/bucket:Bucket"
}

func (k *kccObject) bucketAccessControl(typ string) string {
	k.set("bucket", k.ref("bucketRef", nil))
	for _, f := range []string{"entity", "role", "object"} {
		k.copy(f)
	}
	return typ
}

// legacyOrgPolicy maps the v1 ResourceManagerPolicy onto the pulumi-gcp
// type for its parent; booleanPolicy, listPolicy and restorePolicy have the
// same shape.
func (k *kccObject) legacyOrgPolicy() string {
	scope, parent := k.parent()
	for _, f := range []string{"constraint", "booleanPolicy", "listPolicy", "restorePolicy", "version"} {
		k.copy(f)
	}
	switch scope {
	case "project":
		k.set("project", withoutPrefix(parent))
		return ProjectOrganizationPolicy
	case "folder":
		k.set("folder", parent)
		return FolderOrganizationPolicy
	case "organization":
		k.set("orgId", withoutPrefix(parent))
		return OrganizationPolicy
	}
	return ""
}

// orgPolicy maps the v2 OrgPolicyPolicy: resourceID is the constraint;
// rules' enforce, allowAll and denyAll are booleans in KCC and "TRUE" /
// "FALSE" strings in pulumi-gcp; parameters an object in KCC, JSON text in
// pulumi-gcp.
func (k *kccObject) orgPolicy() string {
	_, parent := k.parent()
	if parent.IsNull() {
		return ""
	}
	k.set("parent", parent)
	id := k.resourceID()
	switch {
	case parent.IsString() && id.IsString():
		k.out["name"] = property.New(parent.AsString() + "/policies/" + id.AsString())
	default:
		k.out["name"] = unknownValue
	}
	for _, key := range []string{"spec", "dryRunSpec"} {
		if v := k.spec.Get(key); !v.IsAbsent() {
			k.out[key] = kccOrgPolicySpec(v)
		}
	}
	return OrgPolicy
}

func kccOrgPolicySpec(spec Value) property.Value {
	if !spec.IsMap() {
		return raw(spec)
	}
	out := map[string]property.Value{}
	for _, e := range spec.Entries() {
		out[e.Key] = raw(e.Value)
	}
	if rules := spec.Get("rules"); rules.IsArray() {
		list := make([]property.Value, 0, rules.Len())
		for _, rule := range rules.Items() {
			list = append(list, kccOrgPolicyRule(rule))
		}
		out["rules"] = property.New(list)
	}
	return property.New(property.NewMap(out))
}

func kccOrgPolicyRule(rule Value) property.Value {
	if !rule.IsMap() {
		return raw(rule)
	}
	out := map[string]property.Value{}
	for _, e := range rule.Entries() {
		v := raw(e.Value)
		switch e.Key {
		case "enforce", "allowAll", "denyAll":
			if b, ok := e.Value.Bool(); ok {
				word := "FALSE"
				if b {
					word = "TRUE"
				}
				v = property.New(word).WithSecret(e.Value.Secret())
			}
		case "parameters":
			if plain, known := plainValue(e.Value.Raw()); !known {
				v = unknownValue
			} else if text, err := json.Marshal(plain); err == nil && e.Value.IsMap() {
				v = property.New(string(text)).WithSecret(e.Value.Secret())
			}
		}
		out[e.Key] = v
	}
	return property.New(property.NewMap(out))
}

// kccSinkDestinations are the destination references of a LoggingLogSink
// and the service prefix of a sink destination.
var kccSinkDestinations = []struct{ field, prefix string }{
	{"storageBucketRef", "storage.googleapis.com/"},
	{"bigQueryDatasetRef", "bigquery.googleapis.com/"},
	{"pubSubTopicRef", "pubsub.googleapis.com/"},
	{"loggingLogBucketRef", "logging.googleapis.com/"},
}

func (k *kccObject) logSink() string {
	scope, parent := k.parent()
	k.set("name", k.resourceID())
	for _, f := range []string{"filter", "disabled", "exclusions", "uniqueWriterIdentity", "bigqueryOptions", "description", "includeChildren"} {
		k.copy(f)
	}
	dest := k.spec.Get("destination")
	if dest.IsUnknown() || k.spec.IsUnknown() {
		k.out["destination"] = unknownValue
	}
	for _, d := range kccSinkDestinations {
		if v := kccRef(dest.Get(d.field), func(s string) string {
			if strings.Contains(s, ".googleapis.com/") {
				return s
			}
			return d.prefix + s
		}); !v.IsNull() {
			k.out["destination"] = v
			break
		}
	}
	switch scope {
	case "project":
		k.set("project", withoutPrefix(parent))
		return LoggingProjectSink
	case "folder":
		k.set("folder", withoutPrefix(parent))
		return LoggingFolderSink
	case "organization":
		k.set("orgId", withoutPrefix(parent))
		return LoggingOrganizationSink
	}
	return ""
}

func (k *kccObject) logExclusion() string {
	scope, parent := k.parent()
	k.set("name", k.resourceID())
	for _, f := range []string{"filter", "disabled", "description"} {
		k.copy(f)
	}
	switch scope {
	case "project":
		k.set("project", withoutPrefix(parent))
		return LoggingProjectExclusion
	case "folder":
		k.set("folder", withoutPrefix(parent))
		return LoggingFolderExclusion
	case "organization":
		k.set("orgId", withoutPrefix(parent))
		return LoggingOrganizationExclusion
	case "billingAccount":
		k.set("billingAccount", withoutPrefix(parent))
		return LoggingBillingAccountExclusion
	}
	return ""
}

// plainValue converts a property value to plain Go values for JSON; known
// is false when anything in it is unknown.
func plainValue(v property.Value) (out any, known bool) {
	switch {
	case v.IsComputed():
		return nil, false
	case v.IsNull():
		return nil, true
	case v.IsBool():
		return v.AsBool(), true
	case v.IsNumber():
		return v.AsNumber(), true
	case v.IsString():
		return v.AsString(), true
	case v.IsArray():
		list := make([]any, 0, v.AsArray().Len())
		for _, e := range v.AsArray().AsSlice() {
			p, ok := plainValue(e)
			if !ok {
				return nil, false
			}
			list = append(list, p)
		}
		return list, true
	case v.IsMap():
		m := map[string]any{}
		for key, e := range v.AsMap().All {
			p, ok := plainValue(e)
			if !ok {
				return nil, false
			}
			m[key] = p
		}
		return m, true
	}
	return nil, true
}
