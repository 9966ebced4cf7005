package policy

import (
	"errors"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The engine validates config with gojsonschema, whose "format" checks differ
// from this validator's own. These formats reproduce the engine's verdicts:
//
//   - a known format fails for a number (the engine checks formats of strings
//     and numbers, and its checkers only accept strings) and holds for other
//     non-strings;
//   - unknown formats always hold, including the ones only this validator
//     knows (duration, period, semver);
//   - "regex" is Go's regexp syntax in both, and can't be replaced.
var engineFormats = map[string]func(string) bool{
	"date": func(s string) bool { return parsesAs(s, time.DateOnly) },
	"time": func(s string) bool { return parsesAs(s, "15:04:05Z07:00", time.TimeOnly) },
	"date-time": func(s string) bool {
		return parsesAs(s, time.TimeOnly, "15:04:05Z07:00", time.DateOnly, time.RFC3339, time.RFC3339Nano)
	},
	"hostname":              isHostname,
	"email":                 isEmail,
	"idn-email":             isEmail,
	"ipv4":                  func(s string) bool { return net.ParseIP(s) != nil && strings.Contains(s, ".") },
	"ipv6":                  func(s string) bool { return net.ParseIP(s) != nil && strings.Contains(s, ":") },
	"uri":                   isAbsoluteURI,
	"iri":                   isAbsoluteURI,
	"uri-reference":         isURIReference,
	"iri-reference":         isURIReference,
	"uri-template":          isURITemplate,
	"uuid":                  isLowerUUID,
	"json-pointer":          isJSONPointer,
	"relative-json-pointer": isRelativeJSONPointer,
}

// validatorOnlyFormats are formats this validator knows and the engine
// doesn't: they must not be asserted.
var validatorOnlyFormats = []string{"duration", "period", "semver"}

// registerEngineFormats makes c assert "format" the way the engine does.
func registerEngineFormats(c *jsonschema.Compiler) {
	for name, check := range engineFormats {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: func(v any) error {
			switch v := v.(type) {
			case string:
				if !check(v) {
					return errMalformed
				}
			case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
				return errNumber
			}
			return nil
		}})
	}
	for _, name := range validatorOnlyFormats {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: func(any) error { return nil }})
	}
}

var (
	errMalformed = errors.New("malformed")
	errNumber    = errors.New("the engine never accepts a number for a known format")
)

func parsesAs(s string, layouts ...string) bool {
	for _, l := range layouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}

// isEmail accepts RFC 5322 addresses, display names included.
func isEmail(s string) bool {
	_, err := mail.ParseAddress(s)
	return err == nil
}

func isAbsoluteURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && !strings.Contains(s, `\`)
}

func isURIReference(s string) bool {
	_, err := url.Parse(s)
	return err == nil && !strings.Contains(s, `\`)
}

// isURITemplate requires every '{' in the URI's path to be closed by a later
// '}'.
func isURITemplate(s string) bool {
	u, err := url.Parse(s)
	if err != nil || strings.Contains(s, `\`) {
		return false
	}
	p := u.Path
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			return true
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return false
		}
		p = p[i+j+1:]
	}
}

// isHostname accepts dot-separated labels of 1 to 63 ASCII letters, digits
// and hyphens, neither starting nor ending with a hyphen, up to 255 bytes.
func isHostname(s string) bool {
	if s == "" || len(s) >= 256 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(isASCIIDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isLowerUUID accepts 8-4-4-4-12 lower-case hex digits.
func isLowerUUID(s string) bool {
	groups := strings.Split(s, "-")
	if len(groups) != 5 {
		return false
	}
	for i, n := range []int{8, 4, 4, 4, 12} {
		g := groups[i]
		if len(g) != n {
			return false
		}
		for j := 0; j < len(g); j++ {
			if !(isASCIIDigit(g[j]) || 'a' <= g[j] && g[j] <= 'f') {
				return false
			}
		}
	}
	return true
}

// isJSONPointer accepts "" or "/"-prefixed tokens where '~' is only followed
// by '0' or '1'.
func isJSONPointer(s string) bool {
	if s != "" && s[0] != '/' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '~' && (i+1 == len(s) || (s[i+1] != '0' && s[i+1] != '1')) {
			return false
		}
	}
	return true
}

// isRelativeJSONPointer accepts a non-negative integer without leading zeros
// followed by "#" or a JSON pointer.
func isRelativeJSONPointer(s string) bool {
	n := 0
	for n < len(s) && isASCIIDigit(s[n]) {
		n++
	}
	if n == 0 || (n > 1 && s[0] == '0') {
		return false
	}
	return s[n:] == "#" || isJSONPointer(s[n:])
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }
