package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/celcond"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type wifConditionConfig struct {
	GitLabIssuers []string `json:"gitlabIssuers"`
	gitlab        []string // normalised, gitlab.com included
}

// Validate normalises the GitLab issuers once per configuration.
func (c *wifConditionConfig) Validate() error {
	gl, _ := gcp.ParseIssuer(gcp.GitLabIssuer)
	c.gitlab = []string{gl.Normalized}
	for _, iss := range c.GitLabIssuers {
		parsed, ok := gcp.ParseIssuer(iss)
		if !ok {
			return fmt.Errorf("gitlabIssuers: %q is not an absolute URL", iss)
		}
		c.gitlab = append(c.gitlab, parsed.Normalized)
	}
	return nil
}

// wifIssuerKind is which CI system a provider's issuer belongs to.
type wifIssuerKind uint8

const (
	wifIssuerOther wifIssuerKind = iota
	wifIssuerGitHub
	wifIssuerGitLab
)

// WIFProviderAttributeCondition requires every workload identity pool
// provider to carry a restrictive attribute condition that, for GitHub and
// GitLab, pins the repository owner or project, and to map google.subject.
func WIFProviderAttributeCondition() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "wif-provider-attribute-condition",
		Title: "Workload identity pool providers only accept tokens of your own repositories",
		Description: "GitHub and GitLab issue tokens from one issuer for every repository in the world: without an " +
			"attribute condition that pins your owner or project, any repository can obtain your pool's " +
			"credentials. Every provider must have an attributeCondition that references a claim " +
			"(assertion.*, attribute.* or google.*) and is not a constant such as `true` or `1 == 1`. For the " +
			"GitHub issuer (host token.actions.githubusercontent.com) it must constrain repository_owner_id, " +
			"repository_id, repository_owner or repository (or assertion.sub against a `repo:OWNER/REPO...` " +
			"value); for GitLab (https://gitlab.com or an issuer in gitlabIssuers) namespace_id, project_id, " +
			"namespace_path or project_path (or assertion.sub against `project_path:GROUP/PROJECT...`). How " +
			"conditions are read: attributeCondition is CEL, so it is parsed by cel-go's parser (comments, every string " +
			"literal form and escape mean what they mean to Google) and brought into negation normal form. A claim " +
			"is pinned when every way the condition can evaluate to true requires comparing it with non-empty " +
			"literals: `==`, `in [...]`, a `matches` anchored at both ends (`'^acme/(etl|infra)$'`), or for path " +
			"claims and sub `.startsWith('OWNER/')` or `matches('^OWNER/')`; `? :` is read as (c && a) || (!c && b) " +
			"and `!` is pushed into the comparisons. `!=`, negated comparisons, endsWith, unanchored or " +
			"case-insensitive regular expressions, has() and macros never pin, nor does an `||` with an unpinned " +
			"branch, and a condition that can be true without reading any claim is not restrictive. An attribute.X claim " +
			"counts when attributeMapping maps it from exactly assertion.Y. Name claims pass, but the immutable " +
			"repository_owner_id / repository_id (GitLab namespace_id / project_id) are recommended: a deleted " +
			"owner or repository name can be registered again by someone else. attributeMapping must map " +
			"google.subject (an AWS provider may rely on the default mapping).",
		Remediation: "Set attributeCondition to pin your owner and repository by their immutable IDs, for GitHub " +
			"`assertion.repository_owner_id == '1342004' && assertion.repository_id == '260064828'` (add " +
			"`&& assertion.ref == 'refs/heads/main'` to restrict branches), for GitLab " +
			"`assertion.namespace_id == '4242'`, and map google.subject (for example google.subject = " +
			"assertion.sub) in attributeMapping.",
		URL:      "https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions",
		Severity: policy.Critical,
		Level:    policy.Mandatory,
		Family:   policy.FamilyOIDCFederation,
		Types:    []string{gcp.WorkloadIdentityPoolProvider},
		ConfigSchema: `{"type":"object","properties":{
			"gitlabIssuers":{"type":"array","items":{"type":"string","format":"uri","pattern":"^https://[^/?#]+"},"uniqueItems":true,"default":[],
				"description":"Issuer URIs (https://host[/path]) of self-managed GitLab instances, held to the same rule as https://gitlab.com."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *wifConditionConfig) {
		mapping := r.Get("attributeMapping")
		checkSubjectMapping(c, r, mapping)

		cond := r.Get("attributeCondition")
		switch cond.State() {
		case gcp.Unknown:
			c.Unknown(cond.Path())
			return
		case gcp.Absent:
			c.Violation(cond.Path(), "is not set, so every token of the issuer is accepted (for GitHub or GitLab, any repository in the world); set a condition that pins your repository owner, ideally assertion.repository_owner_id")
			return
		}
		expr, ok := cond.String()
		if !ok || strings.TrimSpace(expr) == "" {
			c.Violation(cond.Path(), "is empty, so every token of the issuer is accepted; set a condition that pins your repository owner, ideally assertion.repository_owner_id")
			return
		}
		parsed, err := celcond.Parse(expr)
		if err != nil {
			c.Violation(cond.Path(), "cannot be analysed (%v); write it as claim comparisons joined by &&", err)
			return
		}
		readsClaim := func(a celcond.Atom) bool { return a.ReadsAny("assertion", "attribute", "google") }
		if !parsed.Requires(readsClaim) {
			c.Violation(cond.Path(), "%s does not restrict which tokens are accepted (it references no claim, is a tautology, or has an || branch that does not); compare claims with specific values, joined by &&", cond.Display())
			return
		}

		kind, known := wifIssuer(r, cfg)
		// constrained is true, false, or (undecided) unknown while the
		// mapping of an attribute the condition relies on is unknown.
		constrained := func(pred func(string, celcond.Atom) bool) gcp.State {
			check := func(optimistic bool) bool {
				return parsed.Requires(func(cmp celcond.Atom) bool {
					if cmp.Op == celcond.Other || !gcp.IsClaimRef(cmp.Ref) {
						return false
					}
					claim, state := wifResolveClaim(cmp.Ref, mapping)
					switch state {
					case gcp.Unknown:
						return optimistic
					case gcp.Absent:
						return false
					}
					return pred(claim, cmp)
				})
			}
			switch {
			case check(false):
				return gcp.Set
			case check(true):
				return gcp.Unknown
			}
			return gcp.Absent
		}
		for _, want := range []struct {
			kind wifIssuerKind
			pred func(string, celcond.Atom) bool
			msg  string
		}{
			{wifIssuerGitHub, gcp.GitHubRepositoryConstraint, "does not pin a GitHub repository owner or repository, so any repository's workflow can use this pool; constrain assertion.repository_owner_id (and assertion.repository_id), the immutable IDs, or at least repository_owner / repository, with == in every || branch and outside any negation"},
			{wifIssuerGitLab, gcp.GitLabProjectConstraint, "does not pin a GitLab namespace or project, so any project's pipeline can use this pool; constrain assertion.namespace_id (and assertion.project_id), the immutable IDs, or at least namespace_path / project_path, with == in every || branch and outside any negation"},
		} {
			if known && kind != want.kind {
				continue
			}
			switch constrained(want.pred) {
			case gcp.Set:
			case gcp.Unknown:
				c.Unknown(mapping.Path())
			default:
				if known {
					c.Violation(cond.Path(), "%s", want.msg)
				} else {
					// Whether this matters depends on the issuer.
					c.Unknown(r.At("oidc", "issuerUri").Path())
				}
			}
		}
	})
}

// checkSubjectMapping requires attributeMapping to map google.subject; an
// AWS provider without a mapping gets Google's default one, which does.
func checkSubjectMapping(c *policy.Call, r *gcp.Resource, mapping gcp.Value) {
	switch mapping.State() {
	case gcp.Unknown:
		c.Unknown(mapping.Path())
		return
	case gcp.Absent:
		if aws := r.Get("aws"); aws.IsSet() {
			return
		}
		c.Violation(mapping.Path(), "is not set; map google.subject (for example to assertion.sub) so federated identities have a subject")
		return
	}
	subject := mapping.Get("google.subject")
	switch subject.State() {
	case gcp.Unknown:
		c.Unknown(subject.Path())
	case gcp.Absent:
		c.Violation(mapping.Path(), "does not map google.subject; map it (for example to assertion.sub) so federated identities have a subject")
	default:
		if s, ok := subject.String(); !ok || strings.TrimSpace(s) == "" {
			c.Violation(subject.Path(), "is empty; map google.subject to a claim such as assertion.sub")
		}
	}
}

// wifIssuer says whether the provider trusts GitHub Actions, GitLab or
// something else; known is false when the issuer is not known yet.
func wifIssuer(r *gcp.Resource, cfg *wifConditionConfig) (kind wifIssuerKind, known bool) {
	oidc := r.Get("oidc")
	if oidc.IsUnknown() {
		return wifIssuerOther, false
	}
	issuer := oidc.Get("issuerUri")
	if issuer.IsUnknown() {
		return wifIssuerOther, false
	}
	s, _ := issuer.String()
	parsed, ok := gcp.ParseIssuer(s)
	switch {
	case !ok:
		return wifIssuerOther, true
	case parsed.Host == gcp.GitHubActionsIssuerHost:
		return wifIssuerGitHub, true
	case slices.Contains(cfg.gitlab, parsed.Normalized):
		return wifIssuerGitLab, true
	}
	return wifIssuerOther, true
}

// wifResolveClaim returns the token claim a condition reference reads:
// assertion.X is X; attribute.X and google.X are the claim their mapping
// reads when it is exactly assertion.Y. State is Unknown when that depends
// on a mapping not known yet, Absent when the reference reads no single
// claim.
func wifResolveClaim(ref string, mapping gcp.Value) (string, gcp.State) {
	if claim, ok := strings.CutPrefix(ref, "assertion."); ok {
		return claim, gcp.Set
	}
	if mapping.IsUnknown() {
		return "", gcp.Unknown
	}
	expr := mapping.Get(ref)
	switch expr.State() {
	case gcp.Unknown:
		return "", gcp.Unknown
	case gcp.Absent:
		return "", gcp.Absent
	}
	s, _ := expr.String()
	if claim, ok := gcp.MappedClaim(s); ok {
		return claim, gcp.Set
	}
	return "", gcp.Absent
}
