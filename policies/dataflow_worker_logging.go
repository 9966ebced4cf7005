package policies

import (
	"fmt"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// The options that set the default (root) worker log level, and the
// per-logger override maps: the Java legacy worker's deprecated options and
// the SDK harness options of Java and Python.
var (
	defaultLogLevelOptions = []*gcp.BeamOption{gcp.OptionDefaultWorkerLogLevel, gcp.OptionDefaultSdkHarnessLogLevel}
	logOverrideOptions     = []*gcp.BeamOption{gcp.OptionWorkerLogLevelOverrides, gcp.OptionSdkHarnessLogLevelOverrides}
)

type workerLoggingConfig struct {
	MaxLevel string           `json:"maxLevel"`
	max      gcp.LogThreshold // maxLevel
	limited  bool             // maxLevel is set below OFF
}

// Validate resolves maxLevel once per configuration.
func (c *workerLoggingConfig) Validate() error {
	if strings.TrimSpace(c.MaxLevel) == "" {
		return nil
	}
	t, ok := gcp.ParseLogLevelName(c.MaxLevel)
	if !ok {
		return fmt.Errorf("maxLevel %q is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF", c.MaxLevel)
	}
	c.max, c.limited = t, !t.Off()
	return nil
}

// DataflowWorkerLogging forbids pipeline options that turn Dataflow worker
// logging off (or, with maxLevel, raise the root level above a ceiling).
func DataflowWorkerLogging() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:  "dataflow-worker-logging",
		Title: "Dataflow jobs keep worker logging on",
		Description: "Worker logs are the only record of what a Dataflow pipeline did with its data and why it failed; " +
			"a job whose root logger is at OFF runs unobserved. The policy reads every pipeline option of a Job " +
			"(parameters), FlexTemplateJob (parameters, additionalPipelineOptions) and Pipeline (each workload's " +
			"launch parameters and launchOptions) with the option reader dataflow-no-guarded-option-overrides uses: " +
			"keys cut at their first `=` or space, leading dashes dropped, and names as the SDKs parse them: the " +
			"Java SDK's exact property names defaultWorkerLogLevel and workerLogLevelOverrides (the legacy " +
			"worker's, DataflowWorkerLoggingOptions) and defaultSdkHarnessLogLevel and sdkHarnessLogLevelOverrides " +
			"(SdkHarnessOptions), and Beam Python's default_sdk_harness_log_level and sdk_harness_log_level_overrides " +
			"with any proper prefix of them (Beam Python before 2.66 expanded unique prefixes). Both SDKs set the " +
			"root logger to the default level and then apply every override, so an override of the root logger " +
			"(named \"\" in both SDKs, and \"root\" in Python) wins over the default. The default level and every " +
			"root override must not be OFF, nor above maxLevel when configured (TRACE < DEBUG < INFO < WARN < " +
			"ERROR < CRITICAL < OFF); an override for a named logger may go to WARN or ERROR (or Python's " +
			"CRITICAL) but never OFF. Levels are read as each SDK reads them: Java converts a default level with " +
			"Jackson (the enum name, trimmed, in any case to fail closed, or its ordinal, so \"0\" is OFF) and " +
			"override levels with Level.valueOf (exact names; WARNING is WARN in sdkHarnessLogLevelOverrides), and " +
			"rejects the launch on any other value; Beam Python's harness (sdk_worker_main) takes a default level " +
			"as a number (\"100\" drops everything, as does any number above CRITICAL's 50) or an exact logging " +
			"name and otherwise logs an error and keeps INFO, and skips an override whose level is neither an " +
			"integer nor an exact name (so \"OFF\" or \"off\" change nothing in Python). An override map is the " +
			"first JSON value of the option (Java ignores what trails it), a JSON object or, for Python, an array " +
			"of [name, level] pairs; every duplicate key is checked; a value neither SDK reads as a map fails " +
			"the launch and is not reported. Secret values and logger names from them are never printed. Sources: " +
			"apache/beam DataflowWorkerLoggingInitializer.java, SdkHarnessOptions.java, " +
			"sdks/python/apache_beam/runners/worker/sdk_worker_main.py, pipeline_options.py; " +
			"https://cloud.google.com/dataflow/docs/guides/logging.",
		Remediation: "Drop the option, or set the default level to INFO (or at most maxLevel); remove any root " +
			"logger override (\"\" or \"root\") that goes above it and any override at OFF; silence a noisy " +
			"library with WARN or ERROR instead of OFF.",
		URL:      "https://cloud.google.com/dataflow/docs/guides/logging",
		Severity: policy.Medium,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLogging,
		Types:    gcp.DataflowTypes,
		ConfigSchema: `{"type":"object","properties":{
			"maxLevel":{"type":"string","enum":["","TRACE","DEBUG","INFO","WARN","WARNING","ERROR","CRITICAL","FATAL","OFF","trace","debug","info","warn","warning","error","critical","fatal","off"],"default":"",
				"description":"Highest level the default and root loggers may be set to: TRACE, DEBUG, INFO, WARN (or WARNING), ERROR, CRITICAL (or FATAL), in upper or lower case; empty (or OFF) forbids only OFF."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *workerLoggingConfig) {
		opts, unknown := c.Views().PipelineOptions(r)
		for _, u := range unknown {
			c.Unknown(u.Path())
		}
		for _, o := range opts {
			for _, opt := range defaultLogLevelOptions {
				if m := o.Sets(opt); m.Matched() {
					checkDefaultLogLevel(c, o, opt, m, cfg)
				}
			}
			for _, opt := range logOverrideOptions {
				if m := o.Sets(opt); m.Matched() {
					checkLogOverrides(c, o, opt, m, cfg)
				}
			}
		}
	})
}

// optionLabel names an option in a message without printing secret text:
// the key as written, or the SDK spelling it is read as when it is secret.
func optionLabel(o gcp.PipelineOption, opt *gcp.BeamOption, m gcp.OptionMatch) string {
	if o.Value.Secret() {
		return m.Spelling + m.How(opt)
	}
	return o.Name + m.How(opt)
}

func checkDefaultLogLevel(c *policy.Call, o gcp.PipelineOption, opt *gcp.BeamOption, m gcp.OptionMatch, cfg *workerLoggingConfig) {
	v := o.Value
	if v.IsUnknown() {
		c.Unknown(o.Path())
		return
	}
	s, ok := v.String()
	if !ok {
		return // a bare flag: Java reads "true" and Python wants a value; both fail the launch
	}
	// The highest level any SDK reading this name makes of the value; a value
	// no SDK accepts fails the Java launch or leaves Python at INFO.
	level, found := gcp.LogThreshold(0), false
	if m.Java {
		if t, ok := gcp.JavaDefaultLogLevel(s); ok {
			level, found = t, true
		}
	}
	if m.Python != gcp.PythonNone {
		if t, ok := gcp.PythonDefaultLogLevel(s); ok && (!found || t > level) {
			level, found = t, true
		}
	}
	if !found {
		return
	}
	name := optionLabel(o, opt, m)
	readAs := ""
	if !v.Secret() && strings.ToUpper(strings.TrimSpace(s)) != level.String() {
		readAs = ", read as " + level.String()
	}
	switch {
	case level.Off():
		c.Violation(o.Path(), "sets %s to %s%s, which turns Dataflow worker logging off; remove it or set %s",
			name, v.Display(), readAs, allowedLevelHint(cfg))
	case cfg.limited && level > cfg.max:
		c.Violation(o.Path(), "sets %s to %s%s, above the allowed maxLevel %s; set %s",
			name, v.Display(), readAs, cfg.max, allowedLevelHint(cfg))
	}
}

func allowedLevelHint(cfg *workerLoggingConfig) string {
	if cfg.limited {
		return cfg.max.String() + " or lower"
	}
	return "INFO"
}

// loggerVerdict is one override that breaks the rule, once per logger.
type loggerVerdict struct {
	logger string
	root   bool
}

func checkLogOverrides(c *policy.Call, o gcp.PipelineOption, opt *gcp.BeamOption, m gcp.OptionMatch, cfg *workerLoggingConfig) {
	v := o.Value
	if v.HasUnknown() {
		c.Unknown(o.Path())
		return
	}
	harness := opt == gcp.OptionSdkHarnessLogLevelOverrides
	type reading struct {
		pairs  []gcp.LoggerLevel
		python bool
	}
	var readings []reading
	switch {
	case v.IsMap():
		var pairs []gcp.LoggerLevel
		for _, e := range v.Entries() {
			if s, ok := e.Value.String(); ok {
				pairs = append(pairs, gcp.LoggerLevel{Logger: e.Key, Level: s})
			}
		}
		readings = append(readings, reading{pairs, false}, reading{pairs, true})
	case v.IsSet():
		s, ok := v.String()
		if !ok {
			return
		}
		if m.Java {
			if pairs, ok := gcp.LogOverrides(s, false); ok {
				readings = append(readings, reading{pairs, false})
			}
		}
		if m.Python != gcp.PythonNone {
			if pairs, ok := gcp.LogOverrides(s, true); ok {
				readings = append(readings, reading{pairs, true})
			}
		}
	}
	var found []loggerVerdict
	worst := map[loggerVerdict]gcp.LogThreshold{}
	for _, rd := range readings {
		if (rd.python && m.Python == gcp.PythonNone) || (!rd.python && !m.Java) {
			continue // a map value is read by the SDKs that read this name
		}
		for _, p := range rd.pairs {
			var level gcp.LogThreshold
			var ok bool
			if rd.python {
				level, ok = gcp.PythonOverrideLogLevel(p.Level)
			} else if s, isString := p.Level.(string); isString {
				level, ok = gcp.JavaOverrideLogLevel(s, harness)
			}
			if !ok {
				continue // Java rejects the launch; Python skips the override
			}
			key := loggerVerdict{logger: p.Logger, root: gcp.IsRootLogger(p.Logger, rd.python)}
			bad := level.Off() || (key.root && cfg.limited && level > cfg.max)
			if !bad {
				continue
			}
			if prev, seen := worst[key]; !seen || level > prev {
				if !seen {
					found = append(found, key)
				}
				worst[key] = level
			}
		}
	}
	name := optionLabel(o, opt, m)
	for _, f := range found {
		level := worst[f]
		switch {
		case v.Secret() && f.root && level.Off():
			c.Violation(o.Path(), "turns Dataflow worker logging off for the root logger through %s, which replaces the "+
				"default level for every logger without an override of its own; remove that entry or set it to %s", name, allowedLevelHint(cfg))
		case v.Secret() && f.root:
			c.Violation(o.Path(), "sets the root logger through %s above the allowed maxLevel %s, which replaces the "+
				"default level for every logger without an override of its own; remove that entry or set it to %s", name, cfg.max, allowedLevelHint(cfg))
		case v.Secret():
			c.Violation(o.Path(), "turns Dataflow worker logging off for a logger through %s; remove the override or set that logger to WARN or ERROR", name)
		case f.root && level.Off():
			c.Violation(o.Path(), "sets the root logger %q to %s through %s, which replaces the default level for every "+
				"logger without an override of its own and turns Dataflow worker logging off; remove the entry or set it to %s",
				f.logger, level, name, allowedLevelHint(cfg))
		case f.root:
			c.Violation(o.Path(), "sets the root logger %q to %s through %s, which replaces the default level for every "+
				"logger without an override of its own and is above the allowed maxLevel %s; remove the entry or set it to %s",
				f.logger, level, name, cfg.max, allowedLevelHint(cfg))
		default:
			c.Violation(o.Path(), "turns Dataflow worker logging off for logger %q through %s; remove the override or set it to WARN or ERROR", f.logger, name)
		}
	}
}
