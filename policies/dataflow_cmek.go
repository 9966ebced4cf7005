package policies

import (
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// DataflowCMEK requires every Dataflow job to encrypt its state with a
// customer-managed Cloud KMS key in the job's own region.
func DataflowCMEK() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "dataflow-cmek",
		Title: "Dataflow jobs encrypt their state with a customer-managed key in the job's region",
		Description: "Without kmsKeyName, a Dataflow job's persistent disks, Shuffle and Streaming Engine state are " +
			"encrypted with Google-managed keys that you can neither rotate, audit nor revoke. Every Job, " +
			"FlexTemplateJob and Pipeline workload environment must set kmsKeyName (a Pipeline workload request " +
			"without an environment has none). Dataflow only accepts a key in the job's region, so the key's " +
			"location must equal it: the location is read from the `/locations/<l>/` segment of a known key name " +
			"(a key's name carries its key ring's location; `global` or a multi-region is a mismatch for a regional " +
			"job); when the name is not known yet, from the `location` of the KeyRing of the CryptoKey the name " +
			"depends on, when both are in the stack (the key ring found by the key's keyRing or, not known yet, by " +
			"the key's dependency on it); a key name that locates nothing is only required to be set. The job's " +
			"region is the Job's or FlexTemplateJob's `region`, else the provider's `region` (the provider's " +
			"default); for a Pipeline, the workload request's `location` (the regional endpoint the job is " +
			"launched at), else the Pipeline's `region`, else the provider's; with no region anywhere the location " +
			"is not compared (an unknown `region` output with no recorded dependency is the provider's default still to " +
			"be filled in, so the provider's region is used). Findings are reported on the job.",
		Remediation: "Create a gcp.kms.KeyRing in the job's region with a gcp.kms.CryptoKey, grant " +
			"roles/cloudkms.cryptoKeyEncrypterDecrypter on the key to the Dataflow service agent and the Compute " +
			"Engine service agent, and set kmsKeyName on the job (on a Pipeline, in each workload environment) to " +
			"the key's id.",
		URL:      "https://cloud.google.com/dataflow/docs/guides/customer-managed-encryption-keys",
		Severity: policy.Medium,
		Level:    policy.Advisory,
		Family:   policy.FamilyDataflowHardening,
		Types:    append(append([]string{}, gcp.DataflowTypes...), gcp.KMSCryptoKeyResource, gcp.KMSKeyRingResource),
	}, func(c *policy.Call, s *gcp.Stack, _ *struct{}) {
		uc := &hardeningCall{Call: c, seen: map[string]bool{}}
		for _, job := range s.OfType(gcp.DataflowTypes...) {
			for _, env := range c.Views().WorkerEnvs(job) {
				cmekCheckEnv(uc, s, job, env)
			}
		}
	})
}

// hardeningCall reports each unknown value once, however many jobs it matters to.
type hardeningCall struct {
	*policy.Call
	seen map[string]bool
}

func (c *hardeningCall) UnknownOn(r *gcp.Resource, path string) {
	if key := r.URN + "\x00" + path; !c.seen[key] {
		c.seen[key] = true
		c.Call.UnknownOn(r, path)
	}
}

func cmekCheckEnv(c *hardeningCall, s *gcp.Stack, job *gcp.Resource, env gcp.WorkerEnv) {
	switch {
	case env.IsUnknown():
		c.UnknownOn(job, env.Path())
		return
	case env.Pipeline && env.IsAbsent():
		c.ViolationOn(job, env.Path(), "is not set, so this workload's state is encrypted with Google-managed keys; add an environment with kmsKeyName set to a Cloud KMS key in the job's region")
		return
	}
	key := env.Get("kmsKeyName")
	region := gcp.DataflowRegion(job, env)
	if key.IsAbsent() || (key.IsSet() && strings.TrimSpace(key.Str()) == "") {
		what := "is not set"
		if key.IsSet() {
			what = "is empty"
		}
		where := "the job's region"
		if name, ok := region.Name(); ok && !region.Value.Secret() {
			where = strconv.Quote(name)
		}
		c.ViolationOn(job, key.Path(), "%s, so the job's state is encrypted with Google-managed keys; set it to a Cloud KMS key in %s", what, where)
		return
	}
	locs := gcp.KMSKeyLocations(s, job, key)
	if len(locs) == 0 {
		return // a key name that locates nothing: set is all we can tell
	}
	if region.Value.IsAbsent() {
		return // no region anywhere: nothing to compare with
	}
	if region.Value.IsUnknown() {
		c.UnknownOn(job, region.Value.Path())
		return
	}
	want, _ := region.Name()
	var mismatch []gcp.KeyLocation
	var unknown, match bool
	for _, l := range locs {
		switch {
		case l.UnknownOn != nil:
			unknown = true
			c.UnknownOn(l.UnknownOn, l.UnknownPath)
		case l.Location == want:
			match = true
		default:
			mismatch = append(mismatch, l)
		}
	}
	switch {
	case len(mismatch) == 0:
		return
	case unknown:
		return // the unknown values decide
	case match:
		// The name could be either of the keys it depends on.
		c.UnknownOn(job, key.Path())
		return
	}
	l := mismatch[0]
	got := strconv.Quote(l.Location)
	if l.Secret {
		got = "another location"
	}
	regionShown := strconv.Quote(want)
	if region.Value.Secret() {
		regionShown = "the job's region"
	}
	c.ViolationOn(job, key.Path(), "names a key in %s (from %s) but the job runs in %s (from %s); Dataflow needs a key in the job's own region, so use a key of a key ring in %s",
		got, l.From, regionShown, region.Describe(), regionShown)
}
