package gcp

// Dataflow type tokens.
const (
	DataflowJob             = "gcp:dataflow/job:Job"
	DataflowFlexTemplateJob = "gcp:dataflow/flexTemplateJob:FlexTemplateJob"
	DataflowPipeline        = "gcp:dataflow/pipeline:Pipeline"
)

// DataflowTypes are the three resource types that launch Dataflow workers.
var DataflowTypes = []string{DataflowJob, DataflowFlexTemplateJob, DataflowPipeline}

// The two places a Pipeline's workload keeps its worker environment.
const (
	pipelineFlexEnv   = "workload.dataflowFlexTemplateRequest.launchParameter.environment"
	pipelineLaunchEnv = "workload.dataflowLaunchTemplateRequest.launchParameters.environment"
)

// WorkerEnv is one set of worker settings: the top level of a Job or
// FlexTemplateJob, or one environment of a Pipeline workload. Fields are read
// with Get (serviceAccountEmail, ipConfiguration, network, subnetwork,
// kmsKeyName, ...).
type WorkerEnv struct {
	Value
	// Launch is the map holding the launch request of a Pipeline workload
	// (parameters, launchOptions, ...), or the job itself.
	Launch Value
	// LabelsKey is where this environment's user labels live.
	LabelsKey string
	// Pipeline is true for a Pipeline workload environment, which gets no
	// provider default labels.
	Pipeline bool
	// Request is the workload request a Pipeline environment belongs to
	// (dataflowFlexTemplateRequest or dataflowLaunchTemplateRequest); empty
	// for a Job or FlexTemplateJob and for an unknown workload.
	Request string
	// launchInputs are the keys of Launch that reach the job as free-form
	// strings (see LaunchInputs).
	launchInputs []string
}

// LaunchInputs are the free-form inputs a launch hands to the job as
// strings: a Job's parameters and transformNameMapping; a FlexTemplateJob's
// parameters, additionalPipelineOptions and transformNameMapping; a Pipeline
// launch request's parameters, launchOptions (flex template requests) and
// transform name mappings. For an unknown workload it is the workload, which
// could hold any of them.
func (e WorkerEnv) LaunchInputs() []Value {
	if e.Launch.IsUnknown() {
		return []Value{e.Launch}
	}
	out := make([]Value, len(e.launchInputs))
	for i, key := range e.launchInputs {
		out[i] = e.Launch.Get(key)
	}
	return out
}

// Labels returns the labels map of the environment (the unknown workload
// itself when the whole workload is unknown).
func (e WorkerEnv) Labels() Value {
	if e.IsUnknown() {
		return e.Value
	}
	return e.Get(e.LabelsKey)
}

// WorkerEnvs returns the worker environments of a Dataflow resource. A
// Pipeline yields one per workload request present; a request without an
// environment yields an absent environment at its path, so reads of it
// report the provider defaults. An unknown workload yields one unknown
// environment.
func WorkerEnvs(r *Resource) []WorkerEnv {
	switch r.Type {
	case DataflowJob:
		root := r.Root()
		return []WorkerEnv{{Value: root, Launch: root, LabelsKey: "labels",
			launchInputs: []string{"parameters", "transformNameMapping"}}}
	case DataflowFlexTemplateJob:
		root := r.Root()
		return []WorkerEnv{{Value: root, Launch: root, LabelsKey: "labels",
			launchInputs: []string{"parameters", "additionalPipelineOptions", "transformNameMapping"}}}
	case DataflowPipeline:
		workload := r.Get("workload")
		if workload.IsUnknown() {
			return []WorkerEnv{{Value: workload, Launch: workload, LabelsKey: "additionalUserLabels", Pipeline: true}}
		}
		var out []WorkerEnv
		for _, spec := range []struct {
			request, launch string
			inputs          []string
		}{
			{"dataflowFlexTemplateRequest", "launchParameter", []string{"parameters", "launchOptions", "transformNameMappings"}},
			{"dataflowLaunchTemplateRequest", "launchParameters", []string{"parameters", "transformNameMapping"}},
		} {
			req := workload.Get(spec.request)
			if req.IsAbsent() {
				continue
			}
			launch := req.Get(spec.launch)
			out = append(out, WorkerEnv{Value: launch.Get("environment"), Launch: launch,
				LabelsKey: "additionalUserLabels", Pipeline: true, Request: spec.request, launchInputs: spec.inputs})
		}
		return out
	}
	return nil
}

var (
	computeDefaultSA   = lazyRegexp(`(?i)^[0-9]+-compute@developer\.gserviceaccount\.com$`)
	appEngineDefaultSA = lazyRegexp(`(?i)^[a-z0-9.:-]+@appspot\.gserviceaccount\.com$`)
)

// IsDefaultServiceAccount reports whether email is the Compute Engine or App
// Engine default service account of some project. A `serviceAccount:`
// member prefix (any case) and a `?uid=` suffix are accepted.
func IsDefaultServiceAccount(email string) bool {
	if e, ok := ServiceAccountEmail(email); ok {
		email = e
	}
	return computeDefaultSA().MatchString(email) || appEngineDefaultSA().MatchString(email)
}
