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
			"worker account per pipeline keeps each job's access to exactly its sources and sinks. A Data " +
			"Pipeline with a schedule (scheduleInfo.schedule) is launched by a Cloud Scheduler job, which runs " +
			"as schedulerServiceAccountEmail or, without it, as the Compute Engine default service account " +
			"(https://cloud.google.com/dataflow/docs/reference/data-pipelines/rest/v1/projects.locations.pipelines), " +
			"so that account must be a dedicated one too; a pipeline without a schedule has no Cloud Scheduler " +
			"job and its scheduler account is not judged.",
		Remediation: "Create a gcp.serviceaccount.Account for the pipeline, grant it roles/dataflow.worker plus " +
			"access to its own buckets, topics and datasets, and set serviceAccountEmail on the job (on a " +
			"Pipeline, in each workload environment). For a scheduled Pipeline, also create a scheduler " +
			"account, grant it roles/datapipelines.invoker, and set it as schedulerServiceAccountEmail.",
		URL:      "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions#worker-service-account",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types:    gcp.DataflowTypes,
		ConfigSchema: `{"type":"object","properties":{
			"allowedServiceAccountPattern":{"type":"string","format":"regex","default":"",
				"description":"Regular expression (Go RE2 syntax) the whole worker service account email must match (empty: any non-default account)."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *dedicatedWorkerConfig) {
		if sched, ok := gcp.DataPipelineScheduler(r); ok {
			checkSchedulerAccount(c, sched)
		}
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

// checkSchedulerAccount judges the account Cloud Scheduler launches a
// scheduled Data Pipeline's jobs as. allowedServiceAccountPattern is for
// worker accounts and does not apply.
func checkSchedulerAccount(c *policy.Call, sched gcp.PipelineScheduler) {
	scheduled := sched.Scheduled()
	if scheduled == gcp.Absent {
		return // no Cloud Scheduler job
	}
	sa := sched.Account
	if sa.IsUnknown() {
		c.Unknown(sa.Path())
		return
	}
	email, ok := sa.String()
	if ok && email != "" {
		if gcp.IsDefaultServiceAccount(email) {
			c.Violation(sa.Path(), "is the default service account %s, which Cloud Scheduler launches the pipeline's jobs as; use a dedicated scheduler service account", sa.Display())
		}
		return
	}
	if scheduled == gcp.Unknown {
		c.Unknown(sched.Schedule.Path())
		return
	}
	what := "is not set"
	if sa.IsSet() {
		what = "is empty"
	}
	c.Violation(sa.Path(), "%s, so Cloud Scheduler launches the pipeline's jobs (%s) as the Compute Engine default service account; set it to a dedicated scheduler service account", what, sched.Schedule.Path())
}
