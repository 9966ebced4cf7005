package gcp

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// LogThreshold is the lowest severity a worker logger keeps, on Python's
// numeric scale (DEBUG 10, INFO 20, WARNING 30, ERROR 40, CRITICAL 50). The
// Java levels map onto it by name: TRACE 5, DEBUG, INFO, WARN, ERROR, OFF.
type LogThreshold int

// The named thresholds.
const (
	LogNotSet   LogThreshold = 0
	LogTrace    LogThreshold = 5
	LogDebug    LogThreshold = 10
	LogInfo     LogThreshold = 20
	LogWarn     LogThreshold = 30
	LogError    LogThreshold = 40
	LogCritical LogThreshold = 50
	LogOff      LogThreshold = math.MaxInt32
)

// Off reports whether a logger at this threshold drops every record: Java's
// OFF, or a Python number above CRITICAL.
func (t LogThreshold) Off() bool { return t > LogCritical }

// String names the threshold for a message.
func (t LogThreshold) String() string {
	switch t {
	case LogOff:
		return "OFF"
	case LogCritical:
		return "CRITICAL"
	case LogError:
		return "ERROR"
	case LogWarn:
		return "WARN"
	case LogInfo:
		return "INFO"
	case LogDebug:
		return "DEBUG"
	case LogTrace:
		return "TRACE"
	}
	return "level " + strconv.Itoa(int(t))
}

// logLevelNames are the level names a pack user may configure (maxLevel),
// compared in any case.
var logLevelNames = map[string]LogThreshold{
	"TRACE": LogTrace, "DEBUG": LogDebug, "INFO": LogInfo, "WARN": LogWarn, "WARNING": LogWarn,
	"ERROR": LogError, "CRITICAL": LogCritical, "FATAL": LogCritical, "OFF": LogOff,
}

// ParseLogLevelName reads a level name from policy configuration, in any
// case: TRACE, DEBUG, INFO, WARN or WARNING, ERROR, CRITICAL or FATAL, OFF.
func ParseLogLevelName(s string) (LogThreshold, bool) {
	t, ok := logLevelNames[strings.ToUpper(strings.TrimSpace(s))]
	return t, ok
}

// javaLevels are DataflowWorkerLoggingOptions.Level and
// SdkHarnessOptions.LogLevel, in declaration order (OFF is ordinal 0).
var javaLevels = []struct {
	name string
	t    LogThreshold
}{{"OFF", LogOff}, {"ERROR", LogError}, {"WARN", LogWarn}, {"INFO", LogInfo}, {"DEBUG", LogDebug}, {"TRACE", LogTrace}}

// JavaDefaultLogLevel is what the Java SDK makes of a defaultWorkerLogLevel
// or defaultSdkHarnessLogLevel value. PipelineOptionsFactory converts it to
// the enum with Jackson, which matches the name, also once trimmed, and
// takes a quoted number as the enum's ordinal ("0" is OFF). Whether a Beam
// release's Jackson also ignores case is not documented, so any case is
// accepted (fail closed). ok is false for a value the launch rejects.
func JavaDefaultLogLevel(s string) (LogThreshold, bool) {
	s = strings.TrimSpace(s)
	for i, l := range javaLevels {
		if strings.EqualFold(s, l.name) || s == strconv.Itoa(i) {
			return l.t, true
		}
	}
	return 0, false
}

// JavaOverrideLogLevel is what the Java SDK makes of a level in
// workerLogLevelOverrides (Level.valueOf: the exact name) or, with harness,
// sdkHarnessLogLevelOverrides (LogLevel.valueOf, with WARNING accepted for
// WARN). ok is false for a value the launch rejects.
func JavaOverrideLogLevel(s string, harness bool) (LogThreshold, bool) {
	if harness && s == "WARNING" {
		return LogWarn, true
	}
	for _, l := range javaLevels {
		if s == l.name {
			return l.t, true
		}
	}
	return 0, false
}

// pythonLevelNames are CPython's logging._nameToLevel.
var pythonLevelNames = map[string]LogThreshold{
	"CRITICAL": LogCritical, "FATAL": LogCritical, "ERROR": LogError, "WARNING": LogWarn, "WARN": LogWarn,
	"INFO": LogInfo, "DEBUG": LogDebug, "NOTSET": LogNotSet,
}

// PythonDefaultLogLevel is what the Beam Python SDK harness
// (sdk_worker_main) makes of default_sdk_harness_log_level: a decimal
// string is the number (any Unicode decimal digits, as str.isdecimal and int
// take them), otherwise the attribute of the logging module by exact name.
// ok is false for anything else: the harness logs an error and keeps INFO.
func PythonDefaultLogLevel(s string) (LogThreshold, bool) {
	if n, ok := pythonDecimal(s); ok {
		return n, true
	}
	t, ok := pythonLevelNames[s]
	return t, ok
}

// PythonOverrideLogLevel is what logging.Logger.setLevel makes of one level
// of sdk_harness_log_level_overrides, decoded from JSON: an integer (true is
// 1) or an exact level name; a decimal string, a float or anything else is
// rejected and the override skipped (ok false).
func PythonOverrideLogLevel(v any) (LogThreshold, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return LogNotSet, true
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return 0, false
		}
		return clampThreshold(n), true
	case string:
		t, ok := pythonLevelNames[x]
		return t, ok
	}
	return 0, false
}

func clampThreshold(n int64) LogThreshold {
	switch {
	case n > int64(LogCritical):
		return LogOff
	case n < math.MinInt32:
		return math.MinInt32
	}
	return LogThreshold(n)
}

// pythonDecimal parses a string of Unicode decimal digits as Python's
// int() does.
func pythonDecimal(s string) (LogThreshold, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for _, r := range s {
		if !unicode.Is(unicode.Nd, r) {
			return 0, false
		}
		if n <= int64(LogCritical) {
			n = n*10 + int64(decimalDigit(r))
		}
	}
	return clampThreshold(n), true
}

// decimalDigit is the value of a Unicode decimal digit: its distance from
// the start of its run of digits, modulo ten (each script's digits are
// contiguous runs of ten).
func decimalDigit(r rune) int {
	start := r
	for start > 0 && unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

// LoggerLevel is one logger-name/level pair of a log level override map,
// with the level as decoded from JSON (a string, json.Number, bool, ...).
type LoggerLevel struct {
	Logger string
	Level  any
}

// LogOverrides reads a log level override map value (workerLogLevelOverrides,
// sdk(_)harness(_)log(_)level(_)overrides) as the SDKs read it: a JSON
// object of logger name to level. Java reads the first JSON value and
// ignores what trails it (Jackson's readTree); with python, a JSON array of
// [name, level] pairs is read too (Beam Python merges the value with
// dict.update). Every pair is returned in document order, duplicates
// included: which duplicate wins is the parser's choice. ok is false when
// the value is no such map: both SDKs then fail the launch.
func LogOverrides(s string, python bool) (pairs []LoggerLevel, ok bool) {
	// A byte order mark is skipped to fail closed: whether a Beam release's
	// parser skips it is not documented.
	dec := json.NewDecoder(strings.NewReader(strings.TrimPrefix(strings.TrimSpace(s), "\uFEFF")))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return pairs, false
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				return pairs, false
			}
			pairs = append(pairs, LoggerLevel{Logger: k.(string), Level: v})
		}
		return pairs, true
	case json.Delim('['):
		if !python {
			return nil, false
		}
		for dec.More() {
			var item any
			if err := dec.Decode(&item); err != nil {
				return pairs, false
			}
			switch x := item.(type) {
			case []any:
				if len(x) != 2 {
					return pairs, false // dict.update raises: the launch fails
				}
				if name, isString := x[0].(string); isString {
					pairs = append(pairs, LoggerLevel{Logger: name, Level: x[1]})
				}
			case string:
				// A two-character string is a one-character logger name
				// with a one-character level, which no logger accepts.
				if len([]rune(x)) != 2 {
					return pairs, false
				}
			default:
				return pairs, false
			}
		}
		return pairs, true
	}
	return nil, false
}

// IsRootLogger reports whether an override names the root logger: "" in
// both SDKs (LogManager.getLogger("") in Java, logging.getLogger("") in
// Python) and, with python, "root" (CPython 3.9 and later return the root
// logger for its own name).
func IsRootLogger(name string, python bool) bool {
	return name == "" || (python && name == "root")
}
