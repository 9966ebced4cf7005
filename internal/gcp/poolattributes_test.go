package gcp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIssuerWideSource(t *testing.T) {
	github, _ := ParseIssuer("https://token.actions.githubusercontent.com")
	other, _ := ParseIssuer("https://idp.example.com")
	for _, c := range []struct {
		expr string
		iss  Issuer
		wide bool
	}{
		{"assertion.iss", other, true},
		{"assertion['aud']", other, true},
		{"'prod'", other, true},
		{"assertion.team", other, false},
		{"assertion.repository", github, false},
		{"assertion.repository_id", github, false},
		{"assertion.sub", github, false},
		{"assertion.ref", github, true},
		{"assertion.environment", github, true},
		{"assertion.repository + '/' + assertion.ref", github, false},
	} {
		_, wide := issuerWideSource(c.expr, c.iss)
		assert.Equal(t, c.wide, wide, c.expr)
	}
}
