package gcp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestConditionRestrictive(t *testing.T) {
	for expr, want := range map[string]bool{
		"assertion.repository_owner == 'acme'":           true,
		"attribute.repository == 'acme/etl'":             true,
		"google.subject == 'x'":                          true,
		"'acme' in assertion.groups":                     true,
		"assertion.sub != ''":                            true,
		"true":                                           false,
		"1 == 1":                                         false,
		`"a" == "a"`:                                     false,
		"'assertion.sub' == 'assertion.sub'":             false,
		"assertion.sub == assertion.sub":                 false,
		"true || assertion.repository_owner == 'acme'":   false,
		"assertion.repository_owner == 'acme' || 1 == 1": false,
		"(assertion.repository_owner == 'acme') && true": true,
		"!(true)": false,
		"assertion.repository_owner == 'acme' && (true || false)": true,
		"(assertion.a == 'x' || assertion.b == 'y') && 2 > 1":     true,
		"has(assertion.sub)":                                        true,
		"assertion.sub == 'a' ? true : true":                        true,
		"assertion['repository_owner'] == \"acme\"":                 true,
		"size('x') > 0 && (false || assertion.sub.startsWith('a'))": false,
	} {
		c, err := ParseCondition(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, c.Restrictive(), expr)
	}
}

func TestParseConditionErrors(t *testing.T) {
	for _, bad := range []string{"", "   ", "(assertion.sub == 'x'", "assertion.sub == 'x", "assertion.sub == 'x')", "a && ", "|| a", "a # b"} {
		_, err := ParseCondition(bad)
		assert.Error(t, err, bad)
	}
}

// githubConstrained resolves only assertion.* references (the policy adds
// the attribute mapping).
func githubConstrained(t *testing.T, expr string) bool {
	t.Helper()
	c, err := ParseCondition(expr)
	require.NoError(t, err, expr)
	return c.Constrains(func(cmp Comparison) bool {
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
		"assertion.repository.matches('^acme/')":                                                       false,
		"assertion.ref == 'refs/heads/main'":                                                           false,
		"assertion.repository in []":                                                                   false,
		"assertion.repository in ['acme/etl', '']":                                                     false,
		"assertion.repository == 'acme/etl' ? true : false":                                            false,
		"'acme/etl' == 'acme/etl' && assertion.repository_visibility == 'private'":                     false,
		"assertion.job_workflow_ref == 'acme/wf/.github/workflows/deploy.yml@refs/heads/main'":         false,
		"assertion.actor == 'octocat' && (assertion.repository_owner == 'acme' || assertion.x == 'y')": false,
	} {
		assert.Equal(t, want, githubConstrained(t, expr), expr)
	}
}

func TestGitLabProjectConstraint(t *testing.T) {
	ok := func(claim string, cmp Comparison) bool { return GitLabProjectConstraint(claim, cmp) }
	assert.True(t, ok("namespace_id", Comparison{Op: "==", Values: []string{"4242"}}))
	assert.True(t, ok("project_path", Comparison{Op: "==", Values: []string{"acme/etl"}}))
	assert.True(t, ok("namespace_path", Comparison{Op: "startsWith", Values: []string{"acme/"}}))
	assert.True(t, ok("sub", Comparison{Op: "==", Values: []string{"project_path:acme/etl:ref_type:branch:ref:main"}}))
	assert.True(t, ok("sub", Comparison{Op: "startsWith", Values: []string{"project_path:acme/"}}))
	assert.False(t, ok("sub", Comparison{Op: "==", Values: []string{"repo:acme/etl"}}))
	assert.False(t, ok("repository_owner", Comparison{Op: "==", Values: []string{"acme"}}))
	assert.False(t, ok("project_id", Comparison{Op: "startsWith", Values: []string{"1"}}))
	assert.False(t, ok("namespace_path", Comparison{Op: "startsWith", Values: []string{"acme"}}))
}

func TestMappedClaim(t *testing.T) {
	for expr, want := range map[string]string{
		"assertion.repository":            "repository",
		" assertion.repository_owner_id ": "repository_owner_id",
		"assertion['sub']":                "sub",
	} {
		got, ok := MappedClaim(expr)
		assert.True(t, ok, expr)
		assert.Equal(t, want, got, expr)
	}
	for _, expr := range []string{"assertion.repository + '/x'", "'assertion.sub'", "attribute.x", "assertion.sub.startsWith('x')", ""} {
		_, ok := MappedClaim(expr)
		assert.False(t, ok, expr)
	}
}

func TestComparisonsOutsideNegations(t *testing.T) {
	c, err := ParseCondition("assertion.a == 'x' && !(assertion.b == 'n') && assertion.b in ['y', \"z\"] && assertion.c.startsWith(r'p\\q') && assertion.d != 'e'")
	require.NoError(t, err)
	var seen []Comparison
	c.Constrains(func(cmp Comparison) bool { seen = append(seen, cmp); return false })
	assert.Equal(t, []Comparison{
		{Ref: "assertion.a", Op: "==", Values: []string{"x"}},
		{Ref: "assertion.b", Op: "in", Values: []string{"y", "z"}},
		{Ref: "assertion.c", Op: "startsWith", Values: []string{`p\q`}},
	}, seen)
}
