package gcp

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/celcond"
)

// A principal set `.../workloadIdentityPools/POOL/attribute.NAME/VALUE` is
// every identity whose mapped attribute NAME equals VALUE
// (https://cloud.google.com/iam/docs/workload-identity-federation#mapping).
// Whether that is narrow depends on the provider's attributeMapping, which
// only the stack shows: an attribute mapped from a claim every token of the
// issuer carries alike (iss, aud) or from a constant is the whole pool by
// another spelling.

// PoolAttributeMapping is how one provider of the stack that may belong to a
// principal set's pool maps the attribute the set selects by.
type PoolAttributeMapping struct {
	Provider *Resource
	// Expr is the attributeMapping entry (absent when the provider does not
	// map the attribute; unknown while the mapping is not known).
	Expr Value
	// Wide is set when the attribute takes one value for every token the
	// provider accepts; Source then says from what (`assertion.iss`, a
	// constant).
	Wide   bool
	Source string
}

// SelectedAttribute returns NAME when a pool principal set selects by
// `attribute.NAME/VALUE`.
func SelectedAttribute(p *PoolPrincipal) (string, bool) {
	if p == nil || p.Workforce || p.Kubernetes {
		return "", false
	}
	rest, ok := strings.CutPrefix(p.Selector, "attribute.")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "/")
	return name, ok && name != ""
}

// PoolAttributeMappings returns the mapping of the attribute a principal set
// selects by in every workload identity pool provider of the stack that may
// be its pool's (same pool ID, project the same or not known to differ).
// Providers not in the stack cannot be judged: none is returned for them.
func (s *Stack) PoolAttributeMappings(p *PoolPrincipal) []PoolAttributeMapping {
	name, ok := SelectedAttribute(p)
	if !ok {
		return nil
	}
	want := poolRefOf(p)
	same := &poolClassifier{s: s}
	var out []PoolAttributeMapping
	for _, r := range s.OfType(WorkloadIdentityPoolProviderResource) {
		ref, known := resourcePool(r)
		if known && (ref.id != want.id || same.sameProject(ref.project, want.project) == No) {
			continue
		}
		mapping := r.Get("attributeMapping")
		m := PoolAttributeMapping{Provider: r, Expr: mapping}
		if !mapping.IsUnknown() {
			m.Expr = Value{}
			for _, e := range mapping.Entries() {
				if strings.EqualFold(strings.TrimSpace(e.Key), "attribute."+name) {
					m.Expr = e.Value
				}
			}
		}
		if expr, ok := m.Expr.String(); ok {
			m.Source, m.Wide = issuerWideSource(expr, providerIssuer(r))
		}
		out = append(out, m)
	}
	return out
}

func providerIssuer(r *Resource) Issuer {
	iss, _ := ParseIssuer(r.Get("oidc").Get("issuerUri").Str())
	return iss
}

// issuerWideClaims are claims every token of an issuer accepted by one
// provider carries alike: the issuer, and the audience the provider
// requires.
var issuerWideClaims = map[string]bool{"iss": true, "aud": true}

// identifyingClaims are, for the CI issuers whose claims are documented, the
// claims that name a repository or project, its owner, a subject or a
// workflow of one repository; any other claim of theirs (ref, event_name,
// environment, runner_environment, ...) is shared by every repository the
// pool admits.
var identifyingClaims = map[string]map[string]bool{
	// https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
	"github": {"sub": true, "repository": true, "repository_id": true, "repository_owner": true,
		"repository_owner_id": true, "job_workflow_ref": true, "workflow_ref": true, "actor": true, "actor_id": true},
	// https://docs.gitlab.com/ee/ci/secrets/id_token_authentication.html
	"gitlab": {"sub": true, "project_path": true, "project_id": true, "namespace_path": true, "namespace_id": true,
		"ci_config_ref_uri": true, "user_login": true, "user_id": true, "user_email": true},
}

func issuerFamily(iss Issuer) string {
	switch {
	case iss.Host == GitHubActionsIssuerHost:
		return "github"
	case iss.Normalized == GitLabIssuer:
		return "gitlab"
	}
	return ""
}

// issuerWideSource says whether a mapping expression gives one value for
// every token of the issuer: a claim in issuerWideClaims, for GitHub and
// GitLab any claim that identifies no repository, project or subject, or an
// expression that reads no claim at all. An expression over several claims
// is not judged.
func issuerWideSource(expr string, iss Issuer) (source string, wide bool) {
	if claim, ok := MappedClaim(expr); ok {
		if issuerWideClaims[claim] {
			return "assertion." + claim, true
		}
		if ids := identifyingClaims[issuerFamily(iss)]; ids != nil && !ids[claim] {
			return "assertion." + claim, true
		}
		return "", false
	}
	if _, ok := celcond.Reference(expr); !ok && !strings.Contains(expr, "assertion") && strings.TrimSpace(expr) != "" {
		return "the constant " + strings.TrimSpace(expr), true
	}
	return "", false
}
