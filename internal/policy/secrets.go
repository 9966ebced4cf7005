package policy

import (
	"encoding/json"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// secretSet scrubs secret plaintext out of messages, a safety net under the
// views' own redaction. What it scrubs:
//
//   - Values of credential-bearing fields (passwords, tokens, keys, client
//     secrets, credentials: gcp.IsCredentialField, at any depth and in
//     parameter maps), secret or not, whatever their length, and whether
//     or not the stack holds the same text elsewhere in the clear.
//   - Every other secret value of four characters or more, unless the stack
//     also holds it in the clear (pulumi-gcp keeps effectiveLabels secret
//     while the same values sit in plain labels or in the provider's
//     defaultLabels): such a value is not confidential.
//
// A long value (substringFrom characters or more) is scrubbed wherever it
// appears. A shorter one is scrubbed only where it stands as a whole token:
// the characters next to it cannot belong to it (see partOf), so the label
// value "prod" is scrubbed from `env=prod` but not from
// `deployer@acme-cicd-prod.iam...`, where it is part of another word.
type secretSet struct {
	anywhere []secretText // scrubbed wherever they appear, longest first
	tokens   []secretText // scrubbed as whole tokens only, longest first
	// prefixes holds the first four bytes of each value of four bytes or
	// more, and bits a hash of them: most text holds no secret, and one
	// scan for those prefixes shows it without a search per secret
	// (quadratic over a large stack's findings).
	prefixes map[uint32]struct{}
	bits     []uint64
	shift    uint // hash to bit index
	// tiny are the token values shorter than four bytes (credentials only),
	// which the prefix index cannot hold.
	tiny []secretText
}

// secretText is one value to scrub.
type secretText struct {
	text     string
	ownRunes string // the value's characters that partOf does not always count
}

const (
	// minSecretLen is the shortest secret scrubbed that is not a
	// credential: shorter ones would match ordinary words.
	minSecretLen = 4
	// substringFrom is the length from which a secret is scrubbed
	// wherever it appears, also inside another word: a value that long
	// does not turn up inside another word by chance.
	substringFrom = 16
	// credentialSubstringFrom is the same for credentials, whose every
	// trace matters more than a garbled word.
	credentialSubstringFrom = 8
)

func newSecretSet(rs ...*gcp.Resource) *secretSet {
	c := secretCollector{
		secret:     map[string]struct{}{},
		credential: map[string]struct{}{},
	}
	eachProps(rs, func(props property.Map) { c.walk(property.New(props), "", false, false) })
	if len(c.secret) > 0 {
		// Only the clear strings that are also secret matter.
		c.clear = map[string]struct{}{}
		c.collectClear = true
		eachProps(rs, func(props property.Map) { c.walk(property.New(props), "", false, false) })
	}
	s := &secretSet{}
	for v := range c.credential {
		s.add(v, len(v) < credentialSubstringFrom)
	}
	for v := range c.secret {
		if _, cred := c.credential[v]; cred || len(v) < minSecretLen {
			continue
		}
		if _, public := c.clear[v]; public {
			continue
		}
		s.add(v, len(v) < substringFrom)
	}
	if s.empty() {
		return s
	}
	s.indexPrefixes()
	// Longest first, so a secret containing another is replaced whole.
	sortByLengthDesc(s.anywhere)
	sortByLengthDesc(s.tokens)
	sortByLengthDesc(s.tiny)
	return s
}

func (s *secretSet) add(v string, wholeWord bool) {
	t := secretText{text: v, ownRunes: ownRunes(v)}
	switch {
	case !wholeWord:
		s.anywhere = append(s.anywhere, t)
	case len(v) < minSecretLen:
		s.tiny = append(s.tiny, t)
	default:
		s.tokens = append(s.tokens, t)
	}
}

func (s *secretSet) empty() bool {
	return s == nil || len(s.anywhere)+len(s.tokens)+len(s.tiny) == 0
}

// secretCollector gathers, in one walk of the properties, the secret
// strings, the values of credential-bearing fields and (on a second walk,
// only when there are secrets) the strings held in the clear.
type secretCollector struct {
	secret, credential, clear map[string]struct{}
	collectClear              bool
}

// walk visits v, found under the map key key (the field it is the value
// of; elements of an array keep their array's key). A credential field
// makes its strings, and those of its arrays, credentials; the fields of an
// object under it are judged by their own names (a scheduler job's
// oidcToken holds a serviceAccountEmail, not a token).
func (c *secretCollector) walk(v property.Value, key string, inSecret, inCredential bool) {
	inSecret = inSecret || v.Secret()
	inCredential = inCredential || gcp.IsCredentialField(key)
	switch {
	case v.IsString():
		s := v.AsString()
		c.record(s, inSecret, inCredential)
		if key == "defaultLabels" {
			// A default provider gets its defaultLabels from stack config
			// as a JSON string: its values are the labels' values, secret
			// or clear as the string is.
			c.defaultLabels(s, inSecret)
		}
	case v.IsArray():
		for _, e := range v.AsArray().All {
			c.walk(e, key, inSecret, inCredential)
		}
	case v.IsMap():
		for k, e := range v.AsMap().All {
			c.walk(e, k, inSecret, false)
		}
	}
}

func (c *secretCollector) record(s string, inSecret, inCredential bool) {
	switch {
	case s == "":
	case c.collectClear:
		if !inSecret && !inCredential {
			if _, ok := c.secret[s]; ok {
				c.clear[s] = struct{}{}
			}
		}
	case inCredential:
		c.credential[s] = struct{}{}
	case inSecret:
		c.secret[s] = struct{}{}
	}
}

func (c *secretCollector) defaultLabels(s string, inSecret bool) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return
	}
	for _, v := range m {
		if str, ok := v.(string); ok {
			c.record(str, inSecret, false)
		}
	}
}

// eachProps calls fn with the properties of every resource and, once each,
// of their providers.
func eachProps(rs []*gcp.Resource, fn func(property.Map)) {
	providers := map[*gcp.Provider]bool{}
	for _, r := range rs {
		fn(r.Props)
		if pr := r.Provider; pr != nil && !providers[pr] {
			providers[pr] = true
			fn(pr.Props)
		}
	}
}

// partOf reports whether r may belong to a token whose own characters
// (beyond letters, digits, marks, _ and -) are own: a letter, digit or mark
// of any script, `_`, `-` (the characters of label values and of most
// identifiers), or any character the value itself holds. Anything else
// (spaces, quotes, brackets, `.`, `/`, `:`, `@`, `=`, `,` ... when the value
// holds none of them), and the start and end of the text, bounds a token.
func partOf(r rune, own string) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_' || r == '-' ||
		strings.ContainsRune(own, r)
}

// ownRunes lists the characters of v that partOf does not already count.
func ownRunes(v string) string {
	var b strings.Builder
	for _, r := range v {
		if !partOf(r, "") && !strings.ContainsRune(b.String(), r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// indexPrefixes fills prefixes and a bitmap of about 64 bits per value.
func (s *secretSet) indexPrefixes() {
	n := len(s.anywhere) + len(s.tokens)
	s.prefixes = make(map[uint32]struct{}, n)
	logBits := uint(12)
	for 1<<logBits < 64*n && logBits < 24 {
		logBits++
	}
	s.bits, s.shift = make([]uint64, 1<<logBits/64), 32-logBits
	for _, list := range [][]secretText{s.anywhere, s.tokens} {
		for _, v := range list {
			p := prefixAt(v.text, 0)
			s.prefixes[p] = struct{}{}
			h := s.hash(p)
			s.bits[h/64] |= 1 << (h % 64)
		}
	}
}

func prefixAt(s string, i int) uint32 {
	return uint32(s[i])<<24 | uint32(s[i+1])<<16 | uint32(s[i+2])<<8 | uint32(s[i+3])
}

func (s *secretSet) hash(p uint32) uint32 { return (p * 2654435761) >> s.shift }

// mayHold reports whether msg could hold one of the values: false when no
// four bytes of it start one and no tiny value is in it. Text without a
// secret is never changed by scrubText, since a replacement only happens
// where a secret is.
func (s *secretSet) mayHold(msg string) bool {
	for _, v := range s.tiny {
		if strings.Contains(msg, v.text) {
			return true
		}
	}
	if len(s.prefixes) == 0 {
		return false
	}
	for i := 0; i+minSecretLen <= len(msg); i++ {
		p := prefixAt(msg, i)
		if h := s.hash(p); s.bits[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		if _, ok := s.prefixes[p]; ok {
			return true
		}
	}
	return false
}

// scrubText replaces the values in msg with [secret]: those scrubbed
// anywhere first, then the whole-token ones, each list longest first.
func (s *secretSet) scrubText(msg string) string {
	if s.empty() || !s.mayHold(msg) {
		return msg
	}
	for _, v := range s.anywhere {
		msg = strings.ReplaceAll(msg, v.text, "[secret]")
	}
	for _, list := range [][]secretText{s.tokens, s.tiny} {
		for _, v := range list {
			msg = replaceTokens(msg, v)
		}
	}
	return msg
}

// replaceTokens replaces each occurrence of v in msg that stands as a whole
// token.
func replaceTokens(msg string, v secretText) string {
	var b strings.Builder
	done, from := 0, 0 // msg[:done] is written or replaced; search from from
	for {
		i := strings.Index(msg[from:], v.text)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(v.text)
		if isToken(msg, start, end, v.ownRunes) {
			b.WriteString(msg[done:start])
			b.WriteString("[secret]")
			done, from = end, end
			continue
		}
		// Not a token here; it may be one at a later start.
		_, size := utf8.DecodeRuneInString(msg[start:])
		from = start + size
	}
	if done == 0 {
		return msg
	}
	b.WriteString(msg[done:])
	return b.String()
}

// isToken reports whether msg[start:end] is bounded on both sides by the
// text's edge or a character that cannot belong to the value.
func isToken(msg string, start, end int, own string) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(msg[:start]); partOf(r, own) {
			return false
		}
	}
	if end < len(msg) {
		if r, _ := utf8.DecodeRuneInString(msg[end:]); partOf(r, own) {
			return false
		}
	}
	return true
}

func (s *secretSet) scrub(fs []Finding) []Finding {
	if s.empty() {
		return fs
	}
	for i := range fs {
		fs[i].Message = s.scrubText(fs[i].Message)
		fs[i].Path = s.scrubText(fs[i].Path)
		if fs[i].Details != "" {
			// Scrubbed as text; details a replacement would break are dropped.
			if d := s.scrubText(string(fs[i].Details)); json.Valid([]byte(d)) {
				fs[i].Details = Details(d)
			} else {
				fs[i].Details = ""
			}
		}
	}
	return fs
}

func sortByLengthDesc(s []secretText) {
	sort.Slice(s, func(i, j int) bool {
		if len(s[i].text) != len(s[j].text) {
			return len(s[i].text) > len(s[j].text)
		}
		return s[i].text < s[j].text
	})
}
