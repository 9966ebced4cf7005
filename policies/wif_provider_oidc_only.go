package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type wifOIDCOnlyConfig struct {
	AllowedProtocols       []string `json:"allowedProtocols"`
	AllowedIssuers         []string `json:"allowedIssuers"`
	UploadedKeySetIssuers  []string `json:"uploadedKeySetIssuers"`
	issuers, keySetIssuers []string // normalised
}

// Validate normalises the issuer allowlist once per configuration.
func (c *wifOIDCOnlyConfig) Validate() error {
	var err error
	if c.issuers, err = gcp.NormalizeIssuers("allowedIssuers", c.AllowedIssuers); err != nil {
		return err
	}
	if c.keySetIssuers, err = gcp.NormalizeIssuers("uploadedKeySetIssuers", c.UploadedKeySetIssuers); err != nil {
		return err
	}
	for _, p := range c.AllowedProtocols {
		if !slices.Contains(gcp.WIFProtocols, strings.ToLower(p)) {
			return fmt.Errorf("allowedProtocols: %q is not one of %s", p, strings.Join(gcp.WIFProtocols, ", "))
		}
	}
	return nil
}

func (c *wifOIDCOnlyConfig) protocolAllowed(p string) bool {
	for _, a := range c.AllowedProtocols {
		if strings.EqualFold(a, p) {
			return true
		}
	}
	return false
}

// WIFProviderOIDCOnly requires workload identity pool providers to federate
// over OIDC with an allowlisted https issuer.
func WIFProviderOIDCOnly() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "wif-provider-oidc-only",
		Title: "Workload identity pool providers trust only approved OIDC issuers",
		Description: "A workload identity pool provider decides whose tokens can be exchanged for Google credentials. " +
			"Deployment pipelines (GitHub Actions, GitLab CI, Pulumi Deployments) present OIDC tokens; an AWS, " +
			"SAML or X.509 provider, or an OIDC provider for any other issuer, opens the pool to another identity " +
			"system and must be a deliberate choice (allowedProtocols, allowedIssuers). The issuer must be https " +
			"and is compared with the allowlist exactly, after removing a trailing slash, with scheme and host " +
			"case-insensitive. This mirrors the iam.workloadIdentityPoolProviders organization policy constraint. " +
			"The issuer is only the trust anchor when Google verifies tokens with the keys it publishes: an " +
			"oidc.jwksJson uploads a key set that is used instead (pulumi-gcp: \"If not set, then we use the jwksUri " +
			"from the discovery document fetched from the .well-known path for the issuerUri\"), so whoever holds the " +
			"matching private key mints tokens with any claims for any issuer name, including GitHub's. An uploaded " +
			"key set is only accepted for issuers listed in uploadedKeySetIssuers (for example a self-managed GitLab " +
			"that Google cannot reach; by default none). See " +
			"https://cloud.google.com/iam/docs/workload-identity-federation-with-other-providers#manage-oidc-keys.",
		Remediation: "Use an oidc block whose issuerUri is an approved issuer (for GitHub Actions " +
			"https://token.actions.githubusercontent.com) and no jwksJson, remove aws, saml and x509 blocks, or add the " +
			"issuer or protocol to this policy's configuration after review.",
		URL:      "https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyOIDCFederation,
		Types:    []string{gcp.WorkloadIdentityPoolProvider},
		ConfigSchema: `{"type":"object","properties":{
			"allowedProtocols":{"type":"array","items":{"type":"string","enum":["oidc","aws","saml","x509"]},"uniqueItems":true,"default":["oidc"],
				"description":"Identity provider protocols a pool provider may use."},
			"allowedIssuers":{"type":"array","items":{"type":"string","format":"uri","pattern":"^https://[^/?#]+"},"uniqueItems":true,
				"default":` + jsonList(defaultApprovedIssuers) + `,
				"description":"OIDC issuer URIs (https://host[/path]) a pool provider may trust (compared after removing a trailing slash; host case-insensitive). Keep it in step with org-policy-guardrails-not-relaxed's allowedIssuers."},
			"uploadedKeySetIssuers":{"type":"array","items":{"type":"string","format":"uri","pattern":"^https://[^/?#]+"},"uniqueItems":true,"default":[],
				"description":"Issuers whose providers may verify tokens with an uploaded oidc.jwksJson instead of the keys the issuer publishes (only for an issuer Google cannot reach, such as a self-managed GitLab behind a firewall)."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *wifOIDCOnlyConfig) {
		present, unknown := 0, false
		for _, proto := range gcp.WIFProtocols {
			v := r.Get(proto)
			switch v.State() {
			case gcp.Unknown:
				unknown = true
				c.Unknown(v.Path())
				continue
			case gcp.Absent:
				continue
			}
			present++
			if !cfg.protocolAllowed(proto) {
				c.Violation(v.Path(), "configures %s federation, which allowedProtocols does not allow; federate deployment pipelines over OIDC with an approved issuer", proto)
			}
		}
		if present == 0 && !unknown {
			c.Violation("", "configures no identity provider (oidc, aws, saml or x509); add an oidc block with an approved issuerUri")
			return
		}
		oidc := r.Get("oidc")
		if !oidc.IsSet() {
			return
		}
		issuer := oidc.Get("issuerUri")
		switch issuer.State() {
		case gcp.Unknown:
			c.Unknown(issuer.Path())
			return
		case gcp.Absent:
			c.Violation(issuer.Path(), "is not set; set it to an approved issuer such as https://token.actions.githubusercontent.com")
			return
		}
		s, _ := issuer.String()
		parsed, ok := gcp.ParseIssuer(s)
		checkUploadedKeySet(c, oidc.Get("jwksJson"), parsed, ok, cfg)
		switch {
		case !ok:
			c.Violation(issuer.Path(), "%s is not an absolute URL; set it to an approved https issuer", issuer.Display())
		case parsed.Scheme != "https":
			c.Violation(issuer.Path(), "%s is not https; tokens must come from an approved https issuer", issuer.Display())
		case !slices.Contains(cfg.issuers, parsed.Normalized):
			c.Violation(issuer.Path(), "%s is not in allowedIssuers; trust only approved issuers (%s), or add this one to the policy configuration after review", issuer.Display(), strings.Join(cfg.AllowedIssuers, ", "))
		}
	})
}

// checkUploadedKeySet flags an oidc.jwksJson: Google then verifies tokens
// against the uploaded keys, not the issuer's, so the issuer name proves
// nothing unless the issuer is listed as one Google cannot reach.
func checkUploadedKeySet(c *policy.Call, jwks gcp.Value, issuer gcp.Issuer, issuerOK bool, cfg *wifOIDCOnlyConfig) {
	switch jwks.State() {
	case gcp.Absent:
		return
	case gcp.Unknown:
		if !issuerOK || !slices.Contains(cfg.keySetIssuers, issuer.Normalized) {
			c.Unknown(jwks.Path())
		}
		return
	}
	if s, ok := jwks.String(); ok && strings.TrimSpace(s) == "" {
		return // an empty key set is not sent; the issuer's keys are used
	}
	if issuerOK && slices.Contains(cfg.keySetIssuers, issuer.Normalized) {
		return
	}
	c.Violation(jwks.Path(), "uploads a key set, so tokens are verified against these keys instead of the ones the issuer publishes: "+
		"whoever holds the matching private key can mint tokens with any claims under this issuer's name; remove jwksJson so Google "+
		"fetches the issuer's own keys, or list the issuer in uploadedKeySetIssuers if Google cannot reach it")
}
