package gcp

// tempLocationPaths are the temp and staging location properties of each
// Dataflow type (pulumi-gcp v9.6.0 args structs): where a resource itself
// declares the buckets its temp and staged files go to.
var tempLocationPaths = map[string][][]string{
	DataflowJob:             {{"tempGcsLocation"}},
	DataflowFlexTemplateJob: {{"stagingLocation"}, {"tempLocation"}},
	DataflowPipeline: {
		{"workload", "dataflowFlexTemplateRequest", "launchParameter", "environment", "tempLocation"},
		{"workload", "dataflowLaunchTemplateRequest", "launchParameters", "environment", "tempLocation"},
	},
}

// DeclaredTempLocations returns the temp and staging locations a Dataflow
// resource declares in its own properties that are set or unknown (an
// unknown Pipeline workload yields one unknown location).
func DeclaredTempLocations(r *Resource) []GCSLocation {
	if r.Type == DataflowPipeline && r.Get("workload").IsUnknown() {
		return []GCSLocation{{Value: r.Get("workload")}}
	}
	var out []GCSLocation
	for _, p := range tempLocationPaths[r.Type] {
		if loc, ok := gcsLocationOf(r.At(p...)); ok {
			out = append(out, loc)
		}
	}
	return out
}

// OptionGCSLocations returns the temp and staging locations set through
// pipeline options (opts from PipelineOptions), in every spelling an SDK
// reads as temp_location / tempLocation / gcpTempLocation or
// staging_location / stagingLocation: values that are set or unknown.
func OptionGCSLocations(opts []PipelineOption) []GCSLocation {
	var out []GCSLocation
	for _, o := range opts {
		if !o.Sets(OptionTempLocation).Matched() && !o.Sets(OptionStagingLocation).Matched() {
			continue
		}
		if loc, ok := gcsLocationOf(o.Value); ok {
			out = append(out, loc)
		}
	}
	return out
}

// gcsLocationOf reads a location value: unknown, or set with the bucket of a
// gs:// URL ("" for anything else).
func gcsLocationOf(v Value) (GCSLocation, bool) {
	switch v.State() {
	case Unknown:
		return GCSLocation{Value: v}, true
	case Set:
		s, _ := v.String()
		bucket, _ := GCSBucketName(s)
		return GCSLocation{Value: v, Bucket: bucket}, true
	}
	return GCSLocation{}, false
}
