package policies_test

// Key material is never printed: every private key format the detector
// knows, written in every encoding, sits in plain (not secret) properties of
// Dataflow jobs, providers, a Kubernetes Secret, a command and the stack's
// outputs, so nothing but the policies themselves keeps it out of the
// findings. The test runs every policy through `check` (text, JSON and
// SARIF) and the analyzer (messages and the in-engine report), and looks for
// any 16 characters of any key in all of it.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

// keyMaterialFormats generates throwaway keys and writes them every way the
// detector reads, by name.
func keyMaterialFormats(t *testing.T) map[string]string {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pkcs8RSA, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	pkcs8EC, err := x509.MarshalPKCS8PrivateKey(ecKey)
	require.NoError(t, err)
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	require.NoError(t, err)
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	b64 := base64.StdEncoding.EncodeToString
	wrap := func(s string, width int) string {
		var lines []string
		for len(s) > width {
			lines, s = append(lines, s[:width]), s[width:]
		}
		return strings.Join(append(lines, s), "\n")
	}
	readKey := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "internal", "gcp", "testdata", "keys", name))
		require.NoError(t, err)
		return string(b)
	}
	keyFile, err := json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": "etl-prod-1234", "private_key_id": hex.EncodeToString(pkcs8RSA[40:60]),
		"private_key": pemOf("PRIVATE KEY", pkcs8RSA), "client_email": "ci-deployer@etl-prod-1234.iam.gserviceaccount.com",
		"client_id": "100000000000000000001", "token_uri": "https://oauth2.googleapis.com/token",
	}, "", "  ")
	require.NoError(t, err)
	p12 := readKey("google-sha1.p12.b64")
	return map[string]string{
		"pem-pkcs8":             pemOf("PRIVATE KEY", pkcs8RSA),
		"pem-one-line":          strings.ReplaceAll(pemOf("PRIVATE KEY", pkcs8EC), "\n", ""),
		"pem-crlf":              strings.ReplaceAll(pemOf("EC PRIVATE KEY", sec1), "\n", "\r\n"),
		"pem-pkcs1":             pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)),
		"openssh":               readKey("openssh-ed25519.key"),
		"key-file":              string(keyFile),
		"key-file-base64":       b64(keyFile),
		"key-file-base64-lines": wrap(b64(keyFile), 76),
		"pkcs12":                p12,
		"pkcs12-one-line":       strings.Join(strings.Fields(p12), ""),
		"pkcs8-body":            b64(pkcs8RSA),
		"pkcs8-body-lines":      wrap(b64(pkcs8EC), 64),
		"pkcs8-body-url-safe":   base64.RawURLEncoding.EncodeToString(pkcs8RSA),
		"pkcs8-hex":             hex.EncodeToString(pkcs8EC),
		"sec1-body":             b64(sec1),
		"user-refresh-token":    `{"type":"authorized_user","client_id":"764086051850-k3y.apps.googleusercontent.com","client_secret":"d-FL95Q19q7MQmFpd7hHD0Ty","refresh_token":"1//0gqJ9c0rT8xYzLmNoPqRsTuVwXyZaBcDeFgHiJkLmN"}`,
	}
}

// keyPieces cuts the parts of a key that identify it into 16-character
// windows: every line and quoted string that is not armour, a JSON member
// name or a public address.
func keyPieces(secret string) []string {
	var out []string
	secret = pemArmourLine.ReplaceAllString(secret, "\n")
	fields := strings.FieldsFunc(secret, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '"' || r == ' ' || r == ',' || r == '{' || r == '}'
	})
	for _, f := range fields {
		f = strings.TrimSuffix(f, `\n`)
		if len(f) < 16 || strings.Contains(f, "-----") || strings.Contains(f, "googleapis.com") ||
			strings.Contains(f, "gserviceaccount.com") || strings.Contains(f, "googleusercontent.com") {
			continue
		}
		for _, part := range strings.Split(f, `\n`) {
			for i := 0; i+16 <= len(part); i += 8 {
				out = append(out, part[i:i+16])
			}
		}
	}
	return out
}

var pemArmourLine = regexp.MustCompile(`-----[A-Z0-9 ]+-----`)

// keyExport places every format in plain properties of resources that
// each key-reading policy judges.
func keyExport(t *testing.T, formats map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	params, data, env, exports := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	var options []any
	resources := []any{
		map[string]any{"urn": "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev", "custom": false, "type": "pulumi:pulumi:Stack", "outputs": exports},
		map[string]any{"urn": "urn:pulumi:dev::etl::pulumi:providers:gcp::default_9_6_0", "custom": true, "id": "p0",
			"type": "pulumi:providers:gcp", "inputs": map[string]any{"project": "etl-prod-1234"}, "outputs": map[string]any{"project": "etl-prod-1234"}},
	}
	for i, n := range names {
		v := formats[n]
		params[n], data[n], env[strings.ToUpper(strings.ReplaceAll(n, "-", "_"))], exports[n] = v, v, v, v
		options = append(options, "--"+n+"="+v)
		creds := map[string]any{"project": "etl-prod-1234", "credentials": v}
		resources = append(resources, map[string]any{"urn": "urn:pulumi:dev::etl::pulumi:providers:gcp::" + n, "custom": true,
			"id": "p" + string(rune('a'+i)), "type": "pulumi:providers:gcp", "inputs": creds, "outputs": creds})
	}
	job := map[string]any{"name": "every-key", "region": "europe-west1", "containerSpecGcsPath": "gs://etl-prod-1234-templates/flex/etl.json",
		"serviceAccountEmail": "etl-worker@etl-prod-1234.iam.gserviceaccount.com", "labels": map[string]any{"team": "data", "env": "prod"},
		"parameters": params, "additionalPipelineOptions": options}
	secret := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "keys"}, "stringData": data}
	command := map[string]any{"create": "./deploy.sh", "environment": env}
	for _, r := range []struct {
		typ   string
		props map[string]any
	}{{"gcp:dataflow/flexTemplateJob:FlexTemplateJob", job}, {"kubernetes:core/v1:Secret", secret}, {"command:local:Command", command}} {
		resources = append(resources, map[string]any{"urn": "urn:pulumi:dev::etl::" + r.typ + "::keys", "custom": true, "id": "keys",
			"type": r.typ, "inputs": r.props, "outputs": r.props, "parent": "urn:pulumi:dev::etl::pulumi:pulumi:Stack::etl-dev"})
	}
	raw, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{
		"manifest": map[string]any{"time": "2026-11-28T12:00:00Z", "magic": "", "version": "v3.274.1"}, "resources": resources}})
	require.NoError(t, err)
	return raw
}

func TestKeyMaterialNeverPrinted(t *testing.T) {
	require.NotEmpty(t, spSourceText(), "read before any subtest changes directory")
	formats := keyMaterialFormats(t)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	export := filepath.Join(t.TempDir(), "export.json")
	require.NoError(t, os.WriteFile(export, keyExport(t, formats), 0o600))

	pack, err := policies.NewPack("0.0.0-test", "test")
	require.NoError(t, err)
	outputs := spCheckCommand(t, pack, root, export, "")
	for where, out := range spAnalyzer(t, pack, export) {
		outputs["analyzer "+where] = out
	}
	// Not vacuous: each format is found where each policy looks, and the
	// service account keys in the Secret, the command and the outputs.
	for _, policy := range []string{"dataflow-no-inline-credentials", "provider-federated-credentials", "no-service-account-keys"} {
		require.Contains(t, outputs["check json"], `"policy": "`+policy+`"`)
	}
	for _, path := range []string{`parameters.%s`, `pulumi:providers:gcp::%s`} {
		for name := range formats {
			want := strings.Replace(path, "%s", name, 1)
			if !strings.Contains(outputs["check json"], want) {
				t.Errorf("no finding names %s", want)
			}
		}
	}
	for name, secret := range formats {
		pieces := keyPieces(secret)
		require.NotEmpty(t, pieces, name)
		for where, out := range outputs {
			for _, piece := range pieces {
				if strings.Contains(out, piece) {
					t.Errorf("%s prints %q of %s", where, piece, name)
					break
				}
			}
		}
	}
}
