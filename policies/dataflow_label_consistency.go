package policies

import (
	"fmt"
	"strconv"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type labelConsistencyConfig struct {
	Keys []string `json:"keys"`
}

// DataflowLabelConsistency requires the buckets a Dataflow job uses and the
// label-capable resources it depends on to carry the job's values for the
// configured label keys.
func DataflowLabelConsistency() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "dataflow-label-consistency",
		Title: "Resources a Dataflow job uses carry the job's env and team labels",
		Description: "Cost reports and incident response group a pipeline's spend and alerts by labels. When the " +
			"temp, staging or template bucket of a job, or a topic, dataset or key it depends on, carries a " +
			"different env or team than the job, the pipeline's cost and ownership are split or misattributed. " +
			"Buckets are matched by the gs:// locations of the job (Job tempGcsLocation and templateGcsPath, " +
			"FlexTemplateJob containerSpecGcsPath, stagingLocation and tempLocation, Pipeline containerSpecGcsPath, " +
			"gcsPath and environment tempLocation) against the buckets' names; dependencies come from the job's " +
			"recorded dependencies. Provider defaultLabels count on both sides; only keys the job carries are compared.",
		Remediation: "Give the bucket or resource the same value as the job for each key (in its labels, or once " +
			"for the whole stack in the provider's defaultLabels), or correct the job's labels.",
		URL:      "https://cloud.google.com/resource-manager/docs/creating-managing-labels",
		Severity: policy.Medium,
		Level:    policy.Advisory,
		Family:   policy.FamilyLabels,
		Types:    gcp.LabelTargets(),
		ConfigSchema: `{"type":"object","properties":{
			"keys":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":["env","team"],
				"description":"Label keys whose values must match between a Dataflow job and the resources it uses; a list given here replaces the default."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *labelConsistencyConfig) {
		byName, unnamed := gcp.StackBuckets(s)
		lc := &lcCall{Call: c, seen: map[string]bool{}}
		for _, job := range s.OfType(gcp.DataflowTypes...) {
			lcCheckJob(lc, s, job, cfg.Keys, byName, unnamed)
		}
	})
}

// lcCall reports each unknown value once, however many jobs it matters to.
type lcCall struct {
	*policy.Call
	seen map[string]bool
}

func (c *lcCall) UnknownOn(r *gcp.Resource, path string) {
	if key := r.URN + "\x00" + path; !c.seen[key] {
		c.seen[key] = true
		c.Call.UnknownOn(r, path)
	}
}

// lcJobLabel is one key a job carries with a known value.
type lcJobLabel struct {
	key   string
	value gcp.Value
}

// lcTarget is a resource that must carry a job's labels and why.
type lcTarget struct {
	r        *gcp.Resource
	relation string
}

func lcCheckJob(c *lcCall, s *gcp.Stack, job *gcp.Resource, keys []string,
	byName map[string][]*gcp.Resource, unnamed []*gcp.Resource) {
	targets, unresolved, openLocations := lcJobTargets(s, job, byName)
	candidates := map[string]bool{} // buckets an unknown location or name could be
	for _, t := range targets {
		candidates[t.r.URN] = true
	}
	for _, set := range s.Views().Labels(job) {
		var want []lcJobLabel
		var undecided []string
		for _, key := range keys {
			v, present, final := set.Lookup(key)
			switch {
			case present == gcp.Absent:
			case present == gcp.Unknown && set.Own.IsUnknown():
				undecided = append(undecided, set.Own.Path()) // the unknown map itself
			case present == gcp.Unknown || !final || v.IsUnknown():
				undecided = append(undecided, gcp.JoinPath(set.Own.Path(), key))
			default:
				if _, ok := v.String(); ok {
					want = append(want, lcJobLabel{key: key, value: v})
				}
			}
		}
		if len(targets) > 0 || len(openLocations) > 0 || (len(unresolved) > 0 && len(unnamed) > 0) {
			// The job's own values decide every comparison: report each
			// unknown key once, on the job.
			for _, path := range undecided {
				c.UnknownOn(job, path)
			}
		}
		if len(want) == 0 {
			continue
		}
		for _, t := range targets {
			for _, f := range lcMismatches(s, t.r, want) {
				if f.unknown {
					c.UnknownOn(t.r, f.path)
					continue
				}
				c.ViolationOn(t.r, f.path, "%s but Dataflow job %q (%s) has %s; %s",
					f.what, job.Name, t.relation, f.jobValue, f.fix)
			}
		}
		// A location not known yet could name any other bucket of the stack:
		// it matters only if such a bucket would not match.
		if len(openLocations) > 0 {
			for _, b := range s.OfType(gcp.StorageBucketResource) {
				if !candidates[b.URN] && len(lcMismatches(s, b, want)) > 0 {
					c.UnknownOn(job, openLocations[0])
					break
				}
			}
		}
		// A known location naming no bucket of known name could be a bucket
		// whose name is not known yet.
		if len(unresolved) > 0 {
			for _, b := range unnamed {
				if !candidates[b.URN] && len(lcMismatches(s, b, want)) > 0 {
					c.UnknownOn(b, "name")
				}
			}
		}
	}
}

// lcJobTargets collects, in stack order, the buckets named by the job's
// gs:// locations and the label-capable resources it depends on. It also
// returns the bucket names of known locations that name no bucket of the
// stack, and the paths of unknown locations whose dependencies include no
// bucket.
func lcJobTargets(s *gcp.Stack, job *gcp.Resource, byName map[string][]*gcp.Resource) (targets []lcTarget, unresolved, openLocations []string) {
	relation := map[string]string{}
	for _, loc := range gcp.JobGCSLocations(job) {
		switch {
		case loc.Value.IsUnknown():
			hasBucket := false
			for _, urn := range gcp.PropertyDeps(job, loc.Value.Path()) {
				if dep, ok := s.Lookup(urn); ok && dep.Type == gcp.StorageBucketResource {
					hasBucket = true
				}
			}
			if !hasBucket {
				openLocations = append(openLocations, loc.Value.Path())
			}
		case loc.Bucket != "":
			buckets := byName[loc.Bucket]
			if len(buckets) == 0 {
				unresolved = append(unresolved, loc.Bucket)
			}
			for _, b := range buckets {
				if _, seen := relation[b.URN]; !seen {
					relation[b.URN] = "its " + loc.Value.Path() + " bucket"
				}
			}
		}
	}
	deps := append([]string{}, job.Dependencies...)
	for _, urns := range job.PropertyDependencies {
		deps = append(deps, urns...)
	}
	for _, urn := range deps {
		if _, seen := relation[urn]; seen || urn == job.URN {
			continue
		}
		if dep, ok := s.Lookup(urn); ok && len(s.Views().Labels(dep)) > 0 {
			relation[urn] = "which depends on it"
		}
	}
	urns := make([]string, 0, len(relation))
	for urn := range relation {
		urns = append(urns, urn)
	}
	for _, r := range s.WithURNs(urns) {
		targets = append(targets, lcTarget{r: r, relation: relation[r.URN]})
	}
	return targets, unresolved, openLocations
}

// lcFinding is one key of a resource that does not (or may not) carry a
// job's value.
type lcFinding struct {
	path     string
	unknown  bool
	what     string // `label "env" is "dev"` or `label "env" is missing`
	jobValue string
	fix      string
}

// lcMismatches compares every labels field of r with the job's values.
func lcMismatches(s *gcp.Stack, r *gcp.Resource, want []lcJobLabel) []lcFinding {
	var out []lcFinding
	for _, set := range s.Views().Labels(r) {
		for _, w := range want {
			path := gcp.JoinPath(set.Own.Path(), w.key)
			jv, _ := w.value.String()
			v, present, final := set.Lookup(w.key)
			switch {
			case present == gcp.Unknown && set.Own.IsUnknown():
				out = append(out, lcFinding{path: set.Own.Path(), unknown: true}) // the unknown map itself
			case present == gcp.Unknown || !final || v.IsUnknown():
				out = append(out, lcFinding{path: path, unknown: true})
			case present == gcp.Absent:
				where := set.Own.Path()
				if set.Defaults != nil { // Pipeline environments get no provider defaults
					where += " or to the provider's defaultLabels"
				}
				out = append(out, lcFinding{path: path,
					what:     fmt.Sprintf("label %q is missing", w.key),
					jobValue: w.value.Display(),
					fix:      fmt.Sprintf("add %s with the job's value to %s", strconv.Quote(w.key), where)})
			default:
				if got, ok := v.String(); ok && got == jv {
					continue
				}
				out = append(out, lcFinding{path: path,
					what:     fmt.Sprintf("label %q is %s", w.key, v.Display()),
					jobValue: w.value.Display(),
					fix:      "give it the job's value (or correct the job's label)"})
			}
		}
	}
	return out
}
