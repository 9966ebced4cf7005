// Package gcp holds typed, read-only views over the Pulumi property maps of
// pulumi-gcp resources. It is the only package that knows type tokens,
// property names and value quirks; policies read through it and never touch
// raw property values.
package gcp

import (
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// State is the three-state outcome of reading a property.
type State uint8

const (
	// Absent: the property is missing or null, so the provider default applies.
	Absent State = iota
	// Unknown: the value is computed and will only be known after apply.
	Unknown
	// Set: the value is known.
	Set
)

// Value is one property read at a path. The zero Value is absent. Reads never
// panic: asking a string of a number just reports it is not a string.
type Value struct {
	raw    property.Value
	path   valuePath
	secret bool // this value or one of its ancestors is secret
	origin *origin
}

// valuePath is where a value was read: the path of its parent and, kept
// apart until someone asks, its own key or index. Reading a property then
// allocates no path; only reading below it, or printing it, joins one.
type valuePath struct {
	base string
	key  string
	idx  int32
	kind pathKind
}

type pathKind uint8

const (
	pathWhole pathKind = iota // base is the whole path
	pathKey                   // base, then key
	pathIndex                 // base, then idx
)

func pathOf(p string) valuePath { return valuePath{base: p} }

func (p valuePath) String() string {
	switch p.kind {
	case pathKey:
		return JoinPath(p.base, p.key)
	case pathIndex:
		return IndexPath(p.base, int(p.idx))
	}
	return p.base
}

func (p valuePath) withKey(key string) valuePath {
	return valuePath{base: p.String(), key: key, kind: pathKey}
}

func (p valuePath) withIndex(i int) valuePath {
	if int(int32(i)) != i {
		return pathOf(IndexPath(p.String(), i))
	}
	return valuePath{base: p.String(), idx: int32(i), kind: pathIndex}
}

// origin says which resource property tree a value was read from, so a
// conformance test can check every property the model reads against the
// pulumi-gcp SDK. It is nil for values parsed out of JSON strings, and when
// no ReadHook is set.
type origin struct {
	typ     string
	outputs bool
}

// ReadHook, when set, is called for every property key read from a resource
// or provider (type token, path, whether outputs were read). Only the
// conformance test sets it, before any evaluation starts.
var ReadHook func(typ, path string, outputs bool)

// NewValue wraps a raw property value found at path.
func NewValue(raw property.Value, path string) Value {
	return Value{raw: raw, path: pathOf(path), secret: raw.Secret()}
}

// Path is the property path in dotted/bracket form, such as `accesses[2].role`.
func (v Value) Path() string { return v.path.String() }

// Raw exposes the underlying property value, for adapters and remediations.
func (v Value) Raw() property.Value { return v.raw }

// State reports whether the value is absent, unknown or set.
func (v Value) State() State {
	switch {
	case v.raw.IsComputed():
		return Unknown
	case v.raw.IsNull():
		return Absent
	default:
		return Set
	}
}

func (v Value) IsAbsent() bool  { return v.State() == Absent }
func (v Value) IsUnknown() bool { return v.raw.IsComputed() }
func (v Value) IsSet() bool     { return v.State() == Set }

// HasUnknown reports whether the value or anything inside it is unknown.
func (v Value) HasUnknown() bool { return v.raw.HasComputed() }

// Secret reports whether the value, or a value it sits inside, is secret.
func (v Value) Secret() bool { return v.secret || v.raw.Secret() }

func (v Value) child(raw property.Value, path valuePath) Value {
	return Value{raw: raw, path: path, secret: v.Secret() || raw.Secret(), origin: v.origin}
}

// detached returns the value cut off from its resource's property tree (a
// document parsed from a JSON string).
func (v Value) detached() Value {
	v.origin = nil
	return v
}

// JoinPath appends a property key to a path, quoting keys that are not plain
// identifiers so the path stays unambiguous.
func JoinPath(path, key string) string {
	if !plainKey(key) {
		seg := "[" + strconv.Quote(key) + "]"
		return path + seg
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// IsTopLevelPath reports whether path names a top-level property: one plain
// key, as JoinPath writes it from the root.
func IsTopLevelPath(path string) bool { return plainKey(path) }

// IndexPath appends an array index to a path.
func IndexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for i, r := range key {
		switch {
		case r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Get reads a map key. Reading a key of a non-map yields an absent value, and
// reading into an unknown value yields an unknown one.
func (v Value) Get(key string) Value {
	p := v.path.withKey(key)
	if ReadHook != nil && v.origin != nil {
		ReadHook(v.origin.typ, p.String(), v.origin.outputs)
	}
	switch {
	case v.raw.IsComputed():
		return v.child(v.raw, p)
	case v.raw.IsMap():
		return v.child(v.raw.AsMap().Get(key), p)
	default:
		return Value{path: p, secret: v.Secret(), origin: v.origin}
	}
}

// At follows a chain of keys.
func (v Value) At(keys ...string) Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}

// Index reads an array element; out of range or non-array yields absent.
func (v Value) Index(i int) Value {
	p := v.path.withIndex(i)
	switch {
	case v.raw.IsComputed():
		return v.child(v.raw, p)
	case v.raw.IsArray():
		a := v.raw.AsArray()
		if i >= 0 && i < a.Len() {
			return v.child(a.Get(i), p)
		}
	}
	return Value{path: p, secret: v.Secret(), origin: v.origin}
}

// Items returns the elements of an array (nil for anything else).
func (v Value) Items() []Value {
	if !v.raw.IsArray() {
		return nil
	}
	a := v.raw.AsArray()
	out := make([]Value, 0, a.Len())
	base := v.Path()
	for i, e := range a.All {
		out = append(out, v.child(e, valuePath{base: base, idx: int32(i), kind: pathIndex}))
	}
	return out
}

// Entry is one key of a map value.
type Entry struct {
	Key   string
	Value Value
}

// Entries returns the entries of a map sorted by key (nil for anything else).
func (v Value) Entries() []Entry {
	if !v.raw.IsMap() {
		return nil
	}
	m := v.raw.AsMap()
	out := make([]Entry, 0, m.Len())
	base := v.Path()
	for k, e := range m.AllStable { // sorts the keys, not the larger entries
		out = append(out, Entry{Key: k, Value: v.child(e, valuePath{base: base, key: k, kind: pathKey})})
	}
	return out
}

// AllItems yields the elements of an array in order (nothing for anything
// else): Items without the slice, for a scan.
func (v Value) AllItems(yield func(i int, item Value) bool) {
	if !v.raw.IsArray() {
		return
	}
	base := v.Path()
	for i, e := range v.raw.AsArray().All {
		if !yield(i, v.child(e, valuePath{base: base, idx: int32(i), kind: pathIndex})) {
			return
		}
	}
}

// Len is the number of entries of a map (0 for anything else).
func (v Value) Len() int {
	if !v.raw.IsMap() {
		return 0
	}
	return v.raw.AsMap().Len()
}

// Has reports whether a map has key (false for anything else).
func (v Value) Has(key string) bool {
	if !v.raw.IsMap() {
		return false
	}
	_, ok := v.raw.AsMap().GetOk(key)
	return ok
}

// All yields the entries of a map in no particular order (nothing for
// anything else): Entries without sorting or a slice, for a scan.
func (v Value) All(yield func(key string, value Value) bool) {
	if !v.raw.IsMap() {
		return
	}
	base := v.Path()
	for k, e := range v.raw.AsMap().All {
		if !yield(k, v.child(e, valuePath{base: base, key: k, kind: pathKey})) {
			return
		}
	}
}

// IsMap and IsArray report the known shape of the value.
func (v Value) IsMap() bool   { return v.raw.IsMap() }
func (v Value) IsArray() bool { return v.raw.IsArray() }

// String returns the value when it is a known string.
func (v Value) String() (string, bool) {
	if v.raw.IsString() {
		return v.raw.AsString(), true
	}
	return "", false
}

// Str returns the string or "" when the value is not a known string.
func (v Value) Str() string {
	s, _ := v.String()
	return s
}

// Bool returns the value when it is a known boolean. A string "true"/"false"
// is accepted too, as stack config delivers booleans as strings.
func (v Value) Bool() (bool, bool) {
	switch {
	case v.raw.IsBool():
		return v.raw.AsBool(), true
	case v.raw.IsString():
		b, err := strconv.ParseBool(strings.TrimSpace(v.raw.AsString()))
		return b, err == nil
	}
	return false, false
}

// Number returns the value when it is a known number.
func (v Value) Number() (float64, bool) {
	if v.raw.IsNumber() {
		return v.raw.AsNumber(), true
	}
	return 0, false
}

// Strings returns the known string elements of an array, with their values.
func (v Value) Strings() []Value {
	items := v.Items()
	out := items[:0]
	for _, it := range items {
		if it.IsSet() || it.IsUnknown() {
			out = append(out, it)
		}
	}
	return out
}

// Display renders a value for a message: secrets are redacted, unknowns named.
func (v Value) Display() string {
	switch {
	case v.Secret():
		return "[secret]"
	case v.IsUnknown():
		return "[unknown]"
	}
	if s, ok := v.String(); ok {
		return strconv.Quote(s)
	}
	if b, ok := v.Bool(); ok {
		return strconv.FormatBool(b)
	}
	if n, ok := v.Number(); ok {
		return strconv.FormatFloat(n, 'g', -1, 64)
	}
	if v.IsAbsent() {
		return "(absent)"
	}
	return "(value)"
}

// SecretStrings collects the plaintext of every secret string inside raw, so
// front ends can scrub them from anything they print, and (when plain is not
// nil) every string that is not secret.
func SecretStrings(raw property.Value, secret, plain map[string]struct{}) {
	collectStrings(raw, false, secret, plain)
}

// ClearStrings adds to found every string of among that raw holds outside
// any secret.
func ClearStrings(raw property.Value, among, found map[string]struct{}) {
	if !raw.Secret() && raw.IsString() {
		if _, ok := among[raw.AsString()]; ok {
			found[raw.AsString()] = struct{}{}
		}
		return
	}
	switch {
	case raw.Secret():
	case raw.IsArray():
		for _, e := range raw.AsArray().All {
			ClearStrings(e, among, found)
		}
	case raw.IsMap():
		for _, e := range raw.AsMap().All {
			ClearStrings(e, among, found)
		}
	}
}

func collectStrings(v property.Value, inSecret bool, secret, plain map[string]struct{}) {
	inSecret = inSecret || v.Secret()
	switch {
	case v.IsString():
		if inSecret {
			secret[v.AsString()] = struct{}{}
		} else if plain != nil {
			plain[v.AsString()] = struct{}{}
		}
	case v.IsArray():
		for _, e := range v.AsArray().All {
			collectStrings(e, inSecret, secret, plain)
		}
	case v.IsMap():
		for _, e := range v.AsMap().All {
			collectStrings(e, inSecret, secret, plain)
		}
	}
}
