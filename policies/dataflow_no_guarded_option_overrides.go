package policies

import (
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// guardedOption is a pipeline option that sets, from inside the job, a
// worker setting other guardrails read from the resource's own properties.
type guardedOption struct {
	option *gcp.BeamOption
	what   string // what the option overrides
	// Where the setting belongs: on a Job, a FlexTemplateJob, a Pipeline
	// workload ("" on all three: nowhere on the resource).
	job, flex, pipeline string
	// location: a temp or staging location, which may name a bucket the
	// resource declares itself (dataflow-staging-bucket-hardening checks
	// that bucket either way).
	location bool
}

var guardedOptions = []guardedOption{
	{option: gcp.OptionServiceAccount, what: "the worker service account",
		job: "serviceAccountEmail", flex: "serviceAccountEmail", pipeline: "environment.serviceAccountEmail"},
	{option: gcp.OptionUsePublicIPs, what: "whether workers get public IPs",
		job: "ipConfiguration", flex: "ipConfiguration", pipeline: "environment.ipConfiguration"},
	{option: gcp.OptionNetwork, what: "the worker network", job: "network", flex: "network", pipeline: "environment.network"},
	{option: gcp.OptionSubnetwork, what: "the worker subnetwork",
		job: "subnetwork", flex: "subnetwork", pipeline: "environment.subnetwork"},
	{option: gcp.OptionKMSKey, what: "the CMEK key", job: "kmsKeyName", flex: "kmsKeyName", pipeline: "environment.kmsKeyName"},
	{option: gcp.OptionImpersonate, what: "the identity the job is launched as"},
	{option: gcp.OptionLabels, what: "the job labels", job: "labels", flex: "labels", pipeline: "environment.additionalUserLabels"},
	{option: gcp.OptionTempLocation, what: "the bucket of the job's temp files", location: true,
		job: "tempGcsLocation", flex: "tempLocation", pipeline: "environment.tempLocation"},
	{option: gcp.OptionStagingLocation, what: "the bucket of the job's staged code", location: true,
		job: "tempGcsLocation", flex: "stagingLocation", pipeline: "environment.tempLocation"},
}

type guardedOptionsConfig struct {
	AllowedOptions []string `json:"allowedOptions"`
	allowed        map[string]bool
}

// Validate puts the allowed option names in canonical form once.
func (c *guardedOptionsConfig) Validate() error {
	c.allowed = map[string]bool{}
	for _, n := range c.AllowedOptions {
		c.allowed[gcp.CanonicalOptionName(strings.TrimLeft(strings.TrimSpace(n), "-"))] = true
	}
	return nil
}

// DataflowNoGuardedOptionOverrides forbids pipeline options that override,
// from inside a job, the worker settings the other guardrails check.
func DataflowNoGuardedOptionOverrides() *policy.Policy {
	return policy.ByType(policy.Meta{
		Name:  "dataflow-no-guarded-option-overrides",
		Title: "Dataflow pipeline options do not override the guarded worker settings",
		Description: "Pipeline options passed to a job win over the resource's own properties, so an option can " +
			"quietly undo what the other guardrails check: run the workers as another (or the default) service " +
			"account, give them public IPs, move them to another network, drop the CMEK key, launch as an " +
			"impersonated identity, replace the job's labels, or send its temp and staged files to a bucket " +
			"dataflow-staging-bucket-hardening never sees. The policy reads every option of a Job (parameters, " +
			"additionalExperiments), a FlexTemplateJob (parameters, additionalPipelineOptions, additionalExperiments) " +
			"and a Pipeline (each workload's launch parameters, launchOptions and environment.additionalExperiments) " +
			"the way the Beam SDKs parse the `--name=value` arguments the launcher builds from them: a key is cut " +
			"at its first `=` or space (both parsers split there, so `service_account_email=x` as a key sets " +
			"service_account_email), leading dashes dropped; a list entry's name is the text before its first `=` " +
			"(a bare entry is a flag). Because a template's SDK is not known, a name counts when any SDK reads it " +
			"as the option: the Java SDK's exact, case-sensitive property names (PipelineOptionsFactory has no " +
			"prefixes, aliases or negations: serviceAccount, usePublicIps, network, subnetwork, dataflowKmsKey, " +
			"impersonateServiceAccount, labels, tempLocation, gcpTempLocation, stagingLocation); Beam Python's " +
			"argparse flags with every alias that shares the option's destination (service_account_email, " +
			"use_public_ips and no_use_public_ips, network, subnetwork, dataflow_kms_key, " +
			"impersonate_service_account, labels and label, temp_location, staging_location: the Go SDK uses the " +
			"same names); and any proper prefix of one of those Python flags (use_pub, subnet, dataflow_kms, " +
			"temp_loc), since Beam Python before 2.66 expanded unique prefixes (apache/beam PR 34934) and a Flex " +
			"Template container may ship any Beam version. serviceAccountEmail, the Dataflow API's field, is read " +
			"too. Items of experiments lists (additionalExperiments entries and the values of the experiments and " +
			"dataflow_service_options options, through which Google also sends service options) are read the same " +
			"way, by exact spellings only (argparse never parses an item as a flag), each list split both as Java " +
			"splits it (every comma) and as Beam Python does (no split once an item holds two `=`). Spellings no " +
			"SDK reads (SERVICEACCOUNTEMAIL, service-account-email, noUsePublicIps) pass: Java's strict parsing " +
			"fails the launch on them (or, relaxed, ignores them) and Python ignores them. Only the name counts: `--use_public_ips=false` or " +
			"`--no_use_public_ips` is reported too, since the setting belongs on the resource where policies can " +
			"see it, except that a temp or staging location naming a bucket the resource itself declares " +
			"(tempGcsLocation, tempLocation, stagingLocation, environment.tempLocation) is fine: " +
			"dataflow-staging-bucket-hardening checks that bucket. Template parameters that merely contain one of " +
			"these words (inputSubscription, outputNetworkTable, labelsTable) and values mentioning them pass. " +
			"Option values are never printed. An unknown parameters map, option list, list entry, workload, launch " +
			"request, environment or location is reported as unknown at preview. Sources: apache/beam " +
			"sdks/java/core/.../PipelineOptionsFactory.java, sdks/python/apache_beam/options/pipeline_options.py; " +
			"https://cloud.google.com/dataflow/docs/reference/pipeline-options, " +
			"https://cloud.google.com/dataflow/docs/reference/service-options.",
		Remediation: "Remove the option and set the property on the resource instead: serviceAccountEmail, " +
			"ipConfiguration (WORKER_IP_PRIVATE), network, subnetwork, kmsKeyName, labels, tempGcsLocation on a " +
			"Job and tempLocation / stagingLocation on a FlexTemplateJob, the same fields (labels as " +
			"additionalUserLabels, tempLocation) in a Pipeline workload's environment. A temp or staging option " +
			"may stay when it names the bucket the resource declares. Launch as another identity through the " +
			"provider's impersonateServiceAccount, never a pipeline option. A template that genuinely needs one of " +
			"these names can be let through with allowedOptions.",
		URL:      "https://cloud.google.com/dataflow/docs/reference/pipeline-options",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyDataflowHardening,
		Types:    gcp.DataflowTypes,
		ConfigSchema: `{"type":"object","properties":{
			"allowedOptions":{"type":"array","items":{"type":"string","minLength":1},"default":[],
				"description":"Option names that may be set anyway. Each lets through exactly the key it names (compared in any case, leading dashes, underscores and hyphens ignored), not the option's other spellings or prefixes."}}}`,
	},
		policy.On(checkGuardedOptions(onJob), gcp.DataflowJob),
		policy.On(checkGuardedOptions(onFlexTemplateJob), gcp.DataflowFlexTemplateJob),
		policy.On(checkGuardedOptions(onPipeline), gcp.DataflowPipeline))
}

// dataflowKind says which of the three Dataflow resources a check reads, for
// the fix it names.
type dataflowKind uint8

const (
	onJob dataflowKind = iota
	onFlexTemplateJob
	onPipeline
)

// checkGuardedOptions is the check for one kind of Dataflow resource.
func checkGuardedOptions(kind dataflowKind) func(c *policy.Call, r *gcp.Resource, cfg *guardedOptionsConfig) {
	return func(c *policy.Call, r *gcp.Resource, cfg *guardedOptionsConfig) {
		opts, unknown := c.Views().PipelineOptions(r)
		items, unknownItems := gcp.Experiments(r, opts)
		var reported []string
		for _, u := range append(append([]gcp.Value{}, unknown...), unknownItems...) {
			if coveredPath(reported, u.Path()) {
				continue
			}
			reported = append(reported, u.Path())
			c.Unknown(u.Path())
		}
		var declared *declaredBuckets
		for _, list := range [][]gcp.PipelineOption{opts, items} {
			for _, o := range list {
				if cfg.allowed[gcp.CanonicalOptionName(o.Name)] {
					continue
				}
				for _, g := range guardedOptions {
					m := o.Sets(g.option)
					if !m.Matched() {
						continue
					}
					name := o.Name
					if o.Value.Secret() {
						name = m.Spelling
					}
					if !g.location {
						c.Violation(o.Path(), "sets the pipeline option %s%s, which overrides %s outside the resource "+
							"properties the other guardrails check; remove it%s", name, m.How(g.option), g.what, g.fix(kind))
						continue
					}
					if declared == nil {
						declared = readDeclaredBuckets(r)
					}
					switch declared.holds(o.Value) {
					case bucketDeclared:
						continue
					case bucketUndecided:
						c.Unknown(o.Path())
						continue
					}
					c.Violation(o.Path(), "sets the pipeline option %s%s, which moves %s to a location that is not a "+
						"bucket the resource declares, out of reach of dataflow-staging-bucket-hardening; remove it%s "+
						"(an option naming the declared bucket may stay)", name, m.How(g.option), g.what, g.fix(kind))
				}
			}
		}
	}
}

// fix says where the setting belongs.
func (g guardedOption) fix(kind dataflowKind) string {
	field := [...]string{onJob: g.job, onFlexTemplateJob: g.flex, onPipeline: g.pipeline}[kind]
	if field == "" {
		return " and, if the deployment must act as another identity, set impersonateServiceAccount on the gcp provider"
	}
	return " and set " + field + " on the resource instead"
}

// declaredBuckets are the buckets of the temp and staging locations a
// resource declares in its own properties.
type declaredBuckets struct {
	known   map[string]bool
	unknown bool // a declared location is not known yet
}

func readDeclaredBuckets(r *gcp.Resource) *declaredBuckets {
	d := &declaredBuckets{known: map[string]bool{}}
	for _, loc := range gcp.DeclaredTempLocations(r) {
		switch {
		case loc.Value.IsUnknown():
			d.unknown = true
		case loc.Bucket != "":
			d.known[loc.Bucket] = true
		}
	}
	return d
}

type bucketVerdict uint8

const (
	bucketElsewhere bucketVerdict = iota
	bucketDeclared
	bucketUndecided
)

// holds judges an option's location value against the declared buckets.
func (d *declaredBuckets) holds(v gcp.Value) bucketVerdict {
	if v.IsUnknown() {
		return bucketUndecided
	}
	s, ok := v.String()
	if !ok {
		return bucketElsewhere
	}
	bucket, ok := gcp.GCSBucketName(s)
	switch {
	case !ok:
		return bucketElsewhere
	case d.known[bucket]:
		return bucketDeclared
	case d.unknown:
		return bucketUndecided
	}
	return bucketElsewhere
}

// coveredPath reports whether path is one of paths or lies inside one.
func coveredPath(paths []string, path string) bool {
	for _, p := range paths {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}
