package gcp

import (
	"encoding/json"
	"strings"
)

// CredentialKind classifies a Google credential configuration.
type CredentialKind uint8

const (
	// CredentialOther is valid credentials JSON that holds no key and no
	// refresh token of a person: an impersonated_service_account
	// configuration whose source is ambient credentials, and so on.
	CredentialOther CredentialKind = iota
	// CredentialServiceAccountKey is a service account key: JSON of type
	// service_account (or gdch_service_account), or anything holding a
	// private_key field or private key material (FindCredential), at any
	// depth.
	CredentialServiceAccountKey
	// CredentialFederated is a workload or workforce identity federation
	// configuration: type external_account or
	// external_account_authorized_user, without key material.
	CredentialFederated
	// CredentialMalformed is text that is not a JSON object and holds no
	// recognisable key material.
	CredentialMalformed
	// CredentialUserRefreshToken is authorized_user credentials: a
	// person's OAuth refresh token and client secret (what `gcloud auth
	// application-default login` writes), valid until revoked, also as the
	// source of an impersonated_service_account configuration, which
	// carries the refresh token all the same.
	CredentialUserRefreshToken
)

func (k CredentialKind) String() string {
	switch k {
	case CredentialServiceAccountKey:
		return "service account key"
	case CredentialFederated:
		return "federated credential configuration"
	case CredentialMalformed:
		return "malformed credentials"
	case CredentialUserRefreshToken:
		return "a user's refresh token"
	}
	return "credentials without a key"
}

// typedServiceAccount reports whether a decoded credentials document names
// the service_account (or gdch_service_account) type at any depth, such as
// the source_credentials of an impersonated_service_account configuration.
func typedServiceAccount(doc any) bool {
	switch x := doc.(type) {
	case map[string]any:
		if t, ok := x["type"].(string); ok && IsServiceAccountType(t) {
			return true
		}
		for _, e := range x {
			if typedServiceAccount(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if typedServiceAccount(e) {
				return true
			}
		}
	}
	return false
}

// IsCredentialJSON reports whether a credentials value is JSON content (it
// starts with `{`) rather than a file path.
func IsCredentialJSON(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), "{")
}

// ClassifyCredentials classifies the content of a credentials value or
// file. Key material anywhere (FindCredential: a private_key member, a
// PEM, DER or PKCS#12 key in any encoding, a service_account type at any
// depth, such as the source of an impersonated_service_account
// configuration) makes it a key, whatever its top-level type says; a
// person's refresh token anywhere (authorized_user, also as the source of
// an impersonated_service_account configuration) makes it a user
// credential.
func ClassifyCredentials(content string) CredentialKind {
	found := FindCredential(content)
	if found.Kind.PrivateKey() {
		return CredentialServiceAccountKey
	}
	var doc any
	if err := json.Unmarshal([]byte(strings.TrimSpace(content)), &doc); err != nil {
		if found.Kind == KeyUserRefreshToken {
			return CredentialUserRefreshToken
		}
		return CredentialMalformed
	}
	obj, ok := doc.(map[string]any)
	switch {
	case !ok:
		return CredentialMalformed
	case typedServiceAccount(obj):
		return CredentialServiceAccountKey
	case found.Kind == KeyUserRefreshToken || hasUserSource(obj):
		return CredentialUserRefreshToken
	}
	switch t, _ := obj["type"].(string); strings.TrimSpace(t) {
	case "external_account", "external_account_authorized_user":
		return CredentialFederated
	}
	return CredentialOther
}

// hasUserSource reports whether credentials are, or impersonate from, an
// authorized_user configuration, even one whose refresh token is missing
// or not a string (the libraries then fail, but nothing shows it is not a
// person's credential).
func hasUserSource(obj map[string]any) bool {
	for depth := 0; depth < maxKeyNesting && obj != nil; depth++ {
		if t, _ := obj["type"].(string); strings.TrimSpace(t) == "authorized_user" {
			return true
		}
		obj, _ = obj["source_credentials"].(map[string]any)
	}
	return false
}

// CredentialVerdict is what a credentials value (content or path) turned
// out to be.
type CredentialVerdict struct {
	Kind CredentialKind
	// FromFile is set when the value was a path and the file was read.
	FromFile bool
	// Unreadable is set when the value is a path the pack cannot read; Kind
	// is then meaningless.
	Unreadable bool
}

// JudgeCredentials judges a credentials value the way the provider reads
// it: JSON content is classified directly; anything else is a file path,
// read with readFile (the policy call's file access, policy.Call.ReadFile:
// the model reads no file itself; nil reads none) and classified. A "path"
// that itself holds key material (a PEM key, base64 of a key file) or a
// refresh token is judged without reading anything.
func JudgeCredentials(value string, readFile func(path string) ([]byte, error)) CredentialVerdict {
	if IsCredentialJSON(value) {
		return CredentialVerdict{Kind: ClassifyCredentials(value)}
	}
	switch found := FindCredential(value); {
	case found.Kind.PrivateKey():
		return CredentialVerdict{Kind: CredentialServiceAccountKey}
	case found.Kind == KeyUserRefreshToken:
		return CredentialVerdict{Kind: CredentialUserRefreshToken}
	}
	if readFile == nil {
		return CredentialVerdict{Unreadable: true}
	}
	content, err := readFile(value)
	if err != nil {
		return CredentialVerdict{Unreadable: true}
	}
	return CredentialVerdict{Kind: ClassifyCredentials(string(content)), FromFile: true}
}

// The environment variables the gcp provider takes credentials from when
// its inputs name none, in the order it consults them: the provider's own
// `credentials` defaults (the three pulumi-gcp's provider/resources.go passes
// to tfbridge.ConfigStringValue in its pre-configure callback), then
// Application Default Credentials.
var credentialEnv = []string{"GOOGLE_CREDENTIALS", "GOOGLE_CLOUD_KEYFILE_JSON", "GCLOUD_KEYFILE_JSON", "GOOGLE_APPLICATION_CREDENTIALS"}

// EnvCredential returns the credentials a gcp provider without explicit
// credentials would pick up from env: the first non-empty of
// GOOGLE_CREDENTIALS, GOOGLE_CLOUD_KEYFILE_JSON and GCLOUD_KEYFILE_JSON (the
// provider's own defaults), else GOOGLE_APPLICATION_CREDENTIALS. ok is false
// when none is set (the provider then falls back to gcloud's application
// default credentials or the metadata server).
func EnvCredential(env func(string) (string, bool)) (name, value string, ok bool) {
	if env == nil {
		return "", "", false
	}
	for _, n := range credentialEnv {
		if v, set := env(n); set && strings.TrimSpace(v) != "" {
			return n, v, true
		}
	}
	return "", "", false
}
