package gcp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"hash"
)

// A PKCS#12 (PFX) file, RFC 7292, read only as far as needed to tell
// whether it holds a private key and whether it is a Google service account
// key: Google's legacy TYPE_PKCS12_FILE keys are all protected with the
// password "notasecret" (ServiceAccountPrivateKeyType, TYPE_PKCS12_FILE, in
// https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys),
// so their integrity MAC verifies with it.

type pfxPDU struct {
	Version  int
	AuthSafe pfxContentInfo
	MacData  pfxMacData `asn1:"optional"`
}

// pfxContentInfo is a PKCS#7 ContentInfo. encoding/asn1 keeps the
// explicit [0] wrapper in a RawValue: Content.Bytes is the element inside.
type pfxContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type pfxMacData struct {
	Mac struct {
		Algorithm algorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type pfxSafeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue `asn1:"tag:0,explicit"`
	Attributes asn1.RawValue `asn1:"optional"`
}

var (
	oidPKCS7Data          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidPKCS7SignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidPKCS12KeyBag       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidPKCS12ShroudedBag  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPKCS12SafeContents = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 6}

	// googlePKCS12Password is "notasecret" as PKCS#12 spells a password:
	// BMPString, big-endian, with a terminating NUL.
	googlePKCS12Password = bmpPassword("notasecret")
)

// maxPFXIterations bounds the MAC key derivation a hostile file can ask for.
const maxPFXIterations = 1 << 18

// pfxKind judges a DER PFX: a Google service account key, a key store that
// holds (or may hold, in parts encrypted with its password) a private key,
// or NoKey for a PFX that visibly holds certificates only (a trust store).
func pfxKind(b []byte) KeyKind {
	var pfx pfxPDU
	rest, err := asn1.Unmarshal(b, &pfx)
	if err != nil || len(bytes.TrimRight(rest, "\x00")) != 0 || pfx.Version != 3 {
		return NoKey
	}
	switch {
	case pfx.AuthSafe.ContentType.Equal(oidPKCS7SignedData):
		return KeyPKCS12 // public-key integrity mode: content not read here
	case !pfx.AuthSafe.ContentType.Equal(oidPKCS7Data):
		return NoKey
	}
	var authSafe []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		return KeyPKCS12 // BER constructed OCTET STRING: a PFX all the same
	}
	key, opaque := pfxHoldsKey(authSafe)
	if !key && !opaque {
		return NoKey
	}
	if pfxMACVerifies(&pfx.MacData, authSafe, googlePKCS12Password) {
		return KeyServiceAccountPKCS12
	}
	return KeyPKCS12
}

// pfxHoldsKey reads the AuthenticatedSafe: key is set when a key bag is in
// the clear, opaque when some part is encrypted (and could hold one).
func pfxHoldsKey(authSafe []byte) (key, opaque bool) {
	var infos []pfxContentInfo
	if _, err := asn1.Unmarshal(authSafe, &infos); err != nil {
		return false, true
	}
	for _, ci := range infos {
		if !ci.ContentType.Equal(oidPKCS7Data) {
			opaque = true // encryptedData, envelopedData
			continue
		}
		var contents []byte
		if _, err := asn1.Unmarshal(ci.Content.Bytes, &contents); err != nil {
			opaque = true
			continue
		}
		k, o := safeContentsHoldKey(contents, 0)
		key, opaque = key || k, opaque || o
	}
	return key, opaque
}

func safeContentsHoldKey(contents []byte, depth int) (key, opaque bool) {
	var bags []pfxSafeBag
	if _, err := asn1.Unmarshal(contents, &bags); err != nil {
		return false, true
	}
	for _, bag := range bags {
		switch {
		case bag.ID.Equal(oidPKCS12KeyBag), bag.ID.Equal(oidPKCS12ShroudedBag):
			key = true
		case bag.ID.Equal(oidPKCS12SafeContents) && depth < 4:
			k, o := safeContentsHoldKey(bag.Value.Bytes, depth+1)
			key, opaque = key || k, opaque || o
		}
	}
	return key, opaque
}

// isBERPFX recognises the start of a PFX in BER with indefinite lengths
// (as some Windows and Java tools write it), which encoding/asn1 does not
// read: SEQUENCE, INTEGER 3, SEQUENCE, the OID of data or signedData.
func isBERPFX(b []byte) bool {
	skipHeader := func(b []byte, tag byte) ([]byte, bool) {
		if len(b) < 2 || b[0] != tag {
			return nil, false
		}
		switch l := b[1]; {
		case l == 0x80 || l < 0x80:
			return b[2:], true
		case l <= 0x84:
			n := int(l & 0x7f)
			if len(b) < 2+n {
				return nil, false
			}
			return b[2+n:], true
		}
		return nil, false
	}
	rest, ok := skipHeader(b, 0x30)
	if !ok || !bytes.HasPrefix(rest, []byte{0x02, 0x01, 0x03}) {
		return false
	}
	rest, ok = skipHeader(rest[3:], 0x30)
	if !ok {
		return false
	}
	data, _ := asn1.Marshal(oidPKCS7Data)
	signed, _ := asn1.Marshal(oidPKCS7SignedData)
	return bytes.HasPrefix(rest, data) || bytes.HasPrefix(rest, signed)
}

// pfxMACVerifies checks the PFX's HMAC with the password (RFC 7292 §4 and
// appendix B): the MAC key is derived with the PKCS#12 KDF, ID 3.
func pfxMACVerifies(mac *pfxMacData, content, password []byte) bool {
	newHash, v := pkcs12Hash(mac.Mac.Algorithm.Algorithm)
	if newHash == nil || mac.Iterations < 1 || mac.Iterations > maxPFXIterations {
		return false
	}
	u := newHash().Size()
	key := pkcs12KDF(newHash, v, mac.MacSalt, password, mac.Iterations, 3, u)
	h := hmac.New(newHash, key)
	h.Write(content)
	return hmac.Equal(h.Sum(nil), mac.Mac.Digest)
}

// pkcs12Hash returns the digest a MAC names and its block size v in bytes.
func pkcs12Hash(oid asn1.ObjectIdentifier) (func() hash.Hash, int) {
	switch oid.String() {
	case "1.3.14.3.2.26":
		return sha1.New, 64
	case "2.16.840.1.101.3.4.2.4":
		return sha256.New224, 64
	case "2.16.840.1.101.3.4.2.1":
		return sha256.New, 64
	case "2.16.840.1.101.3.4.2.2":
		return sha512.New384, 128
	case "2.16.840.1.101.3.4.2.3":
		return sha512.New, 128
	}
	return nil, 0
}

// pkcs12KDF is the key derivation of RFC 7292 appendix B.2.
func pkcs12KDF(newHash func() hash.Hash, v int, salt, password []byte, iterations, id, size int) []byte {
	d := bytes.Repeat([]byte{byte(id)}, v)
	i := append(fillBlocks(salt, v), fillBlocks(password, v)...)
	h := newHash()
	u := h.Size()
	out := make([]byte, 0, size+u)
	for len(out) < size {
		h.Reset()
		h.Write(d)
		h.Write(i)
		a := h.Sum(nil)
		for n := 1; n < iterations; n++ {
			h.Reset()
			h.Write(a)
			a = h.Sum(a[:0])
		}
		out = append(out, a...)
		if len(out) >= size {
			break
		}
		// I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I.
		b := fillBlocks(a, v)[:v]
		for j := 0; j < len(i); j += v {
			carry := 1
			for k := v - 1; k >= 0; k-- {
				sum := int(i[j+k]) + int(b[k]) + carry
				i[j+k], carry = byte(sum), sum>>8
			}
		}
	}
	return out[:size]
}

// fillBlocks repeats x to the smallest multiple of v bytes at least as long
// as x (nothing for an empty x).
func fillBlocks(x []byte, v int) []byte {
	if len(x) == 0 {
		return nil
	}
	n := v * ((len(x) + v - 1) / v)
	out := make([]byte, n)
	for k := 0; k < n; k += len(x) {
		copy(out[k:], x)
	}
	return out
}

// bmpPassword encodes an ASCII password as PKCS#12 does.
func bmpPassword(s string) []byte {
	out := make([]byte, 0, 2*len(s)+2)
	for _, r := range s {
		out = append(out, byte(r>>8), byte(r))
	}
	return append(out, 0, 0)
}
