// Package conformance proves that every property the pack's model reads
// exists on the pulumi-gcp v9.6.0 SDK type it claims to read, so a misspelt
// property can never silently pass every policy.
package conformance

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/sdkscan"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packconfig"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/stackfile"
	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

type read struct {
	typ, path string
	outputs   bool
}

// recordReads runs every fixture and example stack through every policy
// (with the fixture's config, when it has one) and records each property
// read from a resource or provider.
func recordReads(t *testing.T) map[read]bool {
	t.Helper()
	var mu sync.Mutex
	reads := map[read]bool{}
	gcp.ReadHook = func(typ, path string, outputs bool) {
		mu.Lock()
		reads[read{typ, path, outputs}] = true
		mu.Unlock()
	}
	defer func() { gcp.ReadHook = nil }()

	files, err := filepath.Glob("../../testdata/*/*.json")
	require.NoError(t, err)
	var fixtures int
	for _, path := range files {
		if strings.HasSuffix(path, ".config.json") || filepath.Base(path) == "config.json" {
			continue
		}
		fixtures++
		pack, err := policies.NewPack("0.0.0", "conformance")
		require.NoError(t, err)
		cfgPath := strings.TrimSuffix(path, ".json") + ".config.json"
		if _, err := os.Stat(cfgPath); err == nil {
			f, err := packconfig.ReadFile(cfgPath)
			require.NoError(t, err)
			_, err = pack.Apply(f.Policies)
			require.NoError(t, err)
		}
		dep, err := stackfile.ReadFile(path)
		require.NoError(t, err, path)
		pack.Evaluate(context.Background(), dep, policy.DeploymentOptions{})
	}
	require.Greater(t, fixtures, 10)
	return reads
}

func TestEveryReadPropertyExistsInTheSDK(t *testing.T) {
	dir, byToken := scanSDK(t)
	provider, err := providerArgs(dir)
	require.NoError(t, err)
	byToken[gcp.ProviderType] = sdkscan.Resource{Token: gcp.ProviderType, Args: provider}

	reads := recordReads(t)
	require.NotEmpty(t, reads)
	var problems []string
	checked := 0
	for r := range reads {
		if r.typ == gcp.StackType {
			continue // the root stack resource has no SDK type
		}
		if !strings.HasPrefix(r.typ, "gcp:") && r.typ != gcp.ProviderType {
			// Another provider's resource: Config Connector objects (their
			// field names come from the KCC CRDs, see internal/gcp/kcc.go)
			// or any resource the key scan reads.
			continue
		}
		if segments(r.path)[0] == gcp.KCCPartialPolicyBindings {
			continue // added by the Config Connector adapter, not an SDK input
		}
		res, ok := byToken[r.typ]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: type token not in pulumi-gcp v9.6.0 (read %s)", r.typ, r.path))
			continue
		}
		if err := resolve(dir, res, r); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %v", r.typ, r.path, err))
		}
		checked++
	}
	sort.Strings(problems)
	require.Empty(t, problems, "properties the model reads but the SDK does not declare")
	t.Logf("checked %d distinct property reads against the SDK", checked)
}

// segments splits `a.b[2].c` into a, b, c (indexes dropped).
func segments(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		if i := strings.Index(part, "["); i >= 0 {
			part = part[:i]
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// resolve walks the path through the SDK's args structs (and, for stack
// policies, the resource's output-only fields at the top level).
func resolve(dir string, res sdkscan.Resource, r read) error {
	fields := res.Args
	segs := segments(r.path)
	for i, seg := range segs {
		f, ok := find(fields, seg)
		if !ok {
			if i == 0 && r.outputs {
				if _, ok := find(res.Outputs, seg); ok {
					return nil // an output-only property such as an account's email
				}
			}
			return fmt.Errorf("no property %q", seg)
		}
		typ := strings.TrimLeft(f.GoType, "*")
		for strings.HasPrefix(typ, "[]") {
			typ = strings.TrimLeft(typ[2:], "*")
		}
		if strings.HasPrefix(typ, "map[") || typ == "interface{}" || typ == "any" {
			return nil // free-form below this point (labels, parameters)
		}
		if i == len(segs)-1 {
			return nil
		}
		if isScalar(typ) {
			return fmt.Errorf("%q is a %s, it has no property %q", seg, typ, segs[i+1])
		}
		next, err := sdkscan.Type(dir, res.Package, sdkscan.Named(typ))
		if err != nil {
			return err
		}
		if next == nil {
			return fmt.Errorf("nested type %s of %q not found", typ, seg)
		}
		fields = next
	}
	return nil
}

func isScalar(typ string) bool {
	switch typ {
	case "string", "bool", "int", "float64":
		return true
	}
	return false
}

func find(fields []sdkscan.Field, name string) (sdkscan.Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return sdkscan.Field{}, false
}

// providerArgs reads the provider's args struct from go/gcp/provider.go,
// which sdkscan.Scan leaves out.
func providerArgs(dir string) ([]sdkscan.Field, error) {
	path := filepath.Join(dir, "go", "gcp", "provider.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []sdkscan.Field
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "providerArgs" {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, field := range st.Fields.List {
			if field.Tag == nil {
				continue
			}
			tag := strings.Trim(field.Tag.Value, "`")
			_, rest, found := strings.Cut(tag, `pulumi:"`)
			if !found {
				continue
			}
			name, _, _ := strings.Cut(rest, `"`)
			out = append(out, sdkscan.Field{Name: name, GoType: types.ExprString(field.Type)})
		}
		return false
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("no providerArgs in %s", path)
	}
	return out, nil
}

// TestResolveRejectsMisspeltProperties keeps the check above honest.
func TestResolveRejectsMisspeltProperties(t *testing.T) {
	dir, byToken := scanSDK(t)
	job, pipeline := byToken[gcp.DataflowJob], byToken[gcp.DataflowPipeline]
	require.NoError(t, resolve(dir, job, read{path: "serviceAccountEmail"}))
	require.NoError(t, resolve(dir, job, read{path: "labels.team"}))
	require.Error(t, resolve(dir, job, read{path: "serviceAccount"}))
	require.Error(t, resolve(dir, job, read{path: "jobId"}), "an output is not an input")
	require.NoError(t, resolve(dir, job, read{path: "jobId", outputs: true}))
	require.NoError(t, resolve(dir, pipeline, read{path: "workload.dataflowFlexTemplateRequest.launchParameter.environment.serviceAccountEmail"}))
	require.Error(t, resolve(dir, pipeline, read{path: "workload.dataflowFlexTemplateRequest.launchParameters.environment"}))
	require.Error(t, resolve(dir, job, read{path: "name.first"}), "a string has no properties")
}

var (
	scanOnce    sync.Once
	scanDir     string
	scanByToken map[string]sdkscan.Resource
	scanErr     error
)

// scanSDK parses the SDK once per test binary and indexes it by type token.
func scanSDK(t *testing.T) (string, map[string]sdkscan.Resource) {
	t.Helper()
	scanOnce.Do(func() {
		scanDir, scanErr = sdkscan.Dir()
		if scanErr != nil {
			return
		}
		var resources []sdkscan.Resource
		resources, scanErr = sdkscan.Scan(scanDir)
		scanByToken = map[string]sdkscan.Resource{}
		for _, r := range resources {
			scanByToken[r.Token] = r
		}
	})
	require.NoError(t, scanErr)
	out := make(map[string]sdkscan.Resource, len(scanByToken))
	for k, v := range scanByToken {
		out[k] = v
	}
	return scanDir, out
}
