package policies

import (
	"slices"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// DataflowNoInlineCredentials forbids private keys and service account key
// files in the parameters and options a Dataflow job is launched with.
func DataflowNoInlineCredentials() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-no-inline-credentials",
		Title: "Dataflow launch parameters hold no private keys or credentials",
		Description: "Template parameters, pipeline options and transform name mappings are stored with the job and " +
			"shown to anyone who can view it in the console, the API and the logs; a key passed there is " +
			"disclosed. Every string of a Job's or FlexTemplateJob's parameters, additionalPipelineOptions and " +
			"transformNameMapping, and of a Pipeline workload's launch parameters, launchOptions and transform " +
			"name mappings (map keys too) is searched for private keys by their structure, not their armour: PEM " +
			"blocks however laid out, and base64 (standard or URL-safe, with or without line breaks or padding), " +
			"hex and binary DER decoded and checked for the ASN.1 shapes of PKCS#8 (what " +
			"SnowflakeIO.withKeyPairRawAuth takes as a bare body), encrypted PKCS#8, PKCS#1, SEC1 and PKCS#12 " +
			"(Google's legacy .p12 service account keys), OpenSSH and PuTTY keys, private JSON Web Keys, and " +
			"JSON (also escaped inside strings or base64) holding a private_key member, a service account key " +
			"file or a user's refresh token (authorized_user). Secret inputs are searched as well: Pulumi's " +
			"encryption ends at the job. A finding names where the key is and its kind, never any part of it.",
		Remediation: "Remove the key from the job's parameters and delete it. Dataflow workers authenticate as their " +
			"worker service account; credentials a pipeline needs for a third-party system belong in Secret " +
			"Manager, read by the pipeline at run time with roles/secretmanager.secretAccessor, and only the " +
			"secret's resource name goes into the parameters.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
		Severity: policy.Critical,
		Level:    policy.Mandatory,
		Family:   policy.FamilyNoKeys,
		Types:    gcp.DataflowTypes,
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		for _, env := range c.Views().WorkerEnvs(r) {
			for _, v := range env.LaunchInputs() {
				scanInlineCredentials(c, v)
			}
		}
	})
}

// scanInlineCredentials reports every string inside v that holds a
// credential, by path and kind only, and every unknown value that could.
func scanInlineCredentials(c *policy.Call, v gcp.Value) {
	type found struct {
		at    gcp.Value
		inKey bool
		what  gcp.KeyFinding
	}
	var all []found
	gcp.EachCredential(v, func(at gcp.Value, inKey bool, f gcp.KeyFinding) bool {
		all = append(all, found{at, inKey, f})
		return true
	})
	// Most launch parameters hold nothing; the rest is reported in path order.
	slices.SortFunc(all, func(a, b found) int { return strings.Compare(a.at.Path(), b.at.Path()) })
	for _, f := range all {
		switch {
		case !f.what.Found():
			c.Unknown(f.at.Path())
		case f.inKey:
			c.Violation(f.at.Path(), "has a key that holds %s; remove it and keep credentials out of launch parameters", f.what)
		default:
			c.Violation(f.at.Path(), "holds %s; remove it and revoke it (delete the key): workers authenticate as their service account, and secrets the pipeline needs belong in Secret Manager", f.what)
		}
	}
}
