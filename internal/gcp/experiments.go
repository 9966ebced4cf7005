package gcp

import "strings"

// Experiments returns the items of every experiments list a Dataflow
// resource declares: the `additionalExperiments` of a Job or
// FlexTemplateJob and of each Pipeline workload environment (Google's docs
// also send Dataflow service options that way), and the values of the
// experiments and Dataflow service options options among opts (from
// PipelineOptions). Each entry or value is split as both SDKs split it
// (SplitOptionList), and each item is read like an additionalPipelineOptions
// entry: the name before the first `=`, leading dashes removed, a bare item
// being a flag. Items keep the path of the entry or option they come from.
// Values that hide items at preview (an unknown list, entry, environment or
// option value) are returned in unknown.
func Experiments(r *Resource, opts []PipelineOption) (items []PipelineOption, unknown []Value) {
	addItems := func(s string, at Value) {
		for _, item := range SplitOptionList(s) {
			if o, ok := parseOptionText(item, at, FromExperiments); ok {
				items = append(items, o)
			}
		}
	}
	for _, env := range WorkerEnvs(r) {
		if env.IsUnknown() {
			unknown = append(unknown, env.Value)
			continue
		}
		list := env.Get("additionalExperiments")
		if list.IsUnknown() {
			unknown = append(unknown, list)
			continue
		}
		for _, e := range list.Items() {
			if e.IsUnknown() {
				unknown = append(unknown, e)
				continue
			}
			if s, ok := e.String(); ok {
				addItems(s, e)
			}
		}
	}
	for _, o := range opts {
		if !o.Sets(OptionExperiments).Matched() && !o.Sets(OptionServiceOptions).Matched() {
			continue
		}
		if o.Value.IsUnknown() {
			unknown = append(unknown, o.Value)
			continue
		}
		if s, ok := o.Value.String(); ok {
			addItems(s, o.Value)
		}
	}
	return items, unknown
}

// SplitOptionList splits the value of a list option (experiments, Dataflow
// service options) both ways the SDKs do and returns every distinct item,
// trimmed, in order: Java splits on every comma (PipelineOptionsFactory);
// Beam Python's _CommaSeparatedListAction stops splitting once an item holds
// two `=`, so `a=b=c,use_public_ips=false` is one Python item but two Java
// items.
func SplitOptionList(s string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(item string) {
		item = strings.TrimSpace(item)
		if item != "" && !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	for _, item := range strings.Split(s, ",") {
		add(item)
	}
	for _, item := range pythonSmartSplit(s) {
		add(item)
	}
	return out
}

// pythonSmartSplit is Beam Python's _CommaSeparatedListAction._smart_split:
// a comma separates items only while the current item holds at most one
// `=`; after a split the count starts again.
func pythonSmartSplit(s string) []string {
	var out []string
	var cur strings.Builder
	equals := 0
	for _, c := range s {
		switch {
		case c == '=':
			equals++
			cur.WriteRune(c)
		case c == ',' && equals <= 1:
			if cur.Len() > 0 {
				out = append(out, strings.TrimSpace(cur.String()))
				cur.Reset()
				equals = 0
			}
		case c == ' ' && cur.Len() == 0:
		default:
			cur.WriteRune(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}
