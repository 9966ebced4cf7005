package oracle_test

// internal/propertypb against the SDK's propertyrpc, which the pack no longer
// imports (go mod tidy at install loads propertyrpc's tests, and they pull
// the SDK's workspace and plugin graph onto every enforcing runner).
//
// Both directions: what propertypb reads from any struct is what propertyrpc
// reads (the same values, and an error for the same inputs, worded its own
// way), and what it writes is what propertyrpc writes.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/propertyrpc"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
)

// requireSameRead unmarshals s with both. propertyrpc panics when it words an
// error under a key of 16 KiB or more; propertypb must then return an error.
func requireSameRead(t *testing.T, s *structpb.Struct) {
	t.Helper()
	want, wantErr, panicked := func() (m property.Map, err error, panicked bool) {
		defer func() {
			if recover() != nil {
				panicked = true
			}
		}()
		m, err = propertyrpc.Unmarshal(s)
		return m, err, false
	}()
	got, gotErr := propertypb.Unmarshal(s)
	if panicked {
		require.Error(t, gotErr, "propertyrpc panics on %v; propertypb must reject it", abbreviate(s))
		return
	}
	require.Equal(t, wantErr != nil, gotErr != nil, "errors differ on %v: propertypb %v, propertyrpc %v", abbreviate(s), gotErr, wantErr)
	if wantErr != nil {
		return
	}
	require.True(t, reflect.DeepEqual(want, got), "reads differ on %v:\npropertypb  %v\npropertyrpc %v", abbreviate(s), got, want)

	// And writes the same back.
	require.True(t, proto.Equal(propertyrpc.Marshal(want), propertypb.Marshal(got)),
		"writes differ for %v:\npropertypb  %v\npropertyrpc %v", got, propertypb.Marshal(got), propertyrpc.Marshal(want))
}

func abbreviate(s *structpb.Struct) string {
	text := fmt.Sprint(s)
	if len(text) > 2000 {
		return text[:2000] + "..."
	}
	return text
}

func sigValue(signature string, fields map[string]*structpb.Value) *structpb.Value {
	f := map[string]*structpb.Value{sig.Key: structpb.NewStringValue(signature)}
	for k, v := range fields {
		f[k] = v
	}
	return structpb.NewStructValue(&structpb.Struct{Fields: f})
}

func list(vs ...*structpb.Value) *structpb.Value {
	return structpb.NewListValue(&structpb.ListValue{Values: vs})
}

// TestPropertyPBReadsEstates reads what the engine sends for a generated
// estate (inputs, outputs, providers), as propertyrpc encodes it.
func TestPropertyPBReadsEstates(t *testing.T) {
	for _, r := range estate.Generate(500, estate.DefaultSeed).StackResources() {
		requireSameRead(t, propertyrpc.Marshal(r.Inputs))
		requireSameRead(t, propertyrpc.Marshal(r.Outputs))
		if r.Provider != nil {
			requireSameRead(t, propertyrpc.Marshal(r.Provider.Props))
		}
	}
}

// TestPropertyPBEnvelopes covers each signature, well formed and not.
func TestPropertyPBEnvelopes(t *testing.T) {
	str, num, yes := structpb.NewStringValue, structpb.NewNumberValue(7), structpb.NewBoolValue(true)
	const ref = "urn:pulumi:dev::etl::gcp:serviceaccount/account:Account::worker"
	cases := map[string]*structpb.Value{
		"null":                 structpb.NewNullValue(),
		"no kind":              {},
		"every unknown":        list(str(sig.UnknownStringValue), str(sig.UnknownBoolValue), str(sig.UnknownNumberValue), str(sig.UnknownArrayValue), str(sig.UnknownAssetValue), str(sig.UnknownArchiveValue), str(sig.UnknownObjectValue)),
		"secret":               sigValue(sig.Secret, map[string]*structpb.Value{"value": str("hunter2")}),
		"secret unknown":       sigValue(sig.Secret, map[string]*structpb.Value{"value": str(sig.UnknownObjectValue)}),
		"secret secret":        sigValue(sig.Secret, map[string]*structpb.Value{"value": sigValue(sig.Secret, map[string]*structpb.Value{"value": num})}),
		"secret no value":      sigValue(sig.Secret, nil),
		"secret extra":         sigValue(sig.Secret, map[string]*structpb.Value{"value": num, "other": yes}),
		"signature number":     structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{sig.Key: num}}),
		"signature unknown":    sigValue("not-a-signature", nil),
		"signature empty":      sigValue("", nil),
		"output":               sigValue(sig.OutputValue, map[string]*structpb.Value{"value": str("x"), "dependencies": list(str(ref), str(ref), str("a"))}),
		"output unknown":       sigValue(sig.OutputValue, map[string]*structpb.Value{"secret": yes, "dependencies": list(str(ref))}),
		"output bare":          sigValue(sig.OutputValue, nil),
		"output secret false":  sigValue(sig.OutputValue, map[string]*structpb.Value{"value": num, "secret": structpb.NewBoolValue(false)}),
		"output of secret":     sigValue(sig.OutputValue, map[string]*structpb.Value{"value": sigValue(sig.Secret, map[string]*structpb.Value{"value": num}), "secret": structpb.NewBoolValue(false)}),
		"output secret string": sigValue(sig.OutputValue, map[string]*structpb.Value{"secret": str("true")}),
		"output deps string":   sigValue(sig.OutputValue, map[string]*structpb.Value{"dependencies": str(ref)}),
		"output dep number":    sigValue(sig.OutputValue, map[string]*structpb.Value{"dependencies": list(str(ref), num)}),
		"output empty deps":    sigValue(sig.OutputValue, map[string]*structpb.Value{"value": num, "dependencies": list()}),
		"output null value":    sigValue(sig.OutputValue, map[string]*structpb.Value{"value": structpb.NewNullValue()}),
		"ref":                  sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref), "id": str("projects/p/serviceAccounts/w"), "packageVersion": str("9.6.0")}),
		"ref component":        sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref)}),
		"ref empty id":         sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref), "id": str("")}),
		"ref unknown id":       sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref), "id": str(sig.UnknownStringValue)}),
		"ref names":            sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref), "name": str("n"), "type": str("t")}),
		"ref bad urn":          sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str("urn:pulumi:x")}),
		"ref no urn":           sigValue(sig.ResourceReference, map[string]*structpb.Value{"id": str("i")}),
		"ref urn number":       sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": num}),
		"ref name number":      sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref), "name": num}),
		"ref id bool":          sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref), "id": yes}),
		"ref version null":     sigValue(sig.ResourceReference, map[string]*structpb.Value{"urn": str(ref), "packageVersion": structpb.NewNullValue()}),
		"bytes":                sigValue(sig.ByteString, map[string]*structpb.Value{"value": str("/w==")}),
		"bytes empty":          sigValue(sig.ByteString, map[string]*structpb.Value{"value": str("")}),
		"bytes valid UTF-8":    sigValue(sig.ByteString, map[string]*structpb.Value{"value": str("aGk=")}),
		"bytes not base64":     sigValue(sig.ByteString, map[string]*structpb.Value{"value": str("!!")}),
		"bytes number":         sigValue(sig.ByteString, map[string]*structpb.Value{"value": num}),
		"bytes no value":       sigValue(sig.ByteString, nil),
		"asset text":           sigValue(sig.AssetSig, map[string]*structpb.Value{"text": str("print()"), "hash": str("h")}),
		"asset path":           sigValue(sig.AssetSig, map[string]*structpb.Value{"path": str("main.py")}),
		"asset uri":            sigValue(sig.AssetSig, map[string]*structpb.Value{"uri": str("gs://b/o")}),
		"asset empty":          sigValue(sig.AssetSig, nil),
		"asset text number":    sigValue(sig.AssetSig, map[string]*structpb.Value{"text": num}),
		"asset unknown field":  sigValue(sig.AssetSig, map[string]*structpb.Value{"text": str("t"), "other": num}),
		"archive path":         sigValue(sig.ArchiveSig, map[string]*structpb.Value{"path": str("dist")}),
		"archive uri":          sigValue(sig.ArchiveSig, map[string]*structpb.Value{"uri": str("gs://b/a.zip"), "hash": str("h")}),
		"archive empty":        sigValue(sig.ArchiveSig, nil),
		"archive empty path":   sigValue(sig.ArchiveSig, map[string]*structpb.Value{"path": str(""), "uri": str("")}),
		"archive assets": sigValue(sig.ArchiveSig, map[string]*structpb.Value{"assets": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"a": sigValue(sig.AssetSig, map[string]*structpb.Value{"text": str("t")}),
			"b": sigValue(sig.ArchiveSig, map[string]*structpb.Value{"assets": structpb.NewStructValue(&structpb.Struct{})}),
		}})}),
		"archive member string": sigValue(sig.ArchiveSig, map[string]*structpb.Value{"assets": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"a": str("t")}})}),
		"archive member plain":  sigValue(sig.ArchiveSig, map[string]*structpb.Value{"assets": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"a": structpb.NewStructValue(&structpb.Struct{})}})}),
		"archive assets list":   sigValue(sig.ArchiveSig, map[string]*structpb.Value{"assets": list()}),
		"archive path number":   sigValue(sig.ArchiveSig, map[string]*structpb.Value{"path": num}),
		"secret in list in map": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"l": list(num, sigValue(sig.Secret, map[string]*structpb.Value{"value": list()}))}}),
		"bad deep in list":      list(list(list(sigValue(sig.Secret, nil)))),
		"nan":                   structpb.NewNumberValue(math.Inf(-1)),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			requireSameRead(t, &structpb.Struct{Fields: map[string]*structpb.Value{"v": v, "plain": structpb.NewStringValue("p")}})
		})
	}
	t.Run("long key above a malformed value", func(t *testing.T) {
		requireSameRead(t, &structpb.Struct{Fields: map[string]*structpb.Value{strings.Repeat("k", 1<<14): sigValue(sig.Secret, nil)}})
	})
	t.Run("nil", func(t *testing.T) { requireSameRead(t, nil) })
}

// TestPropertyPBWrites compares what both write for random values of every
// kind, secret, unknown and with dependencies, nested in maps and lists, and
// that each reads the other's output back the same.
func TestPropertyPBWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261128, 18))
	for i := 0; i < 3000; i++ {
		m := randomMap(rng, 0)
		want, got := propertyrpc.Marshal(m), propertypb.Marshal(m)
		require.True(t, proto.Equal(want, got), "writes differ for %v:\npropertypb  %v\npropertyrpc %v", m, got, want)
		requireSameRead(t, got)
		back, err := propertypb.Unmarshal(got)
		require.NoError(t, err)
		require.True(t, reflect.DeepEqual(m, back), "%v came back as %v", m, back)
	}
}

var (
	oracleKeys = []string{"labels", "serviceAccountEmail", "parameters", "a", "", "odd key", "ключ", "x.y", "[0]"}
	depURNs    = []urn.URN{
		"urn:pulumi:dev::etl::gcp:serviceaccount/account:Account::worker",
		"urn:pulumi:dev::etl::gcp:dataflow/job:Job::nightly",
		"urn:pulumi:dev::etl::my:index:Pipeline$gcp:storage/bucket:Bucket::tmp",
	}
	oracleStrings = []string{"", "x", "worker@p.iam.gserviceaccount.com", "\xff\xfe", "a\x80b", "é", sig.Secret, "04da6b54"}
)

func randomMap(rng *rand.Rand, depth int) property.Map {
	n := rng.IntN(5)
	fields := make(map[string]property.Value, n)
	for range n {
		fields[oracleKeys[rng.IntN(len(oracleKeys))]] = randomValue(rng, depth+1)
	}
	return property.NewMap(fields)
}

func randomValue(rng *rand.Rand, depth int) property.Value {
	kinds := 12
	if depth > 4 {
		kinds = 8 // leaves only
	}
	var v property.Value
	switch rng.IntN(kinds) {
	case 0:
		v = property.New(property.Null)
	case 1:
		v = property.New(rng.IntN(2) == 0)
	case 2:
		v = property.New([]float64{0, -1.5, 1e300, math.Copysign(0, -1), math.Inf(1)}[rng.IntN(5)])
	case 3, 4:
		v = property.New(oracleStrings[rng.IntN(len(oracleStrings))])
	case 5:
		v = property.New(property.Computed)
	case 6:
		id := []property.Value{{}, property.New(property.Computed), property.New("projects/p/serviceAccounts/w")}[rng.IntN(3)]
		ref := property.NewResourceReference(depURNs[rng.IntN(len(depURNs))], id, []string{"", "9.6.0"}[rng.IntN(2)])
		if rng.IntN(3) == 0 {
			ref = property.ResourceReference{URN: "not-a-urn", ID: id}
		}
		v = property.New(ref)
	case 7:
		v = property.New(randomAsset(rng))
	case 8, 9:
		n := rng.IntN(4)
		values := make([]property.Value, n)
		for i := range values {
			values[i] = randomValue(rng, depth+1)
		}
		v = property.New(values)
	case 10, 11:
		v = property.New(randomMap(rng, depth))
	}
	if depth > 5 {
		return v
	}
	switch rng.IntN(4) {
	case 0:
		v = v.WithSecret(true)
	case 1:
		deps := depURNs[:1+rng.IntN(len(depURNs))]
		v = v.WithDependencies(deps).WithSecret(rng.IntN(2) == 0)
	}
	return v
}

func randomAsset(rng *rand.Rand) property.Asset {
	return &asset.Asset{Sig: asset.AssetSig, Text: []string{"", "print()"}[rng.IntN(2)], Path: []string{"", "main.py"}[rng.IntN(2)],
		URI: []string{"", "gs://b/o"}[rng.IntN(2)], Hash: []string{"", "abc"}[rng.IntN(2)]}
}

// Archives, written by both and read back by both.
func TestPropertyPBArchives(t *testing.T) {
	for _, a := range []*archive.Archive{
		{Sig: archive.ArchiveSig, Path: "dist"},
		{Sig: archive.ArchiveSig, URI: "gs://b/a.zip", Hash: "h"},
		{Sig: archive.ArchiveSig, Assets: map[string]any{}},
		{Sig: archive.ArchiveSig, Assets: map[string]any{
			"main.py": &asset.Asset{Sig: asset.AssetSig, Path: "main.py"},
			"lib":     &archive.Archive{Sig: archive.ArchiveSig, Assets: map[string]any{"x": &asset.Asset{Sig: asset.AssetSig, Text: "x"}}},
		}},
	} {
		m := property.NewMap(map[string]property.Value{"code": property.New(a), "secret": property.New(a).WithSecret(true)})
		require.True(t, proto.Equal(propertyrpc.Marshal(m), propertypb.Marshal(m)))
		requireSameRead(t, propertypb.Marshal(m))
	}
}

// FuzzPropertyPBMatchesPropertyRPC builds structs from the fuzz bytes,
// biased towards envelopes and their field names, and requires both to read
// them alike.
func FuzzPropertyPBMatchesPropertyRPC(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 0, 2, 1, 9, 4, 5, 6, 7, 8, 1, 2})
	f.Add([]byte("\x05\x05\x05\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &structGen{data: data}
		s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
		for !g.done() && len(s.Fields) < 8 {
			s.Fields[g.key()] = g.value(0)
		}
		requireSameRead(t, s)
	})
}

// structGen turns bytes into struct values.
type structGen struct {
	data []byte
	at   int
}

func (g *structGen) done() bool { return g.at >= len(g.data) }

func (g *structGen) next() byte {
	if g.done() {
		return 0
	}
	g.at++
	return g.data[g.at-1]
}

var (
	genSignatures = []string{sig.Secret, sig.OutputValue, sig.ResourceReference, sig.ByteString, sig.AssetSig, sig.ArchiveSig, "other"}
	genFields     = []string{"value", "secret", "dependencies", "urn", "id", "name", "type", "packageVersion", "hash", "text", "path", "uri", "assets", "k"}
	genStrings    = []string{"", "x", "aGk=", "/w==", "!", sig.UnknownStringValue, sig.UnknownObjectValue,
		"urn:pulumi:dev::etl::gcp:dataflow/job:Job::nightly", "urn:pulumi:bad", "main.py", "gs://b/o"}
)

func (g *structGen) key() string { return genFields[int(g.next())%len(genFields)] }

func (g *structGen) value(depth int) *structpb.Value {
	b := g.next()
	if depth > 6 {
		b %= 5
	}
	switch b % 9 {
	case 0:
		return structpb.NewNullValue()
	case 1:
		return structpb.NewBoolValue(b&0x10 != 0)
	case 2:
		return structpb.NewNumberValue(float64(int8(g.next())))
	case 3, 4:
		return structpb.NewStringValue(genStrings[int(g.next())%len(genStrings)])
	case 5:
		n := int(g.next() % 4)
		vs := make([]*structpb.Value, n)
		for i := range vs {
			vs[i] = g.value(depth + 1)
		}
		return structpb.NewListValue(&structpb.ListValue{Values: vs})
	case 6:
		fields := map[string]*structpb.Value{}
		for n := int(g.next() % 4); n > 0; n-- {
			fields[g.key()] = g.value(depth + 1)
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: fields})
	default: // an envelope
		fields := map[string]*structpb.Value{sig.Key: structpb.NewStringValue(genSignatures[int(g.next())%len(genSignatures)])}
		for n := int(g.next() % 5); n > 0; n-- {
			fields[g.key()] = g.value(depth + 1)
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: fields})
	}
}
