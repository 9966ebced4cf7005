package policies

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type requiredLabelsConfig struct {
	RequiredLabels []string          `json:"requiredLabels"`
	AllowedValues  map[string]string `json:"allowedValues"`
	ExcludeTypes   []string          `json:"excludeTypes"`
	allowed        map[string]*regexp.Regexp
}

// Validate compiles the value patterns, fully anchored.
func (c *requiredLabelsConfig) Validate() error {
	c.allowed = map[string]*regexp.Regexp{}
	for key, pattern := range c.AllowedValues {
		re, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err != nil {
			return fmt.Errorf("allowedValues.%s: %w", key, err)
		}
		c.allowed[key] = re
	}
	return nil
}

// RequiredLabels requires the mandatory label keys on Dataflow jobs and every
// other label-capable resource, counting provider default labels.
func RequiredLabels() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "required-labels",
		Title: "Dataflow jobs and their infrastructure carry the mandatory labels",
		Description: "Labels are how cost reports, alerting and incident response find the owner of a Dataflow " +
			"job and the buckets, topics and datasets around it. Labels are read wherever pulumi-gcp carries " +
			"them (a top-level labels input, a GKE cluster's resourceLabels, a Cloud Run v1 Service's " +
			"metadata.labels). Labels set through the provider's defaultLabels count where pulumi-gcp merges " +
			"them (not into a Pipeline's additionalUserLabels, nor into metadata.labels when metadata is " +
			"absent). A key with an empty value names no owner and counts as missing, also when it " +
			"overrides a non-empty provider default.",
		Remediation: "Add the missing keys, each with a non-empty value, to the resource's labels field (for a " +
			"Pipeline, to additionalUserLabels in each workload environment; for a Cloud Run v1 Service, to " +
			"metadata.labels), or set them once for every resource with defaultLabels on the gcp " +
			"provider (stack config gcp:defaultLabels or an explicit gcp.Provider).",
		URL:      "https://cloud.google.com/resource-manager/docs/creating-managing-labels",
		Severity: policy.Medium,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLabels,
		Types:    gcp.LabelTargets(),
		ConfigSchema: `{"type":"object","properties":{
			"requiredLabels":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":["env","team"],
				"description":"Label keys every resource must carry."},
			"allowedValues":{"type":"object","additionalProperties":{"type":"string","format":"regex"},"default":{},
				"description":"Map of label key to a regular expression (Go RE2 syntax) its value must fully match."},
			"excludeTypes":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Type tokens this policy skips."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *requiredLabelsConfig) {
		if slices.Contains(cfg.ExcludeTypes, r.Type) {
			return
		}
		for _, set := range c.Views().Labels(r) {
			checkLabelSet(c, set, cfg)
		}
	})
}

func checkLabelSet(c *policy.Call, set gcp.LabelSet, cfg *requiredLabelsConfig) {
	if set.Defaults != nil && set.Defaults.Malformed {
		c.Violation(set.Defaults.Value.Path(), "provider defaultLabels is not a JSON object of label keys to values; fix the stack config gcp:defaultLabels")
	}
	for _, key := range cfg.RequiredLabels {
		if set.Own.Has(key) && set.Own.Get(key).IsAbsent() {
			// A null own value is no value, whatever a default would give.
			c.Violation(gcp.JoinPath(set.Own.Path(), key), "required label %q is null; set it to a value", key)
			continue
		}
		v, present, final := set.Lookup(key)
		switch present {
		case gcp.Unknown:
			c.Unknown(v.Path())
			continue
		case gcp.Absent:
			path := gcp.JoinPath(set.Own.Path(), key)
			if set.Defaults != nil {
				c.Violation(path, "required label %q is missing; add it to %s or to the provider's defaultLabels", key, set.Own.Path())
			} else {
				// Pipelines, SQL and monitoring userLabels get no provider defaults.
				c.Violation(path, "required label %q is missing; add it to %s", key, set.Own.Path())
			}
			continue
		}
		val, ok := v.String()
		if final && ok && val == "" {
			// Google Cloud accepts an empty value, but it names no owner: a
			// key with nothing in it is as good as missing. A value not known
			// yet is judged when it is, at update.
			where := ""
			switch {
			case set.Own.Get(key).IsAbsent():
				where = " in the provider's defaultLabels"
			case set.Defaults != nil && nonEmptyDefault(set.Defaults, key):
				where = ", overriding the provider's default value"
			}
			c.Violation(gcp.JoinPath(set.Own.Path(), key), "required label %q is empty%s; set it to a value", key, where)
			continue
		}
		re := cfg.allowed[key]
		if re == nil {
			continue
		}
		if !final {
			c.Unknown(gcp.JoinPath(set.Own.Path(), key))
			continue
		}
		if !ok || !re.MatchString(val) {
			c.Violation(gcp.JoinPath(set.Own.Path(), key), "label %q has value %s, which does not match %q; use an allowed value", key, v.Display(), cfg.AllowedValues[key])
		}
	}
}

// nonEmptyDefault reports whether the provider's defaultLabels give key a
// value other than "".
func nonEmptyDefault(d *gcp.DefaultLabels, key string) bool {
	v := d.Value.Get(key)
	if v.IsAbsent() {
		return false
	}
	s, ok := v.String()
	return !ok || s != ""
}
