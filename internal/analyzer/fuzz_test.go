package analyzer_test

// Fuzz targets for the gRPC handlers. The fuzz bytes drive a small,
// deterministic decoder (fzGen) that builds property trees the way the engine
// encodes them (propertyrpc: the unknown sentinel string, secret envelopes,
// ByteString for invalid UTF-8, asset/archive/reference/output signatures)
// and places them where the policies read: at the top level and under every
// property name the model reads, on any registered resource type and on the
// provider. The handlers are called directly, outside the gRPC interceptor,
// so a panic anywhere is a crash the fuzzer reports.
//
// Invariants: no panic, no gRPC error, only ADVISORY or MANDATORY levels,
// every diagnostic names a registered policy, no policy fails on "internal
// error" (a policy panicking on an odd shape), no call times out, and every
// response encodes on the wire (valid UTF-8 everywhere).
//
// The committed seeds (testdata/fuzz/<FuzzName>/) are encoded from the
// fixtures; regenerate them with
//
//	DATAFLOW_GUARDRAILS_WRITE_FUZZ_SEEDS=1 go test -run TestWriteFuzzSeeds ./internal/analyzer/

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/analyzer"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// The wire constants of ENGINE-CONTRACT §1.4, spelled out so a change in the
// SDK's sig package cannot silently change what the fuzzer sends.
const (
	fzUnknown    = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
	fzSigKey     = "4dabf18193072939515e22adb298388d"
	fzSecretSig  = "1b47061264138c4ac30d75fd1eb44270"
	fzByteString = "803fd3297a5875dc03ca845dda5d2a98"

	fzProviderURN = "urn:pulumi:dev::etl::pulumi:providers:gcp::default_9_6_0"
	fzRootURN     = "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev"

	// fzBudget bounds the encoded size (roughly, in bytes) of what one input
	// builds, so an iteration stays fast and small whatever the bytes say.
	fzBudget = 4 << 20
	// fzMaxDepth bounds the generator's own recursion; the deep-nesting
	// operation goes deeper without recursing.
	fzMaxDepth = 48
)

func TestFuzzWireConstants(t *testing.T) {
	require.LessOrEqual(t, len(fzStrings), 256, "a byte indexes the dictionary")
	require.LessOrEqual(t, len(fzReadKeys), 256, "a byte indexes the read keys")
	require.Equal(t, sig.UnknownStringValue, fzUnknown)
	require.Equal(t, sig.Key, fzSigKey)
	require.Equal(t, sig.Secret, fzSecretSig)
	require.Equal(t, sig.ByteString, fzByteString)
}

// ---- dictionaries ----

// fzReadKeys are the property names the model and the policies read, plus a
// few every resource has. Fuzzed values land under them so that a wrong
// type reaches every reader.
var fzReadKeys = []string{
	"accessToken", "accesses", "accountId", "addPulumiAttributionLabel", "additionalExperiments",
	"additionalPipelineOptions", "additionalUserLabels", "allow", "allowAll", "allowedValues",
	"attributeCondition", "attributeMapping", "auditConfigs", "auditLogConfigs", "aws", "bindings",
	"booleanPolicy", "bucket", "condition", "constraint", "containerSpecGcsPath", "credentials",
	"datasetId", "defaultLabels", "deniedValues", "deny", "denyAll", "disableDefaultSink", "disabled",
	"email", "enforce", "enforced", "environment", "exclusions", "exemptedMembers", "expression",
	"externalCredentials", "filter", "id", "impersonateServiceAccount", "includedPermissions",
	"inheritFromParent", "ipConfiguration", "issuerUri", "keyRing", "kmsKeyName", "labels",
	"launchParameter", "listPolicy", "location", "logBucket", "logType", "logging", "member", "members",
	"name", "network", "oidc", "orgId", "parameters", "parent", "permissions", "policyData", "project",
	"publicAccessPrevention", "publicKeyData", "region", "reset", "resourceLabels", "restorePolicy",
	"role", "roleEntities", "rules", "saml", "service", "serviceAccount", "serviceAccountEmail",
	"serviceAccountId", "settings", "spec", "stagingLocation", "state", "subnetwork", "tempGcsLocation",
	"tempLocation", "templateGcsPath", "uniformBucketLevelAccess", "uniqueId", "usePublicIps",
	"userLabels", "values", "workload", "workloadIdentityPoolId", "workloadIdentityPoolProviderId",
	"x509", "default", "entity", "predefinedAcl", "defaultAcl", "includeChildren", "destination",
	"sdkHarnessLogLevelOverrides", "defaultWorkerLogLevel", "workerLogLevelOverrides",
	"maxWorkers", "machineType", "enableStreamingEngine", "transformNameMapping", "onDelete",
	"dataflowKmsKey", "launchParameters", "dryRunSpec", "title", "description", "stage",
}

// fzProviderKeys are what the policies read on a provider.
var fzProviderKeys = []string{
	"defaultLabels", "credentials", "accessToken", "impersonateServiceAccount", "project", "region",
	"zone", "addPulumiAttributionLabel", "externalCredentials", "impersonateServiceAccountDelegates",
	"userProjectOverride", "billingProject", "version", "__defaults",
}

// fzStrings are values the policies give meaning to, and awkward ones.
var fzStrings = []string{
	"", "a", "env", "prod", "team", "data", "dev", "etl", "owner", "x-y_z", "UPPER", "with space",
	fzUnknown,
	"etl-worker@etl-prod-1234.iam.gserviceaccount.com", "123456789012-compute@developer.gserviceaccount.com",
	"etl-prod-1234@appspot.gserviceaccount.com", "service-123@dataflow-service-producer-prod.iam.gserviceaccount.com",
	"alice@example.com", "allUsers", "allAuthenticatedUsers", "serviceAccount:etl-worker@etl-prod-1234.iam.gserviceaccount.com",
	"serviceAccount:123456789012-compute@developer.gserviceaccount.com", "user:alice@example.com",
	"group:data@example.com", "domain:example.com", "projectOwner:etl-prod-1234", "projectEditor:etl-prod-1234",
	"deleted:serviceAccount:old@etl-prod-1234.iam.gserviceaccount.com?uid=123",
	"principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/*",
	"principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/attribute.repository/org/repo",
	"principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/subject/x",
	"serviceAccount:etl-prod-1234.svc.id.goog[ns/ksa]", "user:", "serviceAccount:", ":", "@",
	"roles/owner", "roles/editor", "roles/viewer", "roles/iam.serviceAccountUser",
	"roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountKeyAdmin", "roles/iam.workloadIdentityUser",
	"roles/dataflow.worker", "roles/dataflow.admin", "roles/storage.objectAdmin", "roles/resourcemanager.projectIamAdmin",
	"projects/etl-prod-1234/roles/custom", "organizations/1/roles/custom", "roles/", "roles/*",
	"iam.serviceAccounts.actAs", "iam.serviceAccountKeys.create", "resourcemanager.projects.setIamPolicy",
	"iam.serviceAccounts.getAccessToken", "*", "iam.*",
	`{"bindings":[{"role":"roles/owner","members":["allUsers","user:alice@example.com"]}]}`,
	`{"bindings":[{"role":"roles/editor","members":["serviceAccount:etl-worker@etl-prod-1234.iam.gserviceaccount.com"],"condition":{"expression":"true","title":"t"}}]}`,
	`{"bindings":null,"auditConfigs":[{"service":"allServices","auditLogConfigs":[{"logType":"DATA_READ","exemptedMembers":["allUsers"]}]}]}`,
	`{"bindings":[{"role":7,"members":"allUsers"}]}`, `{"bindings":{"role":"roles/owner"}}`, `{`, `[]`, `null`, `"x"`, `1e400`,
	"WORKER_IP_PRIVATE", "WORKER_IP_PUBLIC", "WORKER_IP_UNSPECIFIED", "default",
	"projects/etl-prod-1234/global/networks/default", "regions/europe-west1/subnetworks/etl",
	"https://www.googleapis.com/compute/v1/projects/etl-prod-1234/regions/europe-west1/subnetworks/etl",
	"projects/etl-prod-1234/locations/europe-west1/keyRings/etl/cryptoKeys/dataflow",
	"use_runner_v2", "disable_runner_v2", "enable_prime", "use_public_ips", "no_use_public_ips",
	"use_public_ips=true", "--usePublicIps=true", "--serviceAccount=x@y.iam.gserviceaccount.com",
	"service_account_email=123456789012-compute@developer.gserviceaccount.com", "worker_region=us-central1",
	"dataflow_service_options=enable_secure_boot", "--dataflowKmsKey=", "--experiments=use_public_ips",
	`resource.type="dataflow_step"`, `logName:"dataflow.googleapis.com"`, `NOT resource.type="dataflow_step"`,
	`severity>=ERROR`, `resource.type=dataflow_step AND severity<ERROR`, `(`, `"unterminated`,
	"DATA_READ", "DATA_WRITE", "ADMIN_READ", "allServices", "dataflow.googleapis.com", "storage.googleapis.com",
	"https://token.actions.githubusercontent.com", "https://gitlab.com", "https://accounts.google.com",
	`assertion.repository=="org/repo"`, "true", "false", "TRUE", `assertion.sub.startsWith("repo:org/")`,
	"google.subject", "attribute.repository", "assertion.sub", "assertion.repository_owner",
	"constraints/iam.disableServiceAccountKeyCreation", "constraints/compute.vmExternalIpAccess",
	"constraints/iam.allowedPolicyMemberDomains", "iam.managed.disableServiceAccountKeyCreation", "is:C0abc", "under:organizations/1",
	`{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n","client_email":"a@b.iam.gserviceaccount.com"}`,
	`{"type":"external_account","audience":"//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q"}`,
	`{"type":"authorized_user","refresh_token":"1//x"}`, "/tmp/key.json", "testdata/does-not-exist.json", "ya29.a0AfH6SMB",
	"-----BEGIN PRIVATE KEY-----", "publicRead", "publicReadWrite", "authenticatedRead", "projectPrivate",
	"READER:allUsers", "OWNER:user-alice@example.com", "allUsers:READER", "enforced", "inherited", "unspecified",
	"gs://etl-staging/tmp", "gs://", "gs://bucket", "EU", "europe-west1", "us-central1",
	"ERROR", "DEBUG", "TRACE", "OFF", "INFO", "pulumi-project", "pulumi-stack",
	"1", "-1", "0", "1e309", "NaN", "null", "é", "\x00", "\u202e", "日本語", "Ωmega", "\t\n",
	"urn:pulumi:dev::etl::gcp:serviceaccount/account:Account::worker", fzRootURN, fzProviderURN,
	"urn:pulumi:dev::etl::gcp:dataflow/job:Job::stream", "urn:pulumi:dev::etl", "not-a-urn",
	"urn:pulumi:dev::etl::pulumi:providers:gcp::default_9_6_0::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
}

// fzNames are resource names.
var fzNames = []string{"stream", "worker", "etl", "default_9_6_0", "", "a::b", "x y", "temp"}

// fzTypes is every type any registered policy applies to, the provider and
// stack types, and a few others, sorted.
var fzTypes = func() []string {
	seen := map[string]bool{gcp.ProviderType: true, gcp.StackType: true, "gcp:unknown/thing:Thing": true,
		"aws:s3/bucket:Bucket": true, "pulumi:pulumi:StackReference": true}
	for _, p := range policies.All() {
		for _, typ := range p.Types {
			seen[typ] = true
		}
	}
	out := make([]string, 0, len(seen))
	for typ := range seen {
		out = append(out, typ)
	}
	sort.Strings(out)
	return out
}()

// fzKeys is every key the generator picks from: read keys, the IAM target
// properties of every grant type, and label-ish keys.
var fzKeys = func() []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, k := range fzReadKeys {
		add(k)
	}
	for _, k := range fzProviderKeys {
		add(k)
	}
	for _, typ := range fzTypes {
		if _, _, targets, ok := gcp.IAMTypeInfo(typ); ok {
			for _, k := range targets {
				add(k)
			}
		}
	}
	for _, k := range []string{"env", "team", "owner", "cost-center", "pulumi-project", "pulumi-stack", "Env", "", "a.b", "日本", fzSigKey, "value"} {
		add(k)
	}
	return out
}()

// ---- the decoder ----

// fzReader hands out the fuzz bytes; past the end it returns zeros, which
// decode to nulls and empty containers, so every input terminates.
type fzReader struct {
	data  []byte
	pos   int
	spent int // of fzBudget
}

// spend charges n bytes against the budget and reports whether they fit.
func (r *fzReader) spend(n int) bool {
	if r.spent+n > fzBudget {
		r.spent = fzBudget
		return false
	}
	r.spent += n
	return true
}

func (r *fzReader) byte() byte {
	if r.pos >= len(r.data) {
		return 0
	}
	b := r.data[r.pos]
	r.pos++
	return b
}

func (r *fzReader) u16() int { return int(r.byte())<<8 | int(r.byte()) }

// raw reads a length-prefixed (two bytes) byte string.
func (r *fzReader) raw() string {
	n := min(r.u16(), len(r.data)-r.pos)
	if n <= 0 {
		return ""
	}
	s := string(r.data[r.pos : r.pos+n])
	r.pos += n
	return s
}

// text is raw bytes made valid UTF-8: keys and identifiers travel as proto
// strings, which must be valid UTF-8 on the wire.
func (r *fzReader) text() string { return strings.ToValidUTF8(r.raw(), "\uFFFD") }

type fzGen struct{ r *fzReader }

func fzSig(kind string, fields map[string]*structpb.Value) *structpb.Value {
	f := map[string]*structpb.Value{fzSigKey: structpb.NewStringValue(kind)}
	for k, v := range fields {
		f[k] = v
	}
	return structpb.NewStructValue(&structpb.Struct{Fields: f})
}

// fzString encodes a string as the engine does: invalid UTF-8 as a ByteString.
func (g *fzGen) str(s string) *structpb.Value {
	if !g.r.spend(len(s)) {
		return structpb.NewNullValue()
	}
	return fzString(s)
}

func fzString(s string) *structpb.Value {
	if utf8.ValidString(s) {
		return structpb.NewStringValue(s)
	}
	return fzSig(fzByteString, map[string]*structpb.Value{"value": structpb.NewStringValue(base64.StdEncoding.EncodeToString([]byte(s)))})
}

func fzSecret(v *structpb.Value) *structpb.Value {
	return fzSig(fzSecretSig, map[string]*structpb.Value{"value": v})
}

var fzNumbers = []float64{0, 1, -1, 0.5, 3, 63, 64, 1e9, -1e18, math.MaxFloat64, math.SmallestNonzeroFloat64,
	math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1), 1 << 53}

func (g *fzGen) key() string {
	k := g.r.byte()
	if k == 0xFF {
		return g.r.text()
	}
	return fzKeys[int(k)%len(fzKeys)]
}

func (g *fzGen) dictString() string { return fzStrings[int(g.r.byte())%len(fzStrings)] }

// Value operations. The seed encoder (fzEncoder) writes the same codes.
const (
	opNull = iota
	opBool
	opFloat // 8 bytes, IEEE 754 bits
	opSmallNumber
	opDictString
	opRawString
	opUnknown
	opSecret
	opList
	opMap
	opJSONString
	opDeep
	opLongString
	opBigList
	opSignature
	opLabels
	opCount
)

func (g *fzGen) value(depth int) *structpb.Value {
	r := g.r
	if !r.spend(8) {
		return structpb.NewNullValue()
	}
	op := int(r.byte()) % (opCount + 4) // the last four are extra dictionary strings
	if depth > fzMaxDepth && (op == opSecret || op == opList || op == opMap || op == opJSONString || op == opDeep || op == opLabels) {
		op = opDictString
	}
	switch op {
	case opNull:
		return structpb.NewNullValue()
	case opBool:
		return structpb.NewBoolValue(r.byte()&1 == 1)
	case opFloat:
		var b [8]byte
		for i := range b {
			b[i] = r.byte()
		}
		return structpb.NewNumberValue(math.Float64frombits(binary.BigEndian.Uint64(b[:])))
	case opSmallNumber:
		b := r.byte()
		if b >= 0xF0 {
			return structpb.NewNumberValue(fzNumbers[int(b-0xF0)%len(fzNumbers)])
		}
		return structpb.NewNumberValue(float64(int8(b)))
	case opRawString:
		return g.str(r.raw())
	case opUnknown:
		return structpb.NewStringValue(fzUnknown)
	case opSecret:
		return fzSecret(g.value(depth + 1))
	case opList:
		n := int(r.byte())
		vs := make([]*structpb.Value, 0, min(n, 16))
		for i := 0; i < n && r.spent < fzBudget; i++ {
			vs = append(vs, g.value(depth+1))
		}
		return structpb.NewListValue(&structpb.ListValue{Values: vs})
	case opMap:
		return structpb.NewStructValue(g.object(depth+1, int(r.byte()), g.key))
	case opJSONString:
		v := g.value(depth + 1)
		b, err := json.Marshal(v.AsInterface())
		if err != nil { // NaN or an infinity: a broken document instead
			b = []byte(`{"bindings":[`)
		}
		return g.str(string(b))
	case opDeep:
		return g.deep()
	case opLongString:
		s := g.dictString()
		if s == "" {
			s = "x"
		}
		n := 1 + r.u16()%(1<<20/len(s))
		if !r.spend(n * len(s)) {
			return structpb.NewNullValue()
		}
		return fzString(strings.Repeat(s, n))
	case opBigList:
		n := r.u16() % 5000
		leaf, size := g.leaf() // shared by every element
		if !r.spend(n * size) {
			return structpb.NewNullValue()
		}
		vs := make([]*structpb.Value, n)
		for i := range vs {
			vs[i] = leaf
		}
		return structpb.NewListValue(&structpb.ListValue{Values: vs})
	case opSignature:
		return g.signature(depth)
	case opLabels:
		return structpb.NewStructValue(g.object(depth+1, int(r.byte())%8, g.dictString))
	default:
		return structpb.NewStringValue(g.dictString())
	}
}

func (g *fzGen) object(depth, n int, key func() string) *structpb.Struct {
	fields := make(map[string]*structpb.Value, min(n, 16))
	for i := 0; i < n && g.r.spent < fzBudget; i++ {
		k := key()
		fields[k] = g.value(depth)
	}
	return &structpb.Struct{Fields: fields}
}

// deep nests a leaf up to ~1,200 levels in lists, maps and secrets.
func (g *fzGen) deep() *structpb.Value {
	r := g.r
	n := 1 + r.u16()%1200
	kind := r.byte()
	k := fzKeys[int(r.byte())%len(fzKeys)]
	v, _ := g.leaf()
	if !r.spend(n * (len(k) + 8)) {
		return structpb.NewNullValue()
	}
	for i := 0; i < n; i++ {
		mode := int(kind) % 4
		if mode == 3 {
			mode = i % 3
		}
		switch mode {
		case 0:
			v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
		case 1:
			v = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{k: v}})
		default:
			v = fzSecret(v)
		}
	}
	return v
}

// leaf builds a small scalar (for big lists and deep nests) and its size.
func (g *fzGen) leaf() (*structpb.Value, int) {
	r := g.r
	switch r.byte() % 8 {
	case 0:
		return structpb.NewNullValue(), 2
	case 1:
		return structpb.NewBoolValue(r.byte()&1 == 1), 2
	case 2:
		return structpb.NewNumberValue(fzNumbers[int(r.byte())%len(fzNumbers)]), 9
	case 3:
		return structpb.NewStringValue(fzUnknown), len(fzUnknown) + 2
	case 4:
		return fzSecret(structpb.NewStringValue(fzUnknown)), 2 * len(fzUnknown)
	default:
		s := g.dictString()
		return structpb.NewStringValue(s), len(s) + 2
	}
}

// signature builds the other signature objects, well-formed or not.
func (g *fzGen) signature(depth int) *structpb.Value {
	r := g.r
	s := structpb.NewStringValue
	switch r.byte() % 10 {
	case 0: // a valid ByteString
		return fzSig(fzByteString, map[string]*structpb.Value{"value": s(base64.StdEncoding.EncodeToString([]byte(r.raw())))})
	case 1: // a ByteString that is not base64, or not a string
		if r.byte()&1 == 0 {
			return fzSig(fzByteString, map[string]*structpb.Value{"value": s("!!not base64")})
		}
		return fzSig(fzByteString, map[string]*structpb.Value{"value": g.value(depth + 1)})
	case 2: // a secret without its value
		return fzSig(fzSecretSig, nil)
	case 3: // a signature nobody knows
		return fzSig(r.text(), map[string]*structpb.Value{"value": g.value(depth + 1)})
	case 4: // a text asset
		return fzSig("c44067f5952c0a294b673a41bacd8c17", map[string]*structpb.Value{"text": s(r.text())})
	case 5: // an archive of one asset
		return fzSig("0def7320c3a5731c473e5ecbe6d01bc7", map[string]*structpb.Value{"assets": structpb.NewStructValue(&structpb.Struct{
			Fields: map[string]*structpb.Value{"a": fzSig("c44067f5952c0a294b673a41bacd8c17", map[string]*structpb.Value{"text": s("x")})}})})
	case 6: // a resource reference
		return fzSig("5cf8f73096256a8f31e491e813e4eb8e", map[string]*structpb.Value{
			"urn": s(g.dictString()), "id": g.value(depth + 1), "packageVersion": s("9.6.0")})
	case 7: // an output value, maybe unknown, maybe secret
		f := map[string]*structpb.Value{"dependencies": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{s(fzRootURN)}})}
		if r.byte()&1 == 0 {
			f["value"] = g.value(depth + 1)
		}
		f["secret"] = structpb.NewBoolValue(r.byte()&1 == 1)
		return fzSig("d0e6a833031e9bbcd3f4e8bde6ca49a4", f)
	case 8: // a signature key that is not a string
		return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{fzSigKey: g.value(depth + 1)}})
	default: // an unknown wrapped in a secret, as the engine sends secret unknowns
		return fzSecret(s(fzUnknown))
	}
}

// props builds a property map: either one tree at the top level, or fuzzed
// values under names the policies read.
func (g *fzGen) props(keys []string) *structpb.Struct {
	r := g.r
	if r.byte()%2 == 0 {
		v := g.value(0)
		if st := v.GetStructValue(); st != nil {
			return st
		}
		return &structpb.Struct{Fields: map[string]*structpb.Value{keys[0]: v}}
	}
	n := int(r.byte()) % 10
	fields := map[string]*structpb.Value{}
	for i := 0; i < n; i++ {
		fields[keys[int(r.byte())%len(keys)]] = g.value(0)
	}
	return &structpb.Struct{Fields: fields}
}

func (g *fzGen) typ() string {
	r := g.r
	switch t := r.byte(); {
	case t < 0xF0:
		return fzTypes[(int(t)<<8|int(r.byte()))%len(fzTypes)]
	case t < 0xFF:
		return []string{gcp.ProviderType, gcp.StackType, "", "gcp:dataflow/job:Job", "x"}[int(t)%5]
	default:
		return r.text()
	}
}

// header reads a resource's type, name and URN.
func (g *fzGen) header() (typ, name, urn string) {
	r := g.r
	typ = g.typ()
	if b := r.byte(); b < 0x80 {
		name = fzNames[int(b)%len(fzNames)]
	} else {
		name = r.text()
	}
	switch r.byte() % 16 {
	case 14:
		urn = r.text()
	case 15:
		urn = g.dictString()
	default:
		urn = "urn:pulumi:dev::etl::" + typ + "::" + name
	}
	return typ, name, urn
}

func (g *fzGen) provider() *pulumirpc.AnalyzerProviderResource {
	r := g.r
	switch r.byte() % 4 {
	case 0:
		return nil
	case 1:
		return &pulumirpc.AnalyzerProviderResource{Type: gcp.ProviderType, Urn: fzProviderURN, Name: "default_9_6_0", Properties: g.props(fzProviderKeys)}
	case 2:
		return &pulumirpc.AnalyzerProviderResource{Type: r.text(), Urn: r.text(), Properties: g.props(fzProviderKeys)}
	default:
		return &pulumirpc.AnalyzerProviderResource{Type: gcp.ProviderType, Urn: fzProviderURN}
	}
}

// analyzeRequest decodes a server variant and one resource.
func fzAnalyzeRequest(data []byte) (variant int, req *pulumirpc.AnalyzeRequest) {
	g := &fzGen{r: &fzReader{data: data}}
	variant = int(g.r.byte())
	typ, name, urn := g.header()
	req = &pulumirpc.AnalyzeRequest{Type: typ, Name: name, Urn: urn, Properties: g.props(fzReadKeys), Provider: g.provider()}
	return variant, req
}

// stackRequest decodes a server variant and up to 31 resources sharing up to
// two providers, with parents and dependencies among them.
func fzStackRequest(data []byte) (variant int, req *pulumirpc.AnalyzeStackRequest) {
	g := &fzGen{r: &fzReader{data: data}}
	r := g.r
	variant = int(r.byte())
	n := int(r.byte()) % 32
	var provs []*pulumirpc.AnalyzerProviderResource
	for i := int(r.byte()) % 3; i > 0; i-- {
		if p := g.provider(); p != nil {
			provs = append(provs, p)
		}
	}
	req = &pulumirpc.AnalyzeStackRequest{}
	var urns []string
	pick := func() string {
		b := r.byte()
		if len(urns) > 0 && b < 0xC0 {
			return urns[int(b)%len(urns)]
		}
		if b == 0xFF {
			return r.text()
		}
		return g.dictString()
	}
	for i := 0; i < n; i++ {
		typ, name, urn := g.header()
		res := &pulumirpc.AnalyzerResource{Type: typ, Name: name, Urn: urn, Properties: g.props(fzReadKeys)}
		switch r.byte() % 4 {
		case 1:
			res.Parent = fzRootURN
		case 2:
			res.Parent = pick()
		}
		for k := r.byte() % 4; k > 0; k-- {
			res.Dependencies = append(res.Dependencies, pick())
		}
		if k := r.byte() % 3; k > 0 {
			res.PropertyDependencies = map[string]*pulumirpc.AnalyzerPropertyDependencies{}
			for ; k > 0; k-- {
				res.PropertyDependencies[g.key()] = &pulumirpc.AnalyzerPropertyDependencies{Urns: []string{pick()}}
			}
		}
		if b := int(r.byte()); len(provs) > 0 && b%(len(provs)+1) > 0 {
			res.Provider = provs[b%(len(provs)+1)-1]
		}
		urns = append(urns, urn)
		req.Resources = append(req.Resources, res)
	}
	return variant, req
}

// ---- the servers ----

// fzServer is one server configuration under test.
type fzServer struct {
	srv    *analyzer.Server
	pack   *policy.Pack
	levels map[string]pulumirpc.EnforcementLevel // as configured (REMEDIATE kept)
}

// fzServers builds the configurations the fuzz targets pick from:
// 0: default levels, ConfigureStack for a preview (unknowns matter);
// 1: every policy mandatory and no ConfigureStack (names come from URNs);
// 2: every remediable policy at remediate, the rest advisory, an update.
func fzServers(tb testing.TB) []*fzServer {
	tb.Helper()
	var out []*fzServer
	for variant := range 3 {
		pack, err := policy.NewPack(policies.PackName, "0.1.0", "fuzz", policies.All())
		require.NoError(tb, err)
		srv := analyzer.New(pack, analyzer.PackInfo{Provider: "gcp"}, io.Discard)
		srv.SetEnv(func(string) (string, bool) { return "", false })
		// Generous: a call this slow on a fuzzed input is a finding, not a blip.
		srv.SetTimeout(30 * time.Second)
		ctx := context.Background()
		cfg := map[string]*pulumirpc.PolicyConfig{}
		for _, p := range pack.Policies() {
			switch variant {
			case 1:
				cfg[p.Name] = &pulumirpc.PolicyConfig{EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY}
			case 2:
				l := pulumirpc.EnforcementLevel_ADVISORY
				if p.CanRemediate() {
					l = pulumirpc.EnforcementLevel_REMEDIATE
				}
				cfg[p.Name] = &pulumirpc.PolicyConfig{EnforcementLevel: l}
			}
		}
		if len(cfg) > 0 {
			_, err = srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg})
			require.NoError(tb, err)
		}
		switch variant {
		case 0:
			_, err = srv.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "dev", DryRun: true})
		case 2:
			_, err = srv.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Project: "etl", Stack: "prod",
				Organization: "acme", Tags: map[string]string{"pulumi:project": "etl"}})
		}
		require.NoError(tb, err)
		levels := map[string]pulumirpc.EnforcementLevel{}
		info, err := srv.GetAnalyzerInfo(ctx, nil)
		require.NoError(tb, err)
		for _, p := range info.GetPolicies() {
			levels[p.GetName()] = p.GetEnforcementLevel()
		}
		out = append(out, &fzServer{srv: srv, pack: pack, levels: levels})
	}
	return out
}

// ---- invariants ----

// fzCheckWire fails when a response would not encode on the wire (invalid
// UTF-8 in a message, say): gRPC would turn it into an error.
func fzCheckWire(t *testing.T, m proto.Message) {
	t.Helper()
	if _, err := proto.Marshal(m); err != nil {
		t.Fatalf("the response does not encode on the wire: %v", err)
	}
}

// fzCheckDiagnostics checks every diagnostic of one response.
func fzCheckDiagnostics(t *testing.T, s *fzServer, ds []*pulumirpc.AnalyzeDiagnostic) {
	t.Helper()
	for _, d := range ds {
		if l := d.GetEnforcementLevel(); l != pulumirpc.EnforcementLevel_ADVISORY && l != pulumirpc.EnforcementLevel_MANDATORY {
			t.Fatalf("diagnostic of %s has level %s", d.GetPolicyName(), l)
		}
		if _, ok := s.pack.Lookup(d.GetPolicyName()); !ok {
			t.Fatalf("diagnostic names unregistered policy %q", d.GetPolicyName())
		}
		if s.levels[d.GetPolicyName()] == pulumirpc.EnforcementLevel_DISABLED {
			t.Fatalf("disabled policy %s reported", d.GetPolicyName())
		}
		if d.GetPolicyPackName() != policies.PackName || d.GetPolicyPackVersion() != "0.1.0" {
			t.Fatalf("diagnostic of %s names pack %s@%s", d.GetPolicyName(), d.GetPolicyPackName(), d.GetPolicyPackVersion())
		}
		fzCheckMessage(t, d.GetPolicyName(), d.GetMessage())
	}
}

// fzCheckMessage fails on the fail-closed messages that mean a policy broke
// (panicked, or never finished) rather than judged the input.
func fzCheckMessage(t *testing.T, policyName, msg string) {
	t.Helper()
	for _, bad := range []string{": internal error", "evaluation timed out", "evaluation was cancelled"} {
		if strings.Contains(msg, bad) {
			t.Fatalf("policy %s failed on this input (%q): %s", policyName, bad, msg)
		}
	}
}

func fzCheckNotApplicable(t *testing.T, s *fzServer, na []*pulumirpc.PolicyNotApplicable) {
	t.Helper()
	for _, n := range na {
		if _, ok := s.pack.Lookup(n.GetPolicyName()); !ok {
			t.Fatalf("not-applicable names unregistered policy %q", n.GetPolicyName())
		}
	}
}

func fzAnalyze(t *testing.T, s *fzServer, req *pulumirpc.AnalyzeRequest) {
	t.Helper()
	resp, err := s.srv.Analyze(context.Background(), req)
	if err != nil {
		t.Fatalf("Analyze returned a gRPC error: %v", err)
	}
	fzCheckWire(t, resp)
	fzCheckDiagnostics(t, s, resp.GetDiagnostics())
	fzCheckNotApplicable(t, s, resp.GetNotApplicable())
}

// fzRemediate checks one Remediate call and returns the last new inputs.
func fzRemediate(t *testing.T, s *fzServer, req *pulumirpc.AnalyzeRequest) *structpb.Struct {
	t.Helper()
	resp, err := s.srv.Remediate(context.Background(), req)
	if err != nil {
		t.Fatalf("Remediate returned a gRPC error: %v", err)
	}
	fzCheckWire(t, resp)
	fzCheckNotApplicable(t, s, resp.GetNotApplicable())
	var last *structpb.Struct
	for _, rem := range resp.GetRemediations() {
		name := rem.GetPolicyName()
		if _, ok := s.pack.Lookup(name); !ok {
			t.Fatalf("remediation names unregistered policy %q", name)
		}
		if s.levels[name] != pulumirpc.EnforcementLevel_REMEDIATE {
			t.Fatalf("policy %s at %s remediated", name, s.levels[name])
		}
		if rem.GetPolicyPackName() != policies.PackName {
			t.Fatalf("remediation of %s names pack %q", name, rem.GetPolicyPackName())
		}
		if rem.GetDiagnostic() != "" {
			fzCheckMessage(t, name, rem.GetDiagnostic())
			continue
		}
		if rem.GetProperties() == nil {
			t.Fatalf("remediation of %s has neither properties nor a diagnostic", name)
		}
		if _, err := propertypb.Unmarshal(rem.GetProperties()); err != nil {
			t.Fatalf("remediation of %s sends properties the engine cannot decode: %v", name, err)
		}
		last = rem.GetProperties()
	}
	return last
}

// ---- targets ----

func fzSeeds(f *testing.F) {
	// A few hand-made shapes; the committed corpus holds the fixtures.
	for _, seed := range fzHandSeeds() {
		f.Add(seed)
	}
}

func FuzzAnalyze(f *testing.F) {
	fzSeeds(f)
	servers := fzServers(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		variant, req := fzAnalyzeRequest(data)
		fzAnalyze(t, servers[variant%len(servers)], req)
	})
}

func FuzzAnalyzeStack(f *testing.F) {
	fzSeeds(f)
	servers := fzServers(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		variant, req := fzStackRequest(data)
		s := servers[variant%len(servers)]
		resp, err := s.srv.AnalyzeStack(context.Background(), req)
		if err != nil {
			t.Fatalf("AnalyzeStack returned a gRPC error: %v", err)
		}
		fzCheckWire(t, resp)
		fzCheckDiagnostics(t, s, resp.GetDiagnostics())
	})
}

func FuzzRemediate(f *testing.F) {
	fzSeeds(f)
	servers := fzServers(f)
	s := servers[2] // every remediable policy at remediate
	f.Fuzz(func(t *testing.T, data []byte) {
		_, req := fzAnalyzeRequest(data)
		next := fzRemediate(t, s, req)
		// Analyze still sees the remediate level as mandatory, never REMEDIATE.
		fzAnalyze(t, s, req)
		if next == nil {
			return
		}
		// Remediating the remediated inputs changes nothing more.
		again := proto.Clone(req).(*pulumirpc.AnalyzeRequest)
		again.Properties = next
		if twice := fzRemediate(t, s, again); twice != nil {
			t.Fatalf("remediation does not converge: the second pass changed the inputs again")
		}
	})
}

// TestFuzzDecoderIsWireValid checks the generator itself: every request it
// builds from the seeds and from pseudo-random bytes encodes on the wire (so
// it is something the engine could send) and decodes back to the same thing.
func TestFuzzDecoderIsWireValid(t *testing.T) {
	inputs := fzHandSeeds()
	state := uint64(1)
	for range 48 {
		b := make([]byte, 64+int(state%400))
		for i := range b {
			state = state*6364136223846793005 + 1442695040888963407
			b[i] = byte(state >> 56)
		}
		inputs = append(inputs, b)
	}
	for i, data := range inputs {
		_, a := fzAnalyzeRequest(data)
		_, st := fzStackRequest(data)
		for _, m := range []proto.Message{a, st} {
			wire, err := proto.Marshal(m)
			require.NoError(t, err, "input %d", i)
			back := m.ProtoReflect().New().Interface()
			require.NoError(t, proto.Unmarshal(wire, back), "input %d", i)
			require.True(t, proto.Equal(m, back), "input %d", i)
		}
		// Deterministic: the same bytes build the same request.
		_, a2 := fzAnalyzeRequest(data)
		require.True(t, proto.Equal(a, a2), "input %d", i)
	}
}

// ---- seeds ----

// fzEncoder writes the decoder's format, for seeds.
type fzEncoder struct{ b bytes.Buffer }

func (e *fzEncoder) byte(b byte) { e.b.WriteByte(b) }

func (e *fzEncoder) raw(s string) {
	if len(s) > 0xFFFF {
		s = s[:0xFFFF]
	}
	e.b.WriteByte(byte(len(s) >> 8))
	e.b.WriteByte(byte(len(s)))
	e.b.WriteString(s)
}

func (e *fzEncoder) key(k string) { e.byte(0xFF); e.raw(k) }

func (e *fzEncoder) typ(t string) { e.byte(0xFF); e.raw(t) }

// header writes a type, name and verbatim URN.
func (e *fzEncoder) header(typ, name, urn string) {
	e.typ(typ)
	e.byte(0x80)
	e.raw(name)
	e.byte(14)
	e.raw(urn)
}

func (e *fzEncoder) value(v property.Value) {
	switch {
	case v.Secret():
		e.byte(opSecret)
		e.value(v.WithSecret(false))
	case v.IsComputed():
		e.byte(opUnknown)
	case v.IsNull():
		e.byte(opNull)
	case v.IsBool():
		e.byte(opBool)
		if v.AsBool() {
			e.byte(1)
		} else {
			e.byte(0)
		}
	case v.IsNumber():
		e.byte(opFloat)
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], math.Float64bits(v.AsNumber()))
		e.b.Write(b[:])
	case v.IsString():
		e.byte(opRawString)
		e.raw(v.AsString())
	case v.IsArray():
		arr := v.AsArray().AsSlice()
		e.byte(opList)
		e.byte(byte(min(len(arr), 255)))
		for _, x := range arr[:min(len(arr), 255)] {
			e.value(x)
		}
	case v.IsMap():
		e.object(v.AsMap())
	default: // assets, archives, references: not in fixtures
		e.byte(opNull)
	}
}

func (e *fzEncoder) object(m property.Map) {
	var keys []string
	for k := range m.AllStable {
		keys = append(keys, k)
	}
	keys = keys[:min(len(keys), 255)]
	e.byte(opMap)
	e.byte(byte(len(keys)))
	for _, k := range keys {
		e.key(k)
		e.value(m.Get(k))
	}
}

// props writes a top-level tree.
func (e *fzEncoder) props(m property.Map) {
	e.byte(0)
	e.object(m)
}

func (e *fzEncoder) provider(p *gcp.Provider) {
	if p == nil {
		e.byte(0)
		return
	}
	e.byte(2)
	e.raw(p.Type)
	e.raw(p.URN)
	e.props(p.Props)
}

func fzEncodeAnalyze(variant byte, r *gcp.Resource) []byte {
	e := &fzEncoder{}
	e.byte(variant)
	e.header(r.Type, r.Name, r.URN)
	e.props(r.Props)
	e.provider(r.Provider)
	return e.b.Bytes()
}

func fzEncodeStack(variant byte, rs []*gcp.Resource) []byte {
	rs = rs[:min(len(rs), 31)]
	e := &fzEncoder{}
	e.byte(variant)
	e.byte(byte(len(rs)))
	e.byte(0) // no shared providers
	for _, r := range rs {
		e.header(r.Type, r.Name, r.URN)
		e.props(r.Props)
		if r.Parent != "" {
			e.byte(2)
			e.byte(0xFF)
			e.raw(r.Parent)
		} else {
			e.byte(0)
		}
		deps := r.Dependencies[:min(len(r.Dependencies), 3)]
		e.byte(byte(len(deps)))
		for _, d := range deps {
			e.byte(0xFF)
			e.raw(d)
		}
		e.byte(0) // no property dependencies
		e.byte(0) // no provider
	}
	return e.b.Bytes()
}

// fzHandSeeds are hand-made inputs for the shapes the brief names.
func fzHandSeeds() [][]byte {
	var out [][]byte
	job := "gcp:dataflow/job:Job"
	mk := func(variant byte, typ string, props map[string]property.Value, prov *gcp.Provider) []byte {
		return fzEncodeAnalyze(variant, &gcp.Resource{Type: typ, Name: "stream", URN: "urn:pulumi:dev::etl::" + typ + "::stream",
			Props: property.NewMap(props), Provider: prov})
	}
	s := property.New[string]
	unknown := property.New(property.Computed)
	prov := &gcp.Provider{Type: gcp.ProviderType, URN: fzProviderURN, Props: property.NewMap(map[string]property.Value{
		"defaultLabels": s("wrong type"), "credentials": s(`{"type":"service_account","private_key":"k"}`).WithSecret(true)})}
	out = append(out,
		mk(0, job, map[string]property.Value{"labels": s("not a map"), "serviceAccountEmail": property.New(3.0),
			"parameters": property.New([]property.Value{s("x")}), "ipConfiguration": property.New(true)}, prov),
		mk(1, job, map[string]property.Value{"labels": unknown.WithSecret(true), "serviceAccountEmail": unknown,
			"additionalExperiments": property.New(map[string]property.Value{"a": s("use_public_ips")})}, nil),
		mk(2, job, map[string]property.Value{"labels": property.New(map[string]property.Value{"env": unknown, "team": property.New(1.0)})}, prov),
		mk(0, "gcp:projects/iAMMember:IAMMember", map[string]property.Value{"member": property.New([]property.Value{s("allUsers")}),
			"role": property.New(map[string]property.Value{}), "project": unknown}, nil),
		mk(1, "gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"policyData": s(`{"bindings":[{"role":"roles/owner","members":"allUsers"}]}`)}, nil),
		mk(1, "gcp:projects/iAMPolicy:IAMPolicy", map[string]property.Value{"policyData": property.New(map[string]property.Value{"bindings": s("x")})}, nil),
		mk(0, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", map[string]property.Value{
			"oidc": s("x"), "attributeCondition": property.New(false), "attributeMapping": property.New([]property.Value{})}, nil),
		mk(2, "gcp:storage/bucket:Bucket", map[string]property.Value{"labels": property.New(map[string]property.Value{"Bad Key": s("\xff\xfe")})}, prov),
		mk(0, gcp.ProviderType, map[string]property.Value{"credentials": property.New(42.0), "accessToken": unknown}, nil),
	)
	// A 1,000-deep list and a 5,000-element list under labels.
	deep := &fzEncoder{}
	deep.byte(1)
	deep.typ(job)
	deep.byte(0)
	deep.byte(0)
	deep.byte(1) // pairs
	deep.byte(1) // one pair
	deep.byte(byte(slices.Index(fzReadKeys, "labels")))
	deep.byte(opDeep)
	deep.byte(1000 >> 8)
	deep.byte(1000 & 0xFF)
	deep.byte(3)
	deep.byte(0)
	deep.byte(3) // leaf: the unknown sentinel
	out = append(out, deep.b.Bytes())
	big := &fzEncoder{}
	big.byte(0)
	big.typ("gcp:projects/iAMBinding:IAMBinding")
	big.byte(0)
	big.byte(0)
	big.byte(1)
	big.byte(1)
	big.byte(byte(slices.Index(fzReadKeys, "members")))
	big.byte(opBigList)
	big.byte(4999 >> 8)
	big.byte(4999 & 0xFF)
	big.byte(5) // leaf: a dictionary string
	big.byte(byte(slices.Index(fzStrings, "allUsers")))
	out = append(out, big.b.Bytes())
	return out
}

// TestWriteFuzzSeeds regenerates the committed seed corpora from the fixtures
// when DATAFLOW_GUARDRAILS_WRITE_FUZZ_SEEDS is set; otherwise it checks that
// each committed corpus exists.
func TestWriteFuzzSeeds(t *testing.T) {
	targets := []string{"FuzzAnalyze", "FuzzAnalyzeStack", "FuzzRemediate"}
	if os.Getenv("DATAFLOW_GUARDRAILS_WRITE_FUZZ_SEEDS") == "" {
		for _, name := range targets {
			entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
			require.NoError(t, err, "the committed seed corpus of %s", name)
			require.NotEmpty(t, entries, name)
		}
		return
	}
	const maxSeed = 6 << 10
	seeds := map[string]map[string][]byte{}
	add := func(target, name string, data []byte) {
		if len(data) > maxSeed {
			return
		}
		if seeds[target] == nil {
			seeds[target] = map[string][]byte{}
		}
		seeds[target][name] = data
	}
	root := filepath.Join("..", "..", "testdata")
	stackSeeds := map[string]struct {
		name string
		data []byte
	}{}
	for _, p := range policies.All() {
		dir := filepath.Join(root, p.Name)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, "bad_") || strings.HasSuffix(name, ".config.json") {
				continue
			}
			dep, err := stackfile.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			seedName := p.Name + "-" + strings.TrimSuffix(name, ".json")
			if p.IsStack() {
				// One per stack policy: its smallest bad fixture.
				enc := fzEncodeStack(0, dep.Outputs)
				if prev, ok := stackSeeds[p.Name]; !ok || len(enc) < len(prev.data) {
					stackSeeds[p.Name] = struct {
						name string
						data []byte
					}{seedName, enc}
				}
				continue
			}
			// The smallest resource the policy applies to, from the first bad fixture.
			var best []byte
			for _, r := range dep.Inputs {
				if !slices.Contains(p.Types, r.Type) {
					continue
				}
				if b := fzEncodeAnalyze(0, r); best == nil || len(b) < len(best) {
					best = b
				}
			}
			if best == nil {
				continue
			}
			if _, done := seeds["FuzzAnalyze"]; done && hasPrefix(seeds["FuzzAnalyze"], p.Name) {
				continue
			}
			add("FuzzAnalyze", seedName, best)
			if p.CanRemediate() {
				add("FuzzRemediate", seedName, best)
			}
		}
	}
	for _, seed := range stackSeeds {
		add("FuzzAnalyzeStack", seed.name, seed.data)
	}
	for _, name := range []string{"dataflow-insecure", "dataflow-secure"} {
		dep, err := stackfile.ReadFile(filepath.Join(root, "stacks", name+".json"))
		require.NoError(t, err)
		add("FuzzAnalyzeStack", "stack-"+name, fzEncodeStack(1, dep.Outputs))
		for _, r := range dep.Inputs {
			if r.Type == "gcp:dataflow/job:Job" || r.Type == "gcp:dataflow/flexTemplateJob:FlexTemplateJob" {
				add("FuzzRemediate", "stack-"+name+"-"+r.Name, fzEncodeAnalyze(2, r))
			}
		}
	}
	for _, target := range targets {
		dir := filepath.Join("testdata", "fuzz", target)
		require.NoError(t, os.RemoveAll(dir))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for name, data := range seeds[target] {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
		}
		t.Logf("%s: %d seeds", target, len(seeds[target]))
	}
}

func hasPrefix(m map[string][]byte, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix+"-") {
			return true
		}
	}
	return false
}
