package gcp_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

func TestLabelSafe(t *testing.T) {
	for in, want := range map[string]string{
		"etl":                         "etl",
		"Data.Platform":               "data-platform",
		"Prod_EU":                     "prod_eu",
		"42-etl":                      "p-42-etl",
		"_private":                    "p-_private",
		"-dash":                       "p--dash",
		"my stack/with:odd@chars":     "my-stack-with-odd-chars",
		"Équipe":                      "équipe",
		"数据":                          "数据",
		"":                            "",
		strings.Repeat("a", 80):       strings.Repeat("a", 63),
		"9" + strings.Repeat("é", 70): "p-9" + strings.Repeat("é", 60),
	} {
		got := gcp.LabelSafe(in)
		assert.Equal(t, want, got, "LabelSafe(%q)", in)
		if in != "" {
			assert.Empty(t, gcp.LabelValueProblem(got, false), "LabelSafe(%q) = %q must be a valid value", in, got)
			assert.Empty(t, gcp.LabelKeyProblem(got, false), "LabelSafe(%q) = %q is even a valid key", in, got)
		}
		assert.LessOrEqual(t, utf8.RuneCountInString(got), gcp.MaxLabelLength)
	}
}

func TestLabelKeyAndValueRules(t *testing.T) {
	validKeys := []string{"env", "cost-center", "team_2", "équipe", "ключ", "数据", "环境", "k" + strings.Repeat("é", 62)}
	for _, k := range validKeys {
		assert.Empty(t, gcp.LabelKeyProblem(k, false), "key %q", k)
	}
	badKeys := map[string]string{
		"":                      "is empty",
		"Env":                   `starts with 'E'`,
		"1team":                 `starts with '1'`,
		"_x":                    `starts with '_'`,
		"-x":                    `starts with '-'`,
		"cost.center":           `contains '.'`,
		"a/b":                   `contains '/'`,
		"teamÉ":                 `contains 'É'`,
		strings.Repeat("é", 64): "is 64 characters long",
		"a\xff":                 "contains an invalid UTF-8 byte",
	}
	for k, why := range badKeys {
		assert.Contains(t, gcp.LabelKeyProblem(k, false), why, "key %q", k)
	}
	assert.Equal(t, "does not start with a lowercase letter", gcp.LabelKeyProblem("Secret", true))
	assert.NotContains(t, gcp.LabelKeyProblem("secret.key", true), ".")

	for _, v := range []string{"", "prod", "2024-q1", "-x", "_", "données", strings.Repeat("ü", 63), "١٢٣"} {
		assert.Empty(t, gcp.LabelValueProblem(v, false), "value %q", v)
	}
	assert.Contains(t, gcp.LabelValueProblem("Prod", false), `contains 'P'`)
	assert.Contains(t, gcp.LabelValueProblem("a b", false), `contains ' '`)
	assert.Contains(t, gcp.LabelValueProblem(strings.Repeat("v", 64), false), "is 64 characters long")
	assert.Equal(t, "contains a character other than lowercase letters, digits, _ and -", gcp.LabelValueProblem("Top Secret", true))
}

func TestSplitPath(t *testing.T) {
	for path, want := range map[string][]string{
		"labels":                        {"labels"},
		"settings.userLabels":           {"settings", "userLabels"},
		`labels["cost.center"]`:         {"labels", "cost.center"},
		`["a b"].c`:                     {"a b", "c"},
		`a["x"]["y"].z`:                 {"a", "x", "y", "z"},
		gcp.JoinPath("labels", "1team"): {"labels", "1team"},
	} {
		got, err := gcp.SplitPath(path)
		require.NoError(t, err, path)
		assert.Equal(t, want, got, path)
	}
	for _, bad := range []string{".a", "a..b", "a[0]", `a["x"`, "a.", `a["x"]b`} {
		_, err := gcp.SplitPath(bad)
		assert.Error(t, err, bad)
	}
}

func labelsOf(t *testing.T, m property.Map, keys ...string) property.Value {
	t.Helper()
	v := property.New(m)
	for _, k := range keys {
		require.True(t, v.IsMap(), "%v is not a map at %s", keys, k)
		v = v.AsMap().Get(k)
	}
	return v
}

var stackLabels = []gcp.Label{{Key: "pulumi-project", Value: "etl"}, {Key: "pulumi-stack", Value: "dev"}}

func TestAddLabelsCreatesTheMapAndKeepsEverythingElse(t *testing.T) {
	props := property.NewMap(map[string]property.Value{
		"name":       str("temp"),
		"__defaults": strs("name"),
		"settings":   obj(map[string]property.Value{"tier": str("db-f1-micro")}).WithSecret(true),
	})
	edit, err := gcp.AddLabels(props, "labels", stackLabels, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"pulumi-project", "pulumi-stack"}, edit.Changed)
	assert.Equal(t, obj(map[string]property.Value{"pulumi-project": str("etl"), "pulumi-stack": str("dev")}), labelsOf(t, edit.Props, "labels"))
	assert.Equal(t, strs("name"), edit.Props.Get("__defaults"))
	assert.Equal(t, props.Get("settings"), edit.Props.Get("settings"))
	assert.True(t, props.Get("labels").IsNull(), "the input map is not mutated")

	nested, err := gcp.AddLabels(props, "settings.userLabels", stackLabels, false)
	require.NoError(t, err)
	settings := nested.Props.Get("settings")
	assert.True(t, settings.Secret(), "a secret map on the way stays secret")
	assert.Equal(t, str("db-f1-micro"), settings.AsMap().Get("tier"))
	assert.Equal(t, str("dev"), settings.AsMap().Get("userLabels").AsMap().Get("pulumi-stack"))
}

func TestAddLabelsKeepsSecretnessAndValues(t *testing.T) {
	dep := []urn.URN{"urn:pulumi:dev::etl::random:index/randomId:RandomId::suffix"}
	props := property.NewMap(map[string]property.Value{
		"labels": obj(map[string]property.Value{
			"pulumi-project": str("other").WithSecret(true),
			"env":            str("prod"),
		}).WithSecret(true).WithDependencies(dep),
	})
	edit, err := gcp.AddLabels(props, "labels", stackLabels, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"pulumi-stack"}, edit.Changed, "present keys are kept without overwrite")
	labels := labelsOf(t, edit.Props, "labels")
	assert.True(t, labels.Secret())
	assert.Equal(t, dep, labels.Dependencies())
	assert.Equal(t, str("other").WithSecret(true), labels.AsMap().Get("pulumi-project"))
	assert.Equal(t, str("prod"), labels.AsMap().Get("env"))

	over, err := gcp.AddLabels(props, "labels", stackLabels, true)
	require.NoError(t, err)
	assert.Equal(t, []string{"pulumi-project", "pulumi-stack"}, over.Changed)
	replaced := labelsOf(t, over.Props, "labels", "pulumi-project")
	assert.Equal(t, "etl", replaced.AsString())
	assert.True(t, replaced.Secret(), "a replaced secret value stays secret")

	same := property.NewMap(map[string]property.Value{"labels": obj(map[string]property.Value{
		"pulumi-project": str("etl"), "pulumi-stack": str("dev")})})
	none, err := gcp.AddLabels(same, "labels", stackLabels, true)
	require.NoError(t, err)
	assert.Empty(t, none.Changed)
	assert.Equal(t, same, none.Props)
}

func TestAddLabelsStopsAtUnknownsAndMissingParents(t *testing.T) {
	unknown := property.NewMap(map[string]property.Value{"labels": computed})
	edit, err := gcp.AddLabels(unknown, "labels", stackLabels, true)
	require.NoError(t, err)
	assert.Equal(t, "labels", edit.Unknown)
	assert.Empty(t, edit.Changed)
	assert.Equal(t, unknown, edit.Props)

	unknownParent := property.NewMap(map[string]property.Value{"settings": computed})
	edit, err = gcp.AddLabels(unknownParent, "settings.userLabels", stackLabels, false)
	require.NoError(t, err)
	assert.Equal(t, "settings", edit.Unknown)

	noParent := property.NewMap(map[string]property.Value{"name": str("db")})
	edit, err = gcp.AddLabels(noParent, "settings.userLabels", stackLabels, false)
	require.NoError(t, err)
	assert.True(t, edit.NoField)
	assert.Empty(t, edit.Changed)
	assert.Equal(t, noParent, edit.Props)

	notAMap := property.NewMap(map[string]property.Value{"labels": str("env=prod")})
	edit, err = gcp.AddLabels(notAMap, "labels", stackLabels, false)
	require.NoError(t, err)
	assert.True(t, edit.NoField)

	unknownValue := property.NewMap(map[string]property.Value{"labels": obj(map[string]property.Value{"pulumi-project": computed})})
	edit, err = gcp.AddLabels(unknownValue, "labels", stackLabels, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"pulumi-stack"}, edit.Changed, "an unknown value is a present key")
	edit, err = gcp.AddLabels(unknownValue, "labels", stackLabels, true)
	require.NoError(t, err)
	assert.Equal(t, []string{"pulumi-project", "pulumi-stack"}, edit.Changed, "overwrite replaces an unknown value")

	_, err = gcp.AddLabels(unknownValue, "labels[0]", stackLabels, false)
	assert.Error(t, err)
}
