package policy

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// secretSet scrubs secret plaintext out of messages, a safety net under the
// views' own redaction: no secret of four characters or more is ever printed.
type secretSet struct {
	values []string // longest first
	// prefixes holds the first four bytes of each value, and bits a hash
	// of them: most text holds no secret, and one scan for those prefixes
	// shows it without a search per secret (quadratic over a large stack's
	// findings).
	prefixes map[uint32]struct{}
	bits     []uint64
	shift    uint // hash to bit index
}

// minSecretLen is the shortest secret scrubbed: shorter ones would garble
// ordinary words.
const minSecretLen = 4

func newSecretSet(rs ...*gcp.Resource) *secretSet {
	s := &secretSet{}
	if !anySecret(rs) {
		return s
	}
	secret := map[string]struct{}{}
	eachProps(rs, func(props property.Map) { gcp.SecretStrings(property.New(props), secret, nil) })
	for v := range secret {
		if len(v) < minSecretLen {
			delete(secret, v)
		}
	}
	if len(secret) == 0 {
		return s
	}
	// A value that the same resources also hold in the clear is not
	// confidential: pulumi-gcp marks effectiveLabels secret as a hedge while
	// the same values sit in plain labels, and scrubbing "prod" would garble
	// every message naming a project.
	public := map[string]struct{}{}
	eachProps(rs, func(props property.Map) { gcp.ClearStrings(property.New(props), secret, public) })
	for v := range secret {
		if _, ok := public[v]; !ok {
			s.values = append(s.values, v)
		}
	}
	s.indexPrefixes()
	// Longest first, so a secret containing another is replaced whole.
	sortByLengthDesc(s.values)
	return s
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

// anySecret reports whether a property of the resources or their providers
// is secret; most resources have none, and then nothing needs scrubbing.
func anySecret(rs []*gcp.Resource) bool {
	for _, r := range rs {
		if r.Props.HasSecrets() || (r.Provider != nil && r.Provider.Props.HasSecrets()) {
			return true
		}
	}
	return false
}

// indexPrefixes fills prefixes and a bitmap of about 64 bits per value.
func (s *secretSet) indexPrefixes() {
	s.prefixes = make(map[uint32]struct{}, len(s.values))
	logBits := uint(12)
	for 1<<logBits < 64*len(s.values) && logBits < 24 {
		logBits++
	}
	s.bits, s.shift = make([]uint64, 1<<logBits/64), 32-logBits
	for _, v := range s.values {
		p := prefixAt(v, 0)
		s.prefixes[p] = struct{}{}
		h := s.hash(p)
		s.bits[h/64] |= 1 << (h % 64)
	}
}

func prefixAt(s string, i int) uint32 {
	return uint32(s[i])<<24 | uint32(s[i+1])<<16 | uint32(s[i+2])<<8 | uint32(s[i+3])
}

func (s *secretSet) hash(p uint32) uint32 { return (p * 2654435761) >> s.shift }

// mayHold reports whether msg could hold one of the values: false when no
// four bytes of it start one. Text without a secret is never changed by
// scrubText, since a replacement only happens where a secret is.
func (s *secretSet) mayHold(msg string) bool {
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

func (s *secretSet) scrubText(msg string) string {
	if len(s.values) == 0 || !s.mayHold(msg) {
		return msg
	}
	for _, v := range s.values {
		msg = strings.ReplaceAll(msg, v, "[secret]")
	}
	return msg
}

func (s *secretSet) scrub(fs []Finding) []Finding {
	if s == nil || len(s.values) == 0 {
		return fs
	}
	for i := range fs {
		fs[i].Message = s.scrubText(fs[i].Message)
		fs[i].Path = s.scrubText(fs[i].Path)
	}
	return fs
}

func sortByLengthDesc(s []string) {
	sort.Slice(s, func(i, j int) bool {
		if len(s[i]) != len(s[j]) {
			return len(s[i]) > len(s[j])
		}
		return s[i] < s[j]
	})
}
