package gcp

// PipelineScheduler is how Cloud Scheduler launches a Data Pipeline's jobs.
type PipelineScheduler struct {
	// Schedule is scheduleInfo.schedule. Data Pipelines creates a Cloud
	// Scheduler job for a pipeline with a schedule; without one, jobs are
	// launched by whoever calls pipelines.run.
	Schedule Value
	// Account is schedulerServiceAccountEmail, the identity the Cloud
	// Scheduler job runs the pipeline as; without it, the Compute Engine
	// default service account.
	Account Value
}

// Scheduled reports whether Cloud Scheduler launches the pipeline's jobs:
// Set with a schedule, Absent without one (or an empty one), Unknown when
// that is not known yet.
func (p PipelineScheduler) Scheduled() State {
	if p.Schedule.IsUnknown() {
		return Unknown
	}
	if s, ok := p.Schedule.String(); ok && s == "" {
		return Absent
	}
	return p.Schedule.State()
}

// DataPipelineScheduler returns the scheduler settings of a Data Pipeline;
// ok is false for any other type.
func DataPipelineScheduler(r *Resource) (p PipelineScheduler, ok bool) {
	if r.Type != DataflowPipeline {
		return PipelineScheduler{}, false
	}
	return PipelineScheduler{
		Schedule: r.At("scheduleInfo", "schedule"),
		Account:  r.Get("schedulerServiceAccountEmail"),
	}, true
}
