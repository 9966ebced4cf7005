package gcp

import (
	"bytes"
	"compress/gzip"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"
)

// KeyKind is the kind of credential a string holds, weakest first: a scan
// reports the strongest it finds.
type KeyKind uint8

const (
	NoKey KeyKind = iota
	// KeyUserRefreshToken is authorized_user credentials JSON: a person's
	// OAuth refresh token and client secret, valid until revoked.
	KeyUserRefreshToken
	// KeyPrivateKeyMember is a JSON private_key member (quoted, also
	// escaped inside a string) whose value is not recognisable key material
	// itself.
	KeyPrivateKeyMember
	KeyPEM            // PEM armour of a private key (PRIVATE KEY, RSA/EC/DSA/ENCRYPTED/OPENSSH ...)
	KeyPGP            // PGP PRIVATE KEY BLOCK
	KeyPuTTY          // PuTTY .ppk
	KeyOpenSSH        // openssh-key-v1, by its binary magic
	KeyJWK            // a JSON Web Key with its private member d
	KeyPKCS1          // RSAPrivateKey (or the traditional DSA key), by its ASN.1 shape
	KeySEC1           // ECPrivateKey, by its ASN.1 shape
	KeyPKCS8          // PrivateKeyInfo / OneAsymmetricKey, by its ASN.1 shape
	KeyEncryptedPKCS8 // EncryptedPrivateKeyInfo with a password-based scheme
	KeyPKCS12         // a PFX that holds or may hold a private key
	// KeyServiceAccountParts is a private key with a service account's
	// email beside it in a property tree (EachCredential): the two members
	// of a key file that matter, kept apart.
	KeyServiceAccountParts
	// KeyServiceAccountPKCS12 is a Google service account key in the
	// legacy TYPE_PKCS12_FILE format: a PFX whose MAC verifies with the
	// password Google gives every such file, "notasecret"
	// (ServiceAccountPrivateKeyType in
	// https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys).
	KeyServiceAccountPKCS12
	// KeyServiceAccountFile is a Google service account key file: JSON of
	// type service_account (or with a service account client_email) whose
	// members hold a private key.
	KeyServiceAccountFile
)

func (k KeyKind) String() string {
	switch k {
	case KeyUserRefreshToken:
		return "a user's OAuth refresh token (authorized_user credentials)"
	case KeyPrivateKeyMember:
		return "a private_key member"
	case KeyPEM:
		return "a PEM private key"
	case KeyPGP:
		return "a PGP private key"
	case KeyPuTTY:
		return "a PuTTY private key"
	case KeyOpenSSH:
		return "an OpenSSH private key"
	case KeyJWK:
		return "a private JSON Web Key"
	case KeyPKCS1:
		return "a PKCS#1 private key"
	case KeySEC1:
		return "a SEC1 EC private key"
	case KeyPKCS8:
		return "a PKCS#8 private key"
	case KeyEncryptedPKCS8:
		return "an encrypted PKCS#8 private key"
	case KeyPKCS12:
		return "a PKCS#12 key store"
	case KeyServiceAccountParts:
		return "a private key beside a service account's email (a service account key in parts)"
	case KeyServiceAccountPKCS12:
		return "a Google service account key (PKCS#12 file)"
	case KeyServiceAccountFile:
		return "a Google service account key file"
	}
	return "no credential"
}

// ServiceAccount reports whether the kind is a Google service account key.
func (k KeyKind) ServiceAccount() bool {
	return k >= KeyServiceAccountParts
}

// PrivateKey reports whether the kind is private key material (anything
// but a refresh token).
func (k KeyKind) PrivateKey() bool { return k >= KeyPrivateKeyMember }

// structural reports whether the kind is key material itself, not just a
// member named private_key.
func (k KeyKind) structural() bool { return k >= KeyPEM }

// KeyFinding is what a scan found: the kind and the outermost encoding it
// was found under. It never holds any part of the value.
type KeyFinding struct {
	Kind KeyKind
	// Encoding is "PEM", "base64", "hex" or "binary" when the credential
	// was found by decoding (a PEM body, a base64 run, ...), "" when it
	// stands in the text.
	Encoding string
	// RSA is set for a private key that is, or under armour whose body
	// cannot be read may be, an unencrypted RSA key: the only kind Google
	// issues for service accounts or lets users upload.
	RSA bool
}

// Found reports whether anything was found.
func (f KeyFinding) Found() bool { return f.Kind != NoKey }

// String describes the finding for a message, such as "a PKCS#8 private
// key (base64)".
func (f KeyFinding) String() string {
	if f.Encoding == "" {
		return f.Kind.String()
	}
	return f.Kind.String() + " (" + f.Encoding + ")"
}

// FindCredential reports the strongest credential s holds, looking at its
// structure rather than its armour: PEM blocks and the bodies inside them,
// JSON (service account key files, authorized_user credentials, JSON Web
// Keys) at any depth of escaping, and base64 (standard or URL-safe, padded
// or not, with or without line breaks), hex and binary DER, decoded and
// checked for the ASN.1 shapes of PKCS#8, encrypted PKCS#8, PKCS#1, SEC1
// and PKCS#12, and for OpenSSH's binary key format. Most strings are ruled
// out by cheap checks (length, literals, the base64 alphabet) before
// anything is decoded.
func FindCredential(s string) KeyFinding {
	var k keyScan
	k.text(s, 0, "")
	return k.best
}

// HoldsCredential reports whether s holds any credential FindCredential
// recognises.
func HoldsCredential(s string) bool { return FindCredential(s).Found() }

const (
	// maxKeyNesting bounds how deep a scan follows encodings and JSON
	// strings inside one another.
	maxKeyNesting = 5
	// minCredentialText is shorter than anything a scan recognises: the
	// shortest, `{"private_key":1}`, has 17 characters.
	minCredentialText = 16
	// minEncodedKey is the shortest base64 run worth decoding: 48 bytes, an
	// Ed25519 PKCS#8 key, take 64 characters.
	minEncodedKey = 64
	// minWrappedLine is the shortest line of base64 that continues on the
	// next line (PEM wraps at 64, MIME at 76).
	minWrappedLine = 16
	// maxDecoded bounds how many bytes one scan decodes in all, so a hostile
	// value cannot make the pack do unbounded work.
	maxDecoded = 16 << 20
)

var (
	// privateKeyArmour matches the armour of any PEM, OpenSSH or PGP private
	// key, in any case, with any label before PRIVATE KEY.
	privateKeyArmour = lazyRegexp(`(?i)-----\s*BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?\s*-----`)
	// pemArmour matches the BEGIN line of any PEM block.
	pemArmour = lazyRegexp(`(?i)-----\s*BEGIN [^\r\n-]*-----`)
	// privateKeyField matches a quoted private_key member: JSON, also
	// escaped inside a string, or single-quoted.
	privateKeyField = lazyRegexp(`\\*["']private_key\\*["']\s*:`)
	// privateKeyKey matches a private_key member in any notation: JSON,
	// YAML or key=value. Unquoted, it is a member only beside the marks of a
	// service account and key material (prose says "private_key: ..." too).
	privateKeyKey = lazyRegexp(`(?:\\*["']private_key\\*["']|\bprivate_key)\s*[:=]`)
	// serviceAccountText matches what marks text as a service account key
	// file when it does not parse as JSON: its type member, or a service
	// account email.
	serviceAccountText = lazyRegexp(`(?:\\*["']type\\*["']|\btype)\s*[:=]\s*\\*["']?(?:gdch_)?service_account\b|@[a-z0-9.-]*gserviceaccount\.com\b`)
)

type keyScan struct {
	best    KeyFinding
	decoded int // bytes decoded so far
}

func (k *keyScan) found(kind KeyKind, enc string) { k.foundKey(kind, enc, false) }

func (k *keyScan) foundKey(kind KeyKind, enc string, rsa bool) {
	switch {
	case kind > k.best.Kind:
		k.best = KeyFinding{Kind: kind, Encoding: enc, RSA: rsa}
	case kind == k.best.Kind && rsa:
		k.best.RSA = true
	}
}

// done reports whether nothing stronger can be found.
func (k *keyScan) done() bool { return k.best.Kind == KeyServiceAccountFile }

// text scans a string on its own, adds what it finds to k and returns it:
// a verdict about s alone, which the rules for service account key files
// need. enc is the encoding s was found under.
func (k *keyScan) text(s string, depth int, enc string) KeyKind {
	if len(s) < minCredentialText || k.done() {
		return NoKey
	}
	inner := keyScan{decoded: k.decoded}
	inner.scanText(s, depth, enc)
	k.decoded = inner.decoded
	k.foundKey(inner.best.Kind, inner.best.Encoding, inner.best.RSA)
	return inner.best.Kind
}

func (k *keyScan) scanText(s string, depth int, enc string) {
	bodies := "base64"
	if strings.Contains(s, "-----") {
		if m := privateKeyArmour().FindStringSubmatch(s); m != nil {
			label := strings.ToUpper(strings.TrimSpace(m[1]))
			if m[2] != "" {
				k.found(KeyPGP, enc)
			} else {
				k.foundKey(KeyPEM, enc, label == "" || label == "RSA")
			}
		}
		if pemArmour().MatchString(s) {
			bodies = "PEM"
		}
	}
	if strings.Contains(s, "PuTTY-User-Key-File-") && strings.Contains(s, "Private-Lines:") {
		k.found(KeyPuTTY, enc)
	}
	named := strings.Contains(s, "private_key")
	if named && privateKeyField().MatchString(s) {
		k.found(KeyPrivateKeyMember, enc)
	}
	if t := strings.TrimLeft(s, " \t\r\n\ufeff"); t != "" && depth < maxKeyNesting && jsonWorthParsing(s) {
		switch t[0] {
		case '{', '[', '"':
			var doc any
			if json.Unmarshal([]byte(t), &doc) == nil {
				k.json(doc, depth+1, enc)
			}
		}
	}
	if depth < maxKeyNesting && !k.done() {
		k.encoded(s, depth, enc, bodies)
	}
	// Text that is not JSON (YAML, a heredoc in a script, broken JSON) is a
	// service account key file when it has a private_key member, the marks
	// of a service account and key material of its own.
	if named && !k.done() && k.best.Kind.structural() && privateKeyKey().MatchString(s) && serviceAccountText().MatchString(s) {
		k.found(KeyServiceAccountFile, enc)
	}
}

// jsonWorthParsing reports whether a JSON document could tell more than
// its raw text does: only members (private_key, client_email,
// authorized_user, JWK) and escapes that hide armour or break base64 runs
// (`\u`, `\/`) need the parsed form.
func jsonWorthParsing(s string) bool {
	return strings.Contains(s, "private_key") || strings.Contains(s, "client_email") ||
		strings.Contains(s, "refresh_token") || strings.Contains(s, `"kty"`) ||
		strings.Contains(s, `\/`) || strings.Contains(s, `\u`)
}

// json walks a decoded JSON document.
func (k *keyScan) json(doc any, depth int, enc string) {
	if k.done() {
		return
	}
	switch x := doc.(type) {
	case map[string]any:
		if _, ok := x["private_key"]; ok {
			k.found(KeyPrivateKeyMember, enc)
		}
		if typ, _ := x["type"].(string); strings.TrimSpace(typ) == "authorized_user" {
			if rt, _ := x["refresh_token"].(string); rt != "" {
				k.found(KeyUserRefreshToken, enc)
			}
		}
		if kty, ok := x["kty"].(string); ok && kty != "" {
			if d, _ := x["d"].(string); d != "" {
				k.found(KeyJWK, enc)
			}
		}
		serviceAccount := serviceAccountObject(x)
		for _, e := range x {
			if s, ok := e.(string); ok {
				if kind := k.text(s, depth, enc); serviceAccount && kind.structural() {
					k.found(KeyServiceAccountFile, enc)
				}
				continue
			}
			k.json(e, depth, enc)
		}
	case []any:
		for _, e := range x {
			k.json(e, depth, enc)
		}
	case string:
		k.text(x, depth, enc)
	}
}

// serviceAccountObject reports whether a JSON object describes a service
// account credential: its type, or a service account client_email.
func serviceAccountObject(x map[string]any) bool {
	if typ, _ := x["type"].(string); IsServiceAccountType(typ) {
		return true
	}
	email, _ := x["client_email"].(string)
	return IsServiceAccountEmail(email)
}

// IsServiceAccountType reports whether a credentials type member names a
// service account key file.
func IsServiceAccountType(t string) bool {
	switch strings.TrimSpace(t) {
	case "service_account", "gdch_service_account":
		return true
	}
	return false
}

// IsServiceAccountEmail reports whether s is the email of a Google service
// account: user-managed (…@project.iam.gserviceaccount.com) or Google's
// defaults (…@developer.gserviceaccount.com, …@appspot.gserviceaccount.com).
func IsServiceAccountEmail(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || strings.ContainsAny(s, " \t\r\n\"'") {
		return false
	}
	host := s[at+1:]
	return host == "gserviceaccount.com" || strings.HasSuffix(host, ".gserviceaccount.com")
}

// encoded scans the base64 runs of s (named bodies: base64, or PEM in
// armoured text), and s itself as hex or binary DER.
func (k *keyScan) encoded(s string, depth int, enc, bodies string) {
	if len(s) >= minEncodedKey {
		eachBase64Run(s, func(run []byte, firstLine int) bool {
			before := k.best.Kind
			if b, ok := k.decodeBase64(run); ok {
				k.bytes(b, depth+1, firstEncoding(enc, bodies))
			}
			// A line of text that joined the run in front of it misaligns
			// it: try once without.
			if k.best.Kind == before && firstLine < len(run) && len(run)-firstLine >= minEncodedKey {
				if b, ok := k.decodeBase64(run[firstLine:]); ok {
					k.bytes(b, depth+1, firstEncoding(enc, bodies))
				}
			}
			return !k.done()
		})
	}
	t := strings.TrimSpace(s)
	// Base64 broken into lines or groups of any width, which the runs do
	// not join.
	if len(t) >= minEncodedKey && !k.done() && strings.ContainsAny(t, " \t\r\n") && onlyBase64AndSpace(t) {
		if b, ok := k.decodeBase64([]byte(strings.Join(strings.Fields(t), ""))); ok {
			k.bytes(b, depth+1, firstEncoding(enc, bodies))
		}
	}
	if b, ok := k.decodeHex(t); ok {
		k.bytes(b, depth+1, firstEncoding(enc, "hex"))
	}
	if len(t) >= minEncodedKey/2 && t[0] == 0x30 && !utf8.ValidString(t) {
		k.bytes([]byte(t), depth+1, firstEncoding(enc, "binary"))
	}
}

func firstEncoding(outer, inner string) string {
	if outer != "" {
		return outer
	}
	return inner
}

// bytes judges decoded bytes: DER, OpenSSH's binary format, or text to scan
// again.
func (k *keyScan) bytes(b []byte, depth int, enc string) {
	switch {
	case len(b) > 0 && b[0] == 0x30:
		if kind, rsa := derKeyKind(b); kind != NoKey {
			k.foundKey(kind, enc, rsa)
			return
		}
	case bytes.HasPrefix(b, opensshMagic):
		k.found(KeyOpenSSH, enc)
		return
	case bytes.HasPrefix(b, gzipMagic):
		if plain, ok := k.gunzip(b); ok {
			k.bytes(plain, depth+1, enc)
		}
		return
	}
	if looksLikeText(b) {
		k.text(string(b), depth, enc)
	}
}

var (
	opensshMagic = []byte("openssh-key-v1\x00")
	gzipMagic    = []byte{0x1f, 0x8b, 0x08}
)

// gunzip inflates gzip data (base64 of a gzipped key file fits where the
// file does not), within what is left of the scan's decoding budget.
func (k *keyScan) gunzip(b []byte) ([]byte, bool) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false
	}
	limit := int64(min(maxDecoded-k.decoded, 1<<20))
	if limit <= 0 {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil && len(out) == 0 {
		return nil, false
	}
	k.decoded += len(out)
	return out, true
}

// onlyBase64AndSpace reports whether s holds nothing but base64 characters,
// padding and whitespace.
func onlyBase64AndSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isBase64Char(c) && c != '=' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// looksLikeText reports whether decoded bytes are worth scanning as text:
// UTF-8 without control characters other than whitespace.
func looksLikeText(b []byte) bool {
	if len(b) < minCredentialText || !utf8.Valid(b) {
		return false
	}
	for _, c := range b[:min(len(b), 512)] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// decodeBase64 decodes a run in the one alphabet it can be in, padded or
// not.
func (k *keyScan) decodeBase64(run []byte) ([]byte, bool) {
	run = bytes.TrimRight(run, "=")
	if len(run)%4 == 1 || k.decoded+len(run) > maxDecoded {
		return nil, false
	}
	urlSafe := bytes.ContainsAny(run, "-_")
	if urlSafe && bytes.ContainsAny(run, "+/") {
		return nil, false
	}
	encoding := base64.RawStdEncoding
	if urlSafe {
		encoding = base64.RawURLEncoding
	}
	out := make([]byte, encoding.DecodedLen(len(run)))
	n, err := encoding.Decode(out, run)
	if err != nil {
		return nil, false
	}
	k.decoded += len(run)
	return out[:n], true
}

// decodeHex decodes a string that is wholly hex (an optional 0x prefix
// aside), long enough to hold a key.
func (k *keyScan) decodeHex(t string) ([]byte, bool) {
	t = strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X")
	if len(t) < minEncodedKey || len(t)%2 != 0 || k.decoded+len(t) > maxDecoded {
		return nil, false
	}
	for i := 0; i < len(t); i++ {
		if !isHexDigit(t[i]) {
			return nil, false
		}
	}
	b, err := hex.DecodeString(t)
	if err != nil {
		return nil, false
	}
	k.decoded += len(t)
	return b, true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

// eachBase64Run calls yield with every run of base64 in s of at least
// minEncodedKey characters, whitespace removed, and the length of its first
// line: a segment of the base64 alphabet (and its padding) continues on the
// next line when the gap holds only whitespace (also written as the escapes
// \n, \r, \t) and the segment is a full line of wrapped base64 (16
// characters or more, a multiple of 4, unpadded; a gap without a line break,
// as a folded YAML scalar leaves, needs 40). Five dashes end a segment, so
// PEM armour never joins the body it surrounds.
func eachBase64Run(s string, yield func(run []byte, firstLine int) bool) {
	if !hasBase64Segment(s, minWrappedLine) {
		return // no line long enough to start a run: ordinary text
	}
	var run []byte
	firstLine := 0
	flush := func() bool {
		ok := true
		if len(run) >= minEncodedKey {
			ok = yield(run, firstLine)
		}
		run, firstLine = run[:0], 0
		return ok
	}
	i := 0
	for i < len(s) {
		// One segment.
		start := i
		for i < len(s) && isBase64Char(s[i]) {
			if s[i] == '-' && strings.HasPrefix(s[i:], "-----") {
				break
			}
			i++
		}
		segEnd := i
		for i < len(s) && s[i] == '=' {
			i++
		}
		padded := i > segEnd
		if segEnd > start {
			run = append(run, s[start:i]...)
			if firstLine == 0 {
				firstLine = len(run)
			}
		}
		segLen := segEnd - start
		// The gap after it.
		gapStart := i
		newline := false
		for i < len(s) {
			c := s[i]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				newline = newline || c == '\n' || c == '\r'
				i++
				continue
			}
			if c == '\\' {
				j := i
				for j < len(s) && s[j] == '\\' {
					j++
				}
				if j < len(s) && (s[j] == 'n' || s[j] == 'r' || s[j] == 't') {
					newline = newline || s[j] != 't'
					i = j + 1
					continue
				}
			}
			break
		}
		joins := i > gapStart && segLen >= minWrappedLine && segLen%4 == 0 && !padded && (newline || segLen >= 40) &&
			i < len(s) && isBase64Char(s[i]) && !strings.HasPrefix(s[i:], "-----")
		if !joins {
			if !flush() {
				return
			}
			if i == start {
				// Neither base64 nor whitespace: skip it (a dash run too).
				if strings.HasPrefix(s[i:], "-----") {
					for i < len(s) && s[i] == '-' {
						i++
					}
				} else {
					i++
				}
			}
		}
	}
	flush()
}

// hasBase64Segment reports whether s has n base64 characters in a row.
func hasBase64Segment(s string, n int) bool {
	in := 0
	for i := 0; i < len(s); i++ {
		if !isBase64Char(s[i]) {
			in = 0
			continue
		}
		if in++; in >= n {
			return true
		}
	}
	return false
}

// derKeyKind recognises the DER (or, for PKCS#12, BER) shapes of private
// keys, and whether one is an unencrypted RSA key; NoKey for anything else,
// certificates and public keys included.
func derKeyKind(b []byte) (KeyKind, bool) {
	var first asn1.RawValue
	if _, err := asn1.Unmarshal(b, &first); err != nil {
		if isBERPFX(b) {
			return KeyPKCS12, false
		}
		return NoKey, false
	}
	if first.Class != asn1.ClassUniversal || first.Tag != asn1.TagSequence || !first.IsCompound {
		return NoKey, false
	}
	// Whatever follows the outer SEQUENCE (a line of text that joined a
	// base64 body, padding) is not part of the key.
	b = first.FullBytes
	// Dispatch on the first element of the SEQUENCE.
	var elem asn1.RawValue
	if _, err := asn1.Unmarshal(first.Bytes, &elem); err != nil || elem.Class != asn1.ClassUniversal {
		return NoKey, false
	}
	switch elem.Tag {
	case asn1.TagSequence:
		if isEncryptedPKCS8(b) {
			return KeyEncryptedPKCS8, false
		}
	case asn1.TagInteger:
		if len(elem.Bytes) != 1 {
			return NoKey, false
		}
		switch elem.Bytes[0] {
		case 0, 1:
			if ok, rsa := isPKCS8(b); ok {
				return KeyPKCS8, rsa
			}
			if ok, rsa := isTraditionalKey(b); ok {
				return KeyPKCS1, rsa
			}
			if isSEC1(b) {
				return KeySEC1, false
			}
		case 3:
			return pfxKind(b), false
		}
	}
	return NoKey, false
}

// privateKeyInfo is PKCS#8's PrivateKeyInfo (RFC 5208), also
// OneAsymmetricKey (RFC 5958) with its optional public key.
type privateKeyInfo struct {
	Version    int
	Algorithm  algorithmIdentifier
	PrivateKey []byte
	Attributes asn1.RawValue `asn1:"optional,tag:0"`
	PublicKey  asn1.RawValue `asn1:"optional,tag:1"`
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

// oidRSAEncryption is the algorithm of an RSA key in PKCS#8.
var oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}

func isPKCS8(b []byte) (ok, rsa bool) {
	var k privateKeyInfo
	rest, err := asn1.Unmarshal(b, &k)
	ok = err == nil && len(rest) == 0 && (k.Version == 0 || k.Version == 1) &&
		len(k.Algorithm.Algorithm) >= 2 && len(k.PrivateKey) >= 16
	return ok, ok && k.Algorithm.Algorithm.Equal(oidRSAEncryption)
}

// encryptedPrivateKeyInfo is PKCS#8's EncryptedPrivateKeyInfo. Its shape is
// the one of a DigestInfo too, so the algorithm must be a password-based
// encryption scheme and the data longer than any digest.
type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

var (
	oidPKCS5    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5}     // PBES1, PBES2
	oidPKCS12PB = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1} // pbeWithSHAAnd...
)

func isEncryptedPKCS8(b []byte) bool {
	var k encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(b, &k)
	if err != nil || len(rest) != 0 || len(k.EncryptedData) < 80 {
		return false
	}
	return hasOIDPrefix(k.Algorithm.Algorithm, oidPKCS5) || hasOIDPrefix(k.Algorithm.Algorithm, oidPKCS12PB)
}

func hasOIDPrefix(oid, prefix asn1.ObjectIdentifier) bool {
	return len(oid) > len(prefix) && oid[:len(prefix)].Equal(prefix)
}

// isTraditionalKey recognises PKCS#1's RSAPrivateKey (version, then eight
// integers) and OpenSSL's traditional DSA key (version, then five): a
// SEQUENCE of integers, none of them a public key's (which starts with the
// modulus, never a version).
func isTraditionalKey(b []byte) (ok, rsa bool) {
	var elems []asn1.RawValue
	rest, err := asn1.Unmarshal(b, &elems)
	if err != nil || len(rest) != 0 {
		return false, false
	}
	var integers int
	switch len(elems) {
	case 6: // DSA
		integers = 6
	case 9, 10: // RSA, and multi-prime RSA with its otherPrimeInfos
		integers = 9
	default:
		return false, false
	}
	for _, v := range elems[:integers] {
		if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagInteger || len(v.Bytes) == 0 {
			return false, false
		}
	}
	// The modulus (RSA) or prime (DSA) is large.
	ok = len(elems[1].Bytes) >= 32
	return ok, ok && integers == 9
}

// ecPrivateKey is SEC1's ECPrivateKey (RFC 5915).
type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	Parameters asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

func isSEC1(b []byte) bool {
	var k ecPrivateKey
	rest, err := asn1.Unmarshal(b, &k)
	return err == nil && len(rest) == 0 && k.Version == 1 && len(k.PrivateKey) >= 16 && len(k.PrivateKey) <= 72 &&
		(len(k.Parameters) > 0 || k.PublicKey.BitLength > 0)
}
