package estate

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// secretSig is the key and value Pulumi marks a secret with in an export.
const (
	secretSigKey   = "4dabf18193072939515e22adb298388d"
	secretSigValue = "1b47061264138c4ac30d75fd1eb44270"
)

// Export renders the estate as `pulumi stack export --show-secrets` would
// after an update: version 3, the root stack first, then every resource
// with its inputs and outputs, parent, dependencies and provider reference.
// A state holds no unknowns: an input the preview did not know takes the
// output's value, or is left out when the output has none. stack, when not
// empty, renames the stack in every URN, so many exports of one generator
// stay apart.
func (e *Estate) Export(stack string) ([]byte, error) {
	type resource struct {
		URN                  string              `json:"urn"`
		Custom               bool                `json:"custom"`
		ID                   string              `json:"id,omitempty"`
		Type                 string              `json:"type"`
		Inputs               map[string]any      `json:"inputs"`
		Outputs              map[string]any      `json:"outputs"`
		Parent               string              `json:"parent,omitempty"`
		Provider             string              `json:"provider,omitempty"`
		Dependencies         []string            `json:"dependencies,omitempty"`
		PropertyDependencies map[string][]string `json:"propertyDependencies,omitempty"`
	}
	doc := struct {
		Version    int `json:"version"`
		Deployment struct {
			Manifest  map[string]string `json:"manifest"`
			Resources []resource        `json:"resources"`
		} `json:"deployment"`
	}{Version: 3}
	doc.Deployment.Manifest = map[string]string{"time": "2026-11-28T00:00:00Z", "magic": "", "version": "v3.274.1"}
	for _, r := range e.StackResources() {
		out := resource{URN: r.URN, Custom: r.Custom, Type: r.Type, Parent: r.Parent,
			Dependencies: r.Dependencies, PropertyDependencies: r.PropertyDependencies,
			Inputs: exportMap(r.Inputs, r.Outputs), Outputs: exportMap(r.Outputs, property.Map{})}
		if r.Custom || r.Type == ProviderType {
			out.Custom, out.ID = true, r.Name+"-id"
		}
		if r.Provider != nil {
			out.Provider = r.Provider.URN + "::" + r.Provider.Name + "-id"
		}
		doc.Deployment.Resources = append(doc.Deployment.Resources, out)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if stack != "" && stack != e.Stack {
		b = bytes.ReplaceAll(b, []byte("urn:pulumi:"+e.Stack+"::"), []byte("urn:pulumi:"+stack+"::"))
	}
	return b, nil
}

// exportMap renders a property map as export JSON; a computed top-level
// value takes known's value for the key, or is left out.
func exportMap(m, known property.Map) map[string]any {
	out := make(map[string]any, m.Len())
	for k, v := range m.All {
		if v.IsComputed() {
			kv, ok := known.GetOk(k)
			if !ok || kv.HasComputed() {
				continue
			}
			v = kv
		}
		out[k] = exportValue(v)
	}
	return out
}

func exportValue(v property.Value) any {
	var plain any
	switch {
	case v.IsNull(), v.IsComputed():
		plain = nil
	case v.IsBool():
		plain = v.AsBool()
	case v.IsNumber():
		plain = v.AsNumber()
	case v.IsString():
		plain = v.AsString()
	case v.IsArray():
		a := make([]any, 0, v.AsArray().Len())
		for _, x := range v.AsArray().All {
			a = append(a, exportValue(x))
		}
		plain = a
	case v.IsMap():
		m := make(map[string]any, v.AsMap().Len())
		for k, x := range v.AsMap().All {
			m[k] = exportValue(x)
		}
		plain = m
	default:
		plain = fmt.Sprint(v) // assets and references: the generator makes none
	}
	if !v.Secret() {
		return plain
	}
	// --show-secrets: the plaintext is the value's JSON, as a string.
	js, err := json.Marshal(plain)
	if err != nil {
		js = []byte("null")
	}
	return map[string]any{secretSigKey: secretSigValue, "plaintext": string(js)}
}

// StackSizes draws the size of each of many stacks between minResources and
// maxResources (inclusive) from seed.
func StackSizes(stacks, minResources, maxResources int, seed uint64) []int {
	sizes := make([]int, stacks)
	x := seed | 1
	for i := range sizes {
		x ^= x << 13 // xorshift: stable across Go releases, unlike math/rand's defaults
		x ^= x >> 7
		x ^= x << 17
		sizes[i] = minResources + int(x%uint64(maxResources-minResources+1))
	}
	return sizes
}
