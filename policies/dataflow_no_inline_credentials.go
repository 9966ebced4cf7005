package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// inlineCredentialFields are the free-form inputs of each Dataflow launch
// that reach the job as strings.
var inlineCredentialFields = map[string][]string{
	gcp.DataflowJob:             {"parameters", "transformNameMapping"},
	gcp.DataflowFlexTemplateJob: {"parameters", "additionalPipelineOptions", "transformNameMapping"},
	// Pipeline workloads, by launch request.
	"launchParameter":  {"parameters", "launchOptions", "transformNameMappings"},
	"launchParameters": {"parameters", "transformNameMapping"},
}

// DataflowNoInlineCredentials forbids private keys and service account key
// files in the parameters and options a Dataflow job is launched with.
func DataflowNoInlineCredentials() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-no-inline-credentials",
		Title: "Dataflow launch parameters hold no private keys",
		Description: "Template parameters, pipeline options and transform name mappings are stored with the job and " +
			"shown to anyone who can view it in the console, the API and the logs; a key passed there is " +
			"disclosed. Every string of a Job's or FlexTemplateJob's parameters, additionalPipelineOptions and " +
			"transformNameMapping, and of a Pipeline workload's launch parameters, launchOptions and transform " +
			"name mappings, is searched (map keys too, and inside strings that are JSON, `--option=value` " +
			"entries and base64 text) for a PEM private key or a JSON private_key member, the heart of every " +
			"service account key file. Secret inputs are searched as well: Pulumi's encryption ends at the job.",
		Remediation: "Remove the key from the job's parameters and delete it. Dataflow workers authenticate as their " +
			"worker service account; credentials a pipeline needs for a third-party system belong in Secret " +
			"Manager, read by the pipeline at run time with roles/secretmanager.secretAccessor, and only the " +
			"secret's resource name goes into the parameters.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
		Severity: policy.Critical,
		Level:    policy.Mandatory,
		Family:   "no-keys",
		Types:    gcp.DataflowTypes,
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		if r.Type != gcp.DataflowPipeline {
			for _, f := range inlineCredentialFields[r.Type] {
				scanInlineCredentials(c, r.Get(f))
			}
			return
		}
		for _, env := range c.Views().WorkerEnvs(r) {
			launch := env.Launch
			if launch.IsUnknown() {
				c.Unknown(launch.Path())
				continue
			}
			key := launch.Path()[strings.LastIndex(launch.Path(), ".")+1:]
			for _, f := range inlineCredentialFields[key] {
				scanInlineCredentials(c, launch.Get(f))
			}
		}
	})
}

// scanInlineCredentials reports every string inside v that holds key
// material, by path only, and every unknown value that could.
func scanInlineCredentials(c *policy.Call, v gcp.Value) {
	if holdsInlineCredentialFinding(v) {
		reportInlineCredentials(c, v)
	}
}

// holdsInlineCredentialFinding reports whether reportInlineCredentials has
// anything to say about v, scanning in no particular order: most launch
// parameters hold nothing, and then nothing is sorted or copied.
func holdsInlineCredentialFinding(v gcp.Value) bool {
	switch {
	case v.IsUnknown():
		return true
	case v.IsMap():
		for key, e := range v.All {
			if gcp.HoldsKeyMaterial(key) || holdsInlineCredentialFinding(e) {
				return true
			}
		}
	case v.IsArray():
		for _, it := range v.AllItems {
			if holdsInlineCredentialFinding(it) {
				return true
			}
		}
	default:
		s, ok := v.String()
		return ok && gcp.HoldsKeyMaterial(s)
	}
	return false
}

// reportInlineCredentials reports, in key order, what scanInlineCredentials
// describes.
func reportInlineCredentials(c *policy.Call, v gcp.Value) {
	switch {
	case v.IsUnknown():
		c.Unknown(v.Path())
	case v.IsMap():
		for _, e := range v.Entries() {
			if gcp.HoldsKeyMaterial(e.Key) {
				c.Violation(e.Value.Path(), "has a key that holds private key material; remove it and keep credentials out of launch parameters")
			}
			reportInlineCredentials(c, e.Value)
		}
	case v.IsArray():
		for _, it := range v.Items() {
			reportInlineCredentials(c, it)
		}
	default:
		if s, ok := v.String(); ok && gcp.HoldsKeyMaterial(s) {
			c.Violation(v.Path(), "holds private key material (a PEM private key or a service account key file); remove it and delete the key: workers authenticate as their service account, and secrets the pipeline needs belong in Secret Manager")
		}
	}
}
