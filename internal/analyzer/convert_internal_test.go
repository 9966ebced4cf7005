package analyzer

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/propertyrpc"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
)

// unmarshal's fast path must read every request exactly as propertyrpc does.
func TestDecodeMatchesPropertyRPC(t *testing.T) {
	var structs []*structpb.Struct
	// The inputs, outputs and providers of every fixture and example stack.
	exports, err := filepath.Glob("../../testdata/*/*.json")
	if err != nil || len(exports) == 0 {
		t.Fatalf("no stack exports: %v", err)
	}
	for _, path := range exports {
		if strings.HasSuffix(path, "config.json") {
			continue
		}
		dep, err := stackfile.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range [][]*gcp.Resource{dep.Inputs, dep.Outputs} {
			for _, r := range rs {
				structs = append(structs, propertyrpc.Marshal(r.Props))
				if r.Provider != nil {
					structs = append(structs, propertyrpc.Marshal(r.Provider.Props))
				}
			}
		}
	}
	secret := func(v *structpb.Value) *structpb.Value {
		return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			sig.Key: structpb.NewStringValue(sig.Secret), "value": v}})
	}
	signed := func(signature string, fields map[string]*structpb.Value) *structpb.Value {
		f := map[string]*structpb.Value{sig.Key: structpb.NewStringValue(signature)}
		for k, v := range fields {
			f[k] = v
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: f})
	}
	structs = append(structs, &structpb.Struct{Fields: map[string]*structpb.Value{
		"null":     structpb.NewNullValue(),
		"nil":      {},
		"unknown":  structpb.NewStringValue(sig.UnknownStringValue),
		"list":     structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewBoolValue(true), secret(structpb.NewNumberValue(2))}}),
		"empty":    structpb.NewListValue(&structpb.ListValue{}),
		"secret":   secret(structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewStringValue("v")}})),
		"unknownS": secret(structpb.NewStringValue(sig.UnknownObjectValue)),
		"nested":   structpb.NewStructValue(&structpb.Struct{}),
	}})
	// Shapes the fast path leaves to propertyrpc: results and errors must still match.
	for _, odd := range []*structpb.Value{
		signed(sig.OutputValue, map[string]*structpb.Value{"value": structpb.NewStringValue("x"), "dependencies": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("urn:pulumi:s::p::t::n")}})}),
		signed(sig.Secret, nil),
		signed("not-a-signature", nil),
		signed(sig.ResourceReference, map[string]*structpb.Value{"urn": structpb.NewStringValue("urn:pulumi:s::p::t::n")}),
	} {
		structs = append(structs, &structpb.Struct{Fields: map[string]*structpb.Value{"odd": odd, "plain": structpb.NewStringValue("p")}})
	}
	for i, s := range structs {
		want, wantErr := propertyrpc.Unmarshal(s)
		got, gotErr := unmarshal(s)
		if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
			t.Fatalf("struct %d: error %v, propertyrpc says %v", i, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("struct %d: %v, propertyrpc reads %v", i, got, want)
		}
	}
	if m, _ := unmarshal(nil); !reflect.DeepEqual(m, property.Map{}) {
		t.Fatalf("nil struct: %v", m)
	}
}
