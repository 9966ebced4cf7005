package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// NoHmacKeys forbids Cloud Storage HMAC keys, whatever their state.
func NoHmacKeys() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "no-hmac-keys",
		Title: "Service accounts have no Cloud Storage HMAC keys",
		Description: "An HMAC key is a long-lived access ID and secret for a service account that works against Cloud " +
			"Storage's XML API from anywhere until it is deleted, a key like any service account key. An INACTIVE " +
			"key still exists and can be switched back to ACTIVE at any time, so every HmacKey resource counts.",
		Remediation: "Delete the gcp.storage.HmacKey and let the workload reach Cloud Storage with its attached " +
			"service account or workload identity federation through the JSON API or client libraries. Enforce " +
			"the storage.restrictAuthTypes organization policy to reject HMAC authentication.",
		URL:      "https://cloud.google.com/storage/docs/authentication/hmackeys",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyNoKeys,
		Types:    []string{gcp.StorageHMACKey},
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		sa := r.Get("serviceAccountEmail")
		who := "a service account"
		if s, ok := sa.String(); ok && !sa.Secret() && strings.TrimSpace(s) != "" {
			who = "service account " + quote(strings.TrimSpace(s))
		}
		if state, ok := r.Get("state").String(); ok && strings.EqualFold(strings.TrimSpace(state), "INACTIVE") {
			c.Violation("state", "is INACTIVE, but an inactive HMAC key for %s still exists and can be reactivated at any time; delete the key instead of deactivating it", who)
			return
		}
		c.Violation("", "creates an HMAC key for %s, a long-lived credential for Cloud Storage; delete it and use the service account's own credentials through workload identity federation or an attached service account", who)
	})
}
