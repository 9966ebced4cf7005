package gcp

import (
	"encoding/base64"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanned is what EachCredential reports, by path.
func scanned(t *testing.T, props map[string]property.Value) map[string]string {
	t.Helper()
	out := map[string]string{}
	EachCredential(NewValue(property.New(props), ""), func(at Value, inKey bool, f KeyFinding) bool {
		what := f.Kind.String()
		if !f.Found() {
			what = "unknown"
		}
		if inKey {
			what = "key: " + what
		}
		out[at.Path()] = what
		return true
	})
	return out
}

func str(s string) property.Value { return property.New(s) }

func obj(m map[string]property.Value) property.Value { return property.New(m) }

func TestEachCredential(t *testing.T) {
	k := keys(t)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	rsaPEM := pemText("PRIVATE KEY", k.pkcs8RSA)
	ecPEM := pemText("PRIVATE KEY", k.pkcs8EC)
	const email = "ci-deployer@etl-prod-1234.iam.gserviceaccount.com"
	saKey := serviceAccountJSON(t, rsaPEM)
	text, err := asset.FromText(saKey)
	require.NoError(t, err)

	got := scanned(t, map[string]property.Value{
		// A Kubernetes Secret's data: an RSA key and the email, both base64.
		"data": obj(map[string]property.Value{"private_key": property.New(b64(rsaPEM)).WithSecret(true), "client_email": str(b64(email))}),
		// Environment variables in a list, as a container's env.
		"env": property.New([]property.Value{
			obj(map[string]property.Value{"name": str("GOOGLE_PRIVATE_KEY"), "value": str(rsaPEM)}),
			obj(map[string]property.Value{"name": str("GOOGLE_CLIENT_EMAIL"), "value": str(email)}),
		}),
		// An EC key beside the email is never a Google service account key.
		"signing": obj(map[string]property.Value{"key": str(ecPEM), "account": str(email)}),
		// An RSA key without an email near it is an ordinary key.
		"tls":     obj(map[string]property.Value{"tls.key": str(b64(rsaPEM)), "tls.crt": str(pemText("CERTIFICATE", k.cert))}),
		"file":    property.New(text),
		"later":   property.New(property.Computed),
		"plain":   str("nothing to see here, not even a private_key"),
		"mapKeys": obj(map[string]property.Value{b64(saKey): str("x")}),
	})
	paths := make([]string, 0, len(got))
	for p := range got {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	assert.Equal(t, KeyServiceAccountParts.String(), got["data.private_key"], "the key and a base64 email in one Secret")
	assert.Equal(t, KeyServiceAccountParts.String(), got["env[0].value"], "GOOGLE_PRIVATE_KEY beside GOOGLE_CLIENT_EMAIL")
	assert.Equal(t, KeyPKCS8.String(), got["signing.key"], "an EC key stays an ordinary key")
	assert.Equal(t, KeyPKCS8.String(), got[`tls["tls.key"]`])
	assert.Equal(t, KeyServiceAccountFile.String(), got["file"], "a text asset")
	assert.Equal(t, "unknown", got["later"])
	assert.NotContains(t, got, "plain")
	require.Len(t, got, 7, "%v", paths)
	for p, what := range got {
		if what == "key: "+KeyServiceAccountFile.String() {
			assert.Contains(t, p, "mapKeys", "a key file as a map key")
			return
		}
	}
	t.Errorf("the key file used as a map key was not reported: %v", got)
}

func TestEachCredentialStops(t *testing.T) {
	k := keys(t)
	pem := pemText("PRIVATE KEY", k.pkcs8EC)
	calls := 0
	EachCredential(NewValue(property.New(map[string]property.Value{"a": str(pem), "b": str(pem)}), ""),
		func(Value, bool, KeyFinding) bool { calls++; return false })
	assert.Equal(t, 1, calls)
}
