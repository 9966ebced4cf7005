package gcp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CredentialKind classifies a Google credential configuration.
type CredentialKind uint8

const (
	// CredentialOther is valid credentials JSON that holds no key: an
	// authorized_user refresh token, an impersonated_service_account
	// configuration whose source is not a key, and so on.
	CredentialOther CredentialKind = iota
	// CredentialServiceAccountKey is a service account key: JSON of type
	// service_account (or gdch_service_account), or anything holding a
	// private_key field or a PEM private key, at any depth.
	CredentialServiceAccountKey
	// CredentialFederated is a workload or workforce identity federation
	// configuration: type external_account or
	// external_account_authorized_user, without key material.
	CredentialFederated
	// CredentialMalformed is text that is not a JSON object and holds no
	// recognisable key material.
	CredentialMalformed
)

func (k CredentialKind) String() string {
	switch k {
	case CredentialServiceAccountKey:
		return "service account key"
	case CredentialFederated:
		return "federated credential configuration"
	case CredentialMalformed:
		return "malformed credentials"
	}
	return "credentials without a key"
}

var (
	// privateKeyPEM matches the armour line of any PEM or PGP private key:
	// PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, ENCRYPTED PRIVATE KEY,
	// OPENSSH PRIVATE KEY, PGP PRIVATE KEY BLOCK.
	privateKeyPEM = lazyRegexp(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	// privateKeyField matches a `"private_key":` member, also when the JSON
	// is itself escaped inside a string (`\"private_key\":`) or written
	// with single quotes.
	privateKeyField = lazyRegexp(`\\*["']private_key\\*["']\s*:`)
	base64Text      = lazyRegexp(`^[A-Za-z0-9+/_-]+={0,2}$`)
)

// maxNesting bounds how deep HoldsKeyMaterial follows JSON strings and
// base64 inside one another.
const maxNesting = 4

// HoldsKeyMaterial reports whether a string holds private key material: a
// PEM private key, or a JSON `private_key` member (which every service
// account key file has). It looks inside strings that are themselves JSON
// (at any depth of escaping) and inside base64 text, which is how key files
// are usually smuggled into parameters.
func HoldsKeyMaterial(s string) bool { return holdsKey(s, 0) }

func holdsKey(s string, depth int) bool {
	// Each pattern needs its literal: most strings are ruled out without
	// running either.
	if (strings.Contains(s, "-----BEGIN ") && privateKeyPEM().MatchString(s)) ||
		(strings.Contains(s, "private_key") && privateKeyField().MatchString(s)) {
		return true
	}
	if depth >= maxNesting {
		return false
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return false
	}
	switch t[0] {
	case '{', '[', '"':
		var doc any
		if json.Unmarshal([]byte(t), &doc) == nil && jsonHoldsKey(doc, depth+1, false) {
			return true
		}
	}
	// `--option=value` entries of additionalPipelineOptions.
	if _, value, found := strings.Cut(t, "="); found && strings.HasPrefix(t, "-") {
		if holdsKey(value, depth+1) {
			return true
		}
	}
	if decoded, ok := decodeBase64(t); ok {
		return holdsKey(decoded, depth+1)
	}
	return false
}

// jsonHoldsKey walks a decoded JSON document for a private_key member (or,
// with typed, a service account type) and for strings holding key material.
func jsonHoldsKey(doc any, depth int, typed bool) bool {
	switch x := doc.(type) {
	case map[string]any:
		if _, ok := x["private_key"]; ok {
			return true
		}
		if typed {
			if t, ok := x["type"].(string); ok && isServiceAccountType(t) {
				return true
			}
		}
		for _, e := range x {
			if jsonHoldsKey(e, depth, typed) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if jsonHoldsKey(e, depth, typed) {
				return true
			}
		}
	case string:
		return holdsKey(x, depth)
	}
	return false
}

func isServiceAccountType(t string) bool {
	switch strings.TrimSpace(t) {
	case "service_account", "gdch_service_account":
		return true
	}
	return false
}

// decodeBase64 decodes text that is plausibly base64 of a key file: long
// enough, of the base64 alphabet once whitespace is removed.
func decodeBase64(s string) (string, bool) {
	if len(s) < 64 { // removing whitespace only makes it shorter
		return "", false
	}
	s = strings.Join(strings.Fields(s), "")
	if len(s) < 64 || !base64Text().MatchString(s) {
		return "", false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), true
		}
	}
	return "", false
}

// IsCredentialJSON reports whether a credentials value is JSON content (it
// starts with `{`) rather than a file path.
func IsCredentialJSON(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), "{")
}

// ClassifyCredentials classifies the content of a credentials value or
// file. Key material anywhere (a private_key member, a service_account type
// at any depth, such as the source of an impersonated_service_account
// configuration, or a PEM private key) makes it a key, whatever its
// top-level type says.
func ClassifyCredentials(content string) CredentialKind {
	var doc any
	if err := json.Unmarshal([]byte(strings.TrimSpace(content)), &doc); err != nil {
		if HoldsKeyMaterial(content) {
			return CredentialServiceAccountKey
		}
		return CredentialMalformed
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		if HoldsKeyMaterial(content) {
			return CredentialServiceAccountKey
		}
		return CredentialMalformed
	}
	if jsonHoldsKey(obj, 0, true) || HoldsKeyMaterial(content) {
		return CredentialServiceAccountKey
	}
	switch t, _ := obj["type"].(string); strings.TrimSpace(t) {
	case "external_account", "external_account_authorized_user":
		return CredentialFederated
	}
	return CredentialOther
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
// read and classified. A "path" that itself holds key material (a PEM key,
// base64 of a key file) is a key without reading anything.
func JudgeCredentials(value string) CredentialVerdict {
	if IsCredentialJSON(value) {
		return CredentialVerdict{Kind: ClassifyCredentials(value)}
	}
	if HoldsKeyMaterial(value) {
		return CredentialVerdict{Kind: CredentialServiceAccountKey}
	}
	content, err := ReadCredentialFile(value)
	if err != nil {
		return CredentialVerdict{Unreadable: true}
	}
	return CredentialVerdict{Kind: ClassifyCredentials(string(content)), FromFile: true}
}

// maxCredentialFile bounds how much of a credentials file is read; key
// files are a few kilobytes.
const maxCredentialFile = 1 << 20

// ReadCredentialFile reads a credentials file as the provider would: a
// leading `~` is the home directory and a relative path is resolved against
// the working directory. Only regular files are read (never a FIFO or a
// device that could block or never end).
func ReadCredentialFile(path string) ([]byte, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return nil, errors.New("empty path")
	}
	if path == "~" || strings.HasPrefix(path, "~/") || strings.HasPrefix(path, `~\`) {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(home, path[1:])
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxCredentialFile))
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
