package gcp

import "strings"

// credentialFieldSuffixes end the names of properties and parameters that
// hold a credential: passwords, tokens, private and API keys, client and
// shared secrets, credentials files (pulumi-gcp's own secret inputs such as
// password, rootPassword, privateKey, accessToken, clientSecret,
// sharedSecret, secretData, and a Dataflow template's jdbcPassword or
// apiToken parameters). Compared case-insensitively, without _ and -.
var credentialFieldSuffixes = []string{
	"password", "passwd", "passphrase",
	"token",
	"privatekey", "apikey", "accesskey", "secretkey", "signingkey", "hmackey",
	"secret", "secretdata", "secretvalue",
	"credential", "credentials",
	"keyvalue", "keystring", "authstring",
}

// credentialFieldNames are whole names that hold a credential but end in
// nothing the suffixes know.
var credentialFieldNames = []string{"pwd"}

// credentialReferencePrefixes start names that end like a credential but
// hold the name of a Secret Manager secret or version that keeps it
// (secretManagerStoredPassword, secretVersionForClientSecret,
// credentialsSecret, kubernetesSecret): a resource name, not the secret.
var credentialReferencePrefixes = []string{"secretmanager", "secretversion", "credentialssecret", "kubernetessecret"}

// IsCredentialField reports whether a property or parameter named name
// holds a credential, by its name: secretData, jdbcPassword, client_secret,
// API_TOKEN, passwordWo (a write-only input) and the like. Names such as
// secretId, tokenUri or kmsKeyName, which name or locate one, do not count.
// It allocates nothing: the scrubber asks it of every key of a stack.
func IsCredentialField(name string) bool {
	if len(name) < 3 {
		return false
	}
	if rest, ok := cutFoldSuffix(name, "wo"); ok && isCredentialName(rest) {
		return true // pulumi-gcp's write-only twins: passwordWo, secretDataWo
	}
	return isCredentialName(name)
}

func isCredentialName(name string) bool {
	for _, p := range credentialReferencePrefixes {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return false
		}
	}
	for _, n := range credentialFieldNames {
		if rest, ok := cutFoldSuffix(name, n); ok && rest == "" {
			return true
		}
	}
	for _, suffix := range credentialFieldSuffixes {
		if _, ok := cutFoldSuffix(name, suffix); ok {
			return true
		}
	}
	return false
}

// cutFoldSuffix removes suffix (lowercase ASCII) from the end of name,
// ignoring case and any _ or - in name, and returns what comes before it
// without the separators next to it.
func cutFoldSuffix(name, suffix string) (string, bool) {
	i := len(name)
	for j := len(suffix) - 1; j >= 0; j-- {
		for i > 0 && (name[i-1] == '_' || name[i-1] == '-') {
			i--
		}
		if i == 0 {
			return "", false
		}
		c := name[i-1]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[j] {
			return "", false
		}
		i--
	}
	for i > 0 && (name[i-1] == '_' || name[i-1] == '-') {
		i--
	}
	return name[:i], true
}
