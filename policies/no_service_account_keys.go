package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// NoServiceAccountKeys forbids long-lived service account keys: generated or
// uploaded key resources, and API keys bound to a service account.
func NoServiceAccountKeys() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "no-service-account-keys",
		Title: "Service accounts have no user-managed keys",
		Description: "A service account key is a long-lived credential that works from anywhere until it is " +
			"deleted; leaked keys are the commonest way GCP projects are compromised. Dataflow deployers and " +
			"workers should authenticate with workload identity federation or attached service accounts instead. " +
			"API keys bound to a service account act with that account's permissions and are keys too.",
		Remediation: "Delete the gcp.serviceaccount.Key (and any projects.ApiKey with serviceAccountEmail); " +
			"let CI authenticate through a workload identity pool and let Dataflow workers use their attached " +
			"service account. Enforce iam.disableServiceAccountKeyCreation on the organization.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
		Severity: policy.Critical,
		Level:    policy.Mandatory,
		Family:   "no-keys",
		Types:    []string{gcp.ServiceAccountKey, gcp.APIKey},
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		switch r.Type {
		case gcp.ServiceAccountKey:
			if pub := r.Get("publicKeyData"); !pub.IsAbsent() {
				c.Violation("publicKeyData", "uploads a user-managed service account key; remove the key and use workload identity federation")
				return
			}
			c.Violation("", "creates a user-managed service account key; remove the key and use workload identity federation or an attached service account")
		case gcp.APIKey:
			sa := r.Get("serviceAccountEmail")
			switch sa.State() {
			case gcp.Unknown:
				c.Unknown(sa.Path())
			case gcp.Set:
				if s, ok := sa.String(); ok && s == "" {
					return
				}
				c.Violation(sa.Path(), "binds the API key to service account %s, making it a service account key; drop serviceAccountEmail or use workload identity federation", sa.Display())
			}
		}
	})
}
