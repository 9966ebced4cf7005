package gcp

import (
	"encoding/base64"
	"strings"
)

// EachCredential calls yield for every string in v (map keys, elements,
// the text of text assets, secret values included) that holds a credential
// (FindCredential), with the value it was found in and whether it was a
// map key, and for every unknown value inside v with an empty finding: a
// caller that must be sure of its verdict reports those. It stops when
// yield returns false.
//
// An RSA private key (KeyFinding.RSA) that is not a service account key
// file by itself is one when a service account's email stands beside it (in
// its map or array up to two levels down, or, for an element of a list, in
// the list: base64-encoded or not): a key in parts, as GOOGLE_PRIVATE_KEY and
// GOOGLE_CLIENT_EMAIL environment variables or the entries of a Kubernetes
// Secret hold one. EC, Ed25519, OpenSSH and encrypted keys are never a
// Google service account's, whatever stands beside them.
func EachCredential(v Value, yield func(at Value, inKey bool, f KeyFinding) bool) {
	eachCredential(v, Value{}, Value{}, yield)
}

func eachCredential(v, parent, grandparent Value, yield func(at Value, inKey bool, f KeyFinding) bool) bool {
	switch {
	case v.IsUnknown():
		return yield(v, false, KeyFinding{})
	case v.IsMap():
		for key, e := range v.All {
			if f := FindCredential(key); f.Found() {
				if !yield(e, true, besideEmail(f, v, parent)) {
					return false
				}
			}
			if !eachCredential(e, v, parent, yield) {
				return false
			}
		}
	case v.IsArray():
		for _, e := range v.AllItems {
			if !eachCredential(e, v, parent, yield) {
				return false
			}
		}
	case v.raw.IsAsset():
		if text := v.raw.AsAsset().Text; text != "" {
			if f := FindCredential(text); f.Found() {
				return yield(v, false, besideEmail(f, parent, grandparent))
			}
		}
	default:
		if s, ok := v.String(); ok {
			if f := FindCredential(s); f.Found() {
				return yield(v, false, besideEmail(f, parent, grandparent))
			}
		}
	}
	return true
}

// besideEmail upgrades a private key found in parent to a service account
// key in parts when a service account email stands near it: in parent, or
// in the list parent is an element of (name/value pairs of environment
// variables).
func besideEmail(f KeyFinding, parent, grandparent Value) KeyFinding {
	if !f.Kind.structural() || f.Kind.ServiceAccount() || !f.RSA {
		return f
	}
	if holdsServiceAccountEmail(parent, 2) || (grandparent.IsArray() && holdsServiceAccountEmail(grandparent, 2)) {
		f.Kind = KeyServiceAccountParts
	}
	return f
}

// holdsServiceAccountEmail looks for a service account email among the
// strings of a container, depth levels down.
func holdsServiceAccountEmail(c Value, depth int) bool {
	if depth == 0 {
		return false
	}
	found := false
	check := func(e Value) bool {
		if s, ok := e.String(); ok && looksLikeServiceAccountEmail(s) {
			found = true
			return false
		}
		if (e.IsMap() || e.IsArray()) && holdsServiceAccountEmail(e, depth-1) {
			found = true
			return false
		}
		return true
	}
	switch {
	case c.IsMap():
		for _, e := range c.All {
			if !check(e) {
				break
			}
		}
	case c.IsArray():
		for _, e := range c.AllItems {
			if !check(e) {
				break
			}
		}
	}
	return found
}

// looksLikeServiceAccountEmail reports whether s is a service account
// email, also base64-encoded (a Kubernetes Secret's data).
func looksLikeServiceAccountEmail(s string) bool {
	if IsServiceAccountEmail(s) {
		return true
	}
	if len(s) < 24 || len(s) > 400 || strings.Contains(s, "@") {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(strings.TrimSpace(s)); err == nil {
			return IsServiceAccountEmail(string(b))
		}
	}
	return false
}
