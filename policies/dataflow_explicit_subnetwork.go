package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// DataflowExplicitSubnetwork requires Dataflow workers to run in an explicitly
// chosen subnetwork, never on the project's default network.
func DataflowExplicitSubnetwork() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-explicit-subnetwork",
		Title: "Dataflow workers run in an explicit subnetwork, not the default network",
		Description: "Without a subnetwork (and network), Dataflow places its workers on the project's auto-created " +
			"`default` network, whose pre-populated firewall rules allow SSH, RDP and ICMP from anywhere and internal " +
			"traffic from every VM of the project, and whose subnets usually lack flow logs. The rule applies to a " +
			"Job, a FlexTemplateJob and every workload environment of a Pipeline: `subnetwork` must be set to a " +
			"non-empty value (a name path such as regions/REGION/subnetworks/NAME or a full URL, as a Shared VPC " +
			"needs), and `network`, when set, must not be `default` (the bare name, or a path or URL ending in " +
			"/networks/default; names such as default-vpc are other networks). A subnetwork computed from another " +
			"resource counts as set; a network not known yet is reported as unknown, since it could be the default " +
			"network. Which network a subnetwork belongs to is not checked (the policy sees only the job).",
		Remediation: "Create a custom-mode VPC network and a regional subnetwork for the pipeline (with Private Google " +
			"Access and flow logs), set subnetwork on the job (on a Pipeline, in each workload environment) and " +
			"drop network or point it at that VPC.",
		URL:      "https://cloud.google.com/dataflow/docs/guides/specifying-networks",
		Severity: policy.Low,
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
				c.Violation(env.Path(), "is not set, so the workers of this workload land on the default network; add an environment with subnetwork set to a subnetwork of a custom VPC")
				continue
			}
			network := env.Get("network")
			netName, netSet := network.String()
			netSet = netSet && strings.TrimSpace(netName) != ""
			switch {
			case network.IsUnknown():
				c.Unknown(network.Path())
			case netSet && gcp.IsDefaultNetwork(netName):
				c.Violation(network.Path(), "is %s, the project's default network; set it to a custom VPC network (or drop it and set subnetwork)", network.Display())
			}
			sub := env.Get("subnetwork")
			if sub.IsUnknown() {
				continue // computed from a subnetwork resource: set
			}
			if s, ok := sub.String(); ok && strings.TrimSpace(s) != "" {
				continue
			}
			switch {
			case netSet && !gcp.IsDefaultNetwork(netName):
				c.Violation(sub.Path(), "is not set, so Dataflow picks a subnetwork of network %s itself (auto-mode networks only); set it to the subnetwork the workers must use", network.Display())
			case netSet:
				c.Violation(sub.Path(), "is not set and the network is the default network; set it to a subnetwork of a custom VPC")
			case network.IsUnknown():
				c.Violation(sub.Path(), "is not set, so Dataflow picks a subnetwork of the job's network itself; set it to the subnetwork the workers must use")
			default:
				c.Violation(sub.Path(), "is not set, so the workers land on the project's default network; set it to a subnetwork of a custom VPC")
			}
		}
	})
}
