package gcp_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestBeamLogLevels(t *testing.T) {
	type want struct {
		t  gcp.LogThreshold
		ok bool
	}
	for in, w := range map[string]want{
		"OFF": {gcp.LogOff, true}, " OFF ": {gcp.LogOff, true}, "off": {gcp.LogOff, true}, "0": {gcp.LogOff, true},
		"1": {gcp.LogError, true}, "ERROR": {gcp.LogError, true}, "WARN": {gcp.LogWarn, true}, "5": {gcp.LogTrace, true},
		"WARNING": {0, false}, "CRITICAL": {0, false}, "6": {0, false}, "VERBOSE": {0, false}, "": {0, false},
	} {
		got, ok := gcp.JavaDefaultLogLevel(in)
		assert.Equal(t, w, want{got, ok}, "java default %q", in)
	}
	for in, w := range map[string]want{
		"OFF": {gcp.LogOff, true}, "off": {0, false}, " OFF": {0, false}, "0": {0, false}, "WARNING": {0, false},
	} {
		got, ok := gcp.JavaOverrideLogLevel(in, false)
		assert.Equal(t, w, want{got, ok}, "java override %q", in)
	}
	got, ok := gcp.JavaOverrideLogLevel("WARNING", true)
	assert.Equal(t, want{gcp.LogWarn, true}, want{got, ok}, "the SDK harness takes WARNING for WARN")
	for in, w := range map[string]want{
		"CRITICAL": {gcp.LogCritical, true}, "FATAL": {gcp.LogCritical, true}, "WARN": {gcp.LogWarn, true},
		"NOTSET": {gcp.LogNotSet, true}, "50": {gcp.LogCritical, true}, "45": {45, true}, "51": {gcp.LogOff, true},
		"100": {gcp.LogOff, true}, "0": {gcp.LogNotSet, true}, "１００": {gcp.LogOff, true}, "４５": {45, true},
		"OFF": {0, false}, "off": {0, false}, "critical": {0, false}, "-1": {0, false}, " 50": {0, false},
		"TRACE": {0, false}, "99999999999999999999": {gcp.LogOff, true},
	} {
		got, ok := gcp.PythonDefaultLogLevel(in)
		assert.Equal(t, w, want{got, ok}, "python default %q", in)
	}
	for in, w := range map[any]want{
		"CRITICAL": {gcp.LogCritical, true}, json.Number("100"): {gcp.LogOff, true}, json.Number("40"): {gcp.LogError, true},
		json.Number("50.0"): {0, false}, "100": {0, false}, "OFF": {0, false}, true: {1, true}, nil: {0, false},
	} {
		got, ok := gcp.PythonOverrideLogLevel(in)
		assert.Equal(t, w, want{got, ok}, "python override %v", in)
	}
	for in, w := range map[string]want{"warning": {gcp.LogWarn, true}, "Fatal": {gcp.LogCritical, true}, "nope": {0, false}} {
		got, ok := gcp.ParseLogLevelName(in)
		assert.Equal(t, w, want{got, ok}, in)
	}
	assert.True(t, gcp.LogOff.Off())
	assert.False(t, gcp.LogCritical.Off())
	assert.Equal(t, "level 45", gcp.LogThreshold(45).String())
}

func TestLogOverrides(t *testing.T) {
	pairs, ok := gcp.LogOverrides(`{"a":"OFF","":"ERROR","a":"INFO"} trailing`, false)
	assert.True(t, ok, "Java reads the first JSON value")
	assert.Equal(t, []gcp.LoggerLevel{{"a", "OFF"}, {"", "ERROR"}, {"a", "INFO"}}, pairs, "duplicates kept in order")

	pairs, ok = gcp.LogOverrides("\uFEFF{\"\": \"OFF\"}", false)
	assert.True(t, ok, "a byte order mark is skipped")
	assert.Equal(t, []gcp.LoggerLevel{{"", "OFF"}}, pairs)

	pairs, ok = gcp.LogOverrides(`[["", "CRITICAL"], ["x", 100], "ab"]`, true)
	assert.True(t, ok, "Python merges an array of pairs")
	assert.Equal(t, []gcp.LoggerLevel{{"", "CRITICAL"}, {"x", json.Number("100")}}, pairs)
	_, ok = gcp.LogOverrides(`[["", "CRITICAL"]]`, false)
	assert.False(t, ok, "Java wants an object")
	for _, bad := range []string{"org.apache.beam=OFF", "", `"x"`, `[["a","b","c"]]`, `{"a":`} {
		_, ok := gcp.LogOverrides(bad, true)
		assert.False(t, ok, bad)
	}
	assert.True(t, gcp.IsRootLogger("", false))
	assert.False(t, gcp.IsRootLogger("root", false))
	assert.True(t, gcp.IsRootLogger("root", true))
}
