package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type providerCredentialsConfig struct {
	AllowCredentialFiles bool `json:"allowCredentialFiles"`
}

// ProviderFederatedCredentials forbids gcp providers (explicit ones and the
// default provider configured from stack config) that authenticate with a
// service account key, inline, through a key file, or, in the analyzer,
// through the credential environment variables the deployment inherits.
func ProviderFederatedCredentials() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "provider-federated-credentials",
		Title: "The gcp provider authenticates without a service account key or a user's refresh token",
		Description: "A service account key in the provider's credentials (stack config gcp:credentials, an explicit " +
			"gcp.Provider, or a key file they name) is a long-lived secret copied into every CI system and laptop " +
			"that deploys the stack. Credentials that are JSON of type service_account, or hold a private_key or " +
			"a PEM private key anywhere (for example as the source of an impersonated_service_account file), are " +
			"keys, whatever their encoding (base64, a PKCS#12 file, a bare PKCS#8 body: the key-material " +
			"detector reads structure, not armour). authorized_user credentials (what `gcloud auth " +
			"application-default login` writes: a person's refresh token and client secret) are a long-lived " +
			"personal credential, valid until revoked and tied to a human rather than the pipeline, and fail " +
			"the same way, also as the source_credentials of an impersonated_service_account configuration, " +
			"which carries the refresh token all the same " +
			"(https://cloud.google.com/docs/authentication/application-default-credentials). An " +
			"external_account configuration (workload identity federation), external_account_authorized_user " +
			"(workforce identity federation, whose gcloud sessions the workforce pool bounds to 12 hours at most, " +
			"https://cloud.google.com/iam/docs/manage-workforce-identity-pools-providers), externalCredentials, " +
			"accessToken and impersonateServiceAccount on top of federated or ambient credentials are not. A " +
			"credentials value that is not JSON is a file path: it is read (relative to the working directory, " +
			"~ for the home directory) and judged the same way, and a path that cannot be read fails unless " +
			"allowCredentialFiles is set. A key used as the source of impersonateServiceAccount is still a key. " +
			"During preview and update (not in `check`), a provider with no credentials, accessToken or " +
			"externalCredentials is judged by what it would take from the environment the CLI passes on: " +
			"GOOGLE_CREDENTIALS, GOOGLE_CLOUD_KEYFILE_JSON, GCLOUD_KEYFILE_JSON, then " +
			"GOOGLE_APPLICATION_CREDENTIALS. Nothing of the credentials is ever printed.",
		Remediation: "Remove the key from gcp:credentials, the provider's credentials input and the CI environment, " +
			"and delete the key. Let CI authenticate through a workload identity pool: an external_account " +
			"credential configuration (for example from google-github-actions/auth or `gcloud iam " +
			"workload-identity-pools create-cred-config`), or the provider's externalCredentials, optionally " +
			"impersonating a deployer service account with impersonateServiceAccount.",
		URL:      "https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines",
		Severity: policy.Critical,
		Level:    policy.Mandatory,
		Family:   policy.FamilyNoKeys,
		Types:    []string{gcp.ProviderType},
		ConfigSchema: `{"type":"object","properties":{
			"allowCredentialFiles":{"type":"boolean","default":false,
				"description":"Accept a credentials file path the policy pack cannot read (by default an unreadable credentials file fails, as it cannot be shown not to be a key)."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *providerCredentialsConfig) {
		creds := r.Get("credentials")
		switch creds.State() {
		case gcp.Unknown:
			c.Unknown(creds.Path())
			return
		case gcp.Set:
			s, ok := creds.String()
			if !ok {
				c.Violation(creds.Path(), "is not a string, so it cannot be shown not to be a service account key; authenticate through workload identity federation instead")
				return
			}
			if strings.TrimSpace(s) != "" {
				judgeProviderCredentials(c, cfg, creds.Path(), gcp.JudgeCredentials(s, c.ReadFile), "")
				return
			}
		}
		// No explicit credentials: an access token or external credentials
		// take precedence over anything in the environment.
		if !r.Get("accessToken").IsAbsent() || !r.Get("externalCredentials").IsAbsent() {
			return
		}
		name, value, ok := gcp.EnvCredential(c.Env)
		if !ok {
			return
		}
		judgeProviderCredentials(c, cfg, creds.Path(), gcp.JudgeCredentials(value, c.ReadFile), name)
	})
}

// judgeProviderCredentials reports a verdict on credentials found in the
// provider inputs (env == "") or in the environment variable env.
func judgeProviderCredentials(c *policy.Call, cfg *providerCredentialsConfig, path string, v gcp.CredentialVerdict, env string) {
	source := "holds"
	switch {
	case env != "" && v.FromFile:
		source = "is not set, so the provider uses " + env + " from the environment, which names a file holding"
	case env != "":
		source = "is not set, so the provider uses " + env + " from the environment, which holds"
	case v.FromFile:
		source = "names a file holding"
	}
	const fix = "authenticate through workload identity federation (an external_account credential configuration or externalCredentials, optionally with impersonateServiceAccount) and delete the key"
	switch {
	case v.Unreadable:
		if cfg.AllowCredentialFiles {
			return
		}
		if env != "" {
			c.Violation(path, "is not set, so the provider uses %s from the environment, which names a credentials file the policy pack cannot read, so it cannot be shown not to be a service account key; %s, or set allowCredentialFiles if credential files are vetted elsewhere", env, fix)
			return
		}
		c.Violation(path, "names a credentials file the policy pack cannot read, so it cannot be shown not to be a service account key; %s, or set allowCredentialFiles if credential files are vetted elsewhere", fix)
	case v.Kind == gcp.CredentialServiceAccountKey:
		c.Violation(path, "%s a service account key; %s", source, fix)
	case v.Kind == gcp.CredentialUserRefreshToken:
		c.Violation(path, "%s a user's OAuth refresh token (authorized_user credentials, also as the source of impersonation), a personal credential that works until it is revoked; authenticate through workload identity federation (an external_account credential configuration or externalCredentials, optionally with impersonateServiceAccount) and revoke the token", source)
	case v.Kind == gcp.CredentialMalformed:
		c.Violation(path, "%s text that is not credentials JSON, so it cannot be shown not to be a service account key; %s", source, fix)
	}
}
