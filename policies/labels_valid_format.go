package policies

import (
	"strconv"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// LabelsValidFormat checks every label, and every provider default label,
// against Google Cloud's label syntax and the 64-label limit.
func LabelsValidFormat() *policy.Policy {
	return policy.ByType(policy.Meta{
		Name:  "labels-valid-format",
		Title: "Labels follow Google Cloud's label rules",
		Description: "Google Cloud rejects a create or update whose labels break its rules, so a bad key fails the " +
			"deployment half way, after other resources have changed. Keys have 1 to 63 characters and start " +
			"with a lowercase letter; keys and values use only lowercase letters (international ones too), " +
			"digits, underscores and dashes; values have at most 63 characters and may be empty; a resource " +
			"carries at most 64 labels, its own plus the provider's defaultLabels. The provider's " +
			"defaultLabels are checked on the provider itself.",
		Remediation: "Rename the key or change the value: lowercase it and replace other characters (dots, " +
			"slashes, spaces, colons, uppercase letters) with - or _; start keys with a letter; shorten keys and " +
			"values to 63 characters; drop labels so that own labels plus provider defaultLabels number at most 64.",
		URL:      "https://cloud.google.com/resource-manager/docs/labels-overview#requirements",
		Severity: policy.Low,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLabels,
	},
		policy.On(func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
			for _, set := range c.Views().Labels(r) {
				checkLabelSetFormat(c, set)
			}
		}, gcp.LabelTargets()...),
		policy.On(func(c *policy.Call, r *gcp.Resource, _ *struct{}) {
			checkDefaultLabelsFormat(c, gcp.ProviderDefaultLabels(r.AsProvider()))
		}, gcp.ProviderType),
	)
}

// checkDefaultLabelsFormat checks a provider's defaultLabels entries and
// count.
func checkDefaultLabelsFormat(c *policy.Call, d *gcp.DefaultLabels) {
	v := d.Value
	switch {
	case d.Malformed:
		c.Violation(v.Path(), "provider defaultLabels is not a JSON object of label keys to values; fix the stack config gcp:defaultLabels")
		return
	case v.IsUnknown():
		c.Unknown(v.Path())
		return
	case v.IsAbsent():
		return
	case !v.IsMap():
		c.Violation(v.Path(), "provider defaultLabels is not a map of label keys to values; set it to a map of strings")
		return
	}
	checkEntries(c, v)
	if n := v.Len(); n > gcp.MaxLabels {
		c.Violation(v.Path(), "provider defaultLabels has %d labels, more than the %d a resource may carry; drop some", n, gcp.MaxLabels)
	}
}

// checkLabelSetFormat checks a resource's own labels and their count with
// the provider defaults.
func checkLabelSetFormat(c *policy.Call, set gcp.LabelSet) {
	own := set.Own
	switch {
	case own.IsUnknown():
		c.Unknown(own.Path())
		return
	case own.IsAbsent():
		return
	case !own.IsMap():
		c.Violation(own.Path(), "the labels field is not a map of label keys to values; set it to a map of strings")
		return
	}
	checkEntries(c, own)
	ownCount := own.Len()
	if ownCount == 0 {
		return // the provider's own count is checked on the provider
	}
	defaults := gcp.Value{}
	if set.Defaults != nil && !set.Defaults.Malformed {
		defaults = set.Defaults.Value
	}
	if defaults.IsUnknown() {
		// Unknown defaults could take the merged count past the limit.
		c.Unknown(defaults.Path())
		return
	}
	merged := set.Count()
	n := merged
	attribution := set.Attribution && !set.HasKey(gcp.AttributionLabel)
	if attribution {
		n++ // pulumi-gcp adds goog-pulumi-provisioned to the effective labels
	}
	if n > gcp.MaxLabels {
		fromDefaults := merged - ownCount
		extra := ""
		if attribution {
			extra = " and pulumi-gcp's goog-pulumi-provisioned (set addPulumiAttributionLabel: false on the provider to drop it)"
		}
		c.Violation(own.Path(), "carries %d labels (%d of its own, %d more from the provider's defaultLabels%s), more than the %d Google Cloud allows; drop some",
			n, ownCount, fromDefaults, extra, gcp.MaxLabels)
	}
}

// checkEntries checks each key and value of a labels map, in key order. The
// keys of a secret map are secret too: then neither the key nor its path is
// shown.
func checkEntries(c *policy.Call, m gcp.Value) {
	secretKeys := m.Secret()
	if !anyEntryToReport(m, secretKeys) {
		return // the usual case: no sorted copy of the map to build
	}
	for _, e := range m.Entries() {
		keyPath, keyName := e.Value.Path(), strconv.Quote(e.Key)
		if secretKeys {
			keyPath, keyName = m.Path(), "[secret]"
		}
		if why := gcp.LabelKeyProblem(e.Key, secretKeys); why != "" {
			c.Violation(keyPath, "label key %s %s; rename it", keyName, why)
		}
		v := e.Value
		if v.IsUnknown() {
			c.Unknown(keyPath)
			continue
		}
		s, ok := labelValueString(v)
		if !ok {
			c.Violation(keyPath, "label %s has a value that is not a string; set a string", keyName)
			continue
		}
		if why := gcp.LabelValueProblem(s, v.Secret()); why != "" {
			c.Violation(keyPath, "label %s has value %s, which %s; change the value", keyName, v.Display(), why)
		}
	}
}

// anyEntryToReport reports whether checkEntries has something to say about
// an entry of m.
func anyEntryToReport(m gcp.Value, secretKeys bool) bool {
	for key, v := range m.All {
		if gcp.LabelKeyProblem(key, secretKeys) != "" || v.IsUnknown() {
			return true
		}
		s, ok := labelValueString(v)
		if !ok || gcp.LabelValueProblem(s, v.Secret()) != "" {
			return true
		}
	}
	return false
}

// labelValueString reads a label value as the provider would send it: a
// string, or a number or boolean in its string form; null is empty.
func labelValueString(v gcp.Value) (string, bool) {
	if v.IsAbsent() {
		return "", true
	}
	if s, ok := v.String(); ok {
		return s, true
	}
	if v.IsMap() || v.IsArray() {
		return "", false
	}
	if n, ok := v.Number(); ok {
		return strconv.FormatFloat(n, 'f', -1, 64), true
	}
	if b, ok := v.Bool(); ok {
		return strconv.FormatBool(b), true
	}
	return "", false
}
