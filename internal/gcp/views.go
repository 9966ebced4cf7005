package gcp

import "sync"

// Views memoizes what the model derives from a resource (grants, labels
// fields, worker environments, pipeline options) for the duration of one
// evaluation: every policy that applies to a resource reads the same views,
// and each costs reads, allocations and sometimes JSON parsing (policyData,
// a provider's defaultLabels). A resource and its provider must not change
// while a Views that has seen them is in use.
//
// The results are shared between callers and must not be modified. A nil
// *Views computes every view afresh. Views is safe for concurrent use, except
// for the resource given to Reset, whose views only the goroutine evaluating
// it may read.
type Views struct {
	// one is the resource of a single-resource evaluation, memoized without
	// locking or a map; every other resource goes through byResource.
	one      *Resource
	oneViews resourceViews

	mu         sync.Mutex
	byResource map[*Resource]*resourceViews
}

// resourceViews are the memoized views of one resource.
type resourceViews struct {
	grants      []Grant
	problems    []Problem
	labels      []LabelSet
	envs        []WorkerEnv
	options     []PipelineOption
	unknownOpts []Value
	done        viewSet
}

type viewSet uint8

const (
	viewGrants viewSet = 1 << iota
	viewLabels
	viewEnvs
	viewOptions
)

// Reset prepares v for an evaluation of r alone, dropping everything it
// memoized before. r may be nil (an evaluation of a whole stack).
func (v *Views) Reset(r *Resource) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.one, v.oneViews, v.byResource = r, resourceViews{}, nil
}

// with runs fn on the memoized views of r under the lock (the single
// resource's views need no lock: only the goroutine evaluating it reads them).
func (v *Views) with(r *Resource, fn func(rv *resourceViews)) {
	if r == v.one {
		fn(&v.oneViews)
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	rv := v.byResource[r]
	if rv == nil {
		if v.byResource == nil {
			v.byResource = map[*Resource]*resourceViews{}
		}
		rv = &resourceViews{}
		v.byResource[r] = rv
	}
	fn(rv)
}

// Grants is the memoized Grants(r).
func (v *Views) Grants(r *Resource) (grants []Grant, problems []Problem) {
	if v == nil {
		return Grants(r)
	}
	v.with(r, func(rv *resourceViews) {
		if rv.done&viewGrants == 0 {
			rv.grants, rv.problems = Grants(r)
			rv.done |= viewGrants
		}
		grants, problems = rv.grants, rv.problems
	})
	return grants, problems
}

// Labels is the memoized Labels(r).
func (v *Views) Labels(r *Resource) (sets []LabelSet) {
	if v == nil {
		return Labels(r)
	}
	v.with(r, func(rv *resourceViews) {
		if rv.done&viewLabels == 0 {
			rv.labels = Labels(r)
			rv.done |= viewLabels
		}
		sets = rv.labels
	})
	return sets
}

// WorkerEnvs is the memoized WorkerEnvs(r).
func (v *Views) WorkerEnvs(r *Resource) (envs []WorkerEnv) {
	if v == nil {
		return WorkerEnvs(r)
	}
	v.with(r, func(rv *resourceViews) {
		if rv.done&viewEnvs == 0 {
			rv.envs = WorkerEnvs(r)
			rv.done |= viewEnvs
		}
		envs = rv.envs
	})
	return envs
}

// PipelineOptions is the memoized PipelineOptions(r).
func (v *Views) PipelineOptions(r *Resource) (opts []PipelineOption, unknown []Value) {
	if v == nil {
		return PipelineOptions(r)
	}
	v.with(r, func(rv *resourceViews) {
		if rv.done&viewOptions == 0 {
			rv.options, rv.unknownOpts = PipelineOptions(r)
			rv.done |= viewOptions
		}
		opts, unknown = rv.options, rv.unknownOpts
	})
	return opts, unknown
}
