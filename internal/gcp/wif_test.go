package gcp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/celcond"
)

func TestParseIssuer(t *testing.T) {
	for in, want := range map[string]string{
		"https://token.actions.githubusercontent.com":          "https://token.actions.githubusercontent.com",
		"https://token.actions.githubusercontent.com/":         "https://token.actions.githubusercontent.com",
		"HTTPS://Token.Actions.GithubUserContent.com/":         "https://token.actions.githubusercontent.com",
		" https://gitlab.com ":                                 "https://gitlab.com",
		"https://api.pulumi.com/oidc/":                         "https://api.pulumi.com/oidc",
		"https://api.pulumi.com/OIDC":                          "https://api.pulumi.com/OIDC",
		"https://token.actions.githubusercontent.com/acme-ent": "https://token.actions.githubusercontent.com/acme-ent",
		"http://gitlab.com":                                    "http://gitlab.com",
		"https://gitlab.example.com:8443/":                     "https://gitlab.example.com:8443",
	} {
		got, ok := ParseIssuer(in)
		require.True(t, ok, in)
		assert.Equal(t, want, got.Normalized, in)
	}
	iss, _ := ParseIssuer("https://User@GitLab.example.com:8443/x")
	assert.Equal(t, "gitlab.example.com:8443", iss.Host)
	assert.Equal(t, "https", iss.Scheme)
	for _, bad := range []string{"", "gitlab.com", "https://", "https:///path", "://x"} {
		_, ok := ParseIssuer(bad)
		assert.False(t, ok, bad)
	}
}

// githubConstrained resolves only assertion.* references (the policy adds
// the attribute mapping).
func githubConstrained(t *testing.T, expr string) bool {
	t.Helper()
	c, err := celcond.Parse(expr)
	require.NoError(t, err, expr)
	return c.Requires(func(cmp celcond.Atom) bool {
		claim, ok := cutAssertion(cmp.Ref)
		return ok && GitHubRepositoryConstraint(claim, cmp)
	})
}

func cutAssertion(ref string) (string, bool) {
	const p = "assertion."
	if len(ref) > len(p) && ref[:len(p)] == p {
		return ref[len(p):], true
	}
	return "", false
}

func TestGitHubRepositoryConstraint(t *testing.T) {
	for expr, want := range map[string]bool{
		"assertion.repository_owner_id == '1342004'":                                                   true,
		"assertion.repository_owner_id == '1342004' && assertion.repository_id == '260064828'":         true,
		"assertion.repository_id == 260064828":                                                         true,
		"'1342004' == assertion.repository_owner_id":                                                   true,
		"assertion.repository_owner == 'acme'":                                                         true,
		"assertion.repository == 'acme/etl' && assertion.ref == 'refs/heads/main'":                     true,
		"assertion.repository in ['acme/etl', 'acme/infra']":                                           true,
		"assertion.repository.startsWith('acme/')":                                                     true,
		"assertion['repository_owner'] == 'acme'":                                                      true,
		"assertion.sub == 'repo:acme/etl:ref:refs/heads/main'":                                         true,
		"assertion.sub.startsWith('repo:acme/')":                                                       true,
		"assertion.sub == 'repository_owner_id:1342004:repository_id:260064828'":                       true,
		"(assertion.repository == 'acme/etl' || assertion.repository == 'acme/infra') && true":         true,
		"assertion.repository_owner == 'acme' || assertion.repository_owner_id == '1342004'":           true,
		"assertion.repository_visibility == 'private'":                                                 false,
		"assertion.repository_owner != 'evil'":                                                         false,
		"!(assertion.repository_owner == 'acme')":                                                      false,
		"assertion.repository_owner == 'acme' || assertion.ref == 'refs/heads/main'":                   false,
		"assertion.repository_owner == 'acme' || true":                                                 false,
		"assertion.repository_owner == ''":                                                             false,
		"assertion.repository.startsWith('acme')":                                                      false,
		"assertion.repository_owner.startsWith('acme/')":                                               false,
		"assertion.sub.startsWith('repo:acme')":                                                        false,
		"assertion.sub == 'repo:acme'":                                                                 false,
		"assertion.sub.contains('acme')":                                                               false,
		"assertion.repository.matches('^acme/')":                                                       true,
		"assertion.repository.matches('acme/')":                                                        false,
		"assertion.ref == 'refs/heads/main'":                                                           false,
		"assertion.repository in []":                                                                   true, // accepts no token at all
		"assertion.repository in ['acme/etl', '']":                                                     false,
		"assertion.repository == 'acme/etl' ? true : false":                                            true,
		"assertion.repository == 'acme/etl' ? true : assertion.x == 'y'":                               false,
		"assertion.sub != '' // && assertion.repository_owner == 'acme'":                               false,
		"'acme/etl' == 'acme/etl' && assertion.repository_visibility == 'private'":                     false,
		"assertion.job_workflow_ref == 'acme/wf/.github/workflows/deploy.yml@refs/heads/main'":         false,
		"assertion.actor == 'octocat' && (assertion.repository_owner == 'acme' || assertion.x == 'y')": false,
	} {
		assert.Equal(t, want, githubConstrained(t, expr), expr)
	}
}

func TestGitLabProjectConstraint(t *testing.T) {
	ok := func(claim string, cmp celcond.Atom) bool { return GitLabProjectConstraint(claim, cmp) }
	assert.True(t, ok("namespace_id", celcond.Atom{Op: celcond.Equals, Values: []string{"4242"}}))
	assert.True(t, ok("project_path", celcond.Atom{Op: celcond.Equals, Values: []string{"acme/etl"}}))
	assert.True(t, ok("namespace_path", celcond.Atom{Op: celcond.StartsWith, Values: []string{"acme/"}}))
	assert.True(t, ok("sub", celcond.Atom{Op: celcond.Equals, Values: []string{"project_path:acme/etl:ref_type:branch:ref:main"}}))
	assert.True(t, ok("sub", celcond.Atom{Op: celcond.StartsWith, Values: []string{"project_path:acme/"}}))
	assert.False(t, ok("sub", celcond.Atom{Op: celcond.Equals, Values: []string{"repo:acme/etl"}}))
	assert.False(t, ok("repository_owner", celcond.Atom{Op: celcond.Equals, Values: []string{"acme"}}))
	assert.False(t, ok("project_id", celcond.Atom{Op: celcond.StartsWith, Values: []string{"1"}}))
	assert.False(t, ok("namespace_path", celcond.Atom{Op: celcond.StartsWith, Values: []string{"acme"}}))
}

func TestMappedClaim(t *testing.T) {
	for expr, want := range map[string]string{
		"assertion.repository":            "repository",
		" assertion.repository_owner_id ": "repository_owner_id",
		"assertion['sub']":                "sub",
		"assertion.sub // the subject":    "sub",
	} {
		got, ok := MappedClaim(expr)
		assert.True(t, ok, expr)
		assert.Equal(t, want, got, expr)
	}
	for _, expr := range []string{"assertion.repository + '/x'", "'assertion.sub'", "attribute.x", "assertion.sub.startsWith('x')", "", "// assertion.sub"} {
		_, ok := MappedClaim(expr)
		assert.False(t, ok, expr)
	}
}
