package gcp

import (
	"strconv"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// parsePlainJSON reads the usual JSON documents (a policyData) straight into
// property values: objects without repeated keys, arrays, numbers, true,
// false, null and strings of printable ASCII without escapes. It gives what
// json.Unmarshal into an interface and FromJSON would, in a fraction of the
// time; ok is false for anything else (escapes, repeated keys, other text,
// deep nesting, malformed JSON), which encoding/json then decides.
func parsePlainJSON(s string) (v property.Value, ok bool) {
	p := plainJSON{s: s}
	v, ok = p.value(0)
	if !ok || p.skipSpace() != len(s) {
		return property.Value{}, false
	}
	return v, true
}

type plainJSON struct {
	s string
	i int
}

// maxPlainDepth bounds the nesting read here; deeper documents go to
// encoding/json.
const maxPlainDepth = 64

func (p *plainJSON) skipSpace() int {
	p.i = skipJSONSpace(p.s, p.i)
	return p.i
}

func (p *plainJSON) value(depth int) (property.Value, bool) {
	if depth > maxPlainDepth || p.skipSpace() >= len(p.s) {
		return property.Value{}, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		text, next, ok := plainJSONString(p.s, p.i)
		p.i = next
		return property.New(text), ok
	case c == 't':
		return p.literal("true", property.New(true))
	case c == 'f':
		return p.literal("false", property.New(false))
	case c == 'n':
		return p.literal("null", property.Value{})
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	}
	return property.Value{}, false
}

func (p *plainJSON) literal(word string, v property.Value) (property.Value, bool) {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return property.Value{}, false
	}
	p.i += len(word)
	return v, true
}

func (p *plainJSON) object(depth int) (property.Value, bool) {
	m := map[string]property.Value{}
	p.i++
	if p.skipSpace() < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return property.New(m), true
	}
	for {
		key, next, ok := plainJSONString(p.s, p.skipSpace())
		if !ok {
			return property.Value{}, false
		}
		p.i = next
		if p.skipSpace() >= len(p.s) || p.s[p.i] != ':' {
			return property.Value{}, false
		}
		p.i++
		v, ok := p.value(depth + 1)
		if !ok {
			return property.Value{}, false
		}
		if _, repeated := m[key]; repeated {
			// encoding/json decides: into a struct a repeat merges, and
			// policyData is read so (see PolicyData).
			return property.Value{}, false
		}
		m[key] = v
		switch {
		case p.skipSpace() >= len(p.s):
			return property.Value{}, false
		case p.s[p.i] == ',':
			p.i++
		case p.s[p.i] == '}':
			p.i++
			return property.New(m), true
		default:
			return property.Value{}, false
		}
	}
}

func (p *plainJSON) array(depth int) (property.Value, bool) {
	out := []property.Value{}
	p.i++
	if p.skipSpace() < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return property.New(out), true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return property.Value{}, false
		}
		out = append(out, v)
		switch {
		case p.skipSpace() >= len(p.s):
			return property.Value{}, false
		case p.s[p.i] == ',':
			p.i++
		case p.s[p.i] == ']':
			p.i++
			return property.New(out), true
		default:
			return property.Value{}, false
		}
	}
}

// number reads a JSON number the way encoding/json converts it to float64.
func (p *plainJSON) number() (property.Value, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && '1' <= p.s[p.i] && p.s[p.i] <= '9':
		p.digits()
	default:
		return property.Value{}, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if !p.digits() {
			return property.Value{}, false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return property.Value{}, false
		}
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		return property.Value{}, false // out of range: encoding/json's error
	}
	return property.New(f), true
}

func (p *plainJSON) digits() bool {
	start := p.i
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// plainJSONString reads a JSON string at s[i] made of printable ASCII
// without escapes, returning its text and the index after it.
func plainJSONString(s string, i int) (text string, next int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return s[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return "", 0, false
		}
	}
	return "", 0, false
}

func skipJSONSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}
