package gcp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fake key material only: a PEM body that is not a key.
const fakePEM = "-----BEGIN PRIVATE KEY-----\nFAKE-KEY-FOR-TESTS\n-----END PRIVATE KEY-----\n"

func fakeKeyJSON(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "etl-prod-1234", "private_key_id": "FAKE-KEY-FOR-TESTS",
		"private_key": fakePEM, "client_email": "ci@etl-prod-1234.iam.gserviceaccount.com",
	})
	require.NoError(t, err)
	return string(b)
}

const externalAccount = `{"type":"external_account","audience":"//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github/providers/github","subject_token_type":"urn:ietf:params:oauth:token-type:jwt","token_url":"https://sts.googleapis.com/v1/token","credential_source":{"file":"/tmp/token","format":{"type":"text"}},"service_account_impersonation_url":"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer@etl-prod-1234.iam.gserviceaccount.com:generateAccessToken"}`

func TestHoldsCredential(t *testing.T) {
	key := fakeKeyJSON(t)
	escaped, _ := json.Marshal(map[string]string{"config": key})
	doubly, _ := json.Marshal(map[string]string{"outer": string(escaped)})
	for name, tc := range map[string]struct {
		in   string
		want bool
	}{
		"pem":                   {fakePEM, true},
		"rsa pem":               {"-----BEGIN RSA PRIVATE KEY-----\nFAKE-KEY-FOR-TESTS", true},
		"encrypted pem":         {"-----BEGIN ENCRYPTED PRIVATE KEY-----", true},
		"openssh pem":           {"x -----BEGIN OPENSSH PRIVATE KEY----- y", true},
		"pgp":                   {"-----BEGIN PGP PRIVATE KEY BLOCK-----", true},
		"key json":              {key, true},
		"key json in json":      {string(escaped), true},
		"key json twice nested": {string(doubly), true},
		"private_key only":      {`{"private_key":"x"}`, true},
		"single quoted field":   {`{'private_key': 'x'}`, true},
		"pipeline option":       {"--credentials=" + base64.StdEncoding.EncodeToString([]byte(key)), true},
		"base64 key":            {base64.StdEncoding.EncodeToString([]byte(key)), true},
		"base64url key":         {base64.RawURLEncoding.EncodeToString([]byte(key)), true},
		"public key":            {"-----BEGIN PUBLIC KEY-----\nFAKE\n-----END PUBLIC KEY-----", false},
		"certificate":           {"-----BEGIN CERTIFICATE-----\nFAKE\n-----END CERTIFICATE-----", false},
		"private_key_id only":   {`{"type":"service_account","private_key_id":"abc"}`, false},
		"word private_key":      {"set private_key in Secret Manager", false},
		"plain":                 {"gs://etl-temp/tmp", false},
		"long path":             {"projects/etl-prod-1234/locations/europe-west1/keyRings/etl/cryptoKeys/dataflow-state", false},
		"base64 of text":        {base64.StdEncoding.EncodeToString([]byte("just some harmless configuration text, nothing to see")), false},
		"json without key":      {`{"a":"b","c":["d"]}`, false},
		"empty":                 {"", false},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, HoldsCredential(tc.in))
		})
	}
}

func TestClassifyCredentials(t *testing.T) {
	key := fakeKeyJSON(t)
	impersonatedKey, _ := json.Marshal(map[string]any{
		"type": "impersonated_service_account", "service_account_impersonation_url": "https://example",
		"source_credentials": json.RawMessage(key),
	})
	impersonatedUser := `{"type":"impersonated_service_account","source_credentials":{"type":"authorized_user","client_id":"x","refresh_token":"y"}}`
	for name, tc := range map[string]struct {
		in   string
		want CredentialKind
	}{
		"service account key":               {key, CredentialServiceAccountKey},
		"service_account without key":       {`{"type":"service_account","client_email":"x@y"}`, CredentialServiceAccountKey},
		"gdch":                              {`{"type":"gdch_service_account"}`, CredentialServiceAccountKey},
		"private_key without type":          {`{"private_key":"x"}`, CredentialServiceAccountKey},
		"external account with key":         {`{"type":"external_account","private_key":"x"}`, CredentialServiceAccountKey},
		"impersonation from key":            {string(impersonatedKey), CredentialServiceAccountKey},
		"impersonation from user":           {impersonatedUser, CredentialUserRefreshToken},
		"impersonation from user, no token": {`{"type":"impersonated_service_account","source_credentials":{"type":"authorized_user","client_id":"x"}}`, CredentialUserRefreshToken},
		"impersonation from ambient":        {`{"type":"impersonated_service_account","service_account_impersonation_url":"https://example"}`, CredentialOther},
		"external account":                  {externalAccount, CredentialFederated},
		"workforce":                         {`{"type":"external_account_authorized_user","refresh_token":"x"}`, CredentialFederated},
		"authorized user":                   {`{"type":"authorized_user","client_id":"x","refresh_token":"y"}`, CredentialUserRefreshToken},
		"authorized user base64":            {base64.StdEncoding.EncodeToString([]byte(`{"type":"authorized_user","client_id":"x","client_secret":"s","refresh_token":"1//0abcdefghijklmnop"}`)), CredentialUserRefreshToken},
		"broken json with key":              {`{"type":"service_account","private_key":"` + "-----BEGIN PRIVATE KEY-----", CredentialServiceAccountKey},
		"broken json":                       {`{"type":`, CredentialMalformed},
		"json array":                        {`["x"]`, CredentialMalformed},
		"external account, padded spaces":   {"  \n" + externalAccount + "\n", CredentialFederated},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, ClassifyCredentials(tc.in))
		})
	}
}

func TestJudgeCredentials(t *testing.T) {
	files := map[string]string{"key.json": fakeKeyJSON(t), "wif.json": externalAccount}
	var read []string
	readFile := func(path string) ([]byte, error) {
		read = append(read, path)
		if content, ok := files[path]; ok {
			return []byte(content), nil
		}
		return nil, errors.New("no such file")
	}

	assert.Equal(t, CredentialVerdict{Kind: CredentialServiceAccountKey}, JudgeCredentials(fakeKeyJSON(t), readFile))
	assert.Equal(t, CredentialVerdict{Kind: CredentialFederated}, JudgeCredentials(externalAccount, readFile))
	// A "path" that is itself key material is a key, whether or not a file exists.
	assert.Equal(t, CredentialVerdict{Kind: CredentialServiceAccountKey},
		JudgeCredentials(base64.StdEncoding.EncodeToString([]byte(fakeKeyJSON(t))), readFile))
	assert.Empty(t, read, "content is judged without reading a file")

	assert.Equal(t, CredentialVerdict{Kind: CredentialServiceAccountKey, FromFile: true}, JudgeCredentials("key.json", readFile))
	assert.Equal(t, CredentialVerdict{Kind: CredentialFederated, FromFile: true}, JudgeCredentials("wif.json", readFile))
	assert.Equal(t, CredentialVerdict{Unreadable: true}, JudgeCredentials("missing.json", readFile))
	assert.Equal(t, CredentialVerdict{Unreadable: true}, JudgeCredentials("key.json", nil), "without file access nothing is read")
}

func TestEnvCredential(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	_, _, ok := EnvCredential(nil)
	assert.False(t, ok, "check has no environment")
	_, _, ok = EnvCredential(env(map[string]string{"GOOGLE_PROJECT": "x"}))
	assert.False(t, ok)

	name, value, ok := EnvCredential(env(map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "/k.json"}))
	assert.True(t, ok)
	assert.Equal(t, "GOOGLE_APPLICATION_CREDENTIALS", name)
	assert.Equal(t, "/k.json", value)

	name, _, _ = EnvCredential(env(map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "/k.json", "GOOGLE_CREDENTIALS": "{}"}))
	assert.Equal(t, "GOOGLE_CREDENTIALS", name, "the provider's own variables come before ADC")

	name, _, _ = EnvCredential(env(map[string]string{"GOOGLE_CREDENTIALS": " ", "GCLOUD_KEYFILE_JSON": "{}"}))
	assert.Equal(t, "GCLOUD_KEYFILE_JSON", name, "blank variables are skipped")
}
