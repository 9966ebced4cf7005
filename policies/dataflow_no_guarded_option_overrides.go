package policies

import (
	"strings"
	"sync"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// guardedOption is a family of pipeline options that set, from inside the
// job, a worker setting other guardrails read from the resource's own
// properties.
type guardedOption struct {
	names    []string // option spellings (compared canonically)
	what     string   // what the option overrides
	instead  string   // where the setting belongs on a Job or FlexTemplateJob
	pipeline string   // where it belongs on a Pipeline workload
}

var guardedOptions = []guardedOption{
	{[]string{"serviceAccount", "serviceAccountEmail", "service_account_email"},
		"the worker service account", "serviceAccountEmail", "environment.serviceAccountEmail"},
	{[]string{"usePublicIps", "use_public_ips", "no_use_public_ips"},
		"whether workers get public IPs", "ipConfiguration", "environment.ipConfiguration"},
	{[]string{"network"}, "the worker network", "network", "environment.network"},
	{[]string{"subnetwork"}, "the worker subnetwork", "subnetwork", "environment.subnetwork"},
	{[]string{"dataflowKmsKey", "dataflow_kms_key"}, "the CMEK key", "kmsKeyName", "environment.kmsKeyName"},
	{[]string{"impersonateServiceAccount", "impersonate_service_account"},
		"the identity the job is launched as", "", ""},
	{[]string{"labels"}, "the job labels", "labels", "environment.additionalUserLabels"},
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
	return policy.Resource(policy.Meta{
		Name:  "dataflow-no-guarded-option-overrides",
		Title: "Dataflow pipeline options do not override the guarded worker settings",
		Description: "Pipeline options passed to a job win over the resource's own properties, so an option can " +
			"quietly undo what the other guardrails check: run the workers as another (or the default) service " +
			"account, give them public IPs, move them to another network, drop the CMEK key, launch as an " +
			"impersonated identity or replace the job's labels. The policy reads every option name of a Job " +
			"(parameters, additionalExperiments), a FlexTemplateJob (parameters, additionalPipelineOptions, " +
			"additionalExperiments) and a Pipeline (each workload's launch parameters, launchOptions and " +
			"environment.additionalExperiments): map keys, and the name before the first `=` of list entries " +
			"(a bare entry is a flag). Names are compared exactly once leading dashes are dropped, the rest is " +
			"lower-cased and underscores and hyphens are removed, against serviceAccount, serviceAccountEmail, service_account_email, " +
			"usePublicIps, use_public_ips, no_use_public_ips, network, subnetwork, dataflowKmsKey, " +
			"dataflow_kms_key, impersonateServiceAccount, impersonate_service_account and labels. Only the name " +
			"counts: `--use_public_ips=false` or `--no_use_public_ips` is reported too, since the setting belongs " +
			"on the resource where policies can see it. Template parameters that merely contain one of these words " +
			"(inputSubscription, outputNetworkTable, labelsTable) and values mentioning them pass. Option values " +
			"are never printed. An unknown parameters map, option list, list entry, workload, launch request or " +
			"environment is reported as unknown at preview.",
		Remediation: "Remove the option and set the property on the resource instead: serviceAccountEmail, " +
			"ipConfiguration (WORKER_IP_PRIVATE), network, subnetwork, kmsKeyName and labels on a Job or " +
			"FlexTemplateJob, the same fields (labels as additionalUserLabels) in a Pipeline workload's " +
			"environment. Launch as another identity through the provider's impersonateServiceAccount, never a " +
			"pipeline option. A template that genuinely needs one of these names can be let through with " +
			"allowedOptions.",
		URL:      "https://cloud.google.com/dataflow/docs/reference/pipeline-options",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "dataflow-hardening",
		Types:    gcp.DataflowTypes,
		ConfigSchema: `{"type":"object","properties":{
			"allowedOptions":{"type":"array","items":{"type":"string","minLength":1},"default":[],
				"description":"Guarded option names that may be set anyway, compared like the options (any case, leading dashes, underscores and hyphens ignored)."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *guardedOptionsConfig) {
		opts, unknown := c.Views().PipelineOptions(r)
		exps, unknownExps := gcp.Experiments(r)
		var reported []string
		for _, u := range append(unknown, unknownExps...) {
			if coveredPath(reported, u.Path()) {
				continue
			}
			reported = append(reported, u.Path())
			c.Unknown(u.Path())
		}
		pipeline := r.Type == gcp.DataflowPipeline
		for _, o := range append(opts, exps...) {
			g, ok := guardedOptionOf(o)
			if !ok || cfg.allowed[o.Key()] {
				continue
			}
			c.Violation(o.Path(), "sets the pipeline option %s, which overrides %s outside the resource properties "+
				"the other guardrails check; remove it%s", optionLabel(o, g.names), g.what, g.fix(pipeline))
		}
	})
}

// guardedOptionOf finds the guarded family an option belongs to.
func guardedOptionOf(o gcp.PipelineOption) (guardedOption, bool) {
	i, ok := guardedByKey()[o.Key()]
	if !ok {
		return guardedOption{}, false
	}
	return guardedOptions[i], true
}

// guardedByKey maps each guarded spelling, canonical, to its family (the
// first that lists it): one lookup per option instead of a comparison per
// spelling.
var guardedByKey = sync.OnceValue(func() map[string]int {
	m := map[string]int{}
	for i, g := range guardedOptions {
		for _, n := range g.names {
			if _, dup := m[gcp.CanonicalOptionName(n)]; !dup {
				m[gcp.CanonicalOptionName(n)] = i
			}
		}
	}
	return m
})

// fix says where the setting belongs.
func (g guardedOption) fix(pipeline bool) string {
	field := g.instead
	if pipeline {
		field = g.pipeline
	}
	if field == "" {
		return " and, if the deployment must act as another identity, set impersonateServiceAccount on the gcp provider"
	}
	return " and set " + field + " on the resource instead"
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
