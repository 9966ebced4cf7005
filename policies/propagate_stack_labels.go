package policies

import (
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type propagateStackLabelsConfig struct {
	Labels          map[string]string `json:"labels"`
	ProjectLabelKey string            `json:"projectLabelKey"`
	StackLabelKey   string            `json:"stackLabelKey"`
	Overwrite       bool              `json:"overwrite"`
	static          []gcp.Label

	lastWant atomic.Pointer[stackLabels] // want's last answer
}

// stackLabels is the answer of want for one project and stack.
type stackLabels struct {
	project, stack string
	labels         []gcp.Label
}

// Validate rejects keys and values Google Cloud would refuse, so the
// remediation never writes a label that fails the deployment.
func (c *propagateStackLabelsConfig) Validate() error {
	if c.ProjectLabelKey == c.StackLabelKey {
		return fmt.Errorf("projectLabelKey and stackLabelKey are both %q; use two different keys", c.ProjectLabelKey)
	}
	for _, f := range []struct{ field, key string }{{"projectLabelKey", c.ProjectLabelKey}, {"stackLabelKey", c.StackLabelKey}} {
		if why := gcp.LabelKeyProblem(f.key, false); why != "" {
			return fmt.Errorf("%s: %q is not a valid label key: it %s", f.field, f.key, why)
		}
	}
	c.static = nil
	for key, value := range c.Labels {
		if why := gcp.LabelKeyProblem(key, false); why != "" {
			return fmt.Errorf("labels: %q is not a valid label key: it %s", key, why)
		}
		if why := gcp.LabelValueProblem(value, false); why != "" {
			return fmt.Errorf("labels.%s: %q is not a valid label value: it %s", key, value, why)
		}
		if key == c.ProjectLabelKey || key == c.StackLabelKey {
			return fmt.Errorf("labels: %q is the project or stack label key; its value comes from the stack", key)
		}
		c.static = append(c.static, gcp.Label{Key: key, Value: value})
	}
	sort.Slice(c.static, func(i, j int) bool { return c.static[i].Key < c.static[j].Key })
	return nil
}

// want lists the labels every resource should carry: project, stack (when
// known), then the static labels by key. The list is shared: callers must
// not modify it.
func (c *propagateStackLabelsConfig) want(project, stack string) []gcp.Label {
	// Every resource of a deployment asks with the same names.
	if last := c.lastWant.Load(); last != nil && last.project == project && last.stack == stack {
		return last.labels
	}
	out := make([]gcp.Label, 0, 2+len(c.static))
	if project != "" {
		out = append(out, gcp.Label{Key: c.ProjectLabelKey, Value: gcp.LabelSafe(project)})
	}
	if stack != "" {
		out = append(out, gcp.Label{Key: c.StackLabelKey, Value: gcp.LabelSafe(stack)})
	}
	out = append(out, c.static...)
	c.lastWant.Store(&stackLabels{project: project, stack: stack, labels: out})
	return out
}

// stackNames are the project and stack of the deployment: from
// ConfigureStack, else (publish, `pulumi policy analyze`) from the URN.
func stackNames(c *policy.Call, r *gcp.Resource) (project, stack string) {
	project, stack = c.Stack.Project, c.Stack.Stack
	if project == "" || stack == "" {
		if s, p, _, ok := gcp.ParseURN(r.URN); ok {
			if project == "" {
				project = p
			}
			if stack == "" {
				stack = s
			}
		}
	}
	return project, stack
}

// labelFields are the labels fields that can carry labels now: a field whose
// enclosing object is absent (a Pipeline request without an environment, an
// SQL instance without settings) is left alone.
func labelFields(c *policy.Call, r *gcp.Resource) []gcp.LabelSet {
	sets := c.Views().Labels(r)
	for i, set := range sets {
		if !canCarryLabels(r, set) {
			// Copy the ones that can (the shared views are never modified).
			out := append([]gcp.LabelSet(nil), sets[:i]...)
			for _, set := range sets[i+1:] {
				if canCarryLabels(r, set) {
					out = append(out, set)
				}
			}
			return out
		}
	}
	return sets
}

// canCarryLabels reports whether a labels field can be set now: its
// enclosing object, if any, is present.
func canCarryLabels(r *gcp.Resource, set gcp.LabelSet) bool {
	if gcp.IsTopLevelPath(set.Own.Path()) {
		return true // no enclosing object to be absent
	}
	keys, err := gcp.SplitPath(set.Own.Path())
	if err != nil || len(keys) == 0 {
		return false
	}
	return len(keys) == 1 || !r.At(keys[:len(keys)-1]...).IsAbsent()
}

// PropagateStackLabels puts the Pulumi project and stack, plus configured
// static labels, on every label-capable resource, and can add them itself.
func PropagateStackLabels() *policy.Policy {
	p := policy.Resource(policy.Meta{
		Name:  "propagate-stack-labels",
		Title: "Resources carry the Pulumi project and stack labels",
		Description: "Labels naming the Pulumi project and stack tie every bucket, topic, dataset and Dataflow job " +
			"in a bill, a log query or an incident back to the code and stack that manage it. Values are the " +
			"names made label-safe (lowercased, other characters replaced by -, prefixed with p- when they do " +
			"not start with a letter, cut to 63 characters). Provider defaultLabels count, except for a " +
			"Pipeline's additionalUserLabels; a label already present is kept whatever its value unless " +
			"overwrite is true. At the remediate level the pack adds the missing labels itself.",
		Remediation: "Add the project and stack labels (pulumi-project and pulumi-stack unless configured " +
			"otherwise) and the policy's static labels to the resource's labels, or once for all resources to " +
			"the provider's defaultLabels (a Pipeline needs them in additionalUserLabels). At the remediate " +
			"level the pack adds the missing labels to the resource's own labels itself.",
		URL:      "https://cloud.google.com/resource-manager/docs/creating-managing-labels",
		Severity: policy.Low,
		Level:    policy.Advisory,
		Family:   policy.FamilyLabels,
		Types:    gcp.LabelTargets(),
		ConfigSchema: `{"type":"object","properties":{
			"labels":{"type":"object",
				"patternProperties":{"^[\\p{Ll}\\p{Lo}][-_\\p{Ll}\\p{Lo}\\p{N}]{0,62}$":{"type":"string","maxLength":63,"pattern":"^[-_\\p{Ll}\\p{Lo}\\p{N}]*$"}},
				"additionalProperties":false,"default":{},
				"description":"Static labels (key to value) every resource must carry as well; keys and values follow Google Cloud's label rules, and no key may be projectLabelKey or stackLabelKey."},
			"projectLabelKey":{"type":"string","minLength":1,"maxLength":63,"pattern":"^[\\p{Ll}\\p{Lo}][-_\\p{Ll}\\p{Lo}\\p{N}]*$","default":"pulumi-project",
				"description":"Label key holding the Pulumi project name (a valid label key: a lowercase letter, then lowercase letters, digits, _ or -; different from stackLabelKey)."},
			"stackLabelKey":{"type":"string","minLength":1,"maxLength":63,"pattern":"^[\\p{Ll}\\p{Lo}][-_\\p{Ll}\\p{Lo}\\p{N}]*$","default":"pulumi-stack",
				"description":"Label key holding the Pulumi stack name (a valid label key, different from projectLabelKey)."},
			"overwrite":{"type":"boolean","default":false,
				"description":"Require (and at remediate, set) the expected value even when the key is already present with another value."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *propagateStackLabelsConfig) {
		want := cfg.want(stackNames(c, r))
		for _, set := range labelFields(c, r) {
			for _, l := range want {
				checkStackLabel(c, set, l, cfg.Overwrite)
			}
		}
	})
	return policy.WithRemediation(p, remediateStackLabels)
}

func checkStackLabel(c *policy.Call, set gcp.LabelSet, l gcp.Label, overwrite bool) {
	v, present, final := set.Lookup(l.Key)
	switch present {
	case gcp.Unknown:
		c.Unknown(v.Path())
	case gcp.Absent:
		c.Violation(gcp.JoinPath(set.Own.Path(), l.Key), "label %q is missing; add it with value %q to %s", l.Key, l.Value, set.Own.Path())
	case gcp.Set:
		if !overwrite {
			return
		}
		if !final {
			c.Unknown(v.Path())
			return
		}
		if s, ok := v.String(); !ok || s != l.Value {
			from := ""
			if set.Own.Get(l.Key).IsAbsent() {
				from = " (from the provider's defaultLabels)"
			}
			c.Violation(gcp.JoinPath(set.Own.Path(), l.Key), "label %q is %s%s, expected %q; set it to %q", l.Key, v.Display(), from, l.Value, l.Value)
		}
	}
}

// remediateStackLabels adds the missing labels to each labels field.
func remediateStackLabels(c *policy.Call, r *gcp.Resource, cfg *propagateStackLabelsConfig) (property.Map, bool) {
	want := cfg.want(stackNames(c, r))
	props, changed, blocked := r.Props, false, false
	for _, set := range labelFields(c, r) {
		var add []gcp.Label
		for _, l := range want {
			v, present, final := set.Lookup(l.Key)
			switch present {
			case gcp.Unknown:
				// An own label added over unknown provider defaults could
				// replace a default value: only overwrite allows that.
				if !cfg.Overwrite || set.Own.IsUnknown() {
					c.Unknown(v.Path())
					blocked = true
					continue
				}
				add = append(add, l)
			case gcp.Absent:
				add = append(add, l)
			case gcp.Set:
				if !cfg.Overwrite {
					continue
				}
				if s, ok := v.String(); !final || !ok || s != l.Value {
					add = append(add, l)
				}
			}
		}
		if blocked || len(add) == 0 {
			continue
		}
		edit, err := gcp.AddLabels(props, set.Own.Path(), add, cfg.Overwrite)
		if err != nil {
			panic(err) // the model's own path: fail closed
		}
		if edit.Unknown != "" {
			c.Unknown(edit.Unknown)
			blocked = true
			continue
		}
		if len(edit.Changed) > 0 {
			props, changed = edit.Props, true
		}
	}
	if blocked || !changed {
		return r.Props, false
	}
	return props, true
}
