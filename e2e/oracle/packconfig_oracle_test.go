// Package oracle_test checks the pack's re-implementation of engine behaviour
// against the engine itself (github.com/pulumi/pulumi/pkg/v3), which only this
// e2e module may import.
package oracle_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

const (
	urnJob    = "urn:pulumi:prod::etl::gcp:dataflow/job:Job::nightly"
	urnJob2   = "urn:pulumi:prod::etl::gcp:dataflow/job:Job::hourly"
	urnDevJob = "urn:pulumi:dev::etl::gcp:dataflow/job:Job::nightly"
	urnFlex   = "urn:pulumi:prod::etl::gcp:dataflow/flexTemplateJob:FlexTemplateJob::stream"
	urnChild  = "urn:pulumi:prod::etl::my:index:Pipeline$gcp:dataflow/job:Job::child"
	urnStack  = "urn:pulumi:prod::etl::pulumi:pulumi:Stack::etl-prod"
	urnColons = "urn:pulumi:::::::" // a run of seven colons holds three "::"
	urnExtra  = "urn:pulumi:a::b::c::d::e"
)

// oracleURNs are the URNs every case's exceptions are matched against, on top
// of the targets the case declares.
var oracleURNs = []string{
	urnJob, urnJob2, urnDevJob, urnFlex, urnChild, urnStack, urnColons, urnExtra,
	"", urnJob[:len(urnJob)-1], urnJob + " ", strings.ToUpper(urnJob[:3]) + urnJob[3:],
}

// policyDefault is what a pack's GetAnalyzerInfo says of a policy, with the
// schema as text (see parsed).
type policyDefault struct {
	Name   string
	Level  policy.Level
	Schema string
}

// packPolicies is what a pack's GetAnalyzerInfo says of its policies.
var packPolicies = []policyDefault{
	{Name: "no-default-sa", Level: policy.Mandatory},
	{Name: "max-workers", Level: policy.Advisory, Schema: `{"type": "object", "properties": {
		"limit": {"type": "integer", "minimum": 1, "default": 10},
		"regions": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+-[a-z]+[0-9]$"}, "default": ["europe-west1"]},
		"mode": {"type": "string", "enum": ["fast", "slow"]},
		"nested": {"type": "object", "properties": {"x": {"type": "string", "default": "nested defaults aren't applied"}}}
	}}`},
	{Name: "labels", Level: policy.Remediate, Schema: `{"type": "object", "properties": {
		"keys": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": true},
		"owner": {"type": "string", "maxLength": 8, "default": "data"}
	}, "required": ["keys"]}`},
	{Name: "cmek", Level: policy.Disabled, Schema: `{"type": "object"}`},
	{Name: "streaming-engine", Level: policy.Advisory, Schema: `{"type": "object", "properties": {
		"enabled": {"const": true, "default": true},
		"ratio": {"type": "number", "exclusiveMaximum": 1, "default": 0.5}
	}}`},
}

// packInitial is the pack's InitialConfig: it satisfies labels' required keys.
func packInitial() map[string]policy.PolicyConfig {
	return map[string]policy.PolicyConfig{"labels": {Properties: map[string]any{"keys": []any{"team"}}}}
}

type outcome string

const (
	ok        outcome = "accepted"
	badFile   outcome = "file rejected"
	badConfig outcome = "config rejected"
)

// Values of oracleCase.initial.
const (
	noInitial  = "none"
	strayInits = "stray"
)

type oracleCase struct {
	name string
	file string
	want outcome
	// policies replaces packPolicies when set.
	policies []policyDefault
	// initial selects the InitialConfig layer: "" is packInitial, noInitial is
	// none, strayInits adds keys the pack doesn't have.
	initial string
}

func exc(id, reason, match string) string {
	return `"` + id + `": {"reason": "` + reason + `", "match": [` + match + `]}`
}

func entry(policies, targets string) string {
	return `{"policies": [` + policies + `], "targets": [` + targets + `]}`
}

func q(ss ...string) string {
	b, _ := json.Marshal(ss)
	return strings.Trim(string(b), "[]")
}

var oracleCases = []oracleCase{
	// Empty files.
	{name: "empty", file: ``, want: ok},
	{name: "blank", file: " \n\t\r ", want: ok},
	{name: "null", file: `null`, want: ok},
	{name: "empty object", file: `{}`, want: ok},
	{name: "empty object without initial config", file: `{}`, want: badConfig, initial: noInitial},

	// Version 1.
	{name: "v1 level strings", file: `{"no-default-sa": "advisory", "max-workers": "mandatory", "labels": "disabled", "cmek": "remediate"}`, want: ok},
	{name: "v1 objects merge props over defaults", file: `{
		"max-workers": {"enforcementLevel": "remediate", "limit": 4, "mode": "fast", "extra": {"kept": [1, 2.5, null, true]}},
		"labels": {"keys": ["team", "env"]}
	}`, want: ok},
	{name: "v1 nested object replaces, nested defaults not applied", file: `{"max-workers": {"nested": {"y": 1}}}`, want: ok},
	{name: "v1 disabled and remediate in objects", file: `{"no-default-sa": {"enforcementLevel": "disabled"}, "cmek": {"enforcementLevel": "remediate", "keyRing": "kr"}}`, want: ok},
	{name: "v1 entries with neither level nor props are dropped", file: `{"no-default-sa": {}, "max-workers": {}}`, want: ok},
	{name: "v1 all string", file: `{"all": "disabled", "labels": "mandatory"}`, want: ok},
	{name: "v1 all object with level and props", file: `{"all": {"enforcementLevel": "advisory", "limit": 0}, "max-workers": {"limit": 2}}`, want: ok},
	{name: "v1 all object with props only", file: `{"all": {"limit": 0}}`, want: ok},
	{name: "v1 all overrides stray initial keys", file: `{"all": "remediate"}`, want: ok, initial: strayInits},
	{name: "invalid initial levels are ignored", file: `{"labels": "advisory"}`, want: ok, initial: strayInits},
	{name: "v1 unknown keys are kept", file: `{"max-worker": {"limit": 3}, "cmek-requred": "mandatory", "version": "advisory"}`, want: ok},
	{name: "v1 reserved-looking keys are policies", file: `{"policies": {"x": 1}, "exceptions": {"EXC-1": {"reason": "r"}}, "version": {"enforcementLevel": "disabled"}}`, want: ok},
	{name: "v1 environments", file: `{"environments": ["org/shared", "org/dataflow"], "labels": "advisory"}`, want: ok},
	{name: "v1 empty environments", file: `{"environments": []}`, want: ok},
	{name: "v1 duplicate keys: last wins", file: `{"labels": "advisory", "labels": {"enforcementLevel": "mandatory", "keys": ["a"]}}`, want: ok},
	{name: "v1 numbers", file: `{"max-workers": {"limit": 3.0, "big": 1e20, "precise": 9007199254740993, "neg": -0.0, "exp": 1E-3}}`, want: ok},

	// Version 2.
	{name: "v2 full", file: `{"version": 2, "environments": ["org/shared"],
		"policies": {"all": "mandatory", "max-workers": {"enforcementLevel": "advisory", "limit": 20}, "typo-policy": {"x": 1}},
		"exceptions": {` +
		exc("EXC-1", "legacy jobs", entry(q("no-default-sa", "max-workers"), q(urnJob))+","+entry(q("no-default-sa"), q(urnJob2, urnDevJob))) + `, ` +
		exc("stack-wide", "root stack", entry(q("labels"), q(urnStack))) + `, ` +
		exc("child", "components", entry(q("cmek", "labels"), q(urnChild, urnFlex))) + `}}`, want: ok},
	{name: "v2 only version", file: `{"version": 2}`, want: ok},
	{name: "v2 version 2.0 and nulls", file: `{"version": 2.0, "policies": null, "environments": null, "exceptions": null}`, want: ok},
	{name: "v2 empty exceptions", file: `{"version": 2, "exceptions": {}}`, want: ok},
	{name: "v2 ignores other top-level keys", file: `{"version": 2, "labels": "loud", "policies": {"labels": "advisory"}}`, want: ok},
	{name: "v2 keys are case-insensitive", file: `{"version": 2, "Policies": {"labels": "advisory"}, "ENVIRONMENTS": ["org/e"], "Exceptions": {` +
		exc("a", "r", entry(q("labels"), q(urnJob))) + `}}`, want: ok},
	{name: "v2 policies under two spellings merge", file: `{"version": 2, "policies": {"labels": "advisory"}, "Policies": {"cmek": "mandatory"}}`, want: ok},
	{name: "v2 duplicate version: last wins", file: `{"version": 3, "version": 2, "policies": {"cmek": "advisory"}}`, want: ok},
	{name: "v2 non-numeric duplicate version makes it v1", file: `{"version": 2, "version": "advisory"}`, want: ok},
	{name: "v2 exception order and natural IDs", file: `{"version": 2, "exceptions": {` + strings.Join([]string{
		exc("EXC-10", "ten", entry(q("labels"), q(urnJob))),
		exc("EXC-9", "nine", entry(q("labels"), q(urnJob))),
		exc("EXC-009", "zero-nine", entry(q("labels"), q(urnJob))),
		exc("EXC-100", "hundred", entry(q("labels"), q(urnJob))),
		exc("a-", "a dash", entry(q("labels"), q(urnJob))),
		exc("a1", "a one", entry(q("labels"), q(urnJob))),
		exc("A.b_c", "dots", entry(q("labels"), q(urnJob))),
		exc("_x", "underscore", entry(q("labels"), q(urnJob))),
		exc("9", "nine bare", entry(q("labels"), q(urnJob))),
		exc("x", "x", entry(q("labels"), q(urnJob))),
		exc("x1", "x one", entry(q("labels"), q(urnJob))),
	}, ", ") + `}}`, want: ok},
	{name: "v2 exception URN edge cases and unknown fields", file: `{"version": 2, "exceptions": {` +
		`"odd": {"reason": " r ", "expires": "2030-01-01", "match": [{"policies": [" labels", "no-such-policy"], "targets": ["` +
		urnColons + `", "` + urnExtra + `"], "type": "x"}]}, ` +
		`"cap": {"reason": "r", "Match": [` + entry(q("labels"), q(urnStack)) + `]}}}`, want: ok},

	// Invalid files.
	{name: "invalid JSON", file: `{"labels": `, want: badFile},
	{name: "trailing garbage", file: `{} x`, want: badFile},
	{name: "array", file: `["advisory"]`, want: badFile},
	{name: "string", file: `"advisory"`, want: badFile},
	{name: "invalid level", file: `{"labels": "loud"}`, want: badFile},
	{name: "empty level", file: `{"labels": ""}`, want: badFile},
	{name: "capitalised level", file: `{"labels": "Mandatory"}`, want: badFile},
	{name: "invalid level in object", file: `{"labels": {"enforcementLevel": "warn", "keys": ["a"]}}`, want: badFile},
	{name: "non-string level", file: `{"labels": {"enforcementLevel": 1}}`, want: badFile},
	{name: "null level", file: `{"labels": {"enforcementLevel": null}}`, want: badFile},
	{name: "invalid level under all", file: `{"all": "strict"}`, want: badFile},
	{name: "number value", file: `{"labels": 1}`, want: badFile},
	{name: "null value", file: `{"labels": null}`, want: badFile},
	{name: "bool value", file: `{"labels": true}`, want: badFile},
	{name: "v1 environments not an array", file: `{"environments": "org/e"}`, want: badFile},
	{name: "v1 environments null", file: `{"environments": null}`, want: badFile},
	{name: "v1 environments entry not a string", file: `{"environments": ["org/e", 1]}`, want: badFile},
	{name: "version 3", file: `{"version": 3}`, want: badFile},
	{name: "version 2.5", file: `{"version": 2.5}`, want: badFile},
	{name: "version 1", file: `{"version": 1, "labels": "advisory"}`, want: badFile},
	{name: "version 0", file: `{"version": 0}`, want: badFile},
	{name: "version -2", file: `{"version": -2}`, want: badFile},
	{name: "version 1e3", file: `{"version": 1e3}`, want: badFile},
	{name: "v2 invalid level", file: `{"version": 2, "policies": {"labels": "loud"}}`, want: badFile},
	{name: "v2 policies not an object", file: `{"version": 2, "policies": ["labels"]}`, want: badFile},
	{name: "v2 environments entry not a string", file: `{"version": 2, "environments": [1]}`, want: badFile},
	{name: "v2 environments not an array", file: `{"version": 2, "environments": "org/e"}`, want: badFile},
	{name: "v2 exceptions not an object", file: `{"version": 2, "exceptions": []}`, want: badFile},
	{name: "exception not an object", file: `{"version": 2, "exceptions": {"a": "x"}}`, want: badFile},
	{name: "exception null", file: `{"version": 2, "exceptions": {"a": null}}`, want: badFile},
	{name: "exception bad ID", file: `{"version": 2, "exceptions": {` + exc("a b", "r", entry(q("labels"), q(urnJob))) + `}}`, want: badFile},
	{name: "exception empty ID", file: `{"version": 2, "exceptions": {` + exc("", "r", entry(q("labels"), q(urnJob))) + `}}`, want: badFile},
	{name: "exception non-ASCII ID", file: `{"version": 2, "exceptions": {` + exc("exc-é", "r", entry(q("labels"), q(urnJob))) + `}}`, want: badFile},
	{name: "exception without reason", file: `{"version": 2, "exceptions": {"a": {"match": [` + entry(q("labels"), q(urnJob)) + `]}}}`, want: badFile},
	{name: "exception blank reason", file: `{"version": 2, "exceptions": {` + exc("a", ` \t`, entry(q("labels"), q(urnJob))) + `}}`, want: badFile},
	{name: "exception reason not a string", file: `{"version": 2, "exceptions": {"a": {"reason": 1, "match": [` + entry(q("labels"), q(urnJob)) + `]}}}`, want: badFile},
	{name: "exception without match", file: `{"version": 2, "exceptions": {"a": {"reason": "r"}}}`, want: badFile},
	{name: "exception empty match", file: `{"version": 2, "exceptions": {` + exc("a", "r", "") + `}}`, want: badFile},
	{name: "exception match not a list", file: `{"version": 2, "exceptions": {"a": {"reason": "r", "match": {}}}}`, want: badFile},
	{name: "exception match entry not an object", file: `{"version": 2, "exceptions": {` + exc("a", "r", `"labels"`) + `}}`, want: badFile},
	{name: "exception Match entry null", file: `{"version": 2, "exceptions": {"a": {"reason": "r", "Match": [null]}}}`, want: badFile},
	{name: "exception without policies", file: `{"version": 2, "exceptions": {` + exc("a", "r", `{"targets": [`+q(urnJob)+`]}`) + `}}`, want: badFile},
	{name: "exception empty policy name", file: `{"version": 2, "exceptions": {` + exc("a", "r", entry(q(""), q(urnJob))) + `}}`, want: badFile},
	{name: "exception null policy name", file: `{"version": 2, "exceptions": {` + exc("a", "r", entry(`null`, q(urnJob))) + `}}`, want: badFile},
	{name: "exception policy all", file: `{"version": 2, "exceptions": {` + exc("a", "r", entry(q("labels", "all"), q(urnJob))) + `}}`, want: badFile},
	{name: "exception without targets", file: `{"version": 2, "exceptions": {` + exc("a", "r", `{"policies": ["labels"]}`) + `}}`, want: badFile},
	{name: "exception target not a URN", file: `{"version": 2, "exceptions": {` + exc("a", "r", entry(q("labels"), q("nightly"))) + `}}`, want: badFile},
	{name: "exception target with too few parts", file: `{"version": 2, "exceptions": {` + exc("a", "r", entry(q("labels"), q("urn:pulumi:prod::etl::Job"))) + `}}`, want: badFile},
	{name: "exception target upper-case prefix", file: `{"version": 2, "exceptions": {` + exc("a", "r", entry(q("labels"), q("URN:pulumi:prod::etl::t::n"))) + `}}`, want: badFile},
	{name: "exception error in a later entry", file: `{"version": 2, "exceptions": {` + exc("a", "r", entry(q("labels"), q(urnJob))+`, {"policies": ["labels"]}`) + `}}`, want: badFile},
	{name: "one bad exception rejects the file", file: `{"version": 2, "exceptions": {` + exc("good", "r", entry(q("labels"), q(urnJob))) + `, ` + exc("bad", "r", entry(q("labels"), q("x"))) + `}}`, want: badFile},

	// Schema violations and defaults.
	{name: "below minimum", file: `{"max-workers": {"limit": 0}}`, want: badConfig},
	{name: "wrong type", file: `{"max-workers": {"limit": "ten"}}`, want: badConfig},
	{name: "not an integer", file: `{"max-workers": {"limit": 2.5}}`, want: badConfig},
	{name: "enum", file: `{"max-workers": {"mode": "medium"}}`, want: badConfig},
	{name: "pattern in items", file: `{"max-workers": {"regions": ["europe-west1", "EU"]}}`, want: badConfig},
	{name: "minItems", file: `{"labels": {"keys": []}}`, want: badConfig},
	{name: "uniqueItems", file: `{"labels": {"keys": ["a", "a"]}}`, want: badConfig},
	{name: "maxLength", file: `{"labels": {"owner": "platform-team"}}`, want: badConfig},
	{name: "const", file: `{"streaming-engine": {"enabled": false}}`, want: badConfig},
	{name: "exclusiveMaximum", file: `{"streaming-engine": {"ratio": 1}}`, want: badConfig},
	{name: "null property", file: `{"max-workers": {"limit": null}}`, want: badConfig},
	{name: "errors in several policies", file: `{"max-workers": {"limit": 0, "mode": 1}, "labels": {"keys": [1]}}`, want: badConfig},
	{name: "required missing", file: `{"labels": "mandatory"}`, want: badConfig, initial: noInitial},
	{name: "required given by the file", file: `{"labels": {"keys": ["a"]}}`, want: ok, initial: noInitial},
	{name: "all's props are not validated", file: `{"all": {"enforcementLevel": "advisory", "limit": "x"}}`, want: ok},
	{name: "undeclared props are allowed", file: `{"cmek": {"anything": [1]}, "max-workers": {"other": "x"}}`, want: ok},
	{name: "invalid default", file: `{}`, want: badConfig, policies: []policyDefault{
		{Name: "p", Level: policy.Advisory, Schema: `{"properties": {"n": {"type": "string", "maxLength": 2, "default": "long"}}}`},
	}},
	{name: "invalid default fixed by the file", file: `{"p": {"n": "ok"}}`, want: ok, policies: []policyDefault{
		{Name: "p", Level: policy.Advisory, Schema: `{"properties": {"n": {"type": "string", "maxLength": 2, "default": "long"}}}`},
	}},
	{name: "defaults of several types", file: `{"p": "mandatory"}`, want: ok, policies: []policyDefault{
		{Name: "p", Level: policy.Advisory, Schema: `{"type": "object", "properties": {
			"s": {"type": "string", "default": "x"}, "n": {"type": "number", "default": 1.5},
			"b": {"type": "boolean", "default": false}, "z": {"default": null},
			"o": {"type": "object", "default": {"k": [1]}}, "none": {"type": "string"}}}`},
		{Name: "q", Schema: `{"type": "object", "properties": {}, "required": []}`},
	}},
	{name: "policy without a level", file: `{}`, want: ok, policies: []policyDefault{{Name: "p"}}},
	{name: "all sets a policy without a level", file: `{"all": "advisory"}`, want: ok, policies: []policyDefault{{Name: "p"}}},
}

func TestOraclePolicyPackConfig(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(oracleCases), 15)

	for _, tc := range oracleCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "policy-config.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.file), 0o600))

			// Parsing.
			engFile, engErr := analyzer.LoadPolicyPackConfigFile(path)
			ourFile, ourErr := packconfig.ReadFile(path)
			t.Logf("engine: %v", engErr)
			t.Logf("ours:   %v", ourErr)
			require.Equal(t, engErr == nil, ourErr == nil, "acceptance of the file differs")
			ourParsed, parseErr := packconfig.Parse([]byte(tc.file))
			require.Equal(t, ourErr == nil, parseErr == nil, "ReadFile and Parse disagree")
			if engErr != nil {
				assert.Equal(t, badFile, tc.want, "the engine rejects the file")
				assert.Contains(t, ourErr.Error(), path, "ReadFile errors name the file")
				return
			}
			assert.Equal(t, ourFile, ourParsed)
			assert.Equal(t, engFile.Config, toEngine(ourFile.Policies), "parsed config")
			assert.Equal(t, engFile.Environments, ourFile.Environments, "environments")
			compareExceptions(t, engFile.Exceptions, ourFile.Exceptions, tc.policyNames())

			// Reconciliation, with the policies as the test builds them and as
			// the engine's plugin builds them from GetAnalyzerInfo (which adds
			// an enforcementLevel property to every policy's schema).
			for _, viaPlugin := range []bool{false, true} {
				engConfig, engProblems, engErr := analyzer.ReconcilePolicyPackConfig(
					engineInfos(t, tc.defaults(), viaPlugin), toEngine(tc.initialLayer()), engFile.Config)
				ourConfig, ourErr := policy.Reconcile(parsed(t, tc.defaults()), tc.initialLayer(), ourFile.Policies)
				t.Logf("plugin=%v engine: %v %v", viaPlugin, engErr, engProblems)
				t.Logf("plugin=%v ours:   %v", viaPlugin, ourErr)
				engOK := engErr == nil && len(engProblems) == 0
				require.Equal(t, engOK, ourErr == nil, "acceptance of the config differs (plugin=%v)", viaPlugin)
				if engOK {
					assert.Equal(t, ok, tc.want, "the engine accepts the config")
					assert.Equal(t, engConfig, toEngine(ourConfig), "reconciled config (plugin=%v)", viaPlugin)
					continue
				}
				assert.Equal(t, badConfig, tc.want, "the engine rejects the config")
				require.NoError(t, engErr)
				var verr *policy.ValidationError
				require.True(t, errors.As(ourErr, &verr), "%v", ourErr)
				assert.Equal(t, fieldsOf(engProblems, true), fieldsOf(verr.Problems, false), "fields with problems")
			}
		})
	}
}

// exceptionTables are "exceptions" objects for ParsePolicyExceptions, which
// keeps the valid exceptions and returns an error for each invalid one.
var exceptionTables = []map[string]string{
	{},
	{
		"EXC-10":    `{"reason": "r", "match": [` + entry(q("labels"), q("bad")) + `]}`,
		"EXC-2":     `{"reason": "two", "tags": ["x"], "match": [` + entry(q("labels"), q(urnJob)) + `]}`,
		"EXC-9":     `{"reason": "nine", "match": [` + entry(q("labels", "cmek"), q(urnJob, urnJob2)) + `]}`,
		"no-reason": `{"match": [` + entry(q("labels"), q(urnJob)) + `]}`,
		"a b":       `{"reason": "r", "match": [` + entry(q("labels"), q(urnJob)) + `]}`,
		"all":       `{"reason": "r", "match": [` + entry(q("all"), q(urnJob)) + `]}`,
		"null":      `null`,
		"EXC-009":   `{"reason": "zero nine", "match": [` + entry(q("cmek"), q(urnJob2)) + `]}`,
	},
}

func TestOracleParseExceptions(t *testing.T) {
	t.Parallel()
	for i, table := range exceptionTables {
		raw := map[string]json.RawMessage{}
		for id, js := range table {
			raw[id] = json.RawMessage(js)
		}
		engSet, engErrs := analyzer.ParsePolicyExceptions(raw)
		ourSet, ourErrs := packconfig.ParseExceptions(raw)
		require.Len(t, ourErrs, len(engErrs), "table %d", i)
		for j := range engErrs {
			t.Logf("engine: %v\nours:   %v", engErrs[j], ourErrs[j])
			// Both name the same exception, in the same order.
			assert.Equal(t, strings.SplitN(engErrs[j].Error(), ":", 2)[0], strings.SplitN(ourErrs[j].Error(), ":", 2)[0])
		}
		compareExceptions(t, engSet, ourSet, []string{"labels", "cmek", "all"})
	}
}

// compareExceptions asserts that both sets match the same exceptions, in the
// same order and with the same reasons, for every pair of a known policy name
// and a known URN.
func compareExceptions(t *testing.T, eng analyzer.PolicyExceptions, ours packconfig.Exceptions, policies []string) {
	t.Helper()
	names := append([]string{"", "all", "no-such-policy", " labels"}, policies...)
	urns := append([]string{}, oracleURNs...)
	for _, x := range ours {
		for _, m := range x.Match {
			names = append(names, m.Policies...)
			urns = append(urns, m.Targets...)
		}
	}
	for _, name := range names {
		for _, urn := range urns {
			want := []packconfig.Exception{}
			for _, e := range eng.Match(name, resource.URN(urn)) {
				want = append(want, packconfig.Exception{ID: e.ID, Reason: e.Reason})
			}
			got := []packconfig.Exception{}
			for _, x := range ours.Matching(name, urn) {
				got = append(got, packconfig.Exception{ID: x.ID, Reason: x.Reason})
			}
			assert.Equal(t, want, got, "exceptions matching (%q, %q)", name, urn)
			ids := ours.Match(name, urn)
			if len(want) == 0 {
				assert.Nil(t, ids)
			} else {
				assert.Len(t, ids, len(want))
			}
		}
	}
}

func (tc oracleCase) defaults() []policyDefault {
	if tc.policies != nil {
		return tc.policies
	}
	return packPolicies
}

// parsed is the pack's view of the policies: each schema parsed once, as
// when the pack is built.
func parsed(t *testing.T, defs []policyDefault) []policy.PolicyDefault {
	t.Helper()
	out := make([]policy.PolicyDefault, len(defs))
	for i, d := range defs {
		out[i] = policy.PolicyDefault{Name: d.Name, Level: d.Level}
		if d.Schema != "" {
			s, err := policy.ParseSchema(d.Schema)
			require.NoError(t, err, d.Name)
			out[i].Schema = s
		}
	}
	return out
}

func (tc oracleCase) policyNames() []string {
	var names []string
	for _, p := range tc.defaults() {
		names = append(names, p.Name)
	}
	return names
}

// initialLayer returns a fresh InitialConfig layer for each call, so that the
// engine and the pack never share maps.
func (tc oracleCase) initialLayer() map[string]policy.PolicyConfig {
	switch tc.initial {
	case noInitial:
		return nil
	case strayInits:
		l := packInitial()
		l["stray"] = policy.PolicyConfig{Level: policy.Mandatory, Properties: map[string]any{"x": 1.0}}
		l["no-level"] = policy.PolicyConfig{Properties: map[string]any{"y": "z"}}
		l["bad-level"] = policy.PolicyConfig{Level: "loud"}
		l["cmek"] = policy.PolicyConfig{Level: "Mandatory", Properties: map[string]any{"keyRing": "kr"}}
		return l
	}
	return packInitial()
}

// engineInfos builds the engine's view of the policies. With viaPlugin, it
// does what the engine's analyzer plugin does with GetAnalyzerInfo when the
// pack supports config: every policy gets a schema, with an injected
// enforcementLevel property.
func engineInfos(t *testing.T, defs []policyDefault, viaPlugin bool) []plugin.AnalyzerPolicyInfo {
	t.Helper()
	infos := make([]plugin.AnalyzerPolicyInfo, 0, len(defs))
	for _, d := range defs {
		info := plugin.AnalyzerPolicyInfo{Name: d.Name, EnforcementLevel: apitype.EnforcementLevel(d.Level)}
		if d.Schema != "" {
			var s struct {
				Properties map[string]plugin.JSONSchema `json:"properties"`
				Required   []string                     `json:"required"`
			}
			require.NoError(t, json.Unmarshal([]byte(d.Schema), &s))
			info.ConfigSchema = &plugin.AnalyzerPolicyConfigSchema{Properties: s.Properties, Required: s.Required}
		}
		if viaPlugin {
			if info.ConfigSchema == nil {
				info.ConfigSchema = &plugin.AnalyzerPolicyConfigSchema{}
			}
			if info.ConfigSchema.Properties == nil {
				info.ConfigSchema.Properties = map[string]plugin.JSONSchema{}
			}
			info.ConfigSchema.Properties["enforcementLevel"] = plugin.JSONSchema{
				"type": "string",
				"enum": []string{"advisory", "mandatory", "remediate", "disabled"},
			}
		}
		infos = append(infos, info)
	}
	return infos
}

func toEngine(m map[string]policy.PolicyConfig) map[string]plugin.AnalyzerPolicyConfig {
	if m == nil {
		return nil
	}
	out := make(map[string]plugin.AnalyzerPolicyConfig, len(m))
	for k, v := range m {
		out[k] = plugin.AnalyzerPolicyConfig{EnforcementLevel: apitype.EnforcementLevel(v.Level), Properties: v.Properties}
	}
	return out
}

// fieldsOf returns the sorted, distinct "<policy>: <field>" that problems are
// about. Ours read "<policy>: <field>: <problem>"; the engine's (gojsonschema)
// read "<policy>: <field>: <problem>" or "<policy>: [<field>: ]<name> is
// required", where the field is the object missing property <name>.
func fieldsOf(problems []string, engine bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range problems {
		name, rest, _ := strings.Cut(p, ": ")
		field, desc, found := strings.Cut(rest, ": ")
		if engine {
			if !found {
				field, desc = "", rest
			}
			if missing, ok := strings.CutSuffix(desc, " is required"); ok {
				field = strings.TrimPrefix(field+"."+missing, ".")
			}
		}
		key := name + ": " + field
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// keywordCases are property schemas and values: the engine (gojsonschema) and
// the pack (santhosh-tekuri/jsonschema, draft 7, engine-like formats) must
// accept or reject each the same way.
var keywordCases = []struct{ schema, value string }{
	{`{"type": "integer"}`, `3.0`},
	{`{"type": "integer"}`, `1e300`},
	{`{"type": "integer", "multipleOf": 0.1}`, `3`},
	{`{"type": "number", "multipleOf": 0.01}`, `0.07`},
	{`{"type": "number", "maximum": 1}`, `1.0000000000000001`},
	{`{"type": "string", "minLength": 2}`, `"é"`},
	{`{"type": "string", "maxLength": 1}`, `"👍"`},
	{`{"type": "string", "pattern": "\\p{L}+"}`, `"é"`},
	{`{"type": "string", "pattern": "^\\d+$"}`, `"١٢"`},
	{`{"type": "string", "pattern": "(?=x)"}`, `"x"`},
	{`{"type": "array", "items": [{"type": "string"}]}`, `[1]`},
	{`{"type": "array", "items": [{"type": "string"}], "additionalItems": false}`, `["a", "b"]`},
	{`{"type": "array", "prefixItems": [{"type": "string"}]}`, `[1]`},
	{`{"type": "array", "contains": {"const": 1}}`, `[2]`},
	{`{"type": "array", "uniqueItems": true}`, `[1, 1.0]`},
	{`{"type": "object", "additionalProperties": false, "properties": {"a": {}}}`, `{"a": 1, "b": 2}`},
	{`{"type": "object", "required": ["a"]}`, `{}`},
	{`{"type": "object", "propertyNames": {"maxLength": 1}}`, `{"ab": 1}`},
	{`{"type": "object", "dependencies": {"a": ["b"]}}`, `{"a": 1}`},
	{`{"type": "object", "dependentRequired": {"a": ["b"]}}`, `{"a": 1}`},
	{`{"if": {"const": 1}, "then": {"const": 2}}`, `1`},
	{`{"anyOf": [{"type": "string"}, {"type": "integer"}]}`, `true`},
	{`{"oneOf": [{"type": "number"}, {"type": "integer"}]}`, `1`},
	{`{"not": {"type": "null"}}`, `null`},
	{`{"$ref": "#/definitions/x"}`, `1`},
	{`{"enum": [1, "a", null]}`, `1.0`},
	{`{"const": {"a": [1]}}`, `{"a": [1.0]}`},
	{`{"type": "string", "format": "email"}`, `"a@b"`},
	{`{"type": "string", "format": "email"}`, `"not-an-email"`},
	{`{"type": "string", "format": "email"}`, `"Data Team <data@example.com>"`},
	{`{"format": "email"}`, `5`},
	{`{"format": "email"}`, `true`},
	{`{"type": "string", "format": "idn-email"}`, `"ü@example.com"`},
	{`{"type": "string", "format": "uri"}`, `"https://example.com/x"`},
	{`{"type": "string", "format": "uri"}`, `"gs://bucket/path"`},
	{`{"type": "string", "format": "uri"}`, `"x y"`},
	{`{"type": "string", "format": "uri"}`, `"http://a\\b"`},
	{`{"type": "string", "format": "uri-reference"}`, `"../x"`},
	{`{"type": "string", "format": "uri-template"}`, `"https://x/{a}/{b"`},
	{`{"type": "string", "format": "uri-template"}`, `"https://x/{a}/}"`},
	{`{"type": "string", "format": "date-time"}`, `"2024-01-01T00:00:00Z"`},
	{`{"type": "string", "format": "date-time"}`, `"2024-01-01"`},
	{`{"type": "string", "format": "date-time"}`, `"12:30:00"`},
	{`{"type": "string", "format": "date-time"}`, `"2024-01-01 00:00:00"`},
	{`{"type": "string", "format": "date"}`, `"2024-02-30"`},
	{`{"type": "string", "format": "time"}`, `"12:30:00+01:00"`},
	{`{"type": "string", "format": "time"}`, `"12:30"`},
	{`{"type": "string", "format": "ipv4"}`, `"10.0.0.1"`},
	{`{"type": "string", "format": "ipv4"}`, `"1.2.3"`},
	{`{"type": "string", "format": "ipv4"}`, `"::ffff:10.0.0.1"`},
	{`{"type": "string", "format": "ipv6"}`, `"fe80::1"`},
	{`{"type": "string", "format": "hostname"}`, `"a_b"`},
	{`{"type": "string", "format": "hostname"}`, `"dataflow.googleapis.com"`},
	{`{"type": "string", "format": "hostname"}`, `"-a.com"`},
	{`{"type": "string", "format": "hostname"}`, `"a..b"`},
	{`{"type": "string", "format": "uuid"}`, `"123e4567-e89b-12d3-a456-426614174000"`},
	{`{"type": "string", "format": "uuid"}`, `"123E4567-E89B-12D3-A456-426614174000"`},
	{`{"type": "string", "format": "regex"}`, `"(?i)x"`},
	{`{"type": "string", "format": "regex"}`, `"(x"`},
	{`{"type": "string", "format": "json-pointer"}`, `"/a~1b/~2"`},
	{`{"type": "string", "format": "relative-json-pointer"}`, `"0#"`},
	{`{"type": "string", "format": "relative-json-pointer"}`, `"01/a"`},
	{`{"type": "string", "format": "duration"}`, `"one day"`},
	{`{"type": "string", "format": "semver"}`, `"x"`},
	{`{"type": "string", "format": "no-such-format"}`, `"x"`},
}

// knownDifferences are accepted by one side only. Draft 4's boolean
// exclusiveMinimum is valid for gojsonschema but not in draft 7.
var knownDifferences = []struct{ schema, value string }{
	{`{"type": "number", "minimum": 0, "exclusiveMinimum": true}`, `1`},
}

func TestOracleSchemaKeywords(t *testing.T) {
	t.Parallel()
	verdicts := func(schema, value string) (engine, ours bool) {
		defs := []policyDefault{{Name: "p", Level: policy.Advisory,
			Schema: `{"type": "object", "properties": {"v": ` + schema + `}}`}}
		f, err := packconfig.Parse([]byte(`{"p": {"v": ` + value + `}}`))
		require.NoError(t, err)
		var props map[string]any
		require.NoError(t, json.Unmarshal([]byte(`{"v": `+value+`}`), &props))
		_, problems, engErr := analyzer.ReconcilePolicyPackConfig(engineInfos(t, defs, true), nil,
			map[string]plugin.AnalyzerPolicyConfig{"p": {Properties: props}})
		_, ourErr := policy.Reconcile(parsed(t, defs), f.Policies)
		t.Logf("%s %s: engine %v %v; ours %v", schema, value, engErr, problems, ourErr)
		return engErr == nil && len(problems) == 0, ourErr == nil
	}
	for _, c := range keywordCases {
		engine, ours := verdicts(c.schema, c.value)
		assert.Equal(t, engine, ours, "%s with %s", c.schema, c.value)
	}
	for _, c := range knownDifferences {
		engine, ours := verdicts(c.schema, c.value)
		assert.NotEqual(t, engine, ours, "known difference gone: %s with %s", c.schema, c.value)
	}
}
