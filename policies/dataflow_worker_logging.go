package policies

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// Worker log levels, lowest first. CRITICAL and FATAL (Python's names) sit
// between ERROR and OFF; WARNING is WARN.
var workerLogLevels = map[string]int{
	"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4, "CRITICAL": 5, "FATAL": 5, "OFF": 6,
}

const workerLogOff = 6

// workerLogLevelRank returns the rank of a level name, case-insensitively.
func workerLogLevelRank(s string) (int, bool) {
	r, ok := workerLogLevels[strings.ToUpper(strings.TrimSpace(s))]
	return r, ok
}

// The options that set the default worker log level, and the per-logger
// overrides (a JSON object of logger name to level). The SDK harness
// variants do the same for Runner v2 workers.
var (
	defaultLogLevelOptions = []string{"defaultWorkerLogLevel", "defaultSdkHarnessLogLevel"}
	logOverrideOptions     = []string{"workerLogLevelOverrides", "sdkHarnessLogLevelOverrides"}
)

type workerLoggingConfig struct {
	MaxLevel string `json:"maxLevel"`
	max      int    // rank of maxLevel
	limited  bool   // maxLevel is set below OFF
}

// Validate resolves maxLevel once per configuration.
func (c *workerLoggingConfig) Validate() error {
	if strings.TrimSpace(c.MaxLevel) == "" {
		return nil
	}
	r, ok := workerLogLevelRank(c.MaxLevel)
	if !ok {
		return fmt.Errorf("maxLevel %q is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF", c.MaxLevel)
	}
	c.max, c.limited = r, r < workerLogOff
	return nil
}

// DataflowWorkerLogging forbids pipeline options that turn Dataflow worker
// logging off (or, with maxLevel, raise it above a ceiling).
func DataflowWorkerLogging() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-worker-logging",
		Title: "Dataflow jobs keep worker logging on",
		Description: "Worker logs are the only record of what a Dataflow pipeline did with its data and why it failed; " +
			"a job launched with its worker log level at OFF runs unobserved. The policy reads every pipeline option of " +
			"a Job (parameters), FlexTemplateJob (parameters, additionalPipelineOptions as key=value entries) and " +
			"Pipeline (each workload's launch parameters and launchOptions); option names match with or without " +
			"leading dashes, in camelCase or snake_case, any case. defaultWorkerLogLevel (and its Runner v2 " +
			"counterpart defaultSdkHarnessLogLevel) must not be OFF, nor above maxLevel when configured (TRACE < " +
			"DEBUG < INFO < WARN < ERROR < OFF, case-insensitive, WARNING = WARN, Python's CRITICAL just below OFF; " +
			"with maxLevel a level the pack does not recognise is reported too). No entry of workerLogLevelOverrides " +
			"or sdkHarnessLogLevelOverrides, a JSON object of logger name to level, may be OFF; one that is not a JSON " +
			"object is reported, since it cannot be checked.",
		Remediation: "Drop the option, or set the default level to INFO (or at most maxLevel) and remove any override at " +
			"OFF; silence a noisy library with WARN or ERROR instead of OFF.",
		URL:      "https://cloud.google.com/dataflow/docs/guides/logging",
		Severity: policy.Medium,
		Level:    policy.Mandatory,
		Family:   "logging",
		Types:    gcp.DataflowTypes,
		ConfigSchema: `{"type":"object","properties":{
			"maxLevel":{"type":"string","enum":["","TRACE","DEBUG","INFO","WARN","WARNING","ERROR","CRITICAL","FATAL","OFF","trace","debug","info","warn","warning","error","critical","fatal","off"],"default":"",
				"description":"Highest default worker log level allowed: TRACE, DEBUG, INFO, WARN (or WARNING), ERROR, CRITICAL (or FATAL), in upper or lower case; empty (or OFF) forbids only OFF."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *workerLoggingConfig) {
		opts, unknown := c.Views().PipelineOptions(r)
		for _, u := range unknown {
			c.Unknown(u.Path())
		}
		for _, o := range opts {
			switch {
			case o.Is(defaultLogLevelOptions...):
				checkDefaultLogLevel(c, o, cfg)
			case o.Is(logOverrideOptions...):
				checkLogOverrides(c, o)
			}
		}
	})
}

// optionLabel names an option in a message without printing secret text.
func optionLabel(o gcp.PipelineOption, known []string) string {
	if !o.Value.Secret() {
		return o.Name
	}
	for _, n := range known {
		if o.Is(n) {
			return n
		}
	}
	return "the option"
}

func checkDefaultLogLevel(c *policy.Call, o gcp.PipelineOption, cfg *workerLoggingConfig) {
	v := o.Value
	if v.IsUnknown() {
		c.Unknown(o.Path())
		return
	}
	s, ok := v.String()
	if !ok {
		return
	}
	name := optionLabel(o, defaultLogLevelOptions)
	rank, known := workerLogLevelRank(s)
	switch {
	case known && rank == workerLogOff:
		c.Violation(o.Path(), "sets %s to %s, which turns Dataflow worker logging off; remove it or set %s", name, v.Display(), allowedLevelHint(cfg))
	case !cfg.limited:
	case !known:
		c.Violation(o.Path(), "sets %s to %s, which is not a log level the pack recognises, so it cannot be held to maxLevel %s; use TRACE, DEBUG, INFO, WARN or ERROR",
			name, v.Display(), strings.ToUpper(cfg.MaxLevel))
	case rank > cfg.max:
		c.Violation(o.Path(), "sets %s to %s, above the allowed maxLevel %s; set %s", name, v.Display(), strings.ToUpper(cfg.MaxLevel), allowedLevelHint(cfg))
	}
}

func allowedLevelHint(cfg *workerLoggingConfig) string {
	if cfg.limited {
		return strings.ToUpper(strings.TrimSpace(cfg.MaxLevel)) + " or lower"
	}
	return "INFO"
}

func checkLogOverrides(c *policy.Call, o gcp.PipelineOption) {
	v := o.Value
	if v.HasUnknown() {
		c.Unknown(o.Path())
		return
	}
	name := optionLabel(o, logOverrideOptions)
	levels := map[string]string{}
	switch {
	case v.IsMap():
		for _, e := range v.Entries() {
			if e.Value.IsUnknown() {
				c.Unknown(e.Value.Path())
				continue
			}
			if s, ok := e.Value.String(); ok {
				levels[e.Key] = s
			}
		}
	case v.IsSet():
		s, _ := v.String()
		var doc map[string]any
		if err := json.Unmarshal([]byte(s), &doc); err != nil || doc == nil {
			c.Violation(o.Path(), "%s is not a JSON object of logger names to levels, so the pack cannot check it; write it as {\"logger\":\"LEVEL\"}", name)
			return
		}
		for logger, level := range doc {
			if s, ok := level.(string); ok {
				levels[logger] = s
			}
		}
	default:
		return
	}
	loggers := make([]string, 0, len(levels))
	for logger := range levels {
		loggers = append(loggers, logger)
	}
	sort.Strings(loggers)
	for _, logger := range loggers {
		if rank, ok := workerLogLevelRank(levels[logger]); !ok || rank != workerLogOff {
			continue
		}
		if v.Secret() {
			c.Violation(o.Path(), "turns Dataflow worker logging off for a logger through %s; remove the override or set that logger to WARN or ERROR", name)
			continue
		}
		c.Violation(o.Path(), "turns Dataflow worker logging off for logger %q through %s; remove the override or set it to WARN or ERROR", logger, name)
	}
}
