package gcp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsCredentialField(t *testing.T) {
	for _, name := range []string{
		"password", "rootPassword", "passwordWo", "jdbcPassword", "JDBC_PASSWORD", "passphrase", "pwd",
		"token", "accessToken", "refresh_token", "api-token", "privateKey", "private_key", "apiKey",
		"secretAccessKey", "clientSecret", "client_secret", "sharedSecretWo", "secret", "secretData",
		"secretDataWo", "credentials", "serviceAccountCredentials", "keyValue", "authString",
	} {
		assert.True(t, IsCredentialField(name), name)
	}
	for _, name := range []string{
		"", "key", "name", "secretId", "tokenUri", "kmsKeyName", "keyRing", "labels", "serviceAccountEmail",
		"secretManagerStoredPassword", "secretVersionForClientSecret", "credentialsSecret", "kubernetesSecret",
		"wo", "publicKey",
	} {
		assert.False(t, IsCredentialField(name), name)
	}
}
