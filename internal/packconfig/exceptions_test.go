package packconfig

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	jobURN   = "urn:pulumi:prod::etl::gcp:dataflow/job:Job::nightly"
	job2URN  = "urn:pulumi:prod::etl::gcp:dataflow/job:Job::hourly"
	devURN   = "urn:pulumi:dev::etl::gcp:dataflow/job:Job::nightly"
	stackURN = "urn:pulumi:prod::etl::pulumi:pulumi:Stack::etl-prod"
)

func parseV2Exceptions(t *testing.T, block string) Exceptions {
	t.Helper()
	f, err := Parse([]byte(`{"version": 2, "exceptions": ` + block + `}`))
	require.NoError(t, err)
	return f.Exceptions
}

func matchEntry(policyName, urn string) string {
	return `{"policies": ["` + policyName + `"], "targets": ["` + urn + `"]}`
}

func TestExceptionsMatch(t *testing.T) {
	t.Parallel()

	set := parseV2Exceptions(t, `{
		"shared-sa": {"reason": "legacy jobs", "match": [
			{"policies": ["no-default-sa", "worker-sa-least-privilege"], "targets": ["`+jobURN+`"]},
			{"policies": ["no-default-sa"], "targets": ["`+job2URN+`", "`+devURN+`"]}
		]},
		"stack": {"reason": "only in prod", "expires": "2030-01-01", "match": [`+matchEntry("labels-required", stackURN)+`]}
	}`)
	require.Len(t, set, 2)

	tests := []struct {
		name, policy, urn string
		want              []string
	}{
		{"exact", "no-default-sa", jobURN, []string{"shared-sa"}},
		{"second policy of an entry", "worker-sa-least-privilege", jobURN, []string{"shared-sa"}},
		{"second entry", "no-default-sa", job2URN, []string{"shared-sa"}},
		{"another stack", "no-default-sa", devURN, []string{"shared-sa"}},
		{"stack URN", "labels-required", stackURN, []string{"stack"}},
		{"policy and target must share an entry", "worker-sa-least-privilege", job2URN, nil},
		{"other policy", "cmek-required", jobURN, nil},
		{"name prefix isn't a match", "no-default-sa", jobURN[:len(jobURN)-1], nil},
		{"empty URN", "no-default-sa", "", nil},
		{"all isn't a wildcard", "all", jobURN, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, set.Match(tt.policy, tt.urn))
		})
	}

	got := set.Matching("labels-required", stackURN)
	require.Len(t, got, 1)
	assert.Equal(t, "only in prod", got[0].Reason)
	assert.Nil(t, Exceptions(nil).Match("p", jobURN))
	assert.Equal(t, []string{"shared-sa: worker-sa-least-privilege", "stack: labels-required"},
		set.UnknownPolicies([]string{"no-default-sa"}))
}

func TestExceptionsOrder(t *testing.T) {
	t.Parallel()

	m := `"match": [` + matchEntry("p", jobURN) + `]`
	set := parseV2Exceptions(t, `{"EXC-10": {"reason": "r", `+m+`}, "EXC-9": {"reason": "r", `+m+`},
		"EXC-009": {"reason": "r", `+m+`}, "EXC-100": {"reason": "r", `+m+`}, "A": {"reason": "r", `+m+`}}`)
	assert.Equal(t, []string{"A", "EXC-009", "EXC-9", "EXC-10", "EXC-100"}, set.Match("p", jobURN))

	tests := []struct {
		a, b string
		want int
	}{
		{"EXC-2", "EXC-10", -1},
		{"EXC-10", "EXC-2", 1},
		{"EXC-2", "EXC-02a", -1},
		{"EXC-007", "EXC-7", -1},
		{"EXC-7", "EXC-7", 0},
		{"a", "b", -1},
		{"a-", "a1", 1}, // runs "a-" and "a" compare as strings
		{"x", "x1", -1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, CompareExceptionIDs(tt.a, tt.b), "%s vs %s", tt.a, tt.b)
	}
}

func TestExceptionsEmpty(t *testing.T) {
	t.Parallel()
	for _, block := range []string{`null`, `{}`} {
		assert.Empty(t, parseV2Exceptions(t, block), block)
	}
	f, err := Parse([]byte(`{"version": 2}`))
	require.NoError(t, err)
	assert.Empty(t, f.Exceptions)
}

func TestExceptionsInvalid(t *testing.T) {
	t.Parallel()

	valid := matchEntry("p", jobURN)
	tests := []struct{ name, block, err string }{
		{"not an object", `[]`, `"exceptions" must be an object`},
		{"entry not an object", `{"a": "x"}`, `policy exception "a": must be an object`},
		{"entry null", `{"a": null}`, `policy exception "a": must be an object`},
		{"bad ID", `{"a b": {"reason": "r", "match": [` + valid + `]}}`, `policy exception "a b": the ID must be`},
		{"empty ID", `{"": {"reason": "r", "match": [` + valid + `]}}`, `policy exception "": the ID must be`},
		{"missing reason", `{"a": {"match": [` + valid + `]}}`, `policy exception "a": "reason" is required`},
		{"blank reason", `{"a": {"reason": " \t", "match": [` + valid + `]}}`, `"reason" is required`},
		{"reason not a string", `{"a": {"reason": 1, "match": [` + valid + `]}}`, `policy exception "a": json`},
		{"missing match", `{"a": {"reason": "r"}}`, `"match" must list at least one`},
		{"empty match", `{"a": {"reason": "r", "match": []}}`, `"match" must list at least one`},
		{"match not a list", `{"a": {"reason": "r", "match": {}}}`, `"match" must be a list`},
		{"match entry not an object", `{"a": {"reason": "r", "match": ["p"]}}`, `match[0]: must be an object`},
		{"no policies", `{"a": {"reason": "r", "match": [{"targets": ["` + jobURN + `"]}]}}`, `match[0]: "policies" must list at least one policy`},
		{"empty policy", `{"a": {"reason": "r", "match": [` + matchEntry("", jobURN) + `]}}`, `"policies" can't contain an empty name`},
		{"all", `{"a": {"reason": "r", "match": [` + matchEntry("all", jobURN) + `]}}`, `"all" isn't allowed`},
		{"no targets", `{"a": {"reason": "r", "match": [{"policies": ["p"]}]}}`, `"targets" must list at least one URN`},
		{"bad URN", `{"a": {"reason": "r", "match": [` + matchEntry("p", "nightly") + `]}}`, `target "nightly" is not a valid URN`},
		{"URN with too few parts", `{"a": {"reason": "r", "match": [` + matchEntry("p", "urn:pulumi:prod::etl::nightly") + `]}}`, `is not a valid URN`},
		{"later entry", `{"a": {"reason": "r", "match": [` + valid + `, {"policies": ["p"]}]}}`, `match[1]: "targets"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(`{"version": 2, "exceptions": ` + tt.block + `}`))
			assert.ErrorContains(t, err, tt.err)
		})
	}
}

func TestParseExceptionsKeepsValid(t *testing.T) {
	t.Parallel()

	set, errs := ParseExceptions(map[string]json.RawMessage{
		"EXC-10": json.RawMessage(`{"reason": "r", "match": [` + matchEntry("p", "bad") + `]}`),
		"EXC-2":  json.RawMessage(`{"reason": "two", "match": [` + matchEntry("p", jobURN) + `]}`),
		"EXC-3":  json.RawMessage(`{"match": [` + matchEntry("p", jobURN) + `]}`),
	})
	require.Len(t, errs, 2)
	assert.ErrorContains(t, errs[0], `policy exception "EXC-3"`)
	assert.ErrorContains(t, errs[1], `policy exception "EXC-10"`)
	assert.Equal(t, Exceptions{{ID: "EXC-2", Reason: "two", Match: []ExceptionMatch{{Policies: []string{"p"}, Targets: []string{jobURN}}}}}, set)
}
