// Package propertypb converts Pulumi property values to and from the
// protobuf structs that the engine and its plugins exchange: secrets,
// unknowns, output values, resource references, assets, archives and byte
// strings in their signature envelopes.
//
// It reads and writes what github.com/pulumi/pulumi/sdk/v3/go/propertyrpc
// does (the e2e module checks it against propertyrpc), so the pack does not
// import propertyrpc: every runner that enforces the pack from Pulumi Cloud
// runs `go mod tidy` at install, tidy loads the tests of every package the
// pack imports, and propertyrpc's tests pull in about 80 modules (the SDK's
// workspace and plugin graph) that the pack never builds.
package propertypb

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Unmarshal reads a struct as the engine sends it. A nil struct is an empty
// map. Errors say where the offending value is, never what it holds.
func Unmarshal(s *structpb.Struct) (property.Map, error) {
	m, err := unmarshalStruct(s)
	if err != nil {
		return property.Map{}, err.asError()
	}
	return m, nil
}

// UnmarshalValue reads one value as the engine sends it.
func UnmarshalValue(v *structpb.Value) (property.Value, error) {
	pv, err := unmarshalValue(v)
	if err != nil {
		return property.Value{}, err.asError()
	}
	return pv, nil
}

// decodeError is an error on its way out of the recursion: each level adds
// its segment, so reading a well-formed struct keeps no path at all.
type decodeError struct {
	reason   string
	segments []string // innermost first
}

func fail(format string, args ...any) *decodeError {
	return &decodeError{reason: fmt.Sprintf(format, args...)}
}

func (e *decodeError) under(segment string) *decodeError {
	e.segments = append(e.segments, segment)
	return e
}

func (e *decodeError) asError() error {
	if len(e.segments) == 0 {
		return fmt.Errorf("<root>: %s", e.reason)
	}
	var b strings.Builder
	for i := len(e.segments) - 1; i >= 0; i-- {
		b.WriteString(e.segments[i])
	}
	return fmt.Errorf("%s: %s", strings.TrimPrefix(b.String(), "."), e.reason)
}

// maxKeyInPath keeps an error message short when a key is long.
const maxKeyInPath = 64

func keySegment(k string) string {
	if len(k) > maxKeyInPath {
		cut := maxKeyInPath
		for cut > 0 && !utf8.RuneStart(k[cut]) {
			cut--
		}
		return "[" + strconv.Quote(k[:cut]) + "...]"
	}
	if isIdentifier(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

func isIdentifier(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if r != '_' && r != '$' && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') && (i == 0 || !('0' <= r && r <= '9')) {
			return false
		}
	}
	return true
}

func indexSegment(i int) string { return "[" + strconv.Itoa(i) + "]" }

func unmarshalStruct(s *structpb.Struct) (property.Map, *decodeError) {
	fields := make(map[string]property.Value, len(s.GetFields()))
	for k, v := range s.GetFields() {
		pv, err := unmarshalValue(v)
		if err != nil {
			return property.Map{}, err.under(keySegment(k))
		}
		fields[k] = pv
	}
	return property.NewMap(fields), nil
}

func unmarshalValue(v *structpb.Value) (property.Value, *decodeError) {
	switch v := v.GetKind().(type) {
	case nil, *structpb.Value_NullValue:
		return property.Value{}, nil
	case *structpb.Value_BoolValue:
		return property.New(v.BoolValue), nil
	case *structpb.Value_NumberValue:
		return property.New(v.NumberValue), nil
	case *structpb.Value_StringValue:
		if sig.IsUnknown(v.StringValue) {
			return property.New(property.Computed), nil
		}
		return property.New(v.StringValue), nil
	case *structpb.Value_ListValue:
		values := make([]property.Value, len(v.ListValue.GetValues()))
		for i, e := range v.ListValue.GetValues() {
			pv, err := unmarshalValue(e)
			if err != nil {
				return property.Value{}, err.under(indexSegment(i))
			}
			values[i] = pv
		}
		return property.New(values), nil
	case *structpb.Value_StructValue:
		return unmarshalObject(v.StructValue)
	}
	return property.Value{}, fail("unknown kind of value")
}

// unmarshalObject reads a plain map, or the value a signature envelope
// stands for.
func unmarshalObject(s *structpb.Struct) (property.Value, *decodeError) {
	fields := s.GetFields()
	signature, signed := fields[sig.Key]
	if !signed {
		m, err := unmarshalStruct(s)
		if err != nil {
			return property.Value{}, err
		}
		return property.New(m), nil
	}
	switch signature.GetStringValue() {
	case sig.Secret:
		inner, ok := fields["value"]
		if !ok {
			return property.Value{}, fail("secret without a value")
		}
		v, err := unmarshalValue(inner)
		if err != nil {
			return property.Value{}, err
		}
		return v.WithSecret(true), nil
	case sig.OutputValue:
		return unmarshalOutput(fields)
	case sig.ResourceReference:
		return unmarshalReference(fields)
	case sig.ByteString:
		return unmarshalBytes(fields)
	case sig.AssetSig:
		a, _, err := asset.Deserialize(s.AsMap())
		if err != nil {
			return property.Value{}, fail("malformed asset: %v", err)
		}
		return property.New(a), nil
	case sig.ArchiveSig:
		a, _, err := archive.Deserialize(s.AsMap())
		if err != nil {
			return property.Value{}, fail("malformed archive: %v", err)
		}
		return property.New(a), nil
	}
	// The signature is not echoed: an envelope inside a secret is secret.
	return property.Value{}, fail("object with an unknown signature")
}

// unmarshalOutput reads an output value: its value (unknown when absent),
// whether it is secret, and the resources it depends on.
func unmarshalOutput(fields map[string]*structpb.Value) (property.Value, *decodeError) {
	v := property.New(property.Computed)
	if inner, known := fields["value"]; known {
		var err *decodeError
		if v, err = unmarshalValue(inner); err != nil {
			return property.Value{}, err
		}
	}
	if secret, ok := fields["secret"]; ok {
		b, ok := secret.GetKind().(*structpb.Value_BoolValue)
		if !ok {
			return property.Value{}, fail("output value whose secret flag is not a bool")
		}
		v = v.WithSecret(b.BoolValue)
	}
	if deps, ok := fields["dependencies"]; ok {
		list, ok := deps.GetKind().(*structpb.Value_ListValue)
		if !ok {
			return property.Value{}, fail("output value whose dependencies are not a list")
		}
		urns := make([]urn.URN, 0, len(list.ListValue.GetValues()))
		for i, d := range list.ListValue.GetValues() {
			s, ok := d.GetKind().(*structpb.Value_StringValue)
			if !ok {
				return property.Value{}, fail("output value whose dependency %d is not a string", i)
			}
			urns = append(urns, urn.URN(s.StringValue))
		}
		if len(urns) > 0 {
			v = v.WithDependencies(urns)
		}
	}
	return v, nil
}

// unmarshalReference reads a resource reference. A reference to a component
// has no id; an empty or unknown id is not known yet.
func unmarshalReference(fields map[string]*structpb.Value) (property.Value, *decodeError) {
	text := map[string]string{}
	for _, name := range []string{"urn", "name", "type", "id", "packageVersion"} {
		f, ok := fields[name]
		if !ok {
			continue
		}
		s, ok := f.GetKind().(*structpb.Value_StringValue)
		if !ok {
			return property.Value{}, fail("resource reference whose %s is not a string", name)
		}
		text[name] = s.StringValue
	}
	u, ok := text["urn"]
	if !ok {
		return property.Value{}, fail("resource reference without a urn")
	}
	ref := property.ResourceReference{URN: urn.URN(u), Name: text["name"], Type: text["type"], PackageVersion: text["packageVersion"]}
	if ref.URN.IsValid() {
		if ref.Name == "" {
			ref.Name = ref.URN.Name()
		}
		if ref.Type == "" {
			ref.Type = string(ref.URN.Type())
		}
	}
	if id, ok := text["id"]; ok {
		if id == "" || sig.IsUnknown(id) {
			ref.ID = property.New(property.Computed)
		} else {
			ref.ID = property.New(id)
		}
	}
	return property.New(ref), nil
}

// unmarshalBytes reads a string that is not valid UTF-8, which travels as
// the base64 of its bytes.
func unmarshalBytes(fields map[string]*structpb.Value) (property.Value, *decodeError) {
	inner, ok := fields["value"]
	if !ok {
		return property.Value{}, fail("byte string without a value")
	}
	s, ok := inner.GetKind().(*structpb.Value_StringValue)
	if !ok {
		return property.Value{}, fail("byte string whose value is not a string")
	}
	b, err := base64.StdEncoding.DecodeString(s.StringValue)
	if err != nil {
		return property.Value{}, fail("byte string whose value is not base64")
	}
	return property.New(string(b)), nil
}

// Marshal writes a map as the engine reads it.
func Marshal(m property.Map) *structpb.Struct {
	fields := make(map[string]*structpb.Value, m.Len())
	for k, v := range m.All {
		fields[k] = MarshalValue(v)
	}
	return &structpb.Struct{Fields: fields}
}

// MarshalValue writes a value as the engine reads it: a value with
// dependencies as an output value, a secret in a secret envelope.
func MarshalValue(v property.Value) *structpb.Value {
	if deps := v.Dependencies(); len(deps) > 0 {
		fields := map[string]*structpb.Value{sig.Key: structpb.NewStringValue(sig.OutputValue)}
		if !v.IsComputed() {
			fields["value"] = marshalPlain(v)
		}
		if v.Secret() {
			fields["secret"] = structpb.NewBoolValue(true)
		}
		urns := make([]*structpb.Value, len(deps))
		for i, d := range deps {
			urns[i] = structpb.NewStringValue(string(d))
		}
		fields["dependencies"] = structpb.NewListValue(&structpb.ListValue{Values: urns})
		return structpb.NewStructValue(&structpb.Struct{Fields: fields})
	}
	if v.Secret() {
		return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			sig.Key: structpb.NewStringValue(sig.Secret),
			"value": marshalPlain(v),
		}})
	}
	return marshalPlain(v)
}

// marshalPlain writes v without its secret flag and dependencies.
func marshalPlain(v property.Value) *structpb.Value {
	switch {
	case v.IsBool():
		return structpb.NewBoolValue(v.AsBool())
	case v.IsNumber():
		return structpb.NewNumberValue(v.AsNumber())
	case v.IsString():
		return marshalString(v.AsString())
	case v.IsArray():
		values := make([]*structpb.Value, 0, v.AsArray().Len())
		for _, e := range v.AsArray().All {
			values = append(values, MarshalValue(e))
		}
		return structpb.NewListValue(&structpb.ListValue{Values: values})
	case v.IsMap():
		return structpb.NewStructValue(Marshal(v.AsMap()))
	case v.IsAsset():
		return marshalSerialized(v.AsAsset().Serialize())
	case v.IsArchive():
		return marshalSerialized(v.AsArchive().Serialize())
	case v.IsResourceReference():
		return marshalReference(v.AsResourceReference())
	case v.IsComputed():
		return structpb.NewStringValue(sig.UnknownStringValue)
	}
	return structpb.NewNullValue()
}

// marshalString sends a string that is not valid UTF-8 (which a protobuf
// string cannot carry) as the base64 of its bytes.
func marshalString(s string) *structpb.Value {
	if utf8.ValidString(s) {
		return structpb.NewStringValue(s)
	}
	return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		sig.Key: structpb.NewStringValue(sig.ByteString),
		"value": structpb.NewStringValue(base64.StdEncoding.EncodeToString([]byte(s))),
	}})
}

// marshalSerialized writes an asset's or archive's serialized form, which
// holds only strings and nested maps of them.
func marshalSerialized(m map[string]any) *structpb.Value {
	s, err := structpb.NewStruct(m)
	if err != nil {
		return structpb.NewNullValue() // unreachable for what Serialize returns
	}
	return structpb.NewStructValue(s)
}

func marshalReference(ref property.ResourceReference) *structpb.Value {
	fields := map[string]*structpb.Value{
		sig.Key: structpb.NewStringValue(sig.ResourceReference),
		"urn":   structpb.NewStringValue(string(ref.URN)),
	}
	for name, value := range map[string]string{"name": ref.Name, "type": ref.Type, "packageVersion": ref.PackageVersion} {
		if value != "" {
			fields[name] = structpb.NewStringValue(value)
		}
	}
	if id, ok := ref.IDString(); ok {
		fields["id"] = structpb.NewStringValue(id)
	}
	return structpb.NewStructValue(&structpb.Struct{Fields: fields})
}
