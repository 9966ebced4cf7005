package policies

import (
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// workerIPPrivate is the only ipConfiguration that keeps external addresses
// off Dataflow workers.
const workerIPPrivate = "WORKER_IP_PRIVATE"

// DataflowPrivateIPs requires Dataflow workers to run without external IP
// addresses.
func DataflowPrivateIPs() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-private-ips",
		Title: "Dataflow workers use private IP addresses only",
		Description: "Unless ipConfiguration is WORKER_IP_PRIVATE, every Dataflow worker VM gets an external IP " +
			"address: it is reachable from the internet wherever a firewall rule allows it, and can send the data it " +
			"processes anywhere without passing a NAT gateway you control. The rule applies to a Job, a " +
			"FlexTemplateJob and every workload environment of a Pipeline. An absent ipConfiguration means public " +
			"addresses, and so does WORKER_IP_PUBLIC or any other value (the value is compared exactly, as the API " +
			"does); a Pipeline workload request without an environment is reported on the environment path. " +
			"Pipeline options that turn public IPs back on from inside the job are the concern of " +
			"dataflow-no-guarded-option-overrides.",
		Remediation: "Set ipConfiguration: \"WORKER_IP_PRIVATE\" on the job (on a Pipeline, in each workload " +
			"environment), enable Private Google Access on the worker subnetwork so workers still reach Google APIs, " +
			"and add Cloud NAT if they must reach the internet.",
		URL:      "https://cloud.google.com/dataflow/docs/guides/routes-firewall",
		Severity: policy.Medium,
		Level:    policy.Advisory,
		Family:   policy.FamilyDataflowHardening,
		Types:    gcp.DataflowTypes,
	}, func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
		for _, env := range c.Views().WorkerEnvs(r) {
			switch {
			case env.IsUnknown():
				c.Unknown(env.Path())
				continue
			case env.Pipeline && env.IsAbsent():
				c.Violation(env.Path(), "is not set, so the workers of this workload get public IP addresses; add an environment with ipConfiguration: %q", workerIPPrivate)
				continue
			}
			ip := env.Get("ipConfiguration")
			switch ip.State() {
			case gcp.Unknown:
				c.Unknown(ip.Path())
			case gcp.Absent:
				c.Violation(ip.Path(), "is not set, so the workers get public IP addresses; set it to %q", workerIPPrivate)
			default:
				if s, ok := ip.String(); ok && s == workerIPPrivate {
					continue
				}
				c.Violation(ip.Path(), "is %s, so the workers get public IP addresses; set it to %q", ip.Display(), workerIPPrivate)
			}
		}
	})
}
