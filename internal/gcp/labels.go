package gcp

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Label-related type tokens: a GKE cluster's labels are resourceLabels (in
// the generated labelFields); an SQL instance's are settings.userLabels, which
// get no provider defaults.
const (
	ContainerCluster = "gcp:container/cluster:Cluster"
	SQLInstance      = "gcp:sql/databaseInstance:DatabaseInstance"
)

// LabelTargets lists every type token that carries resource labels in some
// field: the generated labelFields types (a labels input with
// effectiveLabels beside it, at any depth), the `userLabels` types, SQL
// instances and the Data Pipeline.
func LabelTargets() []string { return slices.Clone(labelTargets()) }

var labelTargets = sync.OnceValue(func() []string {
	seen := map[string]struct{}{SQLInstance: {}}
	for _, t := range DataflowTypes {
		seen[t] = struct{}{}
	}
	for t := range labelFields {
		seen[t] = struct{}{}
	}
	for t := range userLabelTypes {
		seen[t] = struct{}{}
	}
	return setList(seen)
})

// LabelFieldPaths returns, per type token, the property path of the labels
// input that pulumi-gcp merges with the provider's defaultLabels (for the
// conformance test, which proves each path exists in the SDK).
func LabelFieldPaths() map[string][]string {
	out := make(map[string][]string, len(labelFields))
	for t, p := range labelFields {
		out[t] = slices.Clone(p)
	}
	return out
}

// LabelSet is one labels field of a resource, with the provider defaults
// that apply to it.
type LabelSet struct {
	// Own is the resource's own labels map (absent, unknown or set).
	Own Value
	// Defaults are the provider's defaultLabels merged under Own; nil when
	// the field gets none (Pipeline environments, resources without provider).
	Defaults *DefaultLabels
	// Attribution is set when pulumi-gcp adds its goog-pulumi-provisioned
	// label to the resource's effective labels (the provider default, unless
	// addPulumiAttributionLabel is false).
	Attribution bool
}

// AttributionLabel is the label pulumi-gcp v8+ adds to effective labels.
const AttributionLabel = "goog-pulumi-provisioned"

// addsAttribution reports whether a provider adds the attribution label.
func addsAttribution(p *Provider) bool {
	if p == nil {
		return true
	}
	b, ok := p.Get("addPulumiAttributionLabel").Bool()
	return !ok || b
}

// Labels returns the labels fields of a resource; nil for a type without
// labels.
func Labels(r *Resource) []LabelSet {
	switch r.Type {
	case DataflowPipeline:
		var out []LabelSet
		for _, env := range WorkerEnvs(r) {
			out = append(out, LabelSet{Own: env.Labels()})
		}
		return out
	case SQLInstance:
		// settings.userLabels and the monitoring userLabels get no provider
		// defaults: pulumi-gcp v9.6.0 gives these types no effectiveLabels.
		return []LabelSet{{Own: r.At("settings", "userLabels")}}
	}
	if path, ok := labelFields[r.Type]; ok {
		return []LabelSet{mergedLabels(r, path)}
	}
	if _, ok := userLabelTypes[r.Type]; ok {
		return []LabelSet{{Own: r.Get("userLabels")}}
	}
	return nil
}

// mergedLabels reads a labels input that pulumi-gcp merges with the
// provider's defaultLabels and attribution label. A nested one (a Cloud Run
// v1 Service's metadata.labels) gets them only when the object around it is
// present: the provider's diff leaves effectiveLabels alone without one
// (terraform-provider-google's SetMetadataLabelsDiff).
func mergedLabels(r *Resource, path []string) LabelSet {
	set := LabelSet{Own: r.At(path...)}
	if len(path) > 1 && r.At(path[:len(path)-1]...).IsAbsent() {
		return set
	}
	set.Defaults = ProviderDefaultLabels(r.Provider)
	set.Attribution = addsAttribution(r.Provider)
	return set
}

// DefaultLabels are a provider's defaultLabels input.
type DefaultLabels struct {
	// Value is the map (possibly parsed from a JSON string), or the unknown
	// or absent value as read.
	Value Value
	// Malformed is set when the input is a string that is not a JSON object.
	Malformed bool
}

// ProviderDefaultLabels reads `defaultLabels` from a provider. A default
// provider gets it from stack config, where it arrives as a JSON string.
func ProviderDefaultLabels(p *Provider) *DefaultLabels {
	if p == nil {
		return nil
	}
	v := p.Get("defaultLabels")
	s, isString := v.String()
	if !isString {
		return &DefaultLabels{Value: v}
	}
	parsed, ok := defaultLabelsOf(s)
	if !ok {
		return &DefaultLabels{Value: v, Malformed: true}
	}
	return &DefaultLabels{Value: v.child(parsed, v.path).detached()}
}

// parsedDefaultLabels keeps the parse of recent defaultLabels strings. A
// provider's config is the same in every request of a deployment, and a
// parsed map is immutable, so each string is parsed once rather than once
// per resource. Secrecy and paths are the reading value's, added per call.
var parsedDefaultLabels struct {
	sync.RWMutex
	m map[string]defaultLabelsParse
}

type defaultLabelsParse struct {
	value property.Value
	ok    bool
}

// Bounds on parsedDefaultLabels: a deployment has a handful of providers.
const (
	maxParsedDefaultLabels   = 64
	maxDefaultLabelsCacheLen = 16 << 10
)

func defaultLabelsOf(s string) (property.Value, bool) {
	if len(s) > maxDefaultLabelsCacheLen {
		return parseDefaultLabels(s)
	}
	parsedDefaultLabels.RLock()
	p, hit := parsedDefaultLabels.m[s]
	parsedDefaultLabels.RUnlock()
	if hit {
		return p.value, p.ok
	}
	p.value, p.ok = parseDefaultLabels(s)
	parsedDefaultLabels.Lock()
	if parsedDefaultLabels.m == nil || len(parsedDefaultLabels.m) >= maxParsedDefaultLabels {
		parsedDefaultLabels.m = map[string]defaultLabelsParse{}
	}
	parsedDefaultLabels.m[s] = p
	parsedDefaultLabels.Unlock()
	return p.value, p.ok
}

// parseDefaultLabels reads a defaultLabels config string, a JSON object;
// values that are not strings keep their JSON text. ok is false when it is
// not a JSON object.
func parseDefaultLabels(s string) (property.Value, bool) {
	if pm, ok := parseFlatStringObject(s); ok {
		return property.New(pm), true
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return property.Value{}, false
	}
	pm := make(map[string]property.Value, len(m))
	for k, val := range m {
		if str, ok := val.(string); ok {
			pm[k] = property.New(str)
		} else {
			pm[k] = property.New(property.Null)
			if b, err := json.Marshal(val); err == nil {
				pm[k] = property.New(string(b))
			}
		}
	}
	return property.New(pm), true
}

// Lookup finds a label key: first in the resource's own labels, then in the
// provider defaults. present is Set when the key is there, Absent when it is
// not, Unknown when that depends on a map not known yet. final is false when
// the value may still change (it is unknown, or unknown own labels could
// override a default).
func (ls LabelSet) Lookup(key string) (v Value, present State, final bool) {
	ownUnknown := ls.Own.IsUnknown()
	if !ownUnknown {
		if own := ls.Own.Get(key); !own.IsAbsent() {
			return own, Set, !own.IsUnknown()
		}
	}
	if ls.Defaults != nil {
		d := ls.Defaults.Value
		if d.IsUnknown() {
			return d, Unknown, false
		}
		if dv := d.Get(key); !dv.IsAbsent() {
			return dv, Set, !ownUnknown && !dv.IsUnknown()
		}
	}
	if ownUnknown {
		return ls.Own, Unknown, false
	}
	return ls.Own.Get(key), Absent, true
}

// Count is the number of effective label entries, len(Entries()).
func (ls LabelSet) Count() int {
	n := ls.Own.Len()
	if ls.Defaults != nil {
		for key := range ls.Defaults.Value.All {
			if !ls.Own.Has(key) {
				n++
			}
		}
	}
	return n
}

// HasKey reports whether key is one of the effective label entries.
func (ls LabelSet) HasKey(key string) bool {
	return ls.Own.Has(key) || (ls.Defaults != nil && ls.Defaults.Value.Has(key))
}

// Entries returns the effective label entries: defaults overridden by own
// labels. Unknown maps contribute nothing.
func (ls LabelSet) Entries() []Entry {
	merged := map[string]Entry{}
	if ls.Defaults != nil {
		for _, e := range ls.Defaults.Value.Entries() {
			merged[e.Key] = e
		}
	}
	for _, e := range ls.Own.Entries() {
		merged[e.Key] = e
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sortStrings(keys)
	out := make([]Entry, len(keys))
	for i, k := range keys {
		out[i] = merged[k]
	}
	return out
}

// parseFlatStringObject reads the usual shape of a defaultLabels config
// string, a JSON object of plain ASCII strings, the way json.Unmarshal would
// and several times faster. ok is false for anything else (escapes,
// non-ASCII text, other values, malformed JSON): json.Unmarshal decides
// those.
func parseFlatStringObject(s string) (m map[string]property.Value, ok bool) {
	i := skipJSONSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil, false
	}
	m = map[string]property.Value{}
	i = skipJSONSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return m, skipJSONSpace(s, i+1) == len(s)
	}
	for {
		key, next, ok := plainJSONString(s, i)
		if !ok {
			return nil, false
		}
		i = skipJSONSpace(s, next)
		if i >= len(s) || s[i] != ':' {
			return nil, false
		}
		value, next, ok := plainJSONString(s, skipJSONSpace(s, i+1))
		if !ok {
			return nil, false
		}
		m[key] = property.New(value) // a repeated key: the last wins, as in json.Unmarshal
		i = skipJSONSpace(s, next)
		switch {
		case i < len(s) && s[i] == ',':
			i = skipJSONSpace(s, i+1)
		case i < len(s) && s[i] == '}':
			return m, skipJSONSpace(s, i+1) == len(s)
		default:
			return nil, false
		}
	}
}
