package policies

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// NoServiceAccountKeys forbids long-lived service account keys: generated or
// uploaded key resources, API keys bound to a service account, and key files
// held by any resource of the stack, in its inputs or its outputs.
func NoServiceAccountKeys() *policy.Policy {
	p := policy.ByType(policy.Meta{
		Name:  "no-service-account-keys",
		Title: "Service accounts have no user-managed keys, and no resource holds one",
		Description: "A service account key is a long-lived credential that works from anywhere until it is " +
			"deleted; leaked keys are the commonest way GCP projects are compromised. Dataflow deployers and " +
			"workers should authenticate with workload identity federation or attached service accounts instead. " +
			"API keys bound to a service account act with that account's permissions and are keys too. A key " +
			"created elsewhere and handed to the stack is as bad, and the stack's state then holds it: every " +
			"string of every resource's inputs (a Kubernetes Secret's stringData and base64 data, a command's " +
			"environment and script, a GitHub Actions secret, a Secret Manager version, a bucket object), and of " +
			"its outputs (a command's stdout, the stack's own exports), secret or not, is searched for service " +
			"account keys by their structure: a key file (JSON of type service_account, or with a service " +
			"account client_email, whose members hold a private key; also escaped, base64, hex, in YAML or a " +
			"script), a legacy .p12 key (a PKCS#12 file whose MAC verifies with notasecret, the password of " +
			"every TYPE_PKCS12_FILE key, " +
			"https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys), or a private key beside a service account's email (GOOGLE_PRIVATE_KEY and " +
			"GOOGLE_CLIENT_EMAIL). Ordinary private keys (TLS keys in a kubernetes.io/tls Secret or a " +
			"tls.PrivateKey, SSH deploy keys, PKCS#12 key stores with other passwords) are not service account " +
			"keys and pass. The gcp provider's own credentials are judged by provider-federated-credentials. " +
			"Outputs are read when the stack's resources are (`check`, and the engine's stack analysis); values " +
			"an export holds encrypted (without --show-secrets) cannot be searched. A finding names where the " +
			"key is and its kind, never any part of it.",
		Remediation: "Delete the gcp.serviceaccount.Key (and any projects.ApiKey with serviceAccountEmail); " +
			"let CI authenticate through a workload identity pool and let Dataflow workers use their attached " +
			"service account. A key file found in another resource: delete that key in IAM (it is disclosed), " +
			"remove it from the resource and the program, and give the workload a federated identity instead " +
			"(Workload Identity for GKE, google-github-actions/auth with a workload identity provider for GitHub " +
			"Actions). Enforce iam.disableServiceAccountKeyCreation and iam.disableServiceAccountKeyUpload on " +
			"the organization.",
		URL:      "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
		Severity: policy.Critical,
		Level:    policy.Mandatory,
		Family:   policy.FamilyNoKeys,
		Types:    []string{policy.AllTypes},
	},
		policy.On(func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
			if pub := r.Get("publicKeyData"); !pub.IsAbsent() {
				c.Violation("publicKeyData", "uploads a user-managed service account key; remove the key and use workload identity federation")
				return
			}
			c.Violation("", "creates a user-managed service account key; remove the key and use workload identity federation or an attached service account")
		}, gcp.ServiceAccountKey),
		policy.On(func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
			sa := r.Get("serviceAccountEmail")
			switch sa.State() {
			case gcp.Unknown:
				c.Unknown(sa.Path())
			case gcp.Set:
				if s, ok := sa.String(); !ok || s != "" {
					c.Violation(sa.Path(), "binds the API key to service account %s, making it a service account key; drop serviceAccountEmail or use workload identity federation", sa.Display())
				}
			}
			reportHeldKeys(c, r)
		}, gcp.APIKey),
		// provider-federated-credentials judges the gcp provider's credentials.
		policy.On(func(*policy.Call, *gcp.Resource, *struct{}) {}, gcp.ProviderType),
		policy.On(func(c *policy.Call, r *gcp.Resource, _ *struct{}) { reportHeldKeys(c, r) }, policy.AllTypes))
	// The outputs: what the provider or a command produced, and the
	// stack's own exports, which the state keeps.
	return policy.WithStackCheck(p, func(c *policy.Call, s *gcp.Stack, _ *struct{}) {
		for _, r := range s.Resources {
			if r.External || r.Type == gcp.ServiceAccountKey || r.Type == gcp.ProviderType {
				continue
			}
			found := serviceAccountKeysIn(r)
			if len(found) == 0 {
				continue
			}
			more := ""
			if n := len(found) - 1; n == 1 {
				more = " (and in 1 more output)"
			} else if n > 1 {
				more = " (and in " + strconv.Itoa(n) + " more outputs)"
			}
			c.ViolationOn(r, found[0].path, "is an output that holds %s%s, which the stack's state keeps; delete that key in IAM (it is disclosed), stop the resource from producing it, and authenticate through workload identity federation or an attached service account", found[0].what, more)
		}
	})
}

// reportHeldKeys reports every service account key in a resource's inputs.
func reportHeldKeys(c *policy.Call, r *gcp.Resource) {
	for _, f := range serviceAccountKeysIn(r) {
		where := "holds"
		if f.inKey {
			where = "has a key that holds"
		}
		c.Violation(f.path, "%s %s; delete that key in IAM (it is disclosed), remove it from this resource, and authenticate through workload identity federation or an attached service account", where, f.what)
	}
}

// keyAt is a service account key found in a resource's properties.
type keyAt struct {
	path  string
	inKey bool
	what  gcp.KeyFinding
}

// serviceAccountKeysIn finds every service account key in a resource's
// properties, in path order. Unknown values are left alone: one that turns
// out to hold a key is caught where it is produced, in the outputs.
func serviceAccountKeysIn(r *gcp.Resource) []keyAt {
	var out []keyAt
	gcp.EachCredential(r.Root(), func(at gcp.Value, inKey bool, f gcp.KeyFinding) bool {
		if f.Kind.ServiceAccount() {
			out = append(out, keyAt{path: at.Path(), inKey: inKey, what: f})
		}
		return true
	})
	slices.SortFunc(out, func(a, b keyAt) int { return strings.Compare(a.path, b.path) })
	return out
}
