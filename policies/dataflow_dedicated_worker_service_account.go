package policies

import (
	"fmt"
	"regexp"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type dedicatedWorkerConfig struct {
	AllowedServiceAccountPattern string `json:"allowedServiceAccountPattern"`
	pattern                      *regexp.Regexp
}

// Validate compiles the pattern once per configuration.
func (c *dedicatedWorkerConfig) Validate() error {
	if c.AllowedServiceAccountPattern == "" {
		return nil
	}
	// Fully anchored, like every pattern in this pack: `etl-worker` must not
	// also admit `evil-etl-worker@other-project...`.
	re, err := regexp.Compile(`^(?:` + c.AllowedServiceAccountPattern + `)$`)
	if err != nil {
		return fmt.Errorf("allowedServiceAccountPattern: %w", err)
	}
	c.pattern = re
	return nil
}

// DataflowDedicatedWorkerServiceAccount requires every Dataflow job to run as
// a dedicated, non-default worker service account.
func DataflowDedicatedWorkerServiceAccount() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-dedicated-worker-service-account",
		Title: "Dataflow jobs run as a dedicated worker service account",
		Description: "Without serviceAccountEmail, Dataflow workers run as the Compute Engine default service " +
			"account, which every VM in the project shares and which often holds roles/editor. A dedicated " +
			"worker account per pipeline keeps each job's access to exactly its sources and sinks.",
		Remediation: "Create a gcp.serviceaccount.Account for the pipeline, grant it roles/dataflow.worker plus " +
			"access to its own buckets, topics and datasets, and set serviceAccountEmail on the job (on a " +
			"Pipeline, in each workload environment).",
		URL:      "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "least-privilege",
		Types:    gcp.DataflowTypes,
		ConfigSchema: `{"type":"object","properties":{
			"allowedServiceAccountPattern":{"type":"string","format":"regex","default":"",
				"description":"Regular expression (Go RE2 syntax) the whole worker service account email must match (empty: any non-default account)."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *dedicatedWorkerConfig) {
		for _, env := range c.Views().WorkerEnvs(r) {
			if env.IsUnknown() {
				c.Unknown(env.Path())
				continue
			}
			sa := env.Get("serviceAccountEmail")
			switch sa.State() {
			case gcp.Unknown:
				c.Unknown(sa.Path())
				continue
			case gcp.Absent:
				c.Violation(sa.Path(), "is not set, so the workers run as the Compute Engine default service account; set it to a dedicated worker service account")
				continue
			}
			email, ok := sa.String()
			switch {
			case !ok || email == "":
				c.Violation(sa.Path(), "is empty, so the workers run as the Compute Engine default service account; set it to a dedicated worker service account")
			case gcp.IsDefaultServiceAccount(email):
				c.Violation(sa.Path(), "is the default service account %s; use a dedicated worker service account", sa.Display())
			case cfg.pattern != nil && !cfg.pattern.MatchString(email):
				c.Violation(sa.Path(), "%s does not match allowedServiceAccountPattern %q; use an approved worker service account", sa.Display(), cfg.AllowedServiceAccountPattern)
			}
		}
	})
}
