package policies

// stackNeeds says, for each stack policy, what it reads beyond the resource
// it reports on. A stack policy runs only when the engine analyzes the whole
// stack: after the changes of `pulumi up --skip-preview` are applied (a
// preview runs it before), and never in an Insights scan of discovered
// resources, which runs resource policies only. Where a resource-only twin
// exists, it is named.
var stackNeeds = map[string]string{
	"dataflow-worker-least-privilege": "which service accounts are workers comes from the jobs of the stack " +
		"(their serviceAccountEmail, or the Account it is read from); with a worker naming convention, " +
		"dataflow-worker-grant-allowed-roles judges each grant on its own",
	"deployer-least-privilege": "which identities are deployers comes from the stack's workload identity pools, " +
		"providers and impersonation grants, and which accounts they may act as from its jobs; with a deployer " +
		"naming convention, deployer-grant-allowed-roles judges each grant to a deployer service account on its own",
	"dataflow-worker-grants-follow-io": "what a worker needs comes from the sources and sinks its jobs name",
	"dataflow-label-consistency": "a job's labels are compared with those of the buckets, topics, datasets " +
		"and other resources it uses",
	"dataflow-audit-logging": "whether the Data Access logs of the jobs are on depends on the audit configs of " +
		"the stack at every scope taken together",
	"logging-no-intercepting-sinks": "whether an intercepting sink loses logs depends on its destination " +
		"resource (a bucket or dataset that stores them, or not)",
	"dataflow-cmek": "when a key name is not known yet (a key created in the same update), its location " +
		"is read from the key ring of the stack the key depends on",
	"dataflow-staging-bucket-hardening": "which buckets hold a job's files comes from the job; the settings " +
		"are on the bucket",
}

// StackNeeds is why a stack policy needs the whole stack ("" for a
// resource policy).
func StackNeeds(name string) string { return stackNeeds[name] }
