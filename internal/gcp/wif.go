package gcp

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/celcond"
)

// WorkloadIdentityPoolProvider is the type token of a workload identity pool
// provider.
const WorkloadIdentityPoolProvider = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"

// WIFProtocols are the identity provider blocks of a workload identity pool
// provider, in SDK declaration order.
var WIFProtocols = []string{"aws", "oidc", "saml", "x509"}

// Well-known OIDC issuers.
const (
	GitHubActionsIssuerHost = "token.actions.githubusercontent.com"
	GitLabIssuer            = "https://gitlab.com"
)

// Issuer is a parsed OIDC issuer URI.
type Issuer struct {
	// Normalized is the URI with scheme and host lowercased and one
	// trailing slash removed: the form issuers are compared in.
	Normalized string
	Scheme     string // lowercased
	Host       string // lowercased, with any port
}

// ParseIssuer parses an issuer URI. ok is false when it is not an absolute
// URL with a host.
func ParseIssuer(uri string) (Issuer, bool) {
	s := strings.TrimSpace(uri)
	scheme, rest, found := strings.Cut(s, "://")
	if !found || scheme == "" {
		return Issuer{}, false
	}
	if _, err := url.Parse(s); err != nil {
		return Issuer{}, false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := strings.ToLower(rest[:end]), rest[end:]
	if authority == "" {
		return Issuer{}, false
	}
	tail = strings.TrimSuffix(tail, "/")
	scheme = strings.ToLower(scheme)
	host := authority
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	return Issuer{Normalized: scheme + "://" + authority + tail, Scheme: scheme, Host: host}, true
}

// NormalizeIssuers parses a configured list of issuer URIs into their
// normalised forms; property names the list in the error.
func NormalizeIssuers(property string, uris []string) ([]string, error) {
	out := make([]string, 0, len(uris))
	for _, iss := range uris {
		parsed, ok := ParseIssuer(iss)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not an absolute URL", property, iss)
		}
		out = append(out, parsed.Normalized)
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Attribute conditions are CEL; internal/celcond reads them. What this file
// adds is which claim a reference reads and which comparisons pin a
// repository.

// IsClaimRef reports whether a reference reads a token claim or a mapped
// attribute.
func IsClaimRef(ref string) bool {
	root, _, _ := strings.Cut(ref, ".")
	switch root {
	case "assertion", "attribute", "google":
		return true
	}
	return false
}

// MappedClaim returns the claim X when an attribute mapping expression is
// exactly `assertion.X` (or `assertion['X']`, comments allowed).
func MappedClaim(expr string) (string, bool) {
	ref, ok := celcond.Reference(expr)
	if !ok {
		return "", false
	}
	return strings.CutPrefix(ref, "assertion.")
}

// ---------------------------------------------------------------------------
// Which claims pin a GitHub repository or a GitLab project.

var (
	githubRepoClaims = map[string]bool{"repository_owner_id": true, "repository_id": true, "repository_owner": true, "repository": true}
	gitlabRepoClaims = map[string]bool{"namespace_id": true, "project_id": true, "namespace_path": true, "project_path": true}
	// The default GitHub subject is `repo:OWNER/REPO:...`; a customised
	// one starts with one of the repository claims.
	githubSubExact  = lazyRegexp(`^repo:[^/:]+/[^/:]+|^(repository_owner_id|repository_id|repository_owner|repository):[^:]+`)
	githubSubPrefix = lazyRegexp(`^repo:[^/:]+/|^(repository_owner_id|repository_id|repository_owner|repository):[^:]+:`)
	// GitLab's subject is `project_path:GROUP/PROJECT:ref_type:...`.
	gitlabSubExact  = lazyRegexp(`^project_path:[^/:]+/[^:]+`)
	gitlabSubPrefix = lazyRegexp(`^project_path:[^/:]+/`)
	ownerPrefix     = lazyRegexp(`^[^/]+/`)
)

// GitHubRepositoryConstraint reports whether comparing claim (already
// resolved through the attribute mapping) as cmp pins the GitHub repository
// owner or repository: repository_owner_id, repository_id,
// repository_owner or repository equal to (or in a list of) non-empty
// literals; repository starting with `OWNER/`; or the subject equal to
// `repo:OWNER/REPO...` (or starting with `repo:OWNER/`).
func GitHubRepositoryConstraint(claim string, cmp celcond.Atom) bool {
	return repoConstraint(claim, cmp, githubRepoClaims, map[string]bool{"repository": true}, githubSubExact(), githubSubPrefix())
}

// GitLabProjectConstraint is GitHubRepositoryConstraint for GitLab:
// namespace_id, project_id, namespace_path or project_path, path claims
// starting with `GROUP/`, or the subject `project_path:GROUP/PROJECT...`.
func GitLabProjectConstraint(claim string, cmp celcond.Atom) bool {
	return repoConstraint(claim, cmp, gitlabRepoClaims, map[string]bool{"namespace_path": true, "project_path": true}, gitlabSubExact(), gitlabSubPrefix())
}

func repoConstraint(claim string, cmp celcond.Atom, claims, prefixClaims map[string]bool, subExact, subPrefix *regexp.Regexp) bool {
	if len(cmp.Values) == 0 {
		return false
	}
	for _, v := range cmp.Values {
		ok := false
		switch {
		case claims[claim] && cmp.Op == celcond.Equals:
			ok = strings.TrimSpace(v) != ""
		case claims[claim] && prefixClaims[claim] && cmp.Op == celcond.StartsWith:
			ok = ownerPrefix().MatchString(v)
		case claim == "sub" && cmp.Op == celcond.StartsWith:
			ok = subPrefix.MatchString(v)
		case claim == "sub" && cmp.Op == celcond.Equals:
			ok = subExact.MatchString(v)
		}
		if !ok {
			return false
		}
	}
	return true
}
