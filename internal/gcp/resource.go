package gcp

import (
	"slices"
	"strings"
	"sync"

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
	// DeclaredAs is the type token the program declared when Equivalent
	// presents the resource as a pulumi-gcp type (Type); empty otherwise.
	DeclaredAs string

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
	v := Value{raw: property.New(r.Props)}
	if ReadHook != nil {
		v.origin = &origin{typ: r.Type, outputs: r.outputs}
	}
	return v
}

// Get reads a top-level property.
func (r *Resource) Get(key string) Value { return r.Root().Get(key) }

// AsProvider is a provider resource (type ProviderType) as the resources it
// manages see it: its inputs are their provider's configuration.
func (r *Resource) AsProvider() *Provider {
	return &Provider{URN: r.URN, Type: r.Type, Name: r.Name, Props: r.Props}
}

// At follows a chain of keys from the top.
func (r *Resource) At(keys ...string) Value { return r.Root().At(keys...) }

// Root returns the provider's inputs as a Value.
func (p *Provider) Root() Value {
	if p == nil {
		return Value{}
	}
	v := Value{raw: property.New(p.Props)}
	if ReadHook != nil {
		v.origin = &origin{typ: ProviderType}
	}
	return v
}

// Get reads a provider input.
func (p *Provider) Get(key string) Value { return p.Root().Get(key) }

// Stack is every resource of a deployment, for stack policies.
type Stack struct {
	Project   string
	StackName string
	Resources []*Resource

	byURN map[string]int32 // position in Resources (the last, for a repeated URN)
	dupes bool             // some URN is repeated

	typesOnce sync.Once
	byType    map[string][]int32 // positions in Resources, ascending

	bucketsOnce    sync.Once
	bucketsByName  map[string][]int32 // trimmed, lower-cased name -> positions
	bucketsUnknown []int32            // buckets whose name is not known yet

	views Views
}

// NewStack indexes resources by URN.
func NewStack(project, stack string, resources []*Resource) *Stack {
	s := &Stack{Project: project, StackName: stack, Resources: resources, byURN: make(map[string]int32, len(resources))}
	for i, r := range resources {
		if eq := Equivalent(r); eq != r {
			if &s.Resources[0] == &resources[0] {
				s.Resources = slices.Clone(resources) // the caller's slice stays as it was
			}
			r = eq
			s.Resources[i] = r
		}
		r.outputs = true
		if _, seen := s.byURN[r.URN]; seen {
			s.dupes = true
		}
		s.byURN[r.URN] = int32(i)
	}
	return s
}

// Lookup finds a resource by URN.
func (s *Stack) Lookup(urn string) (*Resource, bool) {
	i, ok := s.byURN[urn]
	if !ok {
		return nil, false
	}
	return s.Resources[i], true
}

// Views memoizes what the model derives from the stack's resources for the
// evaluation of the stack (see Views).
func (s *Stack) Views() *Views { return &s.views }

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
	s.typesOnce.Do(s.indexTypes)
	var positions []int32
	lists := 0
	for _, t := range types {
		if at := s.byType[t]; len(at) > 0 {
			positions = append(positions, at...)
			lists++
		}
	}
	if lists > 1 {
		// Merge into stack order; a type listed twice adds nothing.
		slices.Sort(positions)
		positions = slices.Compact(positions)
	}
	return s.at(positions)
}

// BucketsNamed returns, in stack order, the storage buckets that may be the
// bucket called name: those whose name is name (case and surrounding space
// aside) and those whose name is not known yet. A sink or grant that names a
// bucket then costs a map lookup, not a scan of every bucket in the stack.
func (s *Stack) BucketsNamed(name string) []*Resource {
	s.bucketsOnce.Do(func() {
		s.bucketsByName = map[string][]int32{}
		for _, b := range s.OfType(StorageBucketResource) {
			i := s.byURN[b.URN]
			if s.Resources[i] != b {
				i = int32(slices.Index(s.Resources, b)) // a repeated URN
			}
			v := b.Get("name")
			if n, ok := v.String(); ok {
				key := strings.ToLower(strings.TrimSpace(n))
				s.bucketsByName[key] = append(s.bucketsByName[key], i)
			} else if v.IsUnknown() {
				s.bucketsUnknown = append(s.bucketsUnknown, i)
			}
		}
	})
	named := s.bucketsByName[strings.ToLower(strings.TrimSpace(name))]
	if len(s.bucketsUnknown) == 0 {
		return s.at(named)
	}
	positions := append(slices.Clone(named), s.bucketsUnknown...)
	slices.Sort(positions)
	return s.at(positions)
}

func (s *Stack) indexTypes() {
	s.byType = map[string][]int32{}
	for i, r := range s.Resources {
		s.byType[r.Type] = append(s.byType[r.Type], int32(i))
	}
}

func (s *Stack) at(positions []int32) []*Resource {
	if len(positions) == 0 {
		return nil
	}
	out := make([]*Resource, len(positions))
	for i, p := range positions {
		out[i] = s.Resources[p]
	}
	return out
}

// WithURNs returns the resources whose URN is one of urns, in stack order,
// each once (every resource of a repeated URN).
func (s *Stack) WithURNs(urns []string) []*Resource {
	if s.dupes {
		set := make(map[string]bool, len(urns))
		for _, u := range urns {
			set[u] = true
		}
		var out []*Resource
		for _, r := range s.Resources {
			if set[r.URN] {
				out = append(out, r)
			}
		}
		return out
	}
	positions := make([]int32, 0, len(urns))
	for _, u := range urns {
		if i, ok := s.byURN[u]; ok {
			positions = append(positions, i)
		}
	}
	slices.Sort(positions)
	positions = slices.Compact(positions)
	return s.at(positions)
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
	StorageHMACKey    = "gcp:storage/hmacKey:HmacKey"
)
