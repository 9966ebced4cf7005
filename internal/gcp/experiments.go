package gcp

// Experiments returns the `additionalExperiments` entries of a Dataflow Job
// or FlexTemplateJob, and of each Pipeline workload environment, parsed the
// way additionalPipelineOptions entries are: the name is the text before the
// first `=` with leading dashes removed, and an entry without `=` is a bare
// flag. Values that hide entries at preview (an unknown list, entry or
// environment) are returned in unknown.
func Experiments(r *Resource) (opts []PipelineOption, unknown []Value) {
	for _, env := range WorkerEnvs(r) {
		if env.IsUnknown() {
			unknown = append(unknown, env.Value)
			continue
		}
		list := env.Get("additionalExperiments")
		if list.IsUnknown() {
			unknown = append(unknown, list)
			continue
		}
		for _, e := range list.Items() {
			if e.IsUnknown() {
				unknown = append(unknown, e)
				continue
			}
			if o, ok := parseOptionEntry(e); ok {
				opts = append(opts, o)
			}
		}
	}
	return opts, unknown
}
