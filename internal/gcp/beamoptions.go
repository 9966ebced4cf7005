package gcp

import "strings"

// BeamOption is one Dataflow pipeline option as the Apache Beam SDKs spell
// it. The spellings are read from the SDK sources:
//
//   - Java: the bean property names of the options interfaces
//     (DataflowPipelineOptions, GcpOptions, DataflowPipelineWorkerPoolOptions,
//     DataflowWorkerLoggingOptions, SdkHarnessOptions, ExperimentalOptions).
//     PipelineOptionsFactory matches them exactly and case-sensitively, with
//     no prefixes, aliases or `--no` forms.
//   - Python: the argparse flags of apache_beam/options/pipeline_options.py,
//     every alias that writes the option's dest and the store_false flags
//     that clear it. Before Beam 2.66 (PR apache/beam#34934) argparse also
//     expanded a unique prefix of a flag, and a Flex Template container may
//     ship any Beam version, so a prefix of a Python flag counts too.
//   - The Go SDK's flags for these options are the Python dest names.
//
// Other holds spellings no SDK declares that the pack has always read
// (the Dataflow REST field a template author may have meant); they are read
// exactly, to fail closed where the launcher is not documented.
type BeamOption struct {
	Java            []string
	Python          []string // flags without "--"; the first is the dest
	PythonNegations []string // store_false flags writing the same dest
	Other           []string
}

// PythonMatch is how Beam Python reads an option name.
type PythonMatch uint8

const (
	// PythonNone: Python does not read the name as the option.
	PythonNone PythonMatch = iota
	// PythonFlag: the name is a flag of the option or an alias of it.
	PythonFlag
	// PythonNegation: the name is a store_false flag that writes the
	// option's dest (`--no_use_public_ips`).
	PythonNegation
	// PythonPrefix: the name is a proper prefix of a flag of the option,
	// which Beam Python before 2.66 expanded to that flag.
	PythonPrefix
)

// OptionMatch says which SDKs read an option name as a BeamOption.
type OptionMatch struct {
	Java   bool
	Python PythonMatch
	Other  bool
	// Spelling is the SDK spelling the name is read as: the Java property,
	// the Python flag (without dashes) or the other spelling. It is safe to
	// print when the option itself is secret.
	Spelling string
}

// Matched reports whether any SDK reads the name as the option.
func (m OptionMatch) Matched() bool { return m.Java || m.Python != PythonNone || m.Other }

// How describes, for a message, how a name that is not the option's plain
// spelling is read: "" for an exact Java, Python or other spelling.
func (m OptionMatch) How(opt *BeamOption) string {
	switch {
	case m.Java || m.Other:
		return ""
	// Flags are named without their dashes: a message must not print
	// text a user may hold secret (an additionalPipelineOptions entry
	// "--no_use_public_ips"), and the pack's own literals are known text.
	case m.Python == PythonPrefix:
		return " (a prefix Beam Python before 2.66 expands to its flag " + m.Spelling + ")"
	case m.Python == PythonNegation:
		return " (Beam Python's negative flag for " + opt.Python[0] + ")"
	case m.Python == PythonFlag && m.Spelling != opt.Python[0]:
		return " (Beam Python's alias of " + opt.Python[0] + ")"
	}
	return ""
}

// Match reports how the SDKs read an option name (as PipelineOption.Name
// holds it) as this option.
func (opt *BeamOption) Match(name string) OptionMatch {
	var m OptionMatch
	if name == "" {
		return m
	}
	for _, n := range opt.Java {
		if name == n {
			m.Java, m.Spelling = true, n
		}
	}
	for _, n := range opt.Other {
		if name == n && m.Spelling == "" {
			m.Other, m.Spelling = true, n
		}
	}
	for _, n := range opt.Python {
		if name == n {
			m.Python, m.Spelling = PythonFlag, n
			return m
		}
	}
	for _, n := range opt.PythonNegations {
		if name == n {
			m.Python, m.Spelling = PythonNegation, n
			return m
		}
	}
	for _, flags := range [][]string{opt.Python, opt.PythonNegations} {
		for _, n := range flags {
			if len(name) < len(n) && strings.HasPrefix(n, name) {
				m.Python = PythonPrefix
				if m.Spelling == "" {
					m.Spelling = n
				}
				return m
			}
		}
	}
	return m
}

// The options the pack reads, in every spelling the SDKs accept.
var (
	OptionServiceAccount = &BeamOption{
		Java: []string{"serviceAccount"}, Python: []string{"service_account_email"},
		Other: []string{"serviceAccountEmail"}}
	OptionUsePublicIPs = &BeamOption{
		Java: []string{"usePublicIps"}, Python: []string{"use_public_ips"},
		PythonNegations: []string{"no_use_public_ips"}}
	OptionNetwork    = &BeamOption{Java: []string{"network"}, Python: []string{"network"}}
	OptionSubnetwork = &BeamOption{Java: []string{"subnetwork"}, Python: []string{"subnetwork"}}
	OptionKMSKey     = &BeamOption{Java: []string{"dataflowKmsKey"}, Python: []string{"dataflow_kms_key"}}
	// OptionImpersonate is the identity the job is submitted as (a
	// comma-separated delegation chain in both SDKs).
	OptionImpersonate = &BeamOption{
		Java: []string{"impersonateServiceAccount"}, Python: []string{"impersonate_service_account"}}
	OptionLabels = &BeamOption{Java: []string{"labels"}, Python: []string{"labels", "label"}}
	// OptionTempLocation: Java's gcpTempLocation defaults to tempLocation
	// and both decide where temp files go (GcpOptions).
	OptionTempLocation = &BeamOption{
		Java: []string{"tempLocation", "gcpTempLocation"}, Python: []string{"temp_location"}}
	OptionStagingLocation = &BeamOption{Java: []string{"stagingLocation"}, Python: []string{"staging_location"}}
	OptionExperiments     = &BeamOption{Java: []string{"experiments"}, Python: []string{"experiments", "experiment"}}
	OptionServiceOptions  = &BeamOption{
		Java:   []string{"dataflowServiceOptions"},
		Python: []string{"dataflow_service_options", "dataflow_service_option"}}

	// OptionDefaultWorkerLogLevel is the Java legacy worker's deprecated
	// default level (DataflowWorkerLoggingOptions).
	OptionDefaultWorkerLogLevel = &BeamOption{Java: []string{"defaultWorkerLogLevel"}}
	// OptionDefaultSdkHarnessLogLevel is the SDK harness default level
	// (Java SdkHarnessOptions, Python WorkerOptions).
	OptionDefaultSdkHarnessLogLevel = &BeamOption{
		Java: []string{"defaultSdkHarnessLogLevel"}, Python: []string{"default_sdk_harness_log_level"}}
	OptionWorkerLogLevelOverrides     = &BeamOption{Java: []string{"workerLogLevelOverrides"}}
	OptionSdkHarnessLogLevelOverrides = &BeamOption{
		Java: []string{"sdkHarnessLogLevelOverrides"}, Python: []string{"sdk_harness_log_level_overrides"}}
)
