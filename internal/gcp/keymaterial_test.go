package gcp

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testKeys are generated once per test binary: throwaway keys that exist
// only in memory.
type testKeys struct {
	rsa            *rsa.PrivateKey
	ec             *ecdsa.PrivateKey
	ed             ed25519.PrivateKey
	pkcs8RSA       []byte
	pkcs8EC        []byte
	pkcs8Ed        []byte
	pkcs1          []byte
	sec1           []byte
	encryptedPKCS8 []byte
	cert           []byte
	spki           []byte
}

var generatedKeys = sync.OnceValues(func() (*testKeys, error) {
	k := &testKeys{}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	if k.pkcs8RSA, err = x509.MarshalPKCS8PrivateKey(k.rsa); err != nil {
		return nil, err
	}
	if k.pkcs8EC, err = x509.MarshalPKCS8PrivateKey(k.ec); err != nil {
		return nil, err
	}
	if k.pkcs8Ed, err = x509.MarshalPKCS8PrivateKey(k.ed); err != nil {
		return nil, err
	}
	k.pkcs1 = x509.MarshalPKCS1PrivateKey(k.rsa)
	if k.sec1, err = x509.MarshalECPrivateKey(k.ec); err != nil {
		return nil, err
	}
	// The shape of an encrypted PKCS#8 key (PBES2): what is encrypted does
	// not matter to a structural check.
	blob := make([]byte, 1232)
	_, _ = rand.Read(blob)
	k.encryptedPKCS8, err = asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm:     algorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}, Parameters: asn1.NullRawValue},
		EncryptedData: blob,
	})
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "throwaway-test-only"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	if k.cert, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.ec.PublicKey, k.ec); err != nil {
		return nil, err
	}
	if k.spki, err = x509.MarshalPKIXPublicKey(&k.rsa.PublicKey); err != nil {
		return nil, err
	}
	return k, nil
})

func keys(t testing.TB) *testKeys {
	t.Helper()
	k, err := generatedKeys()
	require.NoError(t, err)
	return k
}

func pemText(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func serviceAccountJSON(t testing.TB, privateKey string) string {
	t.Helper()
	b, err := json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": "etl-prod-1234", "private_key_id": "0000000000000000000000000000000000000000",
		"private_key": privateKey, "client_email": "ci-deployer@etl-prod-1234.iam.gserviceaccount.com",
		"client_id": "100000000000000000001", "token_uri": "https://oauth2.googleapis.com/token",
	}, "", "  ")
	require.NoError(t, err)
	return string(b)
}

func readKeyFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	require.NoError(t, err)
	return string(b)
}

// keyFormat is one way of writing key material, with what a scan must say.
type keyFormat struct {
	name string
	text string
	want KeyKind
}

// keyFormats is every private key format and encoding the detector knows,
// and the nearest things that are not keys.
func keyFormats(t testing.TB) []keyFormat {
	k := keys(t)
	b64 := base64.StdEncoding.EncodeToString
	wrap := func(s string, width int, sep string) string {
		var lines []string
		for len(s) > width {
			lines, s = append(lines, s[:width]), s[width:]
		}
		return strings.Join(append(lines, s), sep)
	}
	pkcs8PEM := pemText("PRIVATE KEY", k.pkcs8RSA)
	saKey := serviceAccountJSON(t, pkcs8PEM)
	p12 := func(name string) string { return readKeyFixture(t, name+".p12.b64") }
	oneLine := func(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "") }
	formats := []keyFormat{
		// PEM, however it is laid out.
		{"pem pkcs8", pkcs8PEM, KeyPKCS8},
		{"pem pkcs1", pemText("RSA PRIVATE KEY", k.pkcs1), KeyPKCS1},
		{"pem sec1", pemText("EC PRIVATE KEY", k.sec1), KeySEC1},
		{"pem encrypted pkcs8", pemText("ENCRYPTED PRIVATE KEY", k.encryptedPKCS8), KeyEncryptedPKCS8},
		{"pem ed25519", pemText("PRIVATE KEY", k.pkcs8Ed), KeyPKCS8},
		{"pem crlf", strings.ReplaceAll(pkcs8PEM, "\n", "\r\n"), KeyPKCS8},
		{"pem indented", "key: |\n    " + strings.ReplaceAll(strings.TrimSpace(pkcs8PEM), "\n", "\n    ") + "\n", KeyPKCS8},
		{"pem one line", oneLine(pkcs8PEM), KeyPKCS8},
		{"pem lower-case armour", strings.ToLower(pkcs8PEM[:27]) + pkcs8PEM[27:], KeyPKCS8},
		{"pem escaped newlines", strings.ReplaceAll(pkcs8PEM, "\n", `\n`), KeyPKCS8},
		{"pem folded into spaces", strings.ReplaceAll(pkcs8PEM, "\n", " "), KeyPKCS8},
		{"pem relabelled", pemText("DATA", k.pkcs8RSA), KeyPKCS8},
		{"pem fake body", "-----BEGIN PRIVATE KEY-----\nFAKE-KEY-FOR-TESTS\n-----END PRIVATE KEY-----\n", KeyPEM},
		{"openssh", readKeyFixture(t, "openssh-ed25519.key"), KeyOpenSSH},
		{"pgp armour", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF...\n-----END PGP PRIVATE KEY BLOCK-----", KeyPGP},
		{"putty", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: x\nPublic-Lines: 2\nAAAA\nAAAA\nPrivate-Lines: 1\nAAAA\n", KeyPuTTY},
		// Bodies without armour: what SnowflakeIO.withKeyPairRawAuth takes.
		{"pkcs8 body", b64(k.pkcs8RSA), KeyPKCS8},
		{"pkcs8 body wrapped", wrap(b64(k.pkcs8RSA), 64, "\n"), KeyPKCS8},
		{"pkcs8 body wrapped crlf", wrap(b64(k.pkcs8RSA), 76, "\r\n"), KeyPKCS8},
		{"pkcs8 body url-safe", base64.URLEncoding.EncodeToString(k.pkcs8RSA), KeyPKCS8},
		{"pkcs8 body unpadded", base64.RawStdEncoding.EncodeToString(k.pkcs8EC), KeyPKCS8},
		{"pkcs8 body url-safe unpadded", base64.RawURLEncoding.EncodeToString(k.pkcs8Ed), KeyPKCS8},
		{"pkcs8 body as an option", "--snowflakePrivateKey=" + b64(k.pkcs8RSA), KeyPKCS8},
		{"pkcs8 body in a script", "echo " + b64(k.pkcs8EC) + " | base64 -d > /tmp/k.der && run", KeyPKCS8},
		{"pkcs8 body after a line of text", "Authorization-Header-Value\n" + wrap(b64(k.pkcs8RSA), 64, "\n"), KeyPKCS8},
		{"pkcs8 hex", hex.EncodeToString(k.pkcs8EC), KeyPKCS8},
		{"pkcs8 binary", string(k.pkcs8RSA), KeyPKCS8},
		{"pkcs1 body", b64(k.pkcs1), KeyPKCS1},
		{"sec1 body", wrap(b64(k.sec1), 64, "\n"), KeySEC1},
		{"encrypted pkcs8 body", b64(k.encryptedPKCS8), KeyEncryptedPKCS8},
		{"pem in base64", b64([]byte(pkcs8PEM)), KeyPKCS8},
		{"key file gzip base64", b64(gzipped(t, saKey)), KeyServiceAccountFile},
		{"key file base64 in groups of ten", wrap(b64([]byte(saKey)), 10, " "), KeyServiceAccountFile},
		{"pkcs8 body in lines of ten", wrap(b64(k.pkcs8EC), 10, "\n"), KeyPKCS8},
		{"pem in base64 in base64", b64([]byte(b64([]byte(pkcs8PEM)))), KeyPKCS8},
		// Service account key files.
		{"key file", saKey, KeyServiceAccountFile},
		{"key file base64", b64([]byte(saKey)), KeyServiceAccountFile},
		{"key file base64 wrapped", wrap(b64([]byte(saKey)), 76, "\n"), KeyServiceAccountFile},
		{"key file url-safe", base64.RawURLEncoding.EncodeToString([]byte(saKey)), KeyServiceAccountFile},
		{"key file hex", hex.EncodeToString([]byte(saKey)), KeyServiceAccountFile},
		{"key file with a body for a key", serviceAccountJSON(t, b64(k.pkcs8RSA)), KeyServiceAccountFile},
		{"key file with a fake pem", serviceAccountJSON(t, "-----BEGIN PRIVATE KEY-----\nFAKE-KEY-FOR-TESTS\n-----END PRIVATE KEY-----\n"), KeyServiceAccountFile},
		{"key file escaped in json", mustJSON(t, map[string]string{"auth": saKey}), KeyServiceAccountFile},
		{"key file without its type", strings.Replace(saKey, `"type": "service_account",`, "", 1), KeyServiceAccountFile},
		{"key file in a heredoc", "cat > /tmp/key.json <<EOF\n" + saKey + "\nEOF\ngcloud auth activate-service-account --key-file /tmp/key.json", KeyServiceAccountFile},
		{"key file as yaml", "type: service_account\nclient_email: ci@etl-prod-1234.iam.gserviceaccount.com\nprivate_key: |\n  " +
			strings.ReplaceAll(strings.TrimSpace(pkcs8PEM), "\n", "\n  ") + "\n", KeyServiceAccountFile},
		{"key file truncated", saKey[:len(saKey)-40], KeyServiceAccountFile},
		{"key file, unicode escapes", strings.ReplaceAll(saKey, "-----", `\u002d\u002d\u002d\u002d\u002d`), KeyServiceAccountFile},
		{"impersonation from a key file", `{"type":"impersonated_service_account","source_credentials":` + saKey + `}`, KeyServiceAccountFile},
		{"pkcs12 google sha1", p12("google-sha1"), KeyServiceAccountPKCS12},
		{"pkcs12 google legacy", p12("google-legacy"), KeyServiceAccountPKCS12},
		{"pkcs12 google sha256", p12("google-sha256"), KeyServiceAccountPKCS12},
		{"pkcs12 google one line", oneLine(p12("google-legacy")), KeyServiceAccountPKCS12},
		{"pkcs12 google url-safe", base64.RawURLEncoding.EncodeToString(mustB64(t, p12("google-sha1"))), KeyServiceAccountPKCS12},
		{"pkcs12 other password", p12("other"), KeyPKCS12},
		{"pkcs12 encrypted trust store", p12("trust"), KeyPKCS12},
		// Other credentials.
		{"authorized user", `{"type":"authorized_user","client_id":"x.apps.googleusercontent.com","client_secret":"s","refresh_token":"1//0abcdefghijkl"}`, KeyUserRefreshToken},
		{"impersonation from a user", `{"type":"impersonated_service_account","source_credentials":{"type":"authorized_user","client_id":"x","client_secret":"s","refresh_token":"1//0abc"}}`, KeyUserRefreshToken},
		{"jwk", `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}`, KeyJWK},
		{"private_key member", `{"private_key":"x"}`, KeyPrivateKeyMember},
		{"single-quoted member", `{'private_key': 'x'}`, KeyPrivateKeyMember},
		// Not keys.
		{"certificate", pemText("CERTIFICATE", k.cert), NoKey},
		{"certificate body", b64(k.cert), NoKey},
		{"public key", pemText("PUBLIC KEY", k.spki), NoKey},
		{"public key body", b64(k.spki), NoKey},
		{"pkcs1 public key body", b64(x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)), NoKey},
		{"ssh public key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG8mCnt0yY9eqhA8nA3c7ORhhAPMaxGyeYJ0M0bY9aD7 ci@example.com", NoKey},
		{"pkcs12 clear trust store", p12("trust-clear"), NoKey},
		{"external account", externalAccount, NoKey},
		{"workforce user", `{"type":"external_account_authorized_user","audience":"//iam.googleapis.com/locations/global/workforcePools/p/providers/q","refresh_token":"r","token_url":"https://sts.googleapis.com/v1/oauthtoken"}`, NoKey},
		{"service account without key", `{"type":"service_account","client_email":"ci@etl-prod-1234.iam.gserviceaccount.com","private_key_id":"abc"}`, NoKey},
		{"jwt", "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20iLCJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLW5vdC1hLWtleS1zaWduYXR1cmUtbm90LWEta2V5LXNpZ25hdHVyZQ", NoKey},
		{"random base64", b64(randomBytes(t, 1200)), NoKey},
		{"hash", strings.Repeat("0123456789abcdef", 8), NoKey},
		{"word private_key", "set private_key in Secret Manager", NoKey},
		{"long path", "projects/etl-prod-1234/locations/europe-west1/keyRings/etl/cryptoKeys/dataflow-state/cryptoKeyVersions/1", NoKey},
		{"iam policy", `{"bindings":[{"role":"roles/dataflow.worker","members":["serviceAccount:etl-worker@etl-prod-1234.iam.gserviceaccount.com"]}]}`, NoKey},
		{"base64 of text", b64([]byte("just some harmless configuration text, nothing to see here at all")), NoKey},
		{"empty", "", NoKey},
	}
	return formats
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	b[0] = 0x30 // as if DER, to reach the structural checks
	return b
}

func TestFindCredential(t *testing.T) {
	for _, f := range keyFormats(t) {
		t.Run(f.name, func(t *testing.T) {
			got := FindCredential(f.text)
			assert.Equal(t, f.want.String(), got.Kind.String())
			assert.Equal(t, f.want != NoKey, HoldsCredential(f.text))
			// Never any part of the value in what a finding says.
			assertNotPrinted(t, f.text, got.String())
		})
	}
}

func TestFindCredentialEncodingNamed(t *testing.T) {
	k := keys(t)
	assert.Equal(t, "a PKCS#8 private key (base64)", FindCredential(base64.StdEncoding.EncodeToString(k.pkcs8RSA)).String())
	assert.Equal(t, "a PKCS#8 private key (hex)", FindCredential(hex.EncodeToString(k.pkcs8EC)).String())
	assert.Equal(t, "a PKCS#8 private key (PEM)", FindCredential(pemText("PRIVATE KEY", k.pkcs8EC)).String())
	assert.Equal(t, "a PEM private key", FindCredential("-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----").String())
	assert.Equal(t, "a Google service account key file (base64)",
		FindCredential(base64.StdEncoding.EncodeToString([]byte(serviceAccountJSON(t, pemText("PRIVATE KEY", k.pkcs8RSA))))).String())
}

// assertNotPrinted fails when out holds a piece of secret that identifies
// it: any 12 characters of it that are not plain words.
func assertNotPrinted(t *testing.T, secret, out string) {
	t.Helper()
	for _, piece := range secretPieces(secret) {
		if strings.Contains(out, piece) {
			t.Errorf("%q prints %q of the key material", out, piece)
			return
		}
	}
}

// secretPieces cuts the key-bearing lines of secret into 12-character
// windows, skipping armour and words anyone may print.
func secretPieces(secret string) []string {
	var out []string
	for _, line := range strings.FieldsFunc(secret, func(r rune) bool { return r == '\n' || r == '\r' || r == '"' || r == ' ' }) {
		if len(line) < 12 || strings.Contains(line, "-----") || strings.Contains(line, "googleapis.com") ||
			strings.Contains(line, "gserviceaccount.com") || strings.Trim(line, "abcdefghijklmnopqrstuvwxyz_:,") == "" {
			continue
		}
		for i := 0; i+12 <= len(line); i += 6 {
			out = append(out, line[i:i+12])
		}
	}
	return out
}

func TestFindCredentialBadInput(t *testing.T) {
	// Hostile shapes never panic and never take long.
	k := keys(t)
	inputs := []string{
		strings.Repeat("M", 1<<20),
		strings.Repeat("MIIE", 1<<18) + "\n" + strings.Repeat("AAAA", 1<<16),
		strings.Repeat("-----BEGIN ", 10000),
		strings.Repeat(`{"private_key":`, 10000),
		strings.Repeat("[", 100000),
		"\x30\x80\x02\x01\x03\x30\x80",
		"\x30\x82\xff\xff",
		string(k.pkcs8RSA[:len(k.pkcs8RSA)/2]),
		base64.StdEncoding.EncodeToString(k.pkcs8RSA[:len(k.pkcs8RSA)/2]),
		strings.Repeat(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("ZW", 100))), 50),
	}
	// Nesting past the limit ends quietly.
	nested := "-----BEGIN PRIVATE KEY-----"
	for range 12 {
		nested = base64.StdEncoding.EncodeToString([]byte(nested + strings.Repeat(" ", 64)))
	}
	inputs = append(inputs, nested)
	for _, in := range inputs {
		start := time.Now()
		assert.NotPanics(t, func() { FindCredential(in) })
		assert.Less(t, time.Since(start), 5*time.Second)
	}
}

func TestPFXMACIterationsBounded(t *testing.T) {
	b := mustB64(t, readKeyFixture(t, "google-sha1.p12.b64"))
	var pfx pfxPDU
	_, err := asn1.Unmarshal(b, &pfx)
	require.NoError(t, err)
	var authSafe []byte
	_, err = asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe)
	require.NoError(t, err)
	require.True(t, pfxMACVerifies(&pfx.MacData, authSafe, googlePKCS12Password))
	assert.False(t, pfxMACVerifies(&pfx.MacData, authSafe, bmpPassword("changeit")))
	mac := pfx.MacData
	mac.Iterations = maxPFXIterations + 1
	assert.False(t, pfxMACVerifies(&mac, authSafe, googlePKCS12Password), "a hostile iteration count is not followed")
}

func BenchmarkFindCredentialOrdinary(b *testing.B) {
	values := []string{
		"gs://etl-prod-1234-dataflow-temp/tmp",
		"projects/etl-prod-1234/locations/europe-west1/keyRings/etl/cryptoKeys/dataflow-state",
		`{"bindings":[{"role":"roles/dataflow.worker","members":["serviceAccount:etl-worker@etl-prod-1234.iam.gserviceaccount.com"]}]}`,
		strings.Repeat("a long description of a resource that says nothing secret. ", 20),
		"sha256:" + strings.Repeat("0123456789abcdef", 4),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range values {
			FindCredential(v)
		}
	}
}
