package policies

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// DataflowStagingBucketHardening requires the buckets holding a Dataflow
// job's temp, staging and template files to be locked down and logged.
func DataflowStagingBucketHardening() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "dataflow-staging-bucket-hardening",
		Title: "Buckets holding Dataflow temp, staging and template files are private, uniform and logged",
		Description: "A Dataflow job's temp and staging buckets hold its code, its intermediate data and spilled " +
			"records, and its template bucket decides what code the workers run: whoever can read or replace those " +
			"objects can read the pipeline's data or run code as its worker service account. The buckets of the " +
			"stack named by a job's gs:// locations (Job tempGcsLocation and templateGcsPath, FlexTemplateJob " +
			"containerSpecGcsPath, stagingLocation and tempLocation, Pipeline containerSpecGcsPath, gcsPath and " +
			"environment tempLocation, and every temp or staging location set through a pipeline option, read as " +
			"the Beam SDKs read temp_location / tempLocation / gcpTempLocation and staging_location / " +
			"stagingLocation, see dataflow-no-guarded-option-overrides), matched by bucket name, must have " +
			"uniformBucketLevelAccess: true (no object ACLs), publicAccessPrevention: \"enforced\" (absent means inherited) and access logging (a " +
			"logging block with a logBucket). Each missing property is reported once on the bucket, naming the " +
			"jobs that use it; buckets no job names are out of scope. A location not known yet stands for the " +
			"buckets it depends on, or any bucket of the stack when it depends on none, and is reported as unknown " +
			"when one of them falls short; a bucket whose name is not known yet is reported as unknown when a " +
			"known location names no bucket of the stack and the bucket falls short.",
		Remediation: "On each bucket a job uses, set uniformBucketLevelAccess: true and publicAccessPrevention: " +
			"\"enforced\", and add logging { logBucket: <access-log bucket> } so every read of the pipeline's " +
			"files is recorded.",
		URL:      "https://cloud.google.com/dataflow/docs/concepts/security-and-permissions",
		Severity: policy.Medium,
		Level:    policy.Advisory,
		Family:   policy.FamilyDataflowHardening,
		Types:    append(append([]string{}, gcp.DataflowTypes...), gcp.StorageBucketResource),
	}, func(c *policy.Call, s *gcp.Stack, _ *struct{}) {
		hc := &hardeningCall{Call: c, seen: map[string]bool{}}
		byName, unnamed := gcp.StackBuckets(s)
		users := map[string]*sbUsers{}
		type openLocation struct {
			job        *gcp.Resource
			path       string
			candidates []*gcp.Resource // nil: any bucket of the stack
		}
		var open []openLocation
		unresolved := false
		for _, job := range s.OfType(gcp.DataflowTypes...) {
			// Temp and staging locations set through pipeline options are the
			// job's buckets too (dataflow-no-guarded-option-overrides lets
			// them through only when they name a declared bucket, or when
			// allowedOptions does).
			opts, _ := c.Views().PipelineOptions(job)
			locations := append(gcp.JobGCSLocations(job), gcp.OptionGCSLocations(opts)...)
			for _, loc := range locations {
				switch {
				case loc.Value.IsUnknown():
					var deps []*gcp.Resource
					for _, urn := range gcp.PropertyDeps(job, loc.Value.Path()) {
						if dep, ok := s.Lookup(urn); ok && dep.Type == gcp.StorageBucketResource {
							deps = append(deps, dep)
						}
					}
					open = append(open, openLocation{job: job, path: loc.Value.Path(), candidates: deps})
				case loc.Bucket != "":
					buckets := byName[loc.Bucket]
					if len(buckets) == 0 {
						unresolved = true
					}
					for _, b := range buckets {
						u := users[b.URN]
						if u == nil {
							u = &sbUsers{props: map[string][]string{}}
							users[b.URN] = u
						}
						u.add(job.Name, sbLocationName(loc.Value.Path()))
					}
				}
			}
		}
		for _, b := range s.OfType(gcp.StorageBucketResource) {
			u := users[b.URN]
			if u == nil {
				continue
			}
			for _, f := range sbProblems(b) {
				if f.unknown {
					hc.UnknownOn(b, f.path)
					continue
				}
				hc.ViolationOn(b, f.path, f.message, u.describe())
			}
		}
		// A location not known yet could name a bucket that falls short.
		for _, o := range open {
			candidates := o.candidates
			if len(candidates) == 0 {
				candidates = s.OfType(gcp.StorageBucketResource)
			}
			for _, b := range candidates {
				if users[b.URN] == nil && len(sbProblems(b)) > 0 {
					hc.UnknownOn(o.job, o.path)
					break
				}
			}
		}
		// A known location naming no bucket of known name could be a bucket
		// whose name is not known yet.
		if unresolved {
			for _, b := range unnamed {
				if users[b.URN] == nil && len(sbProblems(b)) > 0 {
					hc.UnknownOn(b, "name")
				}
			}
		}
	})
}

// sbUsers records which jobs use a bucket, and through which locations.
type sbUsers struct {
	props map[string][]string // job name -> location properties
}

func (u *sbUsers) add(job, prop string) {
	for _, p := range u.props[job] {
		if p == prop {
			return
		}
	}
	u.props[job] = append(u.props[job], prop)
	sort.Strings(u.props[job])
}

// describe names the jobs: `Dataflow job "a" (tempGcsLocation)` or
// `Dataflow jobs "a" (tempGcsLocation) and "b" (stagingLocation, tempLocation)`.
func (u *sbUsers) describe() string {
	jobs := make([]string, 0, len(u.props))
	for j := range u.props {
		jobs = append(jobs, j)
	}
	sort.Strings(jobs)
	parts := make([]string, len(jobs))
	for i, j := range jobs {
		parts[i] = fmt.Sprintf("%s (%s)", strconv.Quote(j), strings.Join(u.props[j], ", "))
	}
	if len(parts) == 1 {
		return "Dataflow job " + parts[0]
	}
	return "Dataflow jobs " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// sbLocationName is the last segment of a location path
// (`workload.dataflowLaunchTemplateRequest.gcsPath` -> `gcsPath`).
func sbLocationName(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

// sbFinding is one property of a bucket that falls short (message has one %s
// for the jobs) or is not known yet.
type sbFinding struct {
	path    string
	unknown bool
	message string
}

// sbProblems checks the three properties of a bucket.
func sbProblems(b *gcp.Resource) []sbFinding {
	var out []sbFinding
	ubla := b.Get("uniformBucketLevelAccess")
	switch ubla.State() {
	case gcp.Unknown:
		out = append(out, sbFinding{path: ubla.Path(), unknown: true})
	case gcp.Absent:
		out = append(out, sbFinding{path: ubla.Path(), message: "is not set, so object ACLs can grant access to the files of %s kept here; set uniformBucketLevelAccess: true"})
	default:
		if on, ok := ubla.Bool(); !ok || !on {
			out = append(out, sbFinding{path: ubla.Path(), message: "is " + sbEscape(ubla.Display()) + ", so object ACLs can grant access to the files of %s kept here; set uniformBucketLevelAccess: true"})
		}
	}
	pap := b.Get("publicAccessPrevention")
	switch pap.State() {
	case gcp.Unknown:
		out = append(out, sbFinding{path: pap.Path(), unknown: true})
	case gcp.Absent:
		out = append(out, sbFinding{path: pap.Path(), message: "is not set (inherited), so the bucket holding the files of %s can be made public; set publicAccessPrevention: \"enforced\""})
	default:
		if s, ok := pap.String(); !ok || s != "enforced" {
			out = append(out, sbFinding{path: pap.Path(), message: "is " + sbEscape(pap.Display()) + ", so the bucket holding the files of %s can be made public; set publicAccessPrevention: \"enforced\""})
		}
	}
	logging := b.Get("logging")
	switch logging.State() {
	case gcp.Unknown:
		out = append(out, sbFinding{path: logging.Path(), unknown: true})
	case gcp.Absent:
		out = append(out, sbFinding{path: logging.Path(), message: "is not configured, so reads of the files of %s leave no access log; add logging with a logBucket"})
	default:
		lb := logging.Get("logBucket")
		switch {
		case lb.IsUnknown():
			out = append(out, sbFinding{path: lb.Path(), unknown: true})
		case strings.TrimSpace(lb.Str()) == "":
			out = append(out, sbFinding{path: lb.Path(), message: "is not set, so reads of the files of %s leave no access log; set it to the bucket that receives the access logs"})
		}
	}
	return out
}

// sbEscape makes a displayed value safe inside a format string.
func sbEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }
