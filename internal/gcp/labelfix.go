package gcp

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Google Cloud label limits.
const (
	// MaxLabelLength is the longest key or value, in characters.
	MaxLabelLength = 63
	// MaxLabels is the most labels a resource may carry.
	MaxLabels = 64
)

// labelLetter reports whether r counts as a lowercase letter in a label:
// Google documents the classes \p{Ll} (lowercase letters, international
// ones included) and \p{Lo} (letters without case, such as CJK).
func labelLetter(r rune) bool {
	return unicode.IsLower(r) || unicode.Is(unicode.Lo, r)
}

// labelRune reports whether r may appear in a label key or value: a
// lowercase letter, a number (\p{N}), `_` or `-`.
func labelRune(r rune) bool {
	return labelLetter(r) || unicode.IsNumber(r) || r == '_' || r == '-'
}

// LabelKeyProblem says why s is not a valid label key, or returns "" when it
// is one. Lengths count characters, not bytes. When redact is true the
// answer never quotes s or a character of it.
func LabelKeyProblem(s string, redact bool) string {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "is empty; keys need 1 to 63 characters"
	case n > MaxLabelLength:
		return fmt.Sprintf("is %d characters long; keys may have at most %d", n, MaxLabelLength)
	}
	if first, _ := utf8.DecodeRuneInString(s); !labelLetter(first) {
		if redact {
			return "does not start with a lowercase letter"
		}
		return fmt.Sprintf("starts with %s; keys must start with a lowercase letter", quoteRune(first))
	}
	return charsetProblem(s, redact)
}

// LabelValueProblem says why s is not a valid label value, or returns ""
// when it is one (the empty value is valid).
func LabelValueProblem(s string, redact bool) string {
	if n := utf8.RuneCountInString(s); n > MaxLabelLength {
		return fmt.Sprintf("is %d characters long; values may have at most %d", n, MaxLabelLength)
	}
	return charsetProblem(s, redact)
}

func charsetProblem(s string, redact bool) string {
	for _, r := range s {
		if labelRune(r) {
			continue
		}
		if redact {
			return "contains a character other than lowercase letters, digits, _ and -"
		}
		return fmt.Sprintf("contains %s; only lowercase letters, digits, _ and - are allowed", quoteRune(r))
	}
	return ""
}

func quoteRune(r rune) string {
	if r == utf8.RuneError {
		return "an invalid UTF-8 byte"
	}
	return strconv.QuoteRune(r)
}

// LabelSafe turns a name (a Pulumi project or stack name) into a valid label
// value: lowercased, every character outside lowercase letters, digits, `_`
// and `-` replaced by `-`, prefixed with `p-` when it does not start with a
// letter, and cut to 63 characters. The empty string stays empty.
func LabelSafe(name string) string {
	if name == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if labelRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := b.String()
	if first, _ := utf8.DecodeRuneInString(out); !labelLetter(first) {
		out = "p-" + out
	}
	if utf8.RuneCountInString(out) > MaxLabelLength {
		out = string([]rune(out)[:MaxLabelLength])
	}
	return out
}

// Label is one label key and value to set.
type Label struct {
	Key, Value string
}

// LabelEdit is the outcome of AddLabels.
type LabelEdit struct {
	// Props are the new inputs; the inputs given when nothing changed.
	Props property.Map
	// Changed lists the keys added or replaced, in the order given.
	Changed []string
	// Unknown is the path of a computed value that stops the edit (the
	// labels map or a map around it); Props are then the inputs given.
	Unknown string
	// NoField is set when the labels map cannot be placed: a map it sits in
	// is absent, or something on the way is not a map.
	NoField bool
}

// AddLabels sets labels in the labels map found at path, a path as Value.Path
// spells it (such as `settings.userLabels`). Only the labels map itself is
// created when absent; the maps around it must exist. A key already present
// with a non-null value is kept unless overwrite is true. Nothing else
// changes: other keys, and the secretness and dependencies of every map on
// the way, are kept; a replaced value keeps the secretness of the value it
// replaces, and keys added to a secret map are secret with it.
func AddLabels(props property.Map, path string, labels []Label, overwrite bool) (LabelEdit, error) {
	keys, err := SplitPath(path)
	if err != nil {
		return LabelEdit{Props: props}, err
	}
	if len(keys) == 0 {
		return LabelEdit{Props: props}, fmt.Errorf("empty labels path")
	}
	edit := LabelEdit{Props: props}
	root := property.New(props)
	next, ok := edit.set(root, keys, "", labels, overwrite)
	if ok && len(edit.Changed) > 0 {
		edit.Props = next.AsMap()
	}
	return edit, nil
}

// set rebuilds container with the labels applied at keys; ok is false when
// nothing can be changed (see LabelEdit).
func (e *LabelEdit) set(container property.Value, keys []string, at string, labels []Label, overwrite bool) (property.Value, bool) {
	key := keys[0]
	path := JoinPath(at, key)
	if !container.IsMap() {
		e.NoField = true
		return container, false
	}
	m := container.AsMap()
	child := m.Get(key)
	if child.IsComputed() {
		e.Unknown = path
		return container, false
	}
	var updated property.Value
	if len(keys) > 1 {
		if child.IsNull() {
			e.NoField = true
			return container, false
		}
		var ok bool
		if updated, ok = e.set(child, keys[1:], path, labels, overwrite); !ok {
			return container, false
		}
	} else {
		switch {
		case child.IsNull():
			child = property.WithGoValue(child, property.Map{})
		case !child.IsMap():
			e.NoField = true
			return container, false
		}
		updated = e.apply(child, labels, overwrite)
	}
	return property.WithGoValue(container, m.Set(key, updated)), true
}

func (e *LabelEdit) apply(labels property.Value, add []Label, overwrite bool) property.Value {
	m := labels.AsMap()
	for _, l := range add {
		old, present := m.GetOk(l.Key)
		if present && !old.IsNull() {
			if !overwrite || (old.IsString() && old.AsString() == l.Value) {
				continue
			}
		}
		m = m.Set(l.Key, property.New(l.Value).WithSecret(old.Secret()))
		e.Changed = append(e.Changed, l.Key)
	}
	return property.WithGoValue(labels, m)
}

// SplitPath splits a path spelt as Value.Path does (`a.b`, `a["x.y"]`) into
// its map keys. Array indexes are not map keys and are rejected.
func SplitPath(path string) ([]string, error) {
	var keys []string
	rest := path
	for rest != "" {
		if strings.HasPrefix(rest, "[") {
			q, err := strconv.QuotedPrefix(rest[1:])
			if err != nil || !strings.HasPrefix(rest[1+len(q):], "]") {
				return nil, fmt.Errorf("path %q: bad segment at %q", path, rest)
			}
			k, _ := strconv.Unquote(q)
			keys = append(keys, k)
			rest = rest[1+len(q)+1:]
			continue
		}
		if len(keys) > 0 {
			var dotted bool
			if rest, dotted = strings.CutPrefix(rest, "."); !dotted {
				return nil, fmt.Errorf("path %q: expected . or [ at %q", path, rest)
			}
		}
		end := strings.IndexAny(rest, ".[")
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			return nil, fmt.Errorf("path %q: empty key", path)
		}
		keys = append(keys, rest[:end])
		rest = rest[end:]
	}
	return keys, nil
}
