package gcp

import "strings"

// Helpers for the Dataflow hardening policies: the worker network, the region
// a job runs in and where the Cloud KMS key it names lives.

// Cloud KMS type tokens.
const (
	KMSCryptoKeyResource = "gcp:kms/cryptoKey:CryptoKey"
	KMSKeyRingResource   = "gcp:kms/keyRing:KeyRing"
)

// IsDefaultNetwork reports whether a Dataflow `network` value names the
// auto-created `default` VPC network: the bare name, or a network path or URL
// whose last segment is `default` after `/networks/` (`global/networks/default`,
// `projects/p/global/networks/default`, a full compute URL). Names that only
// start or end like it (`default-vpc`, `.../networks/defaults`) are other
// networks.
func IsDefaultNetwork(network string) bool {
	s := strings.ToLower(strings.TrimRight(strings.TrimSpace(network), "/"))
	return s == "default" || strings.HasSuffix(s, "/networks/default")
}

// ResourceLocation returns the location of a Google Cloud resource name such
// as `projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k`: the segment
// after `locations/`, lowercased. ok is false when the name has none.
func ResourceLocation(name string) (string, bool) {
	parts := strings.Split(strings.TrimSpace(name), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "locations" && parts[i+1] != "" {
			return strings.ToLower(parts[i+1]), true
		}
	}
	return "", false
}

// Region is the region a Dataflow job runs in and where it was read.
type Region struct {
	// Value is the property the region was read from; absent when no region
	// is set anywhere.
	Value Value
	// Provider is set when the region is the provider's `region`.
	Provider bool
}

// Name returns the known region, lowercased.
func (r Region) Name() (string, bool) {
	s, ok := r.Value.String()
	s = strings.ToLower(strings.TrimSpace(s))
	return s, ok && s != ""
}

// Describe says where the region comes from, for messages.
func (r Region) Describe() string {
	if r.Provider {
		return "the provider's region"
	}
	return r.Value.Path()
}

// DataflowRegion returns the region (regional endpoint) a Dataflow job runs
// in. A Job or FlexTemplateJob uses its `region`, else the provider's
// `region` (as the provider does). A Pipeline workload environment uses the
// `location` of its launch request (the regional endpoint the job is
// launched at), else the Pipeline's own `region`, else the provider's. An
// empty string counts as not set. In a stack's outputs, an unknown `region`
// with no recorded property dependency is the provider's default still to
// be filled in, so the provider's region is used. The returned Value is
// absent when no region is set anywhere.
func DataflowRegion(r *Resource, env WorkerEnv) Region {
	var candidates []Value
	if env.Request != "" {
		candidates = append(candidates, r.At("workload", env.Request, "location"))
	}
	candidates = append(candidates, r.Get("region"))
	for _, v := range candidates {
		if v.Path() == "region" && v.IsUnknown() && len(r.PropertyDependencies["region"]) == 0 {
			// An output the provider fills from its own default at apply:
			// nothing the region was set from is pending.
			continue
		}
		if regionSet(v) {
			return Region{Value: v}
		}
	}
	if v := r.Provider.Get("region"); regionSet(v) {
		return Region{Value: v, Provider: true}
	}
	return Region{}
}

func regionSet(v Value) bool {
	if v.IsUnknown() {
		return true
	}
	s, ok := v.String()
	return ok && strings.TrimSpace(s) != ""
}

// KeyLocation is where a Cloud KMS key named by a job lives, as far as the
// stack tells: a known location, or the value that decides it but is not
// known yet.
type KeyLocation struct {
	// Location is the lowercased location, "" when not known yet.
	Location string
	// From says where the location was read, for messages.
	From string
	// Secret is set when the location was read from a secret value, so
	// messages must not print it.
	Secret bool
	// UnknownOn and UnknownPath name the value that is not known yet when
	// Location is "".
	UnknownOn   *Resource
	UnknownPath string
}

// KMSKeyLocations resolves the location of the Cloud KMS key a `kmsKeyName`
// value read from r names:
//   - a known name with a `/locations/<l>/` segment is in that location (a
//     key's resource name carries its key ring's location);
//   - a known name without one is looked up among the stack's CryptoKeys
//     (by `id` output or `<keyRing>/cryptoKeys/<name>`), then as below;
//   - an unknown name stands for the CryptoKeys of the stack it depends on,
//     each located through its key ring: the KeyRing resource its known
//     `keyRing` names (or, unknown, depends on) gives `location`, else the
//     `keyRing` value's own location segment. An unknown name that depends
//     on no CryptoKey yields one unknown entry for the name itself.
//
// It returns nothing when nothing locates the key (a name with no location
// segment naming no key of the stack).
func KMSKeyLocations(s *Stack, r *Resource, key Value) []KeyLocation {
	switch key.State() {
	case Unknown:
		var out []KeyLocation
		for _, urn := range PropertyDeps(r, key.Path()) {
			if dep, ok := s.Lookup(urn); ok && dep.Type == KMSCryptoKeyResource {
				out = append(out, cryptoKeyLocations(s, dep)...)
			}
		}
		if len(out) == 0 {
			out = append(out, KeyLocation{UnknownOn: r, UnknownPath: key.Path()})
		}
		return out
	case Set:
		name, _ := key.String()
		if loc, ok := ResourceLocation(name); ok {
			return []KeyLocation{{Location: loc, From: "the key name", Secret: key.Secret()}}
		}
		var out []KeyLocation
		for _, k := range s.OfType(KMSCryptoKeyResource) {
			if id, ok := CryptoKeyName(k); ok && id == strings.TrimSpace(name) {
				out = append(out, cryptoKeyLocations(s, k)...)
			}
		}
		return out
	}
	return nil
}

// cryptoKeyLocations locates a CryptoKey through its key ring.
func cryptoKeyLocations(s *Stack, key *Resource) []KeyLocation {
	ring := key.Get("keyRing")
	switch ring.State() {
	case Unknown:
		var out []KeyLocation
		for _, urn := range PropertyDeps(key, ring.Path()) {
			if dep, ok := s.Lookup(urn); ok && dep.Type == KMSKeyRingResource {
				out = append(out, keyRingLocation(dep))
			}
		}
		if len(out) == 0 {
			out = append(out, KeyLocation{UnknownOn: key, UnknownPath: ring.Path()})
		}
		return out
	case Set:
		name, _ := ring.String()
		name = strings.TrimSpace(name)
		var out []KeyLocation
		for _, kr := range s.OfType(KMSKeyRingResource) {
			if id, ok := KeyRingName(kr); ok && id == name {
				out = append(out, keyRingLocation(kr))
			}
		}
		if len(out) > 0 {
			return out
		}
		if loc, ok := ResourceLocation(name); ok {
			return []KeyLocation{{Location: loc, From: "the keyRing of key " + quote(key.Name), Secret: ring.Secret()}}
		}
	}
	return nil
}

// keyRingLocation reads the location of a KeyRing resource.
func keyRingLocation(kr *Resource) KeyLocation {
	loc := kr.Get("location")
	if loc.IsUnknown() {
		return KeyLocation{UnknownOn: kr, UnknownPath: loc.Path()}
	}
	s, _ := loc.String()
	return KeyLocation{Location: strings.ToLower(strings.TrimSpace(s)), From: "key ring " + quote(kr.Name), Secret: loc.Secret()}
}

func quote(s string) string { return `"` + s + `"` }

// IDOutput returns a resource's `id` output: the provider-assigned ID that
// bridged providers record among the outputs. It is read from the raw
// properties because it is not an SDK-declared property (the conformance
// test checks only declared ones).
func IDOutput(r *Resource) (string, bool) {
	v := r.Props.Get("id")
	if v.IsString() && v.AsString() != "" {
		return v.AsString(), true
	}
	return "", false
}

// KeyRingName returns the resource name of a gcp:kms/keyRing:KeyRing: its
// `id` output, else `projects/<project>/locations/<location>/keyRings/<name>`
// with the project from the key ring or its provider.
func KeyRingName(r *Resource) (string, bool) {
	if id, ok := IDOutput(r); ok && strings.HasPrefix(id, "projects/") {
		return id, true
	}
	name, ok1 := r.Get("name").String()
	loc, ok2 := r.Get("location").String()
	if !ok1 || !ok2 || name == "" || loc == "" {
		return "", false
	}
	project, ok := r.Get("project").String()
	if !ok || project == "" {
		project, ok = r.Provider.Get("project").String()
	}
	if !ok || project == "" {
		return "", false
	}
	return "projects/" + project + "/locations/" + loc + "/keyRings/" + name, true
}

// CryptoKeyName returns the resource name of a gcp:kms/cryptoKey:CryptoKey:
// its `id` output, else `<keyRing>/cryptoKeys/<name>`.
func CryptoKeyName(r *Resource) (string, bool) {
	if id, ok := IDOutput(r); ok && strings.HasPrefix(id, "projects/") {
		return id, true
	}
	ring, ok1 := r.Get("keyRing").String()
	name, ok2 := r.Get("name").String()
	if !ok1 || !ok2 || ring == "" || name == "" {
		return "", false
	}
	return strings.TrimRight(strings.TrimSpace(ring), "/") + "/cryptoKeys/" + name, true
}
