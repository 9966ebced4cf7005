package gcp

import (
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// PipelineOption is one pipeline option a Dataflow resource sets, wherever
// it is declared: a key of a `parameters` or `launchOptions` map, or a
// `key=value` (or bare `--flag`) entry of a FlexTemplateJob's
// `additionalPipelineOptions`.
type PipelineOption struct {
	// Name is the option name as written, leading dashes removed
	// (`defaultWorkerLogLevel`, `default_worker_log_level`). It is read from
	// the property tree and may come from a secret list entry: print Key
	// names the caller knows rather than Name when Value is secret.
	Name string
	// Value is the option's value, keeping its path, secrecy and unknown
	// state. For a list entry it is the text after the first `=`, carried at
	// the entry's path; for a bare flag it is absent.
	Value Value
	// Bare is true for a list entry without `=`, a boolean flag.
	Bare bool

	key string // Key, computed when the option is read
}

// Path is where the option is declared (`parameters.tempLocation`,
// `additionalPipelineOptions[2]`): the path of its Value.
func (o PipelineOption) Path() string { return o.Value.Path() }

// Key is the canonical option name: lower case, without dashes or
// underscores, so `--default_worker_log_level` and `defaultWorkerLogLevel`
// compare equal.
func (o PipelineOption) Key() string {
	if o.key != "" {
		return o.key
	}
	return CanonicalOptionName(o.Name)
}

// Is reports whether the option is one of names (compared canonically).
func (o PipelineOption) Is(names ...string) bool {
	k := o.Key()
	for _, n := range names {
		if isOptionKey(n, k) {
			return true
		}
	}
	return false
}

// CanonicalOptionName lowercases an option name and drops dashes and
// underscores.
func CanonicalOptionName(name string) string {
	name = strings.TrimSpace(name)
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= utf8.RuneSelf || c == '-' || c == '_' || ('A' <= c && c <= 'Z') {
			return optionSeparators.Replace(strings.ToLower(name))
		}
	}
	return name // already canonical: no copy
}

// isOptionKey reports whether CanonicalOptionName(name) == key, without
// building the canonical name of an ASCII name.
func isOptionKey(name, key string) bool {
	name = strings.TrimSpace(name)
	if !isASCII(name) {
		return CanonicalOptionName(name) == key
	}
	j := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if j >= len(key) || key[j] != c {
			return false
		}
		j++
	}
	return j == len(key)
}

// optionSeparators is built once: a Replacer per call costs megabytes on a
// job with many parameters.
var optionSeparators = strings.NewReplacer("-", "", "_", "")

// optionSource is one place a Dataflow resource keeps pipeline options.
type optionSource struct {
	key  string
	list bool // a list of `key=value` strings rather than a map
}

var (
	jobOptionSources      = []optionSource{{"parameters", false}}
	flexJobOptionSources  = []optionSource{{"parameters", false}, {"additionalPipelineOptions", true}}
	pipelineOptionSources = []struct {
		request, launch string
		sources         []optionSource
	}{
		{"dataflowFlexTemplateRequest", "launchParameter", []optionSource{{"parameters", false}, {"launchOptions", false}}},
		{"dataflowLaunchTemplateRequest", "launchParameters", []optionSource{{"parameters", false}}},
	}
)

// PipelineOptions returns every pipeline option of a Dataflow Job,
// FlexTemplateJob or Pipeline: Job `parameters`; FlexTemplateJob
// `parameters` and `additionalPipelineOptions`; for each Pipeline workload
// request, the launch `parameters` (and a flex request's `launchOptions`).
// Values that hide option names at preview (an unknown map, list, list
// entry, workload or request) are returned in unknown: an option may hide
// there.
func PipelineOptions(r *Resource) (opts []PipelineOption, unknown []Value) {
	var containers []Value
	var kinds []bool
	add := func(parent Value, sources []optionSource) {
		for _, s := range sources {
			containers = append(containers, parent.Get(s.key))
			kinds = append(kinds, s.list)
		}
	}
	switch r.Type {
	case DataflowJob:
		add(r.Root(), jobOptionSources)
	case DataflowFlexTemplateJob:
		add(r.Root(), flexJobOptionSources)
	case DataflowPipeline:
		workload := r.Get("workload")
		if workload.IsUnknown() {
			return nil, []Value{workload}
		}
		for _, spec := range pipelineOptionSources {
			req := workload.Get(spec.request)
			switch {
			case req.IsAbsent():
				continue
			case req.IsUnknown():
				unknown = append(unknown, req)
				continue
			}
			launch := req.Get(spec.launch)
			if launch.IsUnknown() {
				unknown = append(unknown, launch)
				continue
			}
			add(launch, spec.sources)
		}
	default:
		return nil, nil
	}
	for i, c := range containers {
		switch {
		case c.IsUnknown():
			unknown = append(unknown, c)
		case kinds[i]:
			for _, e := range c.Items() {
				if e.IsUnknown() {
					unknown = append(unknown, e)
					continue
				}
				if o, ok := parseOptionEntry(e); ok {
					opts = append(opts, o)
				}
			}
		default:
			for _, e := range c.Entries() {
				name := strings.TrimLeft(strings.TrimSpace(e.Key), "-")
				opts = append(opts, PipelineOption{Name: name, Value: e.Value, key: CanonicalOptionName(name)})
			}
		}
	}
	return opts, unknown
}

// parseOptionEntry splits a `--key=value` list entry. Entries that are not
// strings, or are empty, are skipped.
func parseOptionEntry(e Value) (PipelineOption, bool) {
	s, ok := e.String()
	if !ok {
		return PipelineOption{}, false
	}
	s = strings.TrimSpace(s)
	name, value, hasValue := strings.Cut(s, "=")
	name = strings.TrimLeft(strings.TrimSpace(name), "-")
	if name == "" {
		return PipelineOption{}, false
	}
	o := PipelineOption{Name: name, key: CanonicalOptionName(name)}
	if !hasValue {
		o.Bare = true
		o.Value = Value{path: e.path, secret: e.Secret()}
		return o, true
	}
	o.Value = Value{raw: property.New(strings.TrimSpace(value)), path: e.path, secret: e.Secret()}
	return o, true
}
