package propertypb_test

// The wire form itself is checked against propertyrpc in the e2e module
// (e2e/oracle); these tests need nothing but this package.

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
)

const (
	jobURN = "urn:pulumi:dev::etl::gcp:dataflow/job:Job::nightly"
	saURN  = "urn:pulumi:dev::etl::gcp:serviceaccount/account:Account::worker"
)

// everyKind holds one of each kind of value, secret, unknown and with
// dependencies, nested in maps and lists.
func everyKind() property.Map {
	deps := []urn.URN{saURN, jobURN}
	ref := property.NewResourceReference(saURN, property.New("projects/p/serviceAccounts/w"), "9.6.0")
	component := property.ResourceReference{URN: "urn:pulumi:dev::etl::my:index:Pipeline::p", Name: "p", Type: "my:index:Pipeline"}
	pending := property.NewResourceReference(jobURN, property.New(property.Computed), "")
	text := &asset.Asset{Sig: asset.AssetSig, Text: "print('hi')", Hash: "abc"}
	files := &archive.Archive{Sig: archive.ArchiveSig, Assets: map[string]any{
		"main.py": &asset.Asset{Sig: asset.AssetSig, Path: "main.py"},
		"lib":     &archive.Archive{Sig: archive.ArchiveSig, URI: "gs://b/lib.zip"},
	}}
	return property.NewMap(map[string]property.Value{
		"null":     property.New(property.Null),
		"bool":     property.New(true),
		"number":   property.New(-1.5),
		"string":   property.New("worker@p.iam.gserviceaccount.com"),
		"empty":    property.New(""),
		"bytes":    property.New("\xff\xfe not UTF-8"),
		"unknown":  property.New(property.Computed),
		"secret":   property.New("hunter2").WithSecret(true),
		"secretU":  property.New(property.Computed).WithSecret(true),
		"output":   property.New("x").WithDependencies(deps),
		"outputU":  property.New(property.Computed).WithDependencies(deps),
		"outputS":  property.New(map[string]property.Value{"k": property.New("v")}).WithSecret(true).WithDependencies(deps[:1]),
		"ref":      property.New(ref),
		"refC":     property.New(component),
		"refU":     property.New(pending),
		"asset":    property.New(text),
		"archive":  property.New(files),
		"list":     property.New([]property.Value{property.New(1.0), property.New("a").WithSecret(true), property.New(property.Computed)}),
		"emptyL":   property.New([]property.Value{}),
		"emptyM":   property.New(map[string]property.Value{}),
		"nested":   property.New(map[string]property.Value{"labels": property.New(map[string]property.Value{"team": property.New("data").WithSecret(true)})}),
		"nestedSL": property.New([]property.Value{property.New(map[string]property.Value{"bytes": property.New("\x80")}).WithSecret(true)}),
	})
}

func TestRoundTrip(t *testing.T) {
	in := everyKind()
	out, err := propertypb.Unmarshal(propertypb.Marshal(in))
	require.NoError(t, err)
	// DeepEqual, not Equals: Equals hashes archives by reading their files.
	for k, v := range in.All {
		assert.True(t, reflect.DeepEqual(v, out.Get(k)), "%s: %v came back as %v", k, v, out.Get(k))
	}
	assert.True(t, reflect.DeepEqual(in, out))
}

func TestWireForm(t *testing.T) {
	s := propertypb.Marshal(everyKind())
	f := s.GetFields()
	assert.Equal(t, sig.UnknownStringValue, f["unknown"].GetStringValue())
	assert.Equal(t, sig.Secret, f["secret"].GetStructValue().GetFields()[sig.Key].GetStringValue())
	assert.Equal(t, "hunter2", f["secret"].GetStructValue().GetFields()["value"].GetStringValue())
	out := f["outputU"].GetStructValue().GetFields()
	assert.Equal(t, sig.OutputValue, out[sig.Key].GetStringValue())
	assert.NotContains(t, out, "value", "an unknown output has no value")
	assert.Len(t, out["dependencies"].GetListValue().GetValues(), 2)
	assert.True(t, f["outputS"].GetStructValue().GetFields()["secret"].GetBoolValue())
	assert.Equal(t, sig.ByteString, f["bytes"].GetStructValue().GetFields()[sig.Key].GetStringValue())
	assert.Equal(t, sig.ResourceReference, f["ref"].GetStructValue().GetFields()[sig.Key].GetStringValue())
	assert.NotContains(t, f["refC"].GetStructValue().GetFields(), "id", "a component has no id")
	assert.Equal(t, "", f["refU"].GetStructValue().GetFields()["id"].GetStringValue(), "an unknown id is empty")
	assert.Equal(t, asset.AssetSig, f["asset"].GetStructValue().GetFields()[sig.Key].GetStringValue())
	assert.Equal(t, structpb.NewNullValue().GetKind(), f["null"].GetKind())
}

func TestUnmarshal(t *testing.T) {
	envelope := func(signature string, fields map[string]*structpb.Value) *structpb.Value {
		f := map[string]*structpb.Value{sig.Key: structpb.NewStringValue(signature)}
		for k, v := range fields {
			f[k] = v
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: f})
	}
	list := func(vs ...*structpb.Value) *structpb.Value {
		return structpb.NewListValue(&structpb.ListValue{Values: vs})
	}
	str := structpb.NewStringValue
	tests := []struct {
		name string
		in   *structpb.Value
		want property.Value
	}{
		{"missing kind is null", &structpb.Value{}, property.Value{}},
		{"every unknown sentinel", list(str(sig.UnknownObjectValue), str(sig.UnknownBoolValue)),
			property.New([]property.Value{property.New(property.Computed), property.New(property.Computed)})},
		{"secret unknown", envelope(sig.Secret, map[string]*structpb.Value{"value": str(sig.UnknownArrayValue)}),
			property.New(property.Computed).WithSecret(true)},
		{"output without value is unknown", envelope(sig.OutputValue, nil), property.New(property.Computed)},
		{"output secret false", envelope(sig.OutputValue, map[string]*structpb.Value{"value": str("x"), "secret": structpb.NewBoolValue(false)}),
			property.New("x")},
		{"output with no dependencies", envelope(sig.OutputValue, map[string]*structpb.Value{"value": str("x"), "dependencies": list()}),
			property.New("x")},
		{"dependencies sorted and deduplicated", envelope(sig.OutputValue, map[string]*structpb.Value{"value": str("x"),
			"dependencies": list(str(saURN), str(jobURN), str(saURN))}), property.New("x").WithDependencies([]urn.URN{jobURN, saURN})},
		{"reference name and type from its urn", envelope(sig.ResourceReference, map[string]*structpb.Value{"urn": str(saURN), "id": str("w")}),
			property.New(property.NewResourceReference(saURN, property.New("w"), ""))},
		{"reference with an invalid urn", envelope(sig.ResourceReference, map[string]*structpb.Value{"urn": str("not-a-urn"), "id": str(sig.UnknownStringValue)}),
			property.New(property.ResourceReference{URN: "not-a-urn", ID: property.New(property.Computed)})},
		{"empty archive", envelope(sig.ArchiveSig, nil), property.New(&archive.Archive{Sig: archive.ArchiveSig, Assets: map[string]any{}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := propertypb.UnmarshalValue(tt.in)
			require.NoError(t, err)
			assert.True(t, reflect.DeepEqual(tt.want, got), "got %v, want %v", got, tt.want)
		})
	}
}

// Malformed values are errors that say where, and never echo what the value
// holds (a malformed envelope may sit inside a secret).
func TestUnmarshalErrors(t *testing.T) {
	const secret = "s3cr3t-value"
	envelope := func(signature string, fields map[string]*structpb.Value) *structpb.Value {
		f := map[string]*structpb.Value{sig.Key: structpb.NewStringValue(signature)}
		for k, v := range fields {
			f[k] = v
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: f})
	}
	str := structpb.NewStringValue
	num := structpb.NewNumberValue(1)
	tests := []struct {
		name    string
		in      *structpb.Value
		wantErr string
	}{
		{"unknown signature", envelope(secret, nil), "object with an unknown signature"},
		{"signature not a string", structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{sig.Key: num}}), "unknown signature"},
		{"secret without value", envelope(sig.Secret, nil), "secret without a value"},
		{"bad inside a secret", envelope(sig.Secret, map[string]*structpb.Value{"value": envelope(secret, nil)}), "unknown signature"},
		{"output secret flag", envelope(sig.OutputValue, map[string]*structpb.Value{"secret": str("yes")}), "secret flag is not a bool"},
		{"output dependencies", envelope(sig.OutputValue, map[string]*structpb.Value{"dependencies": str(secret)}), "dependencies are not a list"},
		{"output dependency", envelope(sig.OutputValue, map[string]*structpb.Value{"dependencies": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{num}})}), "dependency 0 is not a string"},
		{"reference without urn", envelope(sig.ResourceReference, nil), "without a urn"},
		{"reference id", envelope(sig.ResourceReference, map[string]*structpb.Value{"urn": str(saURN), "id": num}), "id is not a string"},
		{"byte string without value", envelope(sig.ByteString, nil), "byte string without a value"},
		{"byte string not base64", envelope(sig.ByteString, map[string]*structpb.Value{"value": str(secret + "!")}), "not base64"},
		{"byte string not a string", envelope(sig.ByteString, map[string]*structpb.Value{"value": num}), "not a string"},
		{"asset field", envelope(sig.AssetSig, map[string]*structpb.Value{"text": num}), "malformed asset"},
		{"archive member", envelope(sig.ArchiveSig, map[string]*structpb.Value{"assets": structpb.NewStructValue(&structpb.Struct{
			Fields: map[string]*structpb.Value{"f": str(secret)}})}), "malformed archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &structpb.Struct{Fields: map[string]*structpb.Value{
				"ok": str("fine"),
				"spec": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
					"odd key": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{str("fine"), tt.in}})}}),
			}}
			_, err := propertypb.Unmarshal(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), `spec["odd key"][1]: `), err.Error())
			assert.NotContains(t, err.Error(), secret)

			_, err = propertypb.UnmarshalValue(tt.in)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "<root>: "), err.Error())
		})
	}
}

// propertyrpc panics when it words an error under a key of 16 KiB or more;
// a request must never crash the pack.
func TestLongKeys(t *testing.T) {
	long := strings.Repeat("k", 1<<15)
	bad := structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{sig.Key: structpb.NewStringValue(sig.Secret)}})
	_, err := propertypb.Unmarshal(&structpb.Struct{Fields: map[string]*structpb.Value{long: bad}})
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 200, "the key is shortened in the message")

	m, err := propertypb.Unmarshal(&structpb.Struct{Fields: map[string]*structpb.Value{long: structpb.NewBoolValue(true)}})
	require.NoError(t, err)
	assert.True(t, m.Get(long).AsBool())
}

func TestNil(t *testing.T) {
	m, err := propertypb.Unmarshal(nil)
	require.NoError(t, err)
	assert.Equal(t, 0, m.Len())
	v, err := propertypb.UnmarshalValue(nil)
	require.NoError(t, err)
	assert.True(t, v.IsNull())
	assert.Empty(t, propertypb.Marshal(property.Map{}).GetFields())
}

// FuzzUnmarshal: any struct a peer could send is read without a panic, and
// what is read survives a round trip unchanged.
func FuzzUnmarshal(f *testing.F) {
	seed, err := proto.Marshal(propertypb.Marshal(everyKind()))
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s structpb.Struct
		if proto.Unmarshal(data, &s) != nil {
			return
		}
		m, err := propertypb.Unmarshal(&s)
		if err != nil {
			return
		}
		again, err := propertypb.Unmarshal(propertypb.Marshal(m))
		require.NoError(t, err)
		if !hasNaN(property.New(m)) {
			require.True(t, reflect.DeepEqual(m, again), "%v came back as %v", m, again)
		}
	})
}

func hasNaN(v property.Value) bool {
	switch {
	case v.IsNumber():
		return math.IsNaN(v.AsNumber())
	case v.IsArray():
		for _, e := range v.AsArray().All {
			if hasNaN(e) {
				return true
			}
		}
	case v.IsMap():
		for _, e := range v.AsMap().All {
			if hasNaN(e) {
				return true
			}
		}
	}
	return false
}
