package cli

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// Fingerprint identifies a finding across runs, for baselines and SARIF:
// the policy, the URN, the property path with list positions taken out
// (`bindings[].members[]`), the kind, and valueDigest, a hash of the value
// at the path that tells apart findings sharing the other four. Message
// text and list positions are left out: a reworded message, a resource
// moved in the export or a member moved in a list is the same finding.
func Fingerprint(f policy.Finding, valueDigest string) string {
	h := sha256.New()
	for _, s := range []string{"dataflow-guardrails/v2", f.Policy, f.URN, shapePath(f.Path), string(f.Kind), valueDigest} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// findingKey identifies a finding within one run, to find its value digest
// again after the inputs are gone.
func findingKey(f policy.Finding) string {
	return f.Policy + "\x00" + f.URN + "\x00" + f.Path + "\x00" + string(f.Kind) + "\x00" + f.Message
}

// segment is one step of a property path: a map key or a list index.
type segment struct {
	key   string
	index int // -1 for a key
}

// splitPath reads a path as gcp.Value.Path spells it (`a.b[2]["x.y"]`).
func splitPath(path string) ([]segment, bool) {
	var segs []segment
	rest := path
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "["):
			if q, err := strconv.QuotedPrefix(rest[1:]); err == nil {
				after := rest[1+len(q):]
				if !strings.HasPrefix(after, "]") {
					return nil, false
				}
				k, _ := strconv.Unquote(q)
				segs = append(segs, segment{key: k, index: -1})
				rest = after[1:]
				continue
			}
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, false
			}
			segs = append(segs, segment{index: n})
			rest = rest[end+1:]
		default:
			if len(segs) > 0 {
				var dotted bool
				if rest, dotted = strings.CutPrefix(rest, "."); !dotted {
					return nil, false
				}
			}
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, false
			}
			segs = append(segs, segment{key: rest[:end], index: -1})
			rest = rest[end:]
		}
	}
	return segs, true
}

// shapePath is the path with every list index replaced by [].
func shapePath(path string) string {
	segs, ok := splitPath(path)
	if !ok {
		return path
	}
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.index >= 0:
			b.WriteString("[]")
		case strings.ContainsAny(s.key, ".[]\"") || s.key == "":
			b.WriteString("[" + strconv.Quote(s.key) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// valueDigest hashes the value at path in props, or returns "" when it
// must not or cannot be hashed. A hash of a low-entropy secret (a short
// password, a PIN) is as good as the secret to anyone who can try
// candidates against it, and baselines get committed; so nothing that is
// or holds a Pulumi secret, sits under a credential-named field, or reads
// as key material is hashed. Findings that then share policy, URN, shape
// and kind fall back to being counted (see matchBaseline).
func valueDigest(props property.Map, path string) string {
	segs, ok := splitPath(path)
	if !ok || len(segs) == 0 {
		return ""
	}
	var cur any = property.New(props)
	for _, s := range segs {
		if s.index < 0 && gcp.IsCredentialField(s.key) {
			return ""
		}
		next, ok := step(cur, s)
		if !ok {
			return ""
		}
		cur = next
	}
	h := sha256.New()
	if !hashValue(h, cur, 0) {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// step descends one segment, into property values and into JSON held in a
// string (such as an IAM policy's policyData).
func step(cur any, s segment) (any, bool) {
	if v, ok := cur.(property.Value); ok {
		if v.Secret() || v.IsComputed() {
			return nil, false
		}
		switch {
		case v.IsMap() && s.index < 0:
			next, ok := v.AsMap().GetOk(s.key)
			return next, ok
		case v.IsArray() && s.index >= 0:
			arr := v.AsArray()
			if s.index >= arr.Len() {
				return nil, false
			}
			return arr.Get(s.index), true
		case v.IsString():
			var doc any
			if json.Unmarshal([]byte(v.AsString()), &doc) != nil {
				return nil, false
			}
			return step(doc, s)
		}
		return nil, false
	}
	switch x := cur.(type) {
	case map[string]any:
		if s.index >= 0 {
			return nil, false
		}
		next, ok := x[s.key]
		return next, ok
	case []any:
		if s.index < 0 || s.index >= len(x) {
			return nil, false
		}
		return x[s.index], true
	case string:
		var doc any
		if json.Unmarshal([]byte(x), &doc) != nil {
			return nil, false
		}
		return step(doc, s)
	}
	return nil, false
}

type writer interface{ Write([]byte) (int, error) }

// hashValue writes a canonical, typed encoding of v; false if v is or
// holds something that must not be hashed (secret, unknown, credential).
func hashValue(h writer, v any, depth int) bool {
	if depth > 64 {
		return false
	}
	str := func(tag byte, s string) {
		var n [9]byte
		n[0] = tag
		binary.BigEndian.PutUint64(n[1:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	switch x := v.(type) {
	case property.Value:
		switch {
		case x.Secret(), x.IsComputed():
			return false
		case x.IsNull():
			h.Write([]byte{'n'})
		case x.IsBool():
			str('b', strconv.FormatBool(x.AsBool()))
		case x.IsNumber():
			str('f', strconv.FormatUint(math.Float64bits(x.AsNumber()), 16))
		case x.IsString():
			if gcp.HoldsCredential(x.AsString()) {
				return false
			}
			str('s', x.AsString())
		case x.IsArray():
			arr := x.AsArray()
			str('a', strconv.Itoa(arr.Len()))
			for i := 0; i < arr.Len(); i++ {
				if !hashValue(h, arr.Get(i), depth+1) {
					return false
				}
			}
		case x.IsMap():
			ok := true
			str('m', strconv.Itoa(x.AsMap().Len()))
			x.AsMap().AllStable(func(k string, e property.Value) bool {
				if gcp.IsCredentialField(k) {
					ok = false
					return false
				}
				str('k', k)
				ok = hashValue(h, e, depth+1)
				return ok
			})
			if !ok {
				return false
			}
		default: // assets, archives, resource references: not offending values
			return false
		}
	case nil:
		h.Write([]byte{'n'})
	case bool:
		str('b', strconv.FormatBool(x))
	case float64:
		str('f', strconv.FormatUint(math.Float64bits(x), 16))
	case string:
		if gcp.HoldsCredential(x) {
			return false
		}
		str('s', x)
	case []any:
		str('a', strconv.Itoa(len(x)))
		for _, e := range x {
			if !hashValue(h, e, depth+1) {
				return false
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		str('m', strconv.Itoa(len(keys)))
		for _, k := range keys {
			if gcp.IsCredentialField(k) {
				return false
			}
			str('k', k)
			if !hashValue(h, x[k], depth+1) {
				return false
			}
		}
	default:
		return false
	}
	return true
}
