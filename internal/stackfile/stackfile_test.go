package stackfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

const (
	stackURN  = "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev"
	provURN   = "urn:pulumi:dev::etl::pulumi:providers:gcp::default_9_6_0"
	provID    = "04f0c9b1-5a0e-4c5e-9d55-1f2e3d4c5b6a"
	provRef   = provURN + "::" + provID
	bucketURN = "urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::staging"
	jobURN    = "urn:pulumi:dev::etl::gcp:dataflow/job:Job::ingest"
	unknown   = sig.UnknownStringValue
)

// export wraps resources (JSON objects) in a version 3 export document.
func export(resources ...string) string {
	return `{
  "version": 3,
  "deployment": {
    "manifest": {"time": "2025-01-01T00:00:00Z", "magic": "abc", "version": "v3.274.1"},
    "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:xyz"}},
    "resources": [` + strings.Join(resources, ",\n") + `]
  }
}`
}

// res builds a resource object; extra is raw JSON members appended to it.
func res(urn, typ string, extra ...string) string {
	members := append([]string{`"urn": ` + strconv.Quote(urn), `"custom": true`, `"type": ` + strconv.Quote(typ)}, extra...)
	return "{" + strings.Join(members, ", ") + "}"
}

func secretPlain(jsonText string) string {
	return `{"` + sig.Key + `": "` + sig.Secret + `", "plaintext": ` + strconv.Quote(jsonText) + `}`
}

func secretCipher() string {
	return `{"` + sig.Key + `": "` + sig.Secret + `", "ciphertext": "v1:AAAA:BBBB"}`
}

var (
	stackRes  = res(stackURN, gcp.StackType, `"outputs": {"bucket": "staging-bucket"}`)
	provRes   = res(provURN, gcp.ProviderType, `"id": "`+provID+`"`, `"inputs": {"project": "my-proj", "region": "europe-west1", "version": "9.6.0"}`, `"outputs": {"project": "my-proj", "region": "europe-west1", "version": "9.6.0"}`)
	bucketRes = res(bucketURN, "gcp:storage/bucket:Bucket", `"id": "staging-bucket"`, `"parent": "`+stackURN+`"`, `"provider": "`+provRef+`"`,
		`"inputs": {"name": "staging-bucket", "location": "EU", "uniformBucketLevelAccess": true, "labels": {"env": "dev"}}`,
		`"outputs": {"name": "staging-bucket", "location": "EU", "uniformBucketLevelAccess": true, "labels": {"env": "dev"}, "selfLink": "https://x"}`)
	jobRes = res(jobURN, "gcp:dataflow/job:Job", `"parent": "`+stackURN+`"`, `"provider": "`+provRef+`"`,
		`"dependencies": ["`+bucketURN+`"]`, `"propertyDependencies": {"tempGcsLocation": ["`+bucketURN+`"], "name": []}`,
		`"inputs": {"name": "ingest", "maxWorkers": 5, "tempGcsLocation": "gs://staging-bucket/tmp", "network": null, "parameters": {"threads": 2.5}}`,
		`"outputs": {"name": "ingest", "maxWorkers": 5, "state": "JOB_STATE_RUNNING", "network": null}`)
)

// prop reads a top-level property of r.
func prop(r *gcp.Resource, key string) property.Value { return r.Get(key).Raw() }

func secretOf(v property.Value) property.Value { return v.WithSecret(true) }

var computed = property.New(property.Computed)

type readCase struct {
	name  string
	input string
	check func(t *testing.T, d *Deployment)
}

var readCases = []readCase{
	{
		name:  "full export",
		input: export(stackRes, provRes, bucketRes, jobRes),
		check: func(t *testing.T, d *Deployment) {
			assert.Equal(t, "etl", d.Project)
			assert.Equal(t, "dev", d.Stack)
			require.Len(t, d.Inputs, 4)
			require.Len(t, d.Outputs, 4)
			assert.Zero(t, d.CiphertextSecrets)
			assert.Empty(t, d.Wants)

			for i, urn := range []string{stackURN, provURN, bucketURN, jobURN} {
				assert.Equal(t, urn, d.Inputs[i].URN)
				assert.Equal(t, urn, d.Outputs[i].URN)
			}
			job, jobOut := d.Inputs[3], d.Outputs[3]
			assert.Equal(t, "gcp:dataflow/job:Job", job.Type)
			assert.Equal(t, "ingest", job.Name)
			assert.Equal(t, property.New(5.0), prop(job, "maxWorkers"))
			assert.Equal(t, property.New(2.5), job.At("parameters", "threads").Raw())
			v, ok := job.Props.GetOk("network")
			assert.True(t, ok, "null properties are kept")
			assert.True(t, v.IsNull())
			assert.Equal(t, property.New("JOB_STATE_RUNNING"), prop(jobOut, "state"))
			_, ok = job.Props.GetOk("state")
			assert.False(t, ok, "inputs and outputs are separate")

			// Stack-policy fields only on outputs.
			assert.Empty(t, job.Parent)
			assert.Nil(t, job.Dependencies)
			assert.Equal(t, stackURN, jobOut.Parent)
			assert.Equal(t, []string{bucketURN}, jobOut.Dependencies)
			assert.Equal(t, map[string][]string{"tempGcsLocation": {bucketURN}, "name": {}}, jobOut.PropertyDependencies)

			// Provider resolved, with inputs, shared between both views.
			require.NotNil(t, job.Provider)
			assert.Same(t, job.Provider, jobOut.Provider)
			assert.Same(t, job.Provider, d.Inputs[2].Provider)
			assert.Equal(t, provURN, job.Provider.URN)
			assert.Equal(t, gcp.ProviderType, job.Provider.Type)
			assert.Equal(t, "default_9_6_0", job.Provider.Name)
			assert.Equal(t, "my-proj", job.Provider.Get("project").Str())
			assert.Nil(t, d.Inputs[0].Provider)
			assert.Nil(t, d.Inputs[1].Provider)

			assert.Zero(t, d.Inputs[0].Props.Len(), "missing inputs read as empty")
			assert.Equal(t, "staging-bucket", d.Outputs[0].Get("bucket").Str())
		},
	},
	{
		name: "plaintext secrets",
		input: export(res(jobURN, "gcp:dataflow/job:Job",
			`"inputs": {
				"password": `+secretPlain(`"hunter2"`)+`,
				"count": `+secretPlain(`3`)+`,
				"nothing": `+secretPlain(`null`)+`,
				"labels": `+secretPlain(`{"team": "data", "tier": [1, "a"]}`)+`,
				"nested": {"list": ["plain", `+secretPlain(`true`)+`]},
				"double": `+secretPlain(secretPlain(`"inner"`))+`
			}`,
			`"outputs": {"password": `+secretPlain(`"hunter2"`)+`}`)),
		check: func(t *testing.T, d *Deployment) {
			r := d.Inputs[0]
			assert.Equal(t, secretOf(property.New("hunter2")), prop(r, "password"))
			assert.Equal(t, secretOf(property.New(3.0)), prop(r, "count"))
			assert.Equal(t, secretOf(property.Value{}), prop(r, "nothing"))
			assert.Equal(t, secretOf(property.New(map[string]property.Value{
				"team": property.New("data"),
				"tier": property.New([]property.Value{property.New(1.0), property.New("a")}),
			})), prop(r, "labels"))
			assert.Equal(t, property.New([]property.Value{property.New("plain"), secretOf(property.New(true))}),
				r.At("nested", "list").Raw())
			assert.Equal(t, secretOf(property.New("inner")), prop(r, "double"))
			assert.True(t, r.Get("labels").Get("team").Secret(), "secrecy is inherited by reads")
			assert.Equal(t, secretOf(property.New("hunter2")), prop(d.Outputs[0], "password"))
			assert.Zero(t, d.CiphertextSecrets)
		},
	},
	{
		name: "ciphertext secrets",
		input: export(res(jobURN, "gcp:dataflow/job:Job",
			`"inputs": {
				"password": `+secretCipher()+`,
				"nested": {"list": [`+secretCipher()+`, "plain"]},
				"inPlaintext": `+secretPlain(secretCipher())+`,
				"both": {"`+sig.Key+`": "`+sig.Secret+`", "plaintext": "\"shown\"", "ciphertext": "v1:x"}
			}`,
			`"outputs": {"password": `+secretCipher()+`}`)),
		check: func(t *testing.T, d *Deployment) {
			r := d.Inputs[0]
			hidden := secretOf(computed)
			assert.Equal(t, hidden, prop(r, "password"))
			assert.Equal(t, gcp.Unknown, r.Get("password").State(), "a ciphertext secret is unknown, never absent")
			assert.True(t, r.Get("password").Secret())
			assert.Equal(t, hidden, r.At("nested", "list").Index(0).Raw())
			assert.Equal(t, property.New("plain"), r.At("nested", "list").Index(1).Raw())
			assert.Equal(t, hidden, prop(r, "inPlaintext"))
			assert.Equal(t, secretOf(property.New("shown")), prop(r, "both"), "plaintext wins")
			assert.Equal(t, hidden, prop(d.Outputs[0], "password"))
			assert.Equal(t, 4, d.CiphertextSecrets)
			assert.Equal(t, map[string][]string{jobURN: {"inPlaintext", "nested.list[0]", "password"}}, d.EncryptedInputs,
				"paths as gcp.Value.Path spells them, sorted")
			assert.Equal(t, map[string][]string{jobURN: {"password"}}, d.EncryptedOutputs)
			for _, path := range d.EncryptedInputs[jobURN] {
				assert.Equal(t, path, valueAt(r, path).Path())
				assert.True(t, valueAt(r, path).IsUnknown(), path)
			}
		},
	},
	{
		name: "encrypted paths with a provider",
		input: export(
			res(provURN, gcp.ProviderType, `"id": "`+provID+`"`,
				`"inputs": {"project": "p", "credentials": `+secretCipher()+`}`, `"outputs": {"project": "p"}`),
			res(jobURN, "gcp:dataflow/job:Job", `"provider": "`+provRef+`"`,
				`"inputs": {"labels": {"cost.center": `+secretCipher()+`}, "zone": "`+unknown+`"}`,
				`"outputs": {"labels": {"cost.center": `+secretCipher()+`}}`),
			res(bucketURN, "gcp:storage/bucket:Bucket", `"provider": "`+provRef+`"`, `"inputs": {"name": "b"}`),
			res(stackURN, gcp.StackType)),
		check: func(t *testing.T, d *Deployment) {
			assert.Equal(t, map[string][]string{
				provURN:   {"credentials"},
				jobURN:    {"credentials", `labels["cost.center"]`},
				bucketURN: {"credentials"},
			}, d.EncryptedInputs, "a resource reads its provider's inputs too; a computed value is not encrypted")
			assert.Equal(t, map[string][]string{
				jobURN:    {"credentials", `labels["cost.center"]`},
				bucketURN: {"credentials"},
			}, d.EncryptedOutputs, "the provider's outputs hold nothing encrypted")
			assert.Equal(t, `labels["cost.center"]`, d.Inputs[1].Get("labels").Get("cost.center").Path())
		},
	},
	{
		name: "unknown sentinel",
		input: export(res(jobURN, "gcp:dataflow/job:Job",
			`"inputs": {
				"id": "`+unknown+`",
				"nested": {"a": ["x", "`+unknown+`"]},
				"secret": `+secretPlain(`"`+unknown+`"`)+`,
				"secretNested": `+secretPlain(`{"k": "`+unknown+`"}`)+`,
				"otherSentinel": "`+sig.UnknownBoolValue+`"
			}`)),
		check: func(t *testing.T, d *Deployment) {
			r := d.Inputs[0]
			assert.Equal(t, computed, prop(r, "id"))
			assert.True(t, r.Get("id").IsUnknown())
			assert.Equal(t, computed, r.At("nested", "a").Index(1).Raw())
			assert.True(t, r.Get("nested").HasUnknown())
			assert.Equal(t, secretOf(computed), prop(r, "secret"))
			assert.Equal(t, secretOf(property.New(map[string]property.Value{"k": computed})), prop(r, "secretNested"))
			// Exports only ever write the string sentinel, as the engine does.
			assert.Equal(t, property.New(sig.UnknownBoolValue), prop(r, "otherSentinel"))
		},
	},
	{
		name: "signature objects stay plain maps",
		input: export(res(jobURN, "gcp:dataflow/job:Job",
			`"inputs": {
				"asset": {"`+sig.Key+`": "`+sig.AssetSig+`", "hash": "abc", "text": "hello"},
				"archive": {"`+sig.Key+`": "`+sig.ArchiveSig+`", "assets": {"a.txt": {"`+sig.Key+`": "`+sig.AssetSig+`", "path": "a.txt"}}},
				"ref": {"`+sig.Key+`": "`+sig.ResourceReference+`", "urn": "`+bucketURN+`", "id": "staging-bucket", "packageVersion": "9.6.0"},
				"output": {"`+sig.Key+`": "`+sig.OutputValue+`", "value": `+secretPlain(`"s"`)+`},
				"weirdSig": {"`+sig.Key+`": 5}
			}`)),
		check: func(t *testing.T, d *Deployment) {
			r := d.Inputs[0]
			assert.Equal(t, property.New(map[string]property.Value{
				sig.Key: property.New(sig.AssetSig),
				"hash":  property.New("abc"),
				"text":  property.New("hello"),
			}), prop(r, "asset"))
			assert.Equal(t, sig.ArchiveSig, r.At("archive", sig.Key).Str())
			assert.Equal(t, "a.txt", r.At("archive", "assets", "a.txt", "path").Str())
			assert.Equal(t, "staging-bucket", r.At("ref", "id").Str())
			assert.Equal(t, secretOf(property.New("s")), r.At("output", "value").Raw())
			assert.Equal(t, property.New(5.0), r.At("weirdSig", sig.Key).Raw())
		},
	},
	{
		name: "provider resolution",
		input: export(
			// Declared before its provider.
			res(bucketURN, "gcp:storage/bucket:Bucket", `"provider": "`+provRef+`"`),
			provRes,
			res("urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::dangling", "gcp:storage/bucket:Bucket",
				`"provider": "urn:pulumi:dev::etl::pulumi:providers:gcp::gone::`+provID+`"`),
			res("urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::noid", "gcp:storage/bucket:Bucket",
				`"provider": "`+provURN+`"`),
			res("urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::garbage", "gcp:storage/bucket:Bucket",
				`"provider": "`+jobURN+`::id"`),
			res("urn:pulumi:dev::etl::pulumi:providers:random::r", "pulumi:providers:random", `"inputs": {"version": "4.0.0"}`),
			res("urn:pulumi:dev::etl::random:index/randomId:RandomId::suffix", "random:index/randomId:RandomId",
				`"provider": "urn:pulumi:dev::etl::pulumi:providers:random::r::`+unknown+`"`),
			res(jobURN, "gcp:dataflow/job:Job", `"provider": "not a reference"`),
		),
		check: func(t *testing.T, d *Deployment) {
			require.Len(t, d.Inputs, 8)
			require.NotNil(t, d.Inputs[0].Provider)
			assert.Equal(t, provURN, d.Inputs[0].Provider.URN)
			assert.Equal(t, "europe-west1", d.Outputs[0].Provider.Get("region").Str())
			assert.Nil(t, d.Inputs[2].Provider, "dangling reference")
			assert.Nil(t, d.Outputs[2].Provider)
			require.NotNil(t, d.Inputs[3].Provider, "reference without an ID")
			assert.Same(t, d.Inputs[0].Provider, d.Inputs[3].Provider)
			assert.Nil(t, d.Inputs[4].Provider, "references a resource that is not a provider")
			assert.Nil(t, d.Inputs[7].Provider, "not a reference")
			require.NotNil(t, d.Inputs[6].Provider)
			assert.Equal(t, "pulumi:providers:random", d.Inputs[6].Provider.Type)
			assert.Equal(t, "4.0.0", d.Inputs[6].Provider.Get("version").Str())
		},
	},
	{
		name: "wants",
		input: export(
			res(bucketURN, "gcp:storage/bucket:Bucket", `"want": ["^bucket-.*", "uniform"]`),
			res(jobURN, "gcp:dataflow/job:Job", `"want": []`),
			res("urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::other", "gcp:storage/bucket:Bucket", `"want": null`),
			provRes,
		),
		check: func(t *testing.T, d *Deployment) {
			assert.Equal(t, map[string][]string{
				bucketURN: {"^bucket-.*", "uniform"},
				jobURN:    {},
			}, d.Wants)
			assert.NotNil(t, d.Wants[jobURN], "an empty want means no violations")
		},
	},
	{
		name: "project and stack without a stack resource",
		input: export(
			res("urn:pulumi:prod::billing::gcp:storage/bucket:Bucket::b", "gcp:storage/bucket:Bucket"),
			res("urn:pulumi:other::x::gcp:storage/bucket:Bucket::c", "gcp:storage/bucket:Bucket"),
		),
		check: func(t *testing.T, d *Deployment) {
			assert.Equal(t, "billing", d.Project)
			assert.Equal(t, "prod", d.Stack)
		},
	},
	{
		name: "project and stack prefer the stack resource",
		input: export(
			res("urn:pulumi:other::x::gcp:storage/bucket:Bucket::c", "gcp:storage/bucket:Bucket"),
			res("urn:pulumi:prod::billing::pulumi:pulumi:Stack::billing-prod", gcp.StackType),
			res("urn:pulumi:third::y::gcp:storage/bucket:Bucket::d", "gcp:storage/bucket:Bucket"),
		),
		check: func(t *testing.T, d *Deployment) {
			assert.Equal(t, "billing", d.Project)
			assert.Equal(t, "prod", d.Stack)
		},
	},
	{
		name:  "component children keep their name",
		input: export(res("urn:pulumi:dev::etl::my:index:Pipeline$gcp:dataflow/job:Job::a::b", "gcp:dataflow/job:Job")),
		check: func(t *testing.T, d *Deployment) {
			assert.Equal(t, "a::b", d.Inputs[0].Name)
			assert.Equal(t, "gcp:dataflow/job:Job", d.Inputs[0].Type)
		},
	},
	{
		name:  "zero resources",
		input: export(),
		check: func(t *testing.T, d *Deployment) {
			assert.Empty(t, d.Inputs)
			assert.Empty(t, d.Outputs)
			assert.Empty(t, d.Project)
			assert.Empty(t, d.Stack)
			assert.NotNil(t, d.Wants)
		},
	},
	{
		name:  "no resources key",
		input: `{"version": 3, "deployment": {"manifest": {"time": "2025-01-01T00:00:00Z", "magic": "", "version": ""}}}`,
		check: func(t *testing.T, d *Deployment) { assert.Empty(t, d.Inputs) },
	},
	{
		name:  "null resources",
		input: `{"version": 3, "deployment": {"resources": null}}`,
		check: func(t *testing.T, d *Deployment) { assert.Empty(t, d.Inputs) },
	},
	{
		name: "unknown fields are ignored",
		input: `{"version": 3, "features": ["x"], "extra": {"deep": [1, {"a": null}]}, "deployment": {
			"pending_operations": [{"resource": ` + res(bucketURN, "gcp:storage/bucket:Bucket") + `, "type": "creating"}],
			"metadata": {"integrityErrorMetadata": {"version": "1"}},
			"resources": [` + res(jobURN, "gcp:dataflow/job:Job", `"protect": true, "aliases": [], "customTimeouts": {"create": 10}, "created": "2025-01-01T00:00:00Z", "sourcePosition": "x", "future": {"a": [1]}`) + `],
			"futureKey": "x"}, "trailing": true}`,
		check: func(t *testing.T, d *Deployment) {
			require.Len(t, d.Inputs, 1)
			assert.Equal(t, jobURN, d.Inputs[0].URN)
		},
	},
	{
		name: "resources pending deletion are skipped",
		input: export(
			res(bucketURN, "gcp:storage/bucket:Bucket", `"inputs": {"location": "US"}`),
			res(bucketURN, "gcp:storage/bucket:Bucket", `"delete": true`, `"inputs": {"location": "EU"}`, `"want": ["x"]`),
		),
		check: func(t *testing.T, d *Deployment) {
			require.Len(t, d.Inputs, 1)
			assert.Equal(t, "US", d.Inputs[0].Get("location").Str())
			assert.Empty(t, d.Wants)
		},
	},
	{
		name:  "deployment before version",
		input: `{"deployment": {"resources": [` + jobRes + `]}, "version": 3}`,
		check: func(t *testing.T, d *Deployment) { assert.Len(t, d.Inputs, 1) },
	},
	{
		name:  "utf-8 byte order mark",
		input: "\uFEFF" + export(jobRes),
		check: func(t *testing.T, d *Deployment) { assert.Len(t, d.Inputs, 1) },
	},
	{
		name:  "deep nesting",
		input: export(res(jobURN, "t", `"inputs": {"a": `+strings.Repeat(`{"b": [`, 2000)+`"`+unknown+`"`+strings.Repeat(`]}`, 2000)+`}`)),
		check: func(t *testing.T, d *Deployment) {
			v := d.Inputs[0].Get("a")
			for range 2000 {
				v = v.Get("b").Index(0)
			}
			assert.True(t, v.IsUnknown())
		},
	},
	{
		name:  "compact single line",
		input: `{"version":3,"deployment":{"resources":[{"urn":"` + jobURN + `","type":"gcp:dataflow/job:Job","inputs":{"a":1}}]}}`,
		check: func(t *testing.T, d *Deployment) { assert.Equal(t, 1.0, d.Inputs[0].Get("a").Raw().AsNumber()) },
	},
}

func TestRead(t *testing.T) {
	for _, tc := range readCases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Read(strings.NewReader(tc.input))
			require.NoError(t, err)
			require.NotNil(t, d)
			require.Len(t, d.Outputs, len(d.Inputs))
			tc.check(t, d)

			// Reading in tiny chunks must not change anything.
			d2, err := Read(iotest.OneByteReader(strings.NewReader(tc.input)))
			require.NoError(t, err)
			assert.Equal(t, len(d.Inputs), len(d2.Inputs))
			assert.Equal(t, d.CiphertextSecrets, d2.CiphertextSecrets)
		})
	}
}

type errCase struct {
	name  string
	input string
	want  string // substring of the error
}

var versionMsg = "dataflow-guardrails reads version 3 exports from `pulumi stack export`"

var errCases = []errCase{
	{"empty", "", "empty input: expected the JSON output of `pulumi stack export`"},
	{"whitespace", " \n\t ", "empty input"},
	{"top level array", `[1, 2]`, "not a `pulumi stack export` document: the top level is an array, not an object"},
	{"top level string", `"x"`, "the top level is a string, not an object"},
	{"top level null", `null`, "the top level is null, not an object"},
	{"bad JSON", `{"version": 3 "deployment": {}}`, "invalid JSON at line 1 (byte offset 14): invalid character '\"' after object key:value pair"},
	{"bad JSON inside a resource", "{\n\"version\": 3,\n\"deployment\": {\n\"resources\": [\n" + jobRes + ",\n{\"urn\": \"" + jobURN + "\",\n \"type\": tru}]}}",
		"invalid JSON at line 7 (byte offset"},
	{"bad JSON in a key", `{"version": 3, "deploy\ment": {}}`, "invalid JSON at line 1 (byte offset 23): invalid character 'm' in string escape code"},
	{"missing comma between resources", export(jobRes + " " + jobRes), "invalid JSON at line 6 (byte offset"},
	{"truncated", `{"version": 3, "deployment": {"resources": [{"urn": "x`, "truncated input: the document ends at line 1 (byte offset 54) before it is complete"},
	{"truncated between values", "{\"version\": 3,\n", "truncated input: the document ends at line 2 (byte offset 15)"},
	{"trailing data", export() + ` {}`, "unexpected data after the export document, which ends at line 8"},
	{"trailing garbage", export() + "\nxyz", "unexpected data after the export document"},
	{"missing deployment", `{"version": 3}`, "missing `deployment`: not the output of `pulumi stack export`"},
	{"null deployment", `{"version": 3, "deployment": null}`, "`deployment` is null"},
	{"checkpoint file", `{"version": 3, "checkpoint": {"stack": "dev", "latest": {}}}`, "looks like a Pulumi state checkpoint file"},
	{"deployment not an object", `{"version": 3, "deployment": [1]}`, "`deployment` is an array, not an object"},
	{"duplicate deployment", `{"version": 3, "deployment": {}, "deployment": {}}`, "duplicate `deployment` key"},
	{"missing version", `{"deployment": {}}`, "missing `version`: " + versionMsg},
	{"version 4", `{"version": 4, "deployment": {}}`, "unsupported deployment version 4: " + versionMsg},
	{"version 2 after deployment", `{"deployment": {"resources": []}, "version": 2}`, "unsupported deployment version 2: " + versionMsg},
	{"version fraction", `{"version": 3.5, "deployment": {}}`, "unsupported deployment version 3.5: " + versionMsg},
	{"version string", `{"version": "3", "deployment": {}}`, "`version` is a string, not a number"},
	{"resources not an array", `{"version": 3, "deployment": {"resources": {}}}`, "`deployment.resources` is an object, not an array"},
	{"resource is a string", export(jobRes, `"x"`), "deployment.resources[1] is a string, not an object"},
	{"resource is a number", export(`5`), "deployment.resources[0] is a number, not an object"},
	{"resource is null", export(`null`), "deployment.resources[0] is null, not an object"},
	{"resource is an array", export(`[]`), "deployment.resources[0] is an array, not an object"},
	{"resource without urn", export(`{"type": "gcp:storage/bucket:Bucket"}`), "deployment.resources[0]: missing urn"},
	{"resource without type", export(`{"urn": "` + jobURN + `"}`), "deployment.resources[0] (" + jobURN + "): missing type"},
	{"malformed urn", export(`{"urn": "job", "type": "t"}`), `deployment.resources[0]: urn "job" is not of the form urn:pulumi:<stack>::<project>::<type>::<name>`},
	{"urn not a string", export(`{"urn": 5, "type": "t"}`), `deployment.resources[0]: "urn" has a number where a string belongs`},
	{"dependencies not an array", export(res(jobURN, "t", `"dependencies": "x"`)), `deployment.resources[0]: "dependencies" has a string where an array belongs`},
	{"inputs an array", export(res(jobURN, "t", `"inputs": [1]`)), "deployment.resources[0] (" + jobURN + "): inputs is an array, not an object"},
	{"inputs a string", export(res(jobURN, "t", `"inputs": "x"`)), "inputs is a string, not an object"},
	{"outputs a number", export(res(jobURN, "t", `"outputs": 1`)), "outputs is a number, not an object"},
	{"plaintext not JSON", export(res(jobURN, "t", `"inputs": {"a": {"b": [0, `+secretPlain(`{oops`)+`]}}`)),
		"deployment.resources[0] (" + jobURN + "): inputs.a.b[1]: secret plaintext is not valid JSON: invalid character 'o' looking for beginning of object key string"},
	{"plaintext not a string", export(res(jobURN, "t", `"outputs": {"p": {"`+sig.Key+`": "`+sig.Secret+`", "plaintext": 5}}`)),
		"outputs.p: secret plaintext is a number, not a string holding JSON"},
	{"secret without value", export(res(jobURN, "t", `"inputs": {"my key": {"`+sig.Key+`": "`+sig.Secret+`"}}`)),
		`inputs["my key"]: secret has neither plaintext nor ciphertext`},
	{"bad secret inside plaintext", export(res(jobURN, "t", `"inputs": {"p": `+secretPlain(`{"q": {"`+sig.Key+`": "`+sig.Secret+`", "plaintext": "[1,"}}`)+`}`)),
		"inputs.p.q: secret plaintext is not valid JSON: unexpected end of JSON input"},
	{"want not an array", export(res(jobURN, "t", `"want": "x"`)), "want is a string, not an array of regular expressions"},
	{"want element not a string", export(res(jobURN, "t", `"want": ["a", 1]`)), "want[1] is a number, not a regular expression string"},
	{"want bad regexp", export(res(jobURN, "t", `"want": ["(unclosed"]`)), "want[0]: error parsing regexp: missing closing ): `(unclosed`"},
	{"want multi-line bad regexp", export(res(jobURN, "t", `"want": ["a\n("]`)), "want[0]: error parsing regexp: missing closing ): `a\\n(`"},
	{"number out of range", export(res(jobURN, "t", `"inputs": {"a": {"b": [1, 1e400]}}`)), `deployment.resources[0]: "inputs" holds number 1e400, which is out of range`},
	{"number out of range in a secret", export(res(jobURN, "t", `"inputs": {"p": `+secretPlain(`-1e999`)+`}`)), "inputs.p: secret plaintext holds number -1e999, which is out of range"},
	{"version out of range", `{"version": 1e999, "deployment": {}}`, "unsupported deployment version 1e999: " + versionMsg},
	{"bad secret deep inside", export(res(jobURN, "t", `"inputs": {"a": `+strings.Repeat("[", 3000)+secretPlain("{")+strings.Repeat("]", 3000)+`}`)),
		"inputs.a" + strings.Repeat("[0]", 3000) + ": secret plaintext is not valid JSON"},
	{"utf-16", "\xFF\xFE{\x00}\x00", "the export is UTF-16 encoded"},
	{"too deep", `{"version": 3, "deployment": {"resources": [{"inputs": ` + strings.Repeat("[", 20000) + `]}]}}`, "exceeded max depth"},
}

func TestReadErrors(t *testing.T) {
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.input), iotest.OneByteReader(strings.NewReader(tc.input)), iotest.HalfReader(strings.NewReader(tc.input))} {
				d, err := Read(r)
				require.Error(t, err)
				assert.Nil(t, d)
				assert.Contains(t, err.Error(), tc.want)
				assert.NotContains(t, err.Error(), "\n", "errors are one line")
			}
		})
	}
}

// TestErrorOffsets checks that reported positions point at the offending byte
// however the decoder got there.
func TestErrorOffsets(t *testing.T) {
	prefix := "{\n  \"version\": 3,\n  \"deployment\": {\n    \"resources\": [\n" + jobRes + ",\n" + bucketRes + ",\n"
	ok := res(jobURN, "t")
	// « marks the offending byte.
	for _, tc := range []struct{ name, bad string }{
		{"inside a resource", `{"urn": "x", "type": «@}`},
		{"inside a string", "{\"urn\": \"a«\x01\"}"},
		{"missing comma", ok + " «" + ok},
		{"bad delimiter", ok + "«}"},
		{"bad key", ok + `, {"urn": "x", "ty\«pe": "t"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := strings.Index(tc.bad, "«")
			input := prefix + strings.Replace(tc.bad, "«", "", 1) + "\n]}}"
			off := len(prefix) + at
			line := strings.Count(input[:off], "\n") + 1
			want := fmt.Sprintf("invalid JSON at line %d (byte offset %d)", line, off)
			for _, r := range []io.Reader{strings.NewReader(input), iotest.OneByteReader(strings.NewReader(input))} {
				_, err := Read(r)
				require.Error(t, err)
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

// TestTruncated cuts a valid export at every byte: each prefix is either
// empty input or truncated, never a success or a panic.
func TestTruncated(t *testing.T) {
	full := export(stackRes, provRes, res(jobURN, "gcp:dataflow/job:Job", `"inputs": {"p": `+secretPlain(`{"a": [1, true, null]}`)+`, "n": -1.5e3}`))
	require.NoError(t, func() error { _, err := Read(strings.NewReader(full)); return err }())
	for i := range len(full) - 1 {
		_, err := Read(strings.NewReader(full[:i]))
		require.Error(t, err, "prefix %d", i)
		if strings.TrimSpace(full[:i]) == "" {
			assert.Contains(t, err.Error(), "empty input")
			continue
		}
		require.Contains(t, err.Error(), "truncated input", "prefix %d: %q", i, full[:i])
		assert.Contains(t, err.Error(), fmt.Sprintf("(byte offset %d)", i))
	}
}

func TestReadErrorsFromReader(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"immediately", iotest.ErrReader(boom)},
		{"midway", io.MultiReader(strings.NewReader(`{"version": 3, "deployment": {"resources": [`), iotest.ErrReader(boom))},
		{"with data", iotest.DataErrReader(io.MultiReader(strings.NewReader(`{"version": 3,`), iotest.ErrReader(boom)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Read(tc.r)
			assert.Nil(t, d)
			require.ErrorIs(t, err, boom)
			assert.Equal(t, "cannot read input: boom", err.Error())
		})
	}
	_, err := Read(nil)
	assert.EqualError(t, err, "no input")
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(export(stackRes, jobRes)), 0o600))
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"version": 4, "deployment": {}}`), 0o600))

	d, err := ReadFile(good)
	require.NoError(t, err)
	assert.Len(t, d.Inputs, 2)

	_, err = ReadFile(bad)
	assert.EqualError(t, err, bad+": unsupported deployment version 4: "+versionMsg)

	missing := filepath.Join(dir, "missing.json")
	_, err = ReadFile(missing)
	assert.EqualError(t, err, "cannot read "+missing+": no such file or directory")
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, err = ReadFile(dir)
	assert.EqualError(t, err, "cannot read "+dir+": is a directory")

	t.Run("stdin", func(t *testing.T) {
		for _, tc := range []struct {
			file, err string
		}{{good, ""}, {bad, "stdin: unsupported deployment version 4"}} {
			f, err := os.Open(tc.file)
			require.NoError(t, err)
			saved := os.Stdin
			os.Stdin = f
			d, err := ReadFile("-")
			os.Stdin = saved
			require.NoError(t, f.Close())
			if tc.err == "" {
				require.NoError(t, err)
				assert.Len(t, d.Inputs, 2)
			} else {
				require.ErrorContains(t, err, tc.err)
			}
		}
	})
}

// TestLargeExport reads the benchmark's generated export and checks counts.
func TestLargeExport(t *testing.T) {
	data, n := generateExport(t, 1000)
	d, err := Read(bytes.NewReader(data))
	require.NoError(t, err)
	require.Len(t, d.Inputs, n)
	assert.Equal(t, "etl", d.Project)
	assert.Equal(t, "prod", d.Stack)
	assert.Positive(t, d.CiphertextSecrets)
	withProvider := 0
	for _, r := range d.Inputs {
		if r.Provider != nil {
			withProvider++
		}
	}
	assert.Equal(t, n-1-generatedProviders, withProvider)
}

func FuzzRead(f *testing.F) {
	for _, tc := range readCases {
		f.Add([]byte(tc.input))
	}
	for _, tc := range errCases {
		f.Add([]byte(tc.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Read(bytes.NewReader(data))
		if err != nil {
			if d != nil {
				t.Fatalf("both a deployment and an error: %v", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("multi-line error: %q", err.Error())
			}
			return
		}
		if d == nil {
			t.Fatal("neither a deployment nor an error")
		}
		if len(d.Inputs) != len(d.Outputs) {
			t.Fatalf("%d inputs but %d outputs", len(d.Inputs), len(d.Outputs))
		}
		for i, r := range d.Inputs {
			if r.URN == "" || r.Type == "" || r.URN != d.Outputs[i].URN {
				t.Fatalf("resource %d: bad identity %q/%q", i, r.URN, r.Type)
			}
		}
	})
}

const generatedProviders = 5

// generateExport builds a pretty-printed export of about n resources shaped
// like a Dataflow estate: a stack, a few providers, then buckets, service
// accounts and Dataflow jobs with nested settings, secrets and unknowns.
func generateExport(tb testing.TB, n int) ([]byte, int) {
	tb.Helper()
	secret := func(v any) map[string]any {
		b, err := json.Marshal(v)
		require.NoError(tb, err)
		return map[string]any{sig.Key: sig.Secret, "plaintext": string(b)}
	}
	cipher := map[string]any{sig.Key: sig.Secret, "ciphertext": "v1:c2VjcmV0:ZW5jcnlwdGVk"}
	root := "urn:pulumi:prod::etl::pulumi:pulumi:Stack::etl-prod"
	resources := []map[string]any{{"urn": root, "custom": false, "type": gcp.StackType, "outputs": map[string]any{"region": "europe-west1"}}}
	var provRefs []string
	for i := range generatedProviders {
		urn := fmt.Sprintf("urn:pulumi:prod::etl::pulumi:providers:gcp::p%d", i)
		id := fmt.Sprintf("6b3c4a1e-0000-4000-8000-%012d", i)
		props := map[string]any{"project": fmt.Sprintf("proj-%d", i), "region": "europe-west1", "version": "9.6.0", "credentials": cipher}
		resources = append(resources, map[string]any{"urn": urn, "custom": true, "id": id, "type": gcp.ProviderType, "inputs": props, "outputs": props})
		provRefs = append(provRefs, urn+"::"+id)
	}
	for i := 0; len(resources) < n; i++ {
		var typ string
		var in, out map[string]any
		var deps []string
		labels := map[string]any{"env": "prod", "team": "data", "cost-center": strconv.Itoa(i % 17)}
		switch i % 3 {
		case 0:
			typ = "gcp:storage/bucket:Bucket"
			in = map[string]any{
				"name": fmt.Sprintf("bucket-%d", i), "location": "EU", "uniformBucketLevelAccess": i%5 != 0,
				"labels": labels, "versioning": map[string]any{"enabled": true},
				"lifecycleRules": []any{map[string]any{"action": map[string]any{"type": "Delete"}, "condition": map[string]any{"age": 30.0}}},
			}
			out = map[string]any{"selfLink": "https://storage.googleapis.com/bucket-" + strconv.Itoa(i), "url": "gs://bucket-" + strconv.Itoa(i)}
		case 1:
			typ = "gcp:serviceaccount/account:Account"
			in = map[string]any{"accountId": fmt.Sprintf("sa-%d", i), "displayName": "Dataflow worker", "project": "proj-1"}
			out = map[string]any{"email": fmt.Sprintf("sa-%d@proj-1.iam.gserviceaccount.com", i), "uniqueId": unknown}
		default:
			typ = "gcp:dataflow/flexTemplateJob:FlexTemplateJob"
			deps = []string{fmt.Sprintf("urn:pulumi:prod::etl::gcp:storage/bucket:Bucket::b%d", i-2)}
			in = map[string]any{
				"name": fmt.Sprintf("job-%d", i), "containerSpecGcsPath": "gs://templates/spec.json", "region": "europe-west1",
				"maxWorkers": float64(i % 50), "ipConfiguration": "WORKER_IP_PRIVATE", "enableStreamingEngine": true,
				"serviceAccountEmail": fmt.Sprintf("sa-%d@proj-1.iam.gserviceaccount.com", i-1),
				"kmsKeyName":          unknown, "labels": labels,
				"parameters":            map[string]any{"inputTopic": "projects/p/topics/t", "password": secret("s3cr3t"), "token": cipher},
				"additionalExperiments": []any{"enable_prime", "use_runner_v2"},
			}
			out = map[string]any{"jobId": unknown, "state": "JOB_STATE_RUNNING", "parameters": secret(map[string]any{"a": "b"})}
		}
		for k, v := range in {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
		name := fmt.Sprintf("r%d", i)
		r := map[string]any{
			"urn": fmt.Sprintf("urn:pulumi:prod::etl::%s::%s", typ, name), "custom": true, "id": name, "type": typ,
			"inputs": in, "outputs": out, "parent": root, "provider": provRefs[i%len(provRefs)],
			"propertyDependencies": map[string]any{"name": []any{}}, "created": "2025-01-01T00:00:00Z", "modified": "2025-01-02T00:00:00Z",
		}
		if deps != nil {
			r["dependencies"] = deps
		}
		resources = append(resources, r)
	}
	doc := map[string]any{"version": 3, "deployment": map[string]any{
		"manifest":  map[string]any{"time": "2025-01-01T00:00:00Z", "magic": "m", "version": "v3.274.1"},
		"resources": resources,
	}}
	data, err := json.MarshalIndent(doc, "", "    ")
	require.NoError(tb, err)
	return data, len(resources)
}

func BenchmarkRead(b *testing.B) {
	data, n := generateExport(b, 5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Read(bytes.NewReader(data))
		if err != nil || len(d.Inputs) != n {
			b.Fatalf("read %v resources: %v", d, err)
		}
	}
}

// TestStream: Stream hands over, once each, the inputs Read keeps, with the
// deployment's final project and stack, and keeps the same outputs.
func TestStream(t *testing.T) {
	for _, tc := range readCases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := Read(strings.NewReader(tc.input))
			require.NoError(t, err)
			var got []Inputs
			d, err := Stream(strings.NewReader(tc.input), func(in Inputs) { got = append(got, in) })
			require.NoError(t, err)
			assert.Nil(t, d.Inputs)
			require.Len(t, got, len(want.Inputs))
			seen := map[int]bool{}
			for _, in := range got {
				assert.False(t, seen[in.Index], "resource %d handed over twice", in.Index)
				seen[in.Index] = true
				assert.Equal(t, want.Project, in.Project)
				assert.Equal(t, want.Stack, in.Stack)
				assert.Equal(t, want.Inputs[in.Index], in.Resource)
			}
			assert.Equal(t, want.Outputs, d.Outputs)
			assert.Equal(t, want.Total, d.Total)
			assert.Equal(t, want.CiphertextSecrets, d.CiphertextSecrets)
			assert.Equal(t, want.EncryptedOutputs, d.EncryptedOutputs)
			assert.Nil(t, d.EncryptedInputs)
			encrypted := map[string][]string{}
			for _, in := range got {
				if len(in.Encrypted) > 0 {
					encrypted[in.Resource.URN] = in.Encrypted
				}
			}
			assert.Equal(t, len(want.EncryptedInputs), len(encrypted))
			for urn, paths := range want.EncryptedInputs {
				assert.Equal(t, paths, encrypted[urn])
			}
		})
	}
}

// valueAt follows a path of plain keys and indexes, as the tests spell them.
func valueAt(r *gcp.Resource, path string) gcp.Value {
	v := r.Root()
	for _, part := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		v = v.Get(key)
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			i, _ := strconv.Atoi(idx)
			v = v.Index(i)
			rest = strings.TrimPrefix(rest, "[")
		}
	}
	return v
}

// TestStreamOrder: inputs come in export order as they are read, except that
// resources read before the root stack resource wait for it (it settles the
// project and stack) and those read before their provider wait for the end.
func TestStreamOrder(t *testing.T) {
	early := res("urn:pulumi:other::elsewhere::gcp:storage/bucket:Bucket::early", "gcp:storage/bucket:Bucket")
	beforeProvider := res("urn:pulumi:dev::etl::gcp:storage/bucket:Bucket::first", "gcp:storage/bucket:Bucket", `"provider": "`+provRef+`"`)
	input := export(early, beforeProvider, stackRes, provRes, bucketRes, jobRes)
	var order []int
	d, err := Stream(strings.NewReader(input), func(in Inputs) {
		order = append(order, in.Index)
		assert.Equal(t, "etl", in.Project)
		assert.Equal(t, "dev", in.Stack)
		if in.Index >= 1 && in.Index != 2 && in.Index != 3 {
			require.NotNil(t, in.Resource.Provider, "resource %d", in.Index)
			assert.Equal(t, provURN, in.Resource.Provider.URN)
		}
	})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2, 3, 4, 5, 1}, order)
	assert.Same(t, d.Outputs[1].Provider, d.Outputs[4].Provider)

	// An error after some inputs were handed over still fails the read.
	n := 0
	_, err = Stream(strings.NewReader(export(stackRes, provRes, `{"urn": "x"}`)), func(Inputs) { n++ })
	require.Error(t, err)
	assert.Equal(t, 2, n)
}

// TestSharingKeepsValuesApart: equal objects and arrays are shared between
// resources, and values that differ, however slightly, are never mistaken
// for one another: every resource reads as it does alone.
func TestSharingKeepsValuesApart(t *testing.T) {
	variants := []string{
		`{"a": 1}`, `{"a": "1"}`, `{"a": 1.5}`, `{"a": true}`, `{"a": false}`, `{"a": "true"}`, `{"a": null}`, `{}`, `[]`, `""`,
		`{"a": "` + unknown + `"}`, `{"a": "x"}`, `{"ab": "c"}`, `{"a": "bc"}`, `{"a": 1, "b": 2}`, `{"b": 2, "a": 1}`,
		`[1, 2]`, `[2, 1]`, `[[1], 2]`, `[1, [2]]`, `[[]]`, `[{}]`, `{"a": {"b": 1}}`, `{"a": {"b": 2}}`, `[{"b": 1}]`,
		`{"a": ` + secretPlain(`1`) + `}`, `{"a": ` + secretPlain(`{"b": 1}`) + `}`, `{"a": ` + secretCipher() + `}`,
		`{"` + sig.Key + `": "` + sig.AssetSig + `", "text": "x"}`,
	}
	var resources []string
	for round := range 2 {
		for i, v := range variants {
			urn := fmt.Sprintf("urn:pulumi:dev::etl::x:index:Thing::r%d-%d", round, i)
			resources = append(resources, res(urn, "x:index:Thing", `"inputs": {"v": `+v+`}`, `"outputs": {"v": `+v+`, "w": [`+v+`]}`))
		}
	}
	d, err := Read(strings.NewReader(export(resources...)))
	require.NoError(t, err)
	for i, r := range resources {
		alone, err := Read(strings.NewReader(export(r)))
		require.NoError(t, err)
		assert.True(t, alone.Inputs[0].Props.Equals(d.Inputs[i].Props), "inputs of %s", r)
		assert.True(t, alone.Outputs[0].Props.Equals(d.Outputs[i].Props), "outputs of %s", r)
		assert.Equal(t, alone.Inputs[0].Props, d.Inputs[i].Props)
		assert.Equal(t, alone.Outputs[0].Props, d.Outputs[i].Props)
	}

	// Shared: the same object in both rounds and in inputs and outputs.
	n := len(variants)
	labels := func(r *gcp.Resource, key string) uintptr { return mapID(r.Props.Get(key).AsMap()) }
	obj := 22 // {"a": {"b": 1}}
	assert.Equal(t, labels(d.Inputs[obj], "v"), labels(d.Inputs[n+obj], "v"))
	assert.Equal(t, labels(d.Inputs[obj], "v"), labels(d.Outputs[obj], "v"))
	assert.NotEqual(t, labels(d.Inputs[obj], "v"), labels(d.Inputs[obj+1], "v"))
	// Secrets keep their own identity.
	sec := 25
	assert.NotEqual(t, d.Inputs[sec].Get("v").Raw().AsMap().Get("a").SecretID(), d.Inputs[n+sec].Get("v").Raw().AsMap().Get("a").SecretID())
}

// mapID is the identity of the Go map behind a property map.
func mapID(m property.Map) uintptr { return reflect.ValueOf(m).Field(0).Pointer() }
