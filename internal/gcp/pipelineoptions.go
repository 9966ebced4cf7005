package gcp

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// OptionSource says where a Dataflow resource declares a pipeline option.
type OptionSource uint8

const (
	// FromParameters is a key of a `parameters` or `launchOptions` map.
	FromParameters OptionSource = iota
	// FromPipelineOptions is a `name=value` (or bare `name`) entry of a
	// FlexTemplateJob's `additionalPipelineOptions`.
	FromPipelineOptions
	// FromExperiments is one item of an `additionalExperiments` entry, or of
	// the value of an experiments or Dataflow service options option.
	FromExperiments
)

// PipelineOption is one pipeline option a Dataflow resource sets, wherever
// it is declared. Its Name is the key as a Beam parser sees it once the
// launcher has built `--<key>=<value>`: surrounding spaces and leading dashes
// dropped, cut at the first `=` (both SDKs split an argument there) or
// whitespace (`--name value`). What a key cut that way held after the cut
// is put in front of the value, as the parser would read it.
type PipelineOption struct {
	// Name is the option name as the parser sees it. It may come from a
	// secret list entry: print OptionMatch.Spelling rather than Name when
	// Value is secret.
	Name string
	// Value is the option's value, keeping its path, secrecy and unknown
	// state. For a list entry it is the text after the name, carried at the
	// entry's path; for a bare flag it is absent.
	Value Value
	// Bare is true for a list entry that is only a name: a boolean flag.
	Bare bool
	// Source says where the option is declared.
	Source OptionSource
}

// Path is where the option is declared (`parameters.tempLocation`,
// `additionalPipelineOptions[2]`): the path of its Value.
func (o PipelineOption) Path() string { return o.Value.Path() }

// Sets reports how the Beam SDKs read this option's name as the option opt.
// An experiment item never goes through argparse as a flag, so only an exact
// spelling counts there, not a prefix.
func (o PipelineOption) Sets(opt *BeamOption) OptionMatch {
	m := opt.Match(o.Name)
	if o.Source == FromExperiments && m.Python == PythonPrefix {
		m.Python = PythonNone
		if !m.Java && !m.Other {
			m.Spelling = ""
		}
	}
	return m
}

// CanonicalOptionName lowercases an option name and drops dashes and
// underscores. It is for comparing names a user lists in policy config, not
// for reading options: no SDK reads names that way.
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
// building the canonical name of an ASCII name (policy config compares many
// names against one allowed key).
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
// Experiments are read by Experiments. Values that hide option names at
// preview (an unknown map, list, list entry, workload or request) are
// returned in unknown: an option may hide there.
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
				if s, ok := e.String(); ok {
					if o, ok := parseOptionText(s, e, FromPipelineOptions); ok {
						opts = append(opts, o)
					}
				}
			}
		default:
			for _, e := range c.Entries() {
				if o, ok := parseOptionKey(e.Key, e.Value); ok {
					opts = append(opts, o)
				}
			}
		}
	}
	return opts, unknown
}

// cutOptionName splits `--name=value` or `--name value` text: leading
// spaces and dashes dropped, the name ending at the first `=` or whitespace.
// cut reports whether anything followed the name.
func cutOptionName(s string) (name, rest string, cut bool) {
	s = strings.TrimLeft(strings.TrimSpace(s), "-")
	i := strings.IndexFunc(s, func(r rune) bool { return r == '=' || unicode.IsSpace(r) })
	if i < 0 {
		return s, "", false
	}
	name, rest = s[:i], s[i:]
	if rest[0] == '=' {
		return name, rest[1:], true
	}
	// `--name value`, also `--name = value`.
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimSpace(rest[1:])
	}
	return name, rest, true
}

// parseOptionText reads a `--name=value` list entry or experiment item
// found in v. Empty names are skipped.
func parseOptionText(s string, v Value, src OptionSource) (PipelineOption, bool) {
	name, value, cut := cutOptionName(s)
	if name == "" {
		return PipelineOption{}, false
	}
	o := PipelineOption{Name: name, Source: src}
	if !cut {
		o.Bare = true
		o.Value = Value{path: v.path, secret: v.Secret()}
		return o, true
	}
	o.Value = Value{raw: property.New(strings.TrimSpace(value)), path: v.path, secret: v.Secret()}
	return o, true
}

// parseOptionKey reads a map entry. A key holding `=` or whitespace sets the
// option named before it, with the rest of the key in front of the value:
// the launcher's `--svc=evil@x=y` is service account `evil@x=y` to both
// parsers.
func parseOptionKey(key string, v Value) (PipelineOption, bool) {
	name, rest, cut := cutOptionName(key)
	if name == "" {
		return PipelineOption{}, false
	}
	o := PipelineOption{Name: name, Value: v, Source: FromParameters}
	if !cut {
		return o, true
	}
	switch {
	case v.IsUnknown():
	case v.IsAbsent():
		o.Value = Value{raw: property.New(rest), path: v.path, secret: v.Secret()}
	default:
		s, _ := v.String()
		o.Value = Value{raw: property.New(rest + "=" + s), path: v.path, secret: v.Secret()}
	}
	return o, true
}
