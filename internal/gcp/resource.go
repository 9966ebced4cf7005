package gcp

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// ProviderType is the type token of a pulumi-gcp provider resource.
const ProviderType = "pulumi:providers:gcp"

// StackType is the type token of the root stack resource.
const StackType = "pulumi:pulumi:Stack"

// Resource is one resource as both front ends deliver it: the analyzer from
// gRPC requests, `check` from a stack export. Props are inputs for resource
// policies and outputs for stack policies.
type Resource struct {
	URN      string
	Type     string
	Name     string
	Props    property.Map
	Provider *Provider
	// External resources are read with `.get()`, not managed by the stack:
	// the engine runs no resource policy on them, but stack policies see them.
	External bool

	// Set for stack policies only.
	Parent               string
	Dependencies         []string
	PropertyDependencies map[string][]string

	outputs bool // Props are outputs (set by NewStack)
}

// Provider is the provider resource a resource is managed by.
type Provider struct {
	URN   string
	Type  string
	Name  string
	Props property.Map
}

// Root is the whole property map as a Value, the start of every read.
func (r *Resource) Root() Value {
	return Value{raw: property.New(r.Props), origin: &origin{typ: r.Type, outputs: r.outputs}}
}

// Get reads a top-level property.
func (r *Resource) Get(key string) Value { return r.Root().Get(key) }

// At follows a chain of keys from the top.
func (r *Resource) At(keys ...string) Value { return r.Root().At(keys...) }

// Root returns the provider's inputs as a Value.
func (p *Provider) Root() Value {
	if p == nil {
		return Value{}
	}
	return Value{raw: property.New(p.Props), origin: &origin{typ: ProviderType}}
}

// Get reads a provider input.
func (p *Provider) Get(key string) Value { return p.Root().Get(key) }

// Stack is every resource of a deployment, for stack policies.
type Stack struct {
	Project   string
	StackName string
	Resources []*Resource

	byURN map[string]*Resource
}

// NewStack indexes resources by URN.
func NewStack(project, stack string, resources []*Resource) *Stack {
	s := &Stack{Project: project, StackName: stack, Resources: resources, byURN: make(map[string]*Resource, len(resources))}
	for _, r := range resources {
		r.outputs = true
		s.byURN[r.URN] = r
	}
	return s
}

// Lookup finds a resource by URN.
func (s *Stack) Lookup(urn string) (*Resource, bool) {
	r, ok := s.byURN[urn]
	return r, ok
}

// RootURN is the URN of the stack resource, or one built from the names.
func (s *Stack) RootURN() string {
	for _, r := range s.Resources {
		if r.Type == StackType {
			return r.URN
		}
	}
	return "urn:pulumi:" + s.StackName + "::" + s.Project + "::" + StackType + "::" + s.Project + "-" + s.StackName
}

// OfType returns the resources whose type is one of types, in stack order.
func (s *Stack) OfType(types ...string) []*Resource {
	var out []*Resource
	for _, r := range s.Resources {
		for _, t := range types {
			if r.Type == t {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// ParseURN splits `urn:pulumi:<stack>::<project>::<type>::<name>` into its
// stack, project and name; ok is false for anything else.
func ParseURN(urn string) (stack, project, name string, ok bool) {
	rest, found := strings.CutPrefix(urn, "urn:pulumi:")
	if !found {
		return "", "", "", false
	}
	parts := strings.SplitN(rest, "::", 4)
	if len(parts) != 4 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[3], true
}

// Key-like type tokens.
const (
	ServiceAccountKey = "gcp:serviceaccount/key:Key"
	APIKey            = "gcp:projects/apiKey:ApiKey"
)
