// Package stackfile reads the output of `pulumi stack export` (deployment
// version 3) into the pack's resource model, for the offline `check` command
// and the tests.
//
// The document is streamed: the top level and the deployment are walked token
// by token and each resource is decoded and converted on its own, so at most
// one resource's generic JSON tree is alive at a time, next to the property
// maps already built. Stream goes further and hands each resource's inputs
// over as soon as they are complete, keeping only the outputs.
package stackfile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// SupportedVersion is the only deployment version Read accepts.
const SupportedVersion = 3

// providerTypePrefix starts the type token of every provider resource.
const providerTypePrefix = "pulumi:providers:"

// Deployment is one stack export in the pack's resource model.
type Deployment struct {
	// Project and Stack come from the resource URNs, preferring the root
	// stack resource; both are empty for an export without resources.
	Project, Stack string

	// Inputs holds every resource in export order with Props set to its
	// inputs and Provider resolved, as resource policies see them. Stream
	// hands them over instead and leaves Inputs nil.
	Inputs []*gcp.Resource

	// Outputs holds the same resources, in the same order, with Props set to
	// their outputs and Parent, Dependencies and PropertyDependencies filled
	// in, as stack policies see them. Providers are shared with Inputs and
	// carry the provider's inputs.
	Outputs []*gcp.Resource

	// Total counts every resource entry of the export, including old copies
	// pending deletion, which Inputs and Outputs leave out.
	Total int

	// SourcePositions maps a URN to the raw `sourcePosition` the engine
	// recorded for the resource (`project:///path/file.go#line,col`), when
	// the export has one.
	SourcePositions map[string]string

	// Wants is test-only: the optional `"want": ["regexp", ...]` key of a
	// resource, by URN. A resource without the key has no entry; an empty
	// array is kept as an empty, non-nil slice. Every pattern compiles.
	Wants map[string][]string

	// CiphertextSecrets counts the secrets that were exported encrypted (with
	// ciphertext but no plaintext), in inputs and outputs alike. They read as
	// unknown secret values; callers should advise exporting with
	// `pulumi stack export --show-secrets`.
	CiphertextSecrets int

	// EncryptedInputs and EncryptedOutputs list, by URN, the property paths
	// (as gcp.Value.Path spells them) of the values that a resource's inputs
	// or outputs, or the inputs of its provider, hold encrypted, sorted; a
	// resource without any has no entry. The provider's paths are included
	// because policies read provider inputs (project, region, defaultLabels)
	// as if they were the resource's own. Stream leaves EncryptedInputs nil
	// and hands each resource's paths over with its inputs instead.
	EncryptedInputs, EncryptedOutputs map[string][]string
}

// Inputs is one resource's inputs as Stream hands them over.
type Inputs struct {
	// Index is the resource's position in Deployment.Outputs.
	Index int
	// Resource has Props set to the inputs and Provider resolved, as in
	// Deployment.Inputs.
	Resource *gcp.Resource
	// Project and Stack are the deployment's, already final.
	Project, Stack string
	// Encrypted is the resource's entry of Deployment.EncryptedInputs.
	Encrypted []string
}

// ReadFile reads an export from a file, or from standard input when path is
// "-". Errors name the file.
func ReadFile(path string) (*Deployment, error) {
	c := &collector{}
	d, err := StreamFile(path, c.add)
	if err != nil {
		return nil, err
	}
	d.Inputs, d.EncryptedInputs = c.inputs, c.encrypted
	return d, nil
}

// Read reads an export from r. Errors are single-line messages.
func Read(r io.Reader) (*Deployment, error) {
	c := &collector{}
	d, err := Stream(r, c.add)
	if err != nil {
		return nil, err
	}
	d.Inputs, d.EncryptedInputs = c.inputs, c.encrypted
	return d, nil
}

// collector puts streamed inputs back in export order.
type collector struct {
	inputs    []*gcp.Resource
	encrypted map[string][]string
}

func (c *collector) add(in Inputs) {
	for len(c.inputs) <= in.Index {
		c.inputs = append(c.inputs, nil)
	}
	c.inputs[in.Index] = in.Resource
	if len(in.Encrypted) > 0 {
		if c.encrypted == nil {
			c.encrypted = map[string][]string{}
		}
		c.encrypted[in.Resource.URN] = mergePaths(c.encrypted[in.Resource.URN], in.Encrypted)
	}
}

// StreamFile is Stream on a file, or on standard input when path is "-".
// Errors name the file.
func StreamFile(path string, each func(Inputs)) (*Deployment, error) {
	name := path
	var r io.Reader = os.Stdin
	if path == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
		}
		defer f.Close()
		r = f
	}
	d, err := Stream(r, each)
	if err != nil {
		var re *readError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPath(re.err))
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// Stream reads an export from r like Read, but rather than keeping every
// resource's inputs in Deployment.Inputs (left nil) it hands them to each as
// soon as they are known for good, so a caller that evaluates and drops them
// holds only the outputs: about half the memory of Read.
//
// Calls come in export order, except for resources read before the root
// stack resource (whose URN settles Project and Stack) or before the
// provider they reference: those wait, at worst until the whole document is
// read. A provider reference resolves to the provider resource with that URN
// read before it, or for one further down, to the last with that URN.
//
// On an error some resources may have been handed over already: a caller
// must not report on them.
func Stream(r io.Reader, each func(Inputs)) (*Deployment, error) {
	if r == nil {
		return nil, errors.New("no input")
	}
	d, err := read(r, each)
	if err != nil {
		return nil, oneLine(err)
	}
	return d, nil
}

func read(r io.Reader, each func(Inputs)) (*Deployment, error) {
	br := bufio.NewReaderSize(r, 16)
	var bom int64
	switch head, _ := br.Peek(3); {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		bom = 3
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, errors.New("the export is UTF-16 encoded (as PowerShell's `>` writes it): " +
			"export with `pulumi stack export --file <path>` or convert it to UTF-8")
	}
	src := &countingReader{r: br}
	p := &parser{
		dec:       json.NewDecoder(src),
		src:       src,
		bom:       bom,
		each:      each,
		d:         &Deployment{Wants: map[string][]string{}, SourcePositions: map[string]string{}},
		index:     map[string]int{},
		providers: map[int]*gcp.Provider{},
		encrypted: map[*gcp.Provider][]string{},
		conv:      newConverter(),
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	p.done = true
	p.pending, p.waiting = append(p.waiting, p.pending...), nil
	p.flush()
	p.d.CiphertextSecrets = p.conv.ciphertexts
	return p.d, nil
}

// rawResource is the part of apitype.ResourceV3 the pack reads, plus the
// test-only "want" key. Property maps stay generic here and are converted
// right away.
type rawResource struct {
	URN                  string              `json:"urn"`
	Type                 string              `json:"type"`
	Delete               bool                `json:"delete"`
	External             bool                `json:"external"`
	SourcePosition       string              `json:"sourcePosition"`
	Inputs               any                 `json:"inputs"`
	Outputs              any                 `json:"outputs"`
	Parent               string              `json:"parent"`
	Provider             string              `json:"provider"`
	Dependencies         []string            `json:"dependencies"`
	PropertyDependencies map[string][]string `json:"propertyDependencies"`
	Want                 any                 `json:"want"`
}

type parser struct {
	dec  *json.Decoder
	src  *countingReader
	bom  int64 // bytes of byte order mark skipped before src
	conv *converter
	d    *Deployment
	each func(Inputs)

	index     map[string]int             // URN -> position in d.Outputs
	providers map[int]*gcp.Provider      // position in d.Outputs -> provider, for provider resources
	encrypted map[*gcp.Provider][]string // provider -> paths of its encrypted inputs, when it has any
	pending   []pendingInputs            // inputs read since the last flush, in export order
	waiting   []pendingInputs            // inputs whose provider may be further down, in export order
	named     bool                       // Project/Stack set
	rootNamed bool                       // ... from the root stack resource
	done      bool                       // the whole document is read

	version                                    *float64
	sawDeployment, sawResources, sawCheckpoint bool
}

func (p *parser) parse() error {
	tok, err := p.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) && p.src.err == nil {
			return errors.New("empty input: expected the JSON output of `pulumi stack export`")
		}
		return p.jsonErr(err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("not a `pulumi stack export` document: the top level is %s, not an object", tokenKind(tok))
	}
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return err
		}
		switch key {
		case "version":
			err = p.readVersion()
		case "deployment":
			err = p.readDeployment()
		case "checkpoint":
			p.sawCheckpoint = true
			err = p.skip()
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
	}
	if err := p.expect(json.Delim('}')); err != nil {
		return err
	}
	end := p.dec.InputOffset()
	endAt := p.where(end)
	switch _, err := p.dec.Token(); {
	case errors.Is(err, io.EOF) && p.src.err == nil:
	case err != nil && p.src.err != nil:
		return p.jsonErr(err)
	default:
		return fmt.Errorf("unexpected data after the export document, which ends at %s", endAt)
	}

	switch {
	case !p.sawDeployment && p.sawCheckpoint:
		return errors.New("missing `deployment`: this looks like a Pulumi state checkpoint file, " +
			"not the output of `pulumi stack export`")
	case !p.sawDeployment:
		return errors.New("missing `deployment`: not the output of `pulumi stack export`")
	case p.version == nil:
		return errors.New("missing `version`: dataflow-guardrails reads version 3 exports from `pulumi stack export`")
	}
	return nil
}

func (p *parser) key() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.jsonErr(err)
	}
	key, ok := tok.(string)
	if !ok { // the decoder only hands out string keys; be safe anyway
		return "", fmt.Errorf("invalid JSON: object key is %s", tokenKind(tok))
	}
	return key, nil
}

func (p *parser) expect(delim json.Delim) error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr(err)
	}
	if tok != delim {
		return fmt.Errorf("invalid JSON: expected %q, found %s", string(delim), tokenKind(tok))
	}
	return nil
}

// skipValue discards a JSON value without building it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

func (p *parser) skip() error {
	if err := p.dec.Decode(&skipValue{}); err != nil {
		return p.jsonErr(err)
	}
	return nil
}

func (p *parser) readVersion() error {
	if p.version != nil {
		return errors.New("duplicate `version` key")
	}
	var v any
	if err := p.dec.Decode(&v); err != nil {
		if num, ok := outOfRange(err); ok {
			return fmt.Errorf("unsupported deployment version %s: dataflow-guardrails reads version 3 exports from `pulumi stack export`", num)
		}
		return p.jsonErr(err)
	}
	n, ok := v.(float64)
	if !ok {
		return fmt.Errorf("`version` is %s, not a number: dataflow-guardrails reads version 3 exports from `pulumi stack export`", kind(v))
	}
	if n != SupportedVersion {
		return fmt.Errorf("unsupported deployment version %s: dataflow-guardrails reads version 3 exports from `pulumi stack export`",
			strconv.FormatFloat(n, 'f', -1, 64))
	}
	p.version = &n
	return nil
}

func (p *parser) readDeployment() error {
	if p.sawDeployment {
		return errors.New("duplicate `deployment` key")
	}
	p.sawDeployment = true
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr(err)
	}
	switch {
	case tok == nil:
		return errors.New("`deployment` is null: not the output of `pulumi stack export`")
	case tok != json.Delim('{'):
		return fmt.Errorf("`deployment` is %s, not an object", tokenKind(tok))
	}
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return err
		}
		if key == "resources" {
			err = p.readResources()
		} else {
			err = p.skip()
		}
		if err != nil {
			return err
		}
	}
	return p.expect(json.Delim('}'))
}

func (p *parser) readResources() error {
	if p.sawResources {
		return errors.New("duplicate `deployment.resources` key")
	}
	p.sawResources = true
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr(err)
	}
	switch {
	case tok == nil:
		return nil
	case tok != json.Delim('['):
		return fmt.Errorf("`deployment.resources` is %s, not an array", tokenKind(tok))
	}
	for i := 0; p.dec.More(); i++ {
		var rr *rawResource
		if err := p.dec.Decode(&rr); err != nil {
			return p.resourceErr(i, err)
		}
		if rr == nil {
			return fmt.Errorf("deployment.resources[%d] is null, not an object", i)
		}
		if err := p.add(i, rr); err != nil {
			return err
		}
	}
	return p.expect(json.Delim(']'))
}

// add converts one resource and appends it to the deployment.
func (p *parser) add(i int, rr *rawResource) error {
	p.d.Total++
	if rr.Delete {
		// An old copy of a replaced resource, still waiting for deletion:
		// it shares its URN with its live replacement and is on its way
		// out, so it is left out rather than checked twice.
		return nil
	}
	if rr.URN == "" {
		return fmt.Errorf("deployment.resources[%d]: missing urn", i)
	}
	if rr.SourcePosition != "" {
		// Resources made in a loop share their registration site.
		p.d.SourcePositions[rr.URN] = p.conv.intern(rr.SourcePosition)
	}
	label := func() string { return fmt.Sprintf("deployment.resources[%d] (%s)", i, quoteIfNeeded(rr.URN)) }
	if rr.Type == "" {
		return fmt.Errorf("%s: missing type", label())
	}
	stack, project, name, ok := gcp.ParseURN(rr.URN)
	if !ok {
		return fmt.Errorf("deployment.resources[%d]: urn %q is not of the form urn:pulumi:<stack>::<project>::<type>::<name>", i, rr.URN)
	}
	if isRoot := rr.Type == gcp.StackType; !p.named || (isRoot && !p.rootNamed) {
		p.d.Stack, p.d.Project = stack, project
		p.named, p.rootNamed = true, isRoot
	}

	inputs, encryptedInputs, err := p.conv.props(rr.Inputs, "inputs")
	if err != nil {
		return fmt.Errorf("%s: %w", label(), err)
	}
	rr.Inputs = nil // let the generic tree go before building the next one
	outputs, encryptedOutputs, err := p.conv.props(rr.Outputs, "outputs")
	if err != nil {
		return fmt.Errorf("%s: %w", label(), err)
	}
	rr.Outputs = nil
	if rr.Want != nil {
		want, err := parseWant(rr.Want)
		if err != nil {
			return fmt.Errorf("%s: %w", label(), err)
		}
		p.d.Wants[rr.URN] = want
	}

	// Every resource repeats type tokens and the URNs of its parent and
	// dependencies: keep one copy of each.
	typ := p.conv.intern(rr.Type)
	for j, dep := range rr.Dependencies {
		rr.Dependencies[j] = p.urn(dep)
	}
	var propDeps map[string][]string
	if rr.PropertyDependencies != nil {
		propDeps = make(map[string][]string, len(rr.PropertyDependencies))
		for k, deps := range rr.PropertyDependencies {
			for j, dep := range deps {
				deps[j] = p.urn(dep)
			}
			propDeps[p.conv.intern(k)] = deps
		}
	}

	pos := len(p.d.Outputs)
	p.index[rr.URN] = pos
	p.d.Outputs = append(p.d.Outputs, &gcp.Resource{
		URN: rr.URN, Type: typ, Name: name, Props: outputs, External: rr.External,
		Parent:               p.urn(rr.Parent),
		Dependencies:         rr.Dependencies,
		PropertyDependencies: propDeps,
	})
	if strings.HasPrefix(typ, providerTypePrefix) {
		prov := &gcp.Provider{URN: rr.URN, Type: typ, Name: name, Props: inputs}
		p.providers[pos] = prov
		if len(encryptedInputs) > 0 {
			p.encrypted[prov] = encryptedInputs
		}
	}
	in := &gcp.Resource{URN: rr.URN, Type: typ, Name: name, Props: inputs, External: rr.External}
	p.pending = append(p.pending, pendingInputs{index: pos, res: in, ref: rr.Provider,
		encryptedInputs: encryptedInputs, encryptedOutputs: encryptedOutputs})
	if p.rootNamed {
		p.flush()
	}
	return nil
}

// urn returns the copy of a URN the deployment already holds, if any.
func (p *parser) urn(s string) string {
	if pos, ok := p.index[s]; ok {
		return p.d.Outputs[pos].URN
	}
	return s
}

// pendingInputs is a resource's inputs with its provider reference, waiting
// to be handed over.
type pendingInputs struct {
	index int
	res   *gcp.Resource
	ref   string

	encryptedInputs, encryptedOutputs []string // the resource's own
}

// flush hands over the pending inputs whose provider is known for good, in
// export order; the others wait for the end of the document, when all are.
func (p *parser) flush() {
	for _, pi := range p.pending {
		prov, final := p.provider(pi.ref)
		if !final {
			p.waiting = append(p.waiting, pi)
			continue
		}
		pi.res.Provider = prov
		p.d.Outputs[pi.index].Provider = prov
		byProvider := p.encrypted[prov]
		if out := mergePaths(pi.encryptedOutputs, byProvider); len(out) > 0 {
			if p.d.EncryptedOutputs == nil {
				p.d.EncryptedOutputs = map[string][]string{}
			}
			urn := pi.res.URN
			p.d.EncryptedOutputs[urn] = mergePaths(p.d.EncryptedOutputs[urn], out)
		}
		if p.each != nil {
			p.each(Inputs{Index: pi.index, Resource: pi.res, Project: p.d.Project, Stack: p.d.Stack,
				Encrypted: mergePaths(pi.encryptedInputs, byProvider)})
		}
	}
	clear(p.pending)
	p.pending = p.pending[:0]
}

// provider resolves a provider reference, `<provider URN>::<provider ID>` or
// a bare URN, to a provider resource; one that names no provider resource of
// the export resolves to nil. final is false while the URN may yet turn up
// further down the document.
func (p *parser) provider(ref string) (prov *gcp.Provider, final bool) {
	if ref == "" {
		return nil, true
	}
	urn := ref
	if j := strings.LastIndex(ref, "::"); j >= 0 {
		urn = ref[:j]
	}
	idx, ok := p.index[urn]
	if !ok {
		if !p.done {
			return nil, false
		}
		if idx, ok = p.index[ref]; !ok { // a reference without an ID
			return nil, true
		}
	}
	return p.providers[idx], true
}

// mergePaths returns the sorted union of two sorted path lists, reusing
// either when the other is empty: every resource of a provider whose
// credentials are encrypted shares that provider's list.
func mergePaths(a, b []string) []string {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func parseWant(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want is %s, not an array of regular expressions", kind(v))
	}
	out := make([]string, 0, len(arr))
	for j, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("want[%d] is %s, not a regular expression string", j, kind(e))
		}
		if _, err := regexp.Compile(s); err != nil {
			return nil, fmt.Errorf("want[%d]: %w", j, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// ---- property conversion ----

// converter turns generic JSON values of an export into property values.
//
// property.New copies the map or slice it is given, so the converter builds
// each level in a scratch map or slice kept per nesting depth and reused,
// rather than allocating one to throw away for every object and array.
//
// Exports repeat the same keys and many of the same values (regions,
// projects, label values) in every resource, and the decoder allocates each
// occurrence afresh; the converter keeps one copy of each, string values
// boxed once as property values.
type converter struct {
	ciphertexts int
	// encrypted holds, for the property map being converted, the path of
	// each ciphertext-only secret as segments, innermost first: like a
	// valueError's, the path is built while the recursion unwinds, so values
	// without one cost a length comparison per member.
	encrypted [][]any

	depth  int
	depths []*scratch

	strs map[string]string
	vals map[string]property.Value

	share      map[string]sharedValue
	shareBytes int
	nextID     uint32
}

type sharedValue struct {
	v  property.Value
	id uint32
}

// Scratch containers that grew beyond these are dropped rather than kept:
// clearing a map costs its capacity, not its length.
const (
	maxScratchMap   = 64
	maxScratchSlice = 1024
)

// maxInterned bounds each intern table, and maxShareBytes the keys of shared
// values; a full table starts over, so values that recur keep coming back
// while one-offs do not pile up.
const (
	maxInterned   = 1 << 16
	maxShareBytes = 4 << 20
)

// Objects and arrays with more members, or whose sharing key would be
// longer, are seldom repeated: they are not looked up.
const (
	maxSharedEntries = 32
	maxSharedKey     = 1024
)

func newConverter() *converter {
	return &converter{
		strs:   map[string]string{},
		vals:   map[string]property.Value{},
		share:  map[string]sharedValue{},
		nextID: firstShareID,
	}
}

// intern returns the converter's copy of s.
func (c *converter) intern(s string) string {
	if t, ok := c.strs[s]; ok {
		return t
	}
	if len(c.strs) >= maxInterned {
		clear(c.strs)
	}
	c.strs[s] = s
	return s
}

// str returns s as a property value, shared with earlier occurrences.
func (c *converter) str(s string) property.Value {
	if v, ok := c.vals[s]; ok {
		return v
	}
	if len(c.vals) >= maxInterned {
		clear(c.vals)
	}
	v := property.New(s)
	c.vals[s] = v
	return v
}

// props converts a resource's inputs or outputs; missing or null is empty.
// encrypted lists, sorted, the paths of the values exported encrypted.
func (c *converter) props(v any, root string) (_ property.Map, encrypted []string, _ error) {
	switch v := v.(type) {
	case nil:
		return property.Map{}, nil, nil
	case map[string]any:
		c.encrypted = c.encrypted[:0]
		pv, _, err := c.object(v)
		if err != nil {
			var ve *valueError
			if errors.As(err, &ve) {
				return property.Map{}, nil, errors.New(ve.at(root))
			}
			return property.Map{}, nil, err
		}
		for _, segs := range c.encrypted {
			encrypted = append(encrypted, c.intern(renderPath("", segs)))
		}
		clear(c.encrypted)
		slices.Sort(encrypted)
		return pv.AsMap(), encrypted, nil
	default:
		return property.Map{}, nil, fmt.Errorf("%s is %s, not an object", root, kind(v))
	}
}

// encryptedWithin adds seg to the paths of the ciphertexts found since the
// first n.
func (c *converter) encryptedWithin(n int, seg any) {
	for i := n; i < len(c.encrypted); i++ {
		c.encrypted[i] = append(c.encrypted[i], seg)
	}
}

// Sharing identities a value's conversion reports to its parent: 0 for a
// value that cannot be shared (it holds a secret, or is too big to be worth
// looking up), 1 for a scalar, which the parent spells out in its key, and
// from 2 up the identity of a shared object or array.
const (
	unshared     uint32 = 0
	scalar       uint32 = 1
	firstShareID uint32 = 2
)

func (c *converter) value(v any) (property.Value, uint32, error) {
	switch v := v.(type) {
	case nil:
		return property.Value{}, scalar, nil
	case bool:
		return property.New(v), scalar, nil
	case float64:
		return property.New(v), scalar, nil
	case string:
		if v == sig.UnknownStringValue {
			return property.New(property.Computed), scalar, nil
		}
		return c.str(v), scalar, nil
	case []any:
		return c.array(v)
	case map[string]any:
		if s, ok := v[sig.Key].(string); ok && s == sig.Secret {
			pv, err := c.secret(v)
			return pv, unshared, err
		}
		// Assets, archives, resource references and any other signature
		// objects stay plain maps, signature key included.
		return c.object(v)
	default: // encoding/json produces nothing else
		return property.Value{}, unshared, &valueError{msg: fmt.Sprintf("unsupported JSON value of type %T", v)}
	}
}

// scratch is what one nesting depth of the conversion reuses.
type scratch struct {
	m    map[string]property.Value
	arr  []property.Value
	keys []string
	key  []byte
}

func (c *converter) scratch() *scratch {
	for len(c.depths) <= c.depth {
		c.depths = append(c.depths, &scratch{})
	}
	return c.depths[c.depth]
}

// emptyArray is the sharing key of [].
var emptyArray = []byte{'a'}

func (c *converter) array(a []any) (property.Value, uint32, error) {
	if len(a) == 0 { // an empty, not a nil, slice: nil would read as null
		v, id := c.shared(emptyArray, true, func() property.Value { return property.New([]property.Value{}) })
		return v, id, nil
	}
	sc := c.scratch()
	c.depth++
	out := sc.arr[:0]
	key := append(sc.key[:0], 'a')
	share := len(a) <= maxSharedEntries
	var err error
	for i, e := range a {
		n := len(c.encrypted)
		pv, id, verr := c.value(e)
		if verr != nil {
			err = within(verr, i)
			break
		}
		if len(c.encrypted) > n {
			c.encryptedWithin(n, i)
		}
		out = append(out, pv)
		if share {
			key, share = appendShareKey(key, e, id)
		}
	}
	c.depth--
	var result property.Value
	id := unshared
	if err == nil {
		result, id = c.shared(key, share, func() property.Value { return property.New(out) }) // copies
	}
	clear(out)
	if cap(out) > maxScratchSlice {
		out = nil
	}
	sc.arr, sc.key = out[:0], key[:0]
	return result, id, err
}

func (c *converter) object(m map[string]any) (property.Value, uint32, error) {
	sc := c.scratch()
	out := sc.m
	if out == nil {
		out = make(map[string]property.Value, len(m))
	}
	// The key of a shared object lists its members in a fixed order.
	share := len(m) <= maxSharedEntries
	keys := sc.keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	if share {
		slices.Sort(keys)
	}
	c.depth++
	key := append(sc.key[:0], 'o')
	var err error
	for _, k := range keys {
		e := m[k]
		n := len(c.encrypted)
		pv, id, verr := c.value(e)
		if verr != nil {
			err = within(verr, k)
			break
		}
		if len(c.encrypted) > n {
			c.encryptedWithin(n, k)
		}
		k = c.intern(k)
		out[k] = pv
		if share {
			key = binary.AppendUvarint(key, uint64(len(k)))
			key = append(key, k...)
			key, share = appendShareKey(key, e, id)
		}
	}
	c.depth--
	var result property.Value
	id := unshared
	if err == nil {
		result, id = c.shared(key, share, func() property.Value { return property.New(out) }) // copies
	}
	if len(out) > maxScratchMap {
		out = nil
	} else {
		clear(out)
	}
	clear(keys)
	sc.m, sc.keys, sc.key = out, keys[:0], key[:0]
	return result, id, err
}

// appendShareKey spells a converted value out in its parent's sharing key:
// raw is the JSON value and id what its conversion reported.
func appendShareKey(key []byte, raw any, id uint32) ([]byte, bool) {
	switch {
	case id == unshared:
		return key, false
	case id >= firstShareID:
		key = append(key, '#')
		key = binary.AppendUvarint(key, uint64(id))
	default:
		switch v := raw.(type) {
		case nil:
			key = append(key, 'n')
		case bool:
			key = append(key, 'f')
			if v {
				key[len(key)-1] = 't'
			}
		case float64:
			key = append(key, 'd')
			key = binary.LittleEndian.AppendUint64(key, math.Float64bits(v))
		case string:
			if v == sig.UnknownStringValue {
				key = append(key, 'u')
				break
			}
			key = append(key, 's')
			key = binary.AppendUvarint(key, uint64(len(v)))
			key = append(key, v...)
		default:
			return key, false
		}
	}
	return key, len(key) <= maxSharedKey
}

// shared returns the earlier copy of a value with this sharing key, or
// makes one and remembers it. Property values are immutable, so resources
// (and a resource's inputs and outputs) can share equal objects and arrays:
// label maps, settings blocks, lists of experiments.
func (c *converter) shared(key []byte, share bool, build func() property.Value) (property.Value, uint32) {
	if !share {
		return build(), unshared
	}
	if e, ok := c.share[string(key)]; ok {
		return e.v, e.id
	}
	if len(c.share) >= maxInterned || c.shareBytes >= maxShareBytes {
		clear(c.share)
		c.shareBytes = 0
	}
	e := sharedValue{v: build(), id: c.nextID}
	c.nextID++
	c.share[string(key)] = e
	c.shareBytes += len(key)
	return e.v, e.id
}

// secret decodes `{sig.Key: sig.Secret, "plaintext": "<JSON>"}` or, with
// only "ciphertext", yields an unknown secret.
func (c *converter) secret(m map[string]any) (property.Value, error) {
	if pt, ok := m["plaintext"]; ok {
		s, ok := pt.(string)
		if !ok {
			return property.Value{}, &valueError{msg: fmt.Sprintf("secret plaintext is %s, not a string holding JSON", kind(pt))}
		}
		var inner any
		if err := json.Unmarshal([]byte(s), &inner); err != nil {
			if num, ok := outOfRange(err); ok {
				return property.Value{}, &valueError{msg: "secret plaintext holds number " + num + ", which is out of range"}
			}
			return property.Value{}, &valueError{msg: "secret plaintext is not valid JSON: " + err.Error()}
		}
		pv, _, err := c.value(inner)
		if err != nil {
			return property.Value{}, err
		}
		return pv.WithSecret(true), nil
	}
	if _, ok := m["ciphertext"]; ok {
		c.ciphertexts++
		c.encrypted = append(c.encrypted, nil)
		return property.New(property.Computed).WithSecret(true), nil
	}
	return property.Value{}, &valueError{msg: "secret has neither plaintext nor ciphertext"}
}

// valueError is a conversion failure at a property path, built while the
// recursion unwinds so the happy path never formats paths.
type valueError struct {
	segs []any // string keys and int indexes, innermost first
	msg  string
}

func (e *valueError) Error() string { return e.at("") }

// at renders the error with its path below root, spelled as gcp.JoinPath
// and gcp.IndexPath spell paths, in time linear in the path length.
func (e *valueError) at(root string) string {
	path := renderPath(root, e.segs)
	if path == "" {
		return e.msg
	}
	return path + ": " + e.msg
}

// renderPath spells root followed by segs, string keys and int indexes
// innermost first, as gcp.JoinPath and gcp.IndexPath spell paths.
func renderPath(root string, segs []any) string {
	var b strings.Builder
	b.WriteString(root)
	for i := len(segs) - 1; i >= 0; i-- {
		var seg string
		switch s := segs[i].(type) {
		case string:
			seg = gcp.JoinPath("", s)
		case int:
			seg = gcp.IndexPath("", s)
		}
		if b.Len() > 0 && !strings.HasPrefix(seg, "[") {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func within(err error, seg any) error {
	var ve *valueError
	if errors.As(err, &ve) {
		ve.segs = append(ve.segs, seg)
	}
	return err
}

// ---- errors and positions ----

// countingReader counts bytes and newlines handed to the decoder, so an error
// position can be turned into a line number, and remembers read failures.
type countingReader struct {
	r     io.Reader
	n     int64
	lines int64
	err   error // first failure other than io.EOF
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.lines += int64(bytes.Count(b[:n], newline))
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

var newline = []byte{'\n'}

type readError struct{ err error }

func (e *readError) Error() string { return "cannot read input: " + unwrapPath(e.err).Error() }
func (e *readError) Unwrap() error { return e.err }

// jsonErr turns a decoder failure into a message with a position.
func (p *parser) jsonErr(err error) error {
	if p.src.err != nil {
		return &readError{p.src.err}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated input: the document ends at %s before it is complete", p.where(p.src.n))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at %s: %s", p.where(p.syntaxPos(se)), se.Error())
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// resourceErr explains why resource i did not decode.
func (p *parser) resourceErr(i int, err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return p.jsonErr(err)
	}
	if num, ok := outOfRange(err); ok {
		return fmt.Errorf("deployment.resources[%d]: %q holds number %s, which is out of range", i, te.Field, num)
	}
	found := jsonKind(te.Value)
	if te.Field == "" {
		return fmt.Errorf("deployment.resources[%d] is %s, not an object", i, found)
	}
	return fmt.Errorf("deployment.resources[%d]: %q has %s where %s belongs", i, te.Field, found, goKind(te.Type))
}

// syntaxPos finds the input offset of the byte a syntax error is about.
// Errors the decoder raises between values carry that offset already; errors
// from inside a value carry a count that does not include the bytes consumed
// by Token, so the value is scanned again from its start, which is still
// buffered.
func (p *parser) syntaxPos(se *json.SyntaxError) int64 {
	start := p.dec.InputOffset()
	if b := p.buffered(); len(b) > 0 {
		var again *json.SyntaxError
		err := json.NewDecoder(bytes.NewReader(b)).Decode(&skipValue{})
		if errors.As(err, &again) && again.Error() == se.Error() && again.Offset > 0 {
			return start + again.Offset - 1
		}
	}
	return se.Offset
}

func (p *parser) buffered() []byte {
	b, _ := io.ReadAll(p.dec.Buffered())
	return b
}

// where renders an input offset as a line and byte offset. The decoder's
// buffer runs from its input offset to the last byte read, so the line of any
// offset in it follows from the newlines read so far.
func (p *parser) where(off int64) string {
	start := p.dec.InputOffset()
	if b := p.buffered(); off >= start && off <= start+int64(len(b)) {
		line := p.src.lines - int64(bytes.Count(b[off-start:], newline)) + 1
		return fmt.Sprintf("line %d (byte offset %d)", line, off+p.bom)
	}
	return fmt.Sprintf("byte offset %d", off+p.bom)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

func tokenKind(tok json.Token) string {
	switch tok {
	case json.Delim('{'):
		return "an object"
	case json.Delim('['):
		return "an array"
	case json.Delim('}'), json.Delim(']'):
		return fmt.Sprintf("%q", tok)
	}
	return kind(tok)
}

// outOfRange returns the literal of a JSON number too large for a float64,
// which encoding/json refuses to decode.
func outOfRange(err error) (string, bool) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil && te.Type.Kind() == reflect.Float64 {
		return strings.CutPrefix(te.Value, "number ")
	}
	return "", false
}

func jsonKind(v string) string {
	w, _, _ := strings.Cut(v, " ")
	switch w {
	case "string", "number":
		return "a " + w
	case "array", "object":
		return "an " + w
	case "bool":
		return "a boolean"
	}
	return v
}

func goKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	case reflect.Interface:
		return "a value"
	}
	return "a number"
}

func quoteIfNeeded(s string) string {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}

// lineError keeps an error to one line whatever it wraps.
type lineError struct{ err error }

func (e *lineError) Error() string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(e.err.Error())
}
func (e *lineError) Unwrap() error { return e.err }

func oneLine(err error) error {
	if strings.ContainsAny(err.Error(), "\r\n") {
		return &lineError{err}
	}
	return err
}
