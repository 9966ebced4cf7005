// Command gcptypes writes internal/gcp/zz_types.go: the IAM and label type
// tables of the policy pack, derived from the pulumi-gcp Go SDK source so they
// cover every resource type of the pinned version. Run it via
// `go generate ./internal/gcp` from the repository root.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/sdkscan"
)

func main() {
	out := flag.String("out", "", "file to write (relative to the e2e module)")
	flag.Parse()
	if *out == "" {
		log.Fatal("gcptypes: -out is required")
	}
	dir, err := sdkscan.Dir()
	if err != nil {
		log.Fatal(err)
	}
	res, err := sdkscan.Scan(dir)
	if err != nil {
		log.Fatal(err)
	}
	src, err := generate(res, nestedTypes(dir))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// notResourceLabels have a top-level `labels` input that is not GCP resource
// labels (group labels are identity-type markers; the others are
// descriptor/metadata labels), which is why pulumi-gcp gives them no
// effectiveLabels. Listing them keeps a new `labels` input without
// effectiveLabels from slipping by unreviewed.
var notResourceLabels = []string{
	"gcp:cloudidentity/group:Group",
	"gcp:deploymentmanager/deployment:Deployment",
	"gcp:monitoring/metricDescriptor:MetricDescriptor",
	"gcp:monitoring/notificationChannel:NotificationChannel",
}

type iamType struct {
	kind, scope string
	target      []string
}

// tables holds the generated maps before rendering, keyed by token.
type tables struct {
	iam map[string]iamType
	// labels maps a token to the property path of its labels input: the
	// one input per type that pulumi-gcp merges with the provider's
	// defaultLabels into an effectiveLabels field beside it.
	labels     map[string][]string
	userLabels map[string]bool
}

// typesOf returns the nested struct types of an SDK package by Go name.
type typesOf func(pkg string) (map[string][]sdkscan.Field, error)

func classify(res []sdkscan.Resource, types typesOf) (tables, error) {
	t := tables{iam: map[string]iamType{}, labels: map[string][]string{}, userLabels: map[string]bool{}}
	excluded := map[string]bool{}
	for _, tok := range notResourceLabels {
		excluded[tok] = true
	}
	for _, r := range res {
		args := map[string]bool{}
		for _, f := range r.Args {
			args[f.Name] = true
		}
		paths, err := labelPaths(r, types)
		if err != nil {
			return tables{}, err
		}
		switch {
		case len(paths) > 1:
			return tables{}, fmt.Errorf("gcptypes: %s has labels at %v; the label resolver reads one field per type", r.Token, paths)
		case len(paths) == 1:
			if excluded[r.Token] {
				return tables{}, fmt.Errorf("gcptypes: excluded label type %s now has effectiveLabels beside %v", r.Token, paths[0])
			}
			t.labels[r.Token] = paths[0]
		case args["labels"] && !excluded[r.Token]:
			return tables{}, fmt.Errorf("gcptypes: %s has a labels input but no effectiveLabels; decide whether it holds resource labels and list it in notResourceLabels if not", r.Token)
		}
		if args["userLabels"] {
			t.userLabels[r.Token] = true
		}
		it, ok, err := iamOf(r, args)
		if err != nil {
			return tables{}, err
		}
		if ok {
			t.iam[r.Token] = it
		}
	}
	for tok := range excluded {
		// A vanished token means the exclusion list needs a look.
		if !slices.ContainsFunc(res, func(r sdkscan.Resource) bool { return r.Token == tok && hasField(r.Args, "labels") }) {
			return tables{}, fmt.Errorf("gcptypes: excluded label type %s has no labels input", tok)
		}
	}
	return t, nil
}

// labelPaths finds every labels input of a resource that has an
// effectiveLabels or pulumiLabels field beside it, at any depth of its args
// (a Cloud Run v1 Service keeps them in metadata).
func labelPaths(r sdkscan.Resource, types typesOf) ([][]string, error) {
	var out [][]string
	if hasField(r.Outputs, "effectiveLabels") || hasField(r.Outputs, "pulumiLabels") {
		name, err := labelsBeside(r.Token, r.Args)
		if err != nil {
			return nil, err
		}
		out = append(out, []string{name})
	}
	nested, err := types(r.Package)
	if err != nil || nested == nil {
		return out, err
	}
	var walk func(fields []sdkscan.Field, prefix []string, inList bool, onPath map[string]bool) error
	walk = func(fields []sdkscan.Field, prefix []string, inList bool, onPath map[string]bool) error {
		for _, f := range fields {
			name := sdkscan.Named(f.GoType)
			sub, ok := nested[name]
			if !ok || onPath[name] {
				continue
			}
			path := append(slices.Clone(prefix), f.Name)
			list := inList || strings.Contains(f.GoType, "[]") || strings.Contains(f.GoType, "map[")
			if hasField(sub, "effectiveLabels") || hasField(sub, "pulumiLabels") {
				if list {
					return fmt.Errorf("gcptypes: %s has labels in a list or map element at %s; teach the label resolver to read them", r.Token, strings.Join(path, "."))
				}
				label, err := labelsBeside(r.Token+" "+strings.Join(path, "."), sub)
				if err != nil {
					return err
				}
				out = append(out, append(path, label))
			}
			onPath[name] = true
			if err := walk(sub, path, list, onPath); err != nil {
				return err
			}
			delete(onPath, name)
		}
		return nil
	}
	return out, walk(r.Args, nil, false, map[string]bool{})
}

// labelsBeside names the labels input an effectiveLabels field reflects:
// `labels`, or else the one other map input named *Labels (a GKE cluster's
// resourceLabels).
func labelsBeside(where string, fields []sdkscan.Field) (string, error) {
	var candidates []string
	for _, f := range fields {
		switch f.Name {
		case "effectiveLabels", "pulumiLabels", "terraformLabels":
			continue
		case "labels":
			return f.Name, nil
		}
		if strings.HasSuffix(f.Name, "Labels") && strings.HasPrefix(strings.TrimLeft(f.GoType, "*"), "map[string]") {
			candidates = append(candidates, f.Name)
		}
	}
	if len(candidates) != 1 {
		return "", fmt.Errorf("gcptypes: %s has effectiveLabels beside the label inputs %v; which one does it reflect?", where, candidates)
	}
	return candidates[0], nil
}

func hasField(fields []sdkscan.Field, name string) bool {
	return slices.ContainsFunc(fields, func(f sdkscan.Field) bool { return f.Name == name })
}

// nestedTypes reads the nested types of the SDK packages that declare an
// effectiveLabels or pulumiLabels field in one, once each; other packages
// (most of the SDK's source) cannot hold nested labels and are not parsed.
func nestedTypes(dir string) typesOf {
	var mu sync.Mutex
	cache := map[string]map[string][]sdkscan.Field{}
	return func(pkg string) (map[string][]sdkscan.Field, error) {
		mu.Lock()
		defer mu.Unlock()
		if t, ok := cache[pkg]; ok {
			return t, nil
		}
		files, err := filepath.Glob(filepath.Join(dir, "go", "gcp", pkg, "pulumiTypes*.go"))
		if err != nil {
			return nil, err
		}
		var t map[string][]sdkscan.Field
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			if bytes.Contains(src, []byte(`pulumi:"effectiveLabels"`)) || bytes.Contains(src, []byte(`pulumi:"pulumiLabels"`)) {
				if t, err = sdkscan.Types(dir, pkg); err != nil {
					return nil, err
				}
				break
			}
		}
		cache[pkg] = t
		return t, nil
	}
}

// iamOf classifies IAM resources by the suffix of the type name (the SDK
// spells it IAMMember or IamMember), then checks the args agree, so
// look-alikes such as IamMemberRemove or IAMAuditConfig stay out.
func iamOf(r sdkscan.Resource, args map[string]bool) (iamType, bool, error) {
	name := strings.ToLower(r.Token[strings.LastIndex(r.Token, ":")+1:])
	var kind string
	var need []string
	switch {
	case strings.HasSuffix(name, "iammember"):
		kind, need = "IAMMember", []string{"role", "member"}
	case strings.HasSuffix(name, "iambinding"):
		kind, need = "IAMBinding", []string{"role", "members"}
	case strings.HasSuffix(name, "iampolicy"):
		kind, need = "IAMPolicy", []string{"policyData"}
	default:
		return iamType{}, false, nil
	}
	for _, n := range need {
		if !args[n] {
			return iamType{}, false, fmt.Errorf("gcptypes: %s looks like %s but has no %q input", r.Token, kind, n)
		}
	}
	it := iamType{kind: kind, scope: "ScopeResource"}
	module, _, _ := strings.Cut(strings.TrimPrefix(r.Token, "gcp:"), "/")
	switch module {
	case "projects":
		it.scope = "ScopeProject"
	case "folder":
		it.scope = "ScopeFolder"
	case "organizations":
		it.scope = "ScopeOrganization"
	case "serviceaccount":
		it.scope = "ScopeServiceAccount"
	}
	for _, f := range r.Args {
		switch f.Name {
		case "role", "member", "members", "condition", "policyData":
		default:
			it.target = append(it.target, f.Name)
		}
	}
	return it, true, nil
}

func generate(res []sdkscan.Resource, types typesOf) ([]byte, error) {
	t, err := classify(res, types)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by e2e/tools/gcptypes from %s@%s; DO NOT EDIT.\n\npackage gcp\n\n", sdkscan.Module, sdkscan.Version)
	b.WriteString("var iamTypes = map[string]iamType{\n")
	for _, tok := range sortedKeys(t.iam) {
		it := t.iam[tok]
		fmt.Fprintf(&b, "%s: {Kind: %s, Scope: %s", strconv.Quote(tok), it.kind, it.scope)
		if len(it.target) > 0 {
			q := make([]string, len(it.target))
			for i, s := range it.target {
				q[i] = strconv.Quote(s)
			}
			fmt.Fprintf(&b, ", Target: []string{%s}", strings.Join(q, ", "))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")
	b.WriteString("// labelFields maps each type whose labels pulumi-gcp merges with the provider's\n" +
		"// defaultLabels (an effectiveLabels field beside them) to the path of its labels input.\n")
	b.WriteString("var labelFields = map[string][]string{\n")
	for _, tok := range sortedKeys(t.labels) {
		q := make([]string, len(t.labels[tok]))
		for i, s := range t.labels[tok] {
			q[i] = strconv.Quote(s)
		}
		fmt.Fprintf(&b, "%s: {%s},\n", strconv.Quote(tok), strings.Join(q, ", "))
	}
	b.WriteString("}\n\n")
	writeSet(&b, "userLabelTypes", t.userLabels)
	return format.Source(b.Bytes())
}

func writeSet(b *bytes.Buffer, name string, set map[string]bool) {
	fmt.Fprintf(b, "var %s = map[string]struct{}{\n", name)
	for _, tok := range sortedKeys(set) {
		fmt.Fprintf(b, "%s: {},\n", strconv.Quote(tok))
	}
	b.WriteString("}\n\n")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
