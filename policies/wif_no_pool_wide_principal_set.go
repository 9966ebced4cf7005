package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// WIFNoPoolWidePrincipalSet forbids grants to every identity of a workload
// or workforce pool, or to a wildcard attribute value.
func WIFNoPoolWidePrincipalSet() *policy.Policy {
	p := policy.Resource(policy.Meta{
		Name:  "wif-no-pool-wide-principal-set",
		Title: "No grant covers a whole identity pool",
		Description: "principalSet://.../workloadIdentityPools/POOL/* (or .../workforcePools/POOL/*) is every identity " +
			"the pool's providers accept, today and after any provider is added or its condition loosened: a " +
			"grant to it (typically roles/iam.workloadIdentityUser on a deployer service account) lets any " +
			"repository or user the pool admits act with that role. A `*` in the selector (a group or " +
			"attribute value) is the same mistake: IAM does not expand wildcards, so it is either dead or " +
			"intended to be broad. Every grant is checked: IAM members, bindings and policyData at every scope, " +
			"BigQuery dataset accesses and the eligible principals of Privileged Access Manager entitlements, " +
			"approval or not (" + docPAM + "), conditions included (a condition never exempts a grant), in every " +
			"spelling the principal model reads (https://cloud.google.com/iam/docs/principal-identifiers): any " +
			"prefix or segment case, surrounding whitespace, trailing slashes, an empty selector and deleted: " +
			"members alike. An attribute principal set (.../attribute.NAME/VALUE) is the whole pool by another " +
			"spelling when a provider of the pool in the stack maps attribute.NAME from a claim every token of " +
			"the issuer carries alike (assertion.iss, assertion.aud), from a constant, or, for GitHub Actions " +
			"and GitLab, from a claim that names no repository, project, owner or subject (ref, environment, " +
			"event_name, ...) (https://cloud.google.com/iam/docs/workload-identity-federation#mapping); this is " +
			"checked over the stack (its outputs), and an attribute whose provider is not in the stack is not judged.",
		Remediation: "Grant to the narrowest principal set: principalSet://.../workloadIdentityPools/POOL/" +
			"attribute.repository_id/ID (after mapping attribute.repository_id = assertion.repository_id), " +
			"or principal://.../subject/SUBJECT for one identity, and keep the provider's attributeCondition " +
			"pinned to your owner.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-for-using-workload-identity-federation",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyOIDCFederation,
		Types:    gcp.GrantTypes(),
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		grants, problems := c.Views().Grants(r)
		for _, p := range problems {
			c.Violation(p.Path, "%s, so its grants cannot be checked for pool-wide principal sets; fix it", p.Message)
		}
		for _, g := range grants {
			if g.Member.HasUnknown() {
				c.Unknown(g.Member.Path())
				continue
			}
			m, ok := g.ParsedMember()
			m = m.Restored() // a deleted member reverts to the set when undeleted
			if !ok || m.Kind != gcp.MemberPrincipalSet || m.Pool == nil {
				continue
			}
			pool := "workload identity pool"
			switch {
			case m.Pool.Workforce:
				pool = "workforce pool"
			case m.Pool.Kubernetes:
				pool = "GKE workload identity pool (every Kubernetes service account of every cluster using it)"
			}
			role := g.Role.Display()
			switch sel := m.Pool.Selector; {
			case m.Pool.AllIdentities() || strings.Contains(m.Pool.PoolID, "*"):
				c.Violation(g.Member.Path(), "grants %s to every identity of a %s (%s)%s; grant to a principalSet of one attribute value, such as attribute.repository_id/ID, or to a single principal", role, pool, g.Member.Display(), eligibilityNote(g))
			case strings.Contains(sel, "*"):
				c.Violation(g.Member.Path(), "grants %s to %s%s, whose group or attribute value contains `*`; name one exact value instead of a wildcard", role, g.Member.Display(), eligibilityNote(g))
			}
		}
	})
	return policy.WithStackCheck(p, checkIssuerWideAttributes)
}

// checkIssuerWideAttributes flags grants to an attribute principal set whose
// attribute a provider of the pool maps from an issuer-wide claim.
func checkIssuerWideAttributes(c *policy.Call, s *gcp.Stack, _ *struct{}) {
	for _, r := range s.OfType(gcp.GrantTypes()...) {
		grants, _ := s.Views().Grants(r) // problems are reported by the resource check
		for _, g := range grants {
			m, ok := g.ParsedMember()
			m = m.Restored()
			if !ok || m.Kind != gcp.MemberPrincipalSet || m.Pool == nil {
				continue
			}
			for _, mp := range s.PoolAttributeMappings(m.Pool) {
				if mp.Expr.IsUnknown() {
					c.UnknownOn(r, g.Member.Path())
					break
				}
				if mp.Wide {
					c.ViolationOn(r, g.Member.Path(), "grants %s to every identity of its workload identity pool in effect (%s): "+
						"provider %q maps the attribute from %s, which every token the provider accepts carries alike%s; "+
						"map and grant to an attribute that names one repository, such as attribute.repository_id/ID",
						g.Role.Display(), g.Member.Display(), mp.Provider.Name, mp.Source, eligibilityNote(g))
					break
				}
			}
		}
	}
}
