// Package sdkscan reads resource shapes straight from the pulumi-gcp Go SDK
// source. It only parses files (go/parser), because compiling the SDK takes
// minutes and gigabytes.
package sdkscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Module and Version pin the SDK the generated tables describe.
const (
	Module  = "github.com/pulumi/pulumi-gcp/sdk/v9"
	Version = "v9.6.0"
)

// Field is one pulumi-tagged struct field.
type Field struct {
	Name   string // the pulumi tag name, e.g. "labels"
	GoType string // the field's type expression as source text
}

// Resource is one resource type registered by the SDK.
type Resource struct {
	Token   string // e.g. "gcp:dataflow/job:Job"
	GoName  string // e.g. "Job"
	Package string // directory under go/gcp, e.g. "dataflow"
	Args    []Field
	Outputs []Field
}

// Dir returns the module cache directory of the pinned SDK, downloading it if
// needed. Run it inside the e2e module: if e2e/go.mod requires another version
// than Version, the tables would describe the wrong SDK, so Dir fails.
func Dir() (string, error) {
	var m struct{ Version, Dir string }
	// An error here means the SDK is not (or no longer, after go mod tidy) a
	// dependency of e2e; the pinned version is still downloadable.
	if err := goJSON(&m, "list", "-m", "-json", Module); err == nil && m.Version != Version {
		return "", fmt.Errorf("sdkscan: the e2e module requires %s %s but sdkscan is pinned to %s; update sdkscan.Version", Module, m.Version, Version)
	}
	if m.Dir != "" {
		return m.Dir, nil
	}
	if err := goJSON(&m, "mod", "download", "-json", Module+"@"+Version); err != nil {
		return "", err
	}
	if m.Dir == "" {
		return "", fmt.Errorf("sdkscan: go mod download gave no directory for %s@%s", Module, Version)
	}
	return m.Dir, nil
}

func goJSON(v any, args ...string) error {
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("sdkscan: go %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return json.Unmarshal(out, v)
}

// Scan parses every go/gcp/<pkg>/*.go file of the SDK at dir that registers a
// resource and returns the resources sorted by token.
func Scan(dir string) ([]Resource, error) {
	files, err := filepath.Glob(filepath.Join(dir, "go", "gcp", "*", "*.go"))
	if err != nil {
		return nil, err
	}
	var (
		mu   sync.Mutex
		res  []Resource
		errs []error
		wg   sync.WaitGroup
		next = make(chan string)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range next {
				r, ok, err := scanFile(path)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if ok {
					res = append(res, r)
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Token < res[j].Token })
	for i := 1; i < len(res); i++ {
		if res[i].Token == res[i-1].Token {
			return nil, fmt.Errorf("sdkscan: token %s registered twice", res[i].Token)
		}
	}
	return res, nil
}

// scanFile reports ok=false for files that register no resource (data
// sources, types, init.go, which registers by variable, not by literal).
func scanFile(path string) (Resource, bool, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return Resource{}, false, err
	}
	// Cheap filter: most of the 100 MB are pulumiTypes files with no resources.
	if !bytes.Contains(src, []byte(`.RegisterResource("`)) {
		return Resource{}, false, nil
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
	if err != nil {
		return Resource{}, false, err
	}
	r := Resource{Package: filepath.Base(filepath.Dir(path))}
	structs := map[string]*ast.StructType{}
	var argsType string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					if st, ok := ts.Type.(*ast.StructType); ok {
						structs[ts.Name.Name] = st
					}
				}
			}
		case *ast.FuncDecl:
			if r.Token == "" && d.Recv == nil && d.Body != nil {
				if tok := registeredToken(d.Body); tok != "" {
					r.Token, r.GoName = tok, resultName(d)
				}
			}
		}
	}
	if r.Token == "" || r.GoName == "" {
		return Resource{}, false, fmt.Errorf("sdkscan: %s: no RegisterResource(\"token\") in a New function", path)
	}
	// The exported XArgs has no tags; its ElementType names the tagged,
	// unexported struct (jobArgs, iammemberArgs, ...), whose casing varies.
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "ElementType" && recvName(fd) == r.GoName+"Args" {
			argsType = elemName(fd.Body)
		}
	}
	res, args := structs[r.GoName], structs[argsType]
	if res == nil || args == nil {
		return Resource{}, false, fmt.Errorf("sdkscan: %s: struct %s or args struct %q not found", path, r.GoName, argsType)
	}
	r.Outputs, r.Args = fields(res), fields(args)
	return r, true, nil
}

// registeredToken returns the string literal passed to the first
// ctx.RegisterResource call in body.
func registeredToken(body *ast.BlockStmt) string {
	var tok string
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || tok != "" {
			return tok == ""
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "RegisterResource" || len(call.Args) == 0 {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			tok, _ = strconv.Unquote(lit.Value)
		}
		return tok == ""
	})
	return tok
}

// resultName returns X for a func returning (*X, error).
func resultName(fd *ast.FuncDecl) string {
	if fd.Type.Results == nil || len(fd.Type.Results.List) == 0 {
		return ""
	}
	if star, ok := fd.Type.Results.List[0].Type.(*ast.StarExpr); ok {
		if id, ok := star.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return ""
}

func recvName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	if id, ok := fd.Recv.List[0].Type.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// elemName finds T in `reflect.TypeOf((*T)(nil)).Elem()`.
func elemName(body *ast.BlockStmt) string {
	var name string
	ast.Inspect(body, func(n ast.Node) bool {
		if star, ok := n.(*ast.StarExpr); ok && name == "" {
			if id, ok := star.X.(*ast.Ident); ok {
				name = id.Name
			}
		}
		return name == ""
	})
	return name
}

// fields lists the pulumi-tagged fields of st in declaration order.
func fields(st *ast.StructType) []Field {
	var out []Field
	for _, f := range st.Fields.List {
		if f.Tag == nil {
			continue // embedded CustomResourceState
		}
		tag, err := strconv.Unquote(f.Tag.Value)
		if err != nil {
			continue
		}
		name, _, _ := strings.Cut(reflect.StructTag(tag).Get("pulumi"), ",")
		if name == "" {
			continue
		}
		out = append(out, Field{Name: name, GoType: types.ExprString(f.Type)})
	}
	return out
}

// Type returns the pulumi-tagged fields of the nested struct type goName
// declared in the pulumiTypes*.go files of go/gcp/<pkg>, for walking property
// paths such as workload.dataflowFlexTemplateRequest.launchParameter. It
// returns nil, nil when no such struct exists.
func Type(dir, pkg, goName string) ([]Field, error) {
	files, err := filepath.Glob(filepath.Join(dir, "go", "gcp", pkg, "pulumiTypes*.go"))
	if err != nil {
		return nil, err
	}
	needle := []byte("\ntype " + goName + " struct {")
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(src, needle) {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == goName {
					if st, ok := ts.Type.(*ast.StructType); ok {
						return fields(st), nil
					}
				}
			}
		}
	}
	return nil, nil
}

// Named strips pointers, slices and map[string] from a field's GoType,
// leaving the struct name to pass to Type (e.g. "*PipelineWorkload" ->
// "PipelineWorkload").
func Named(goType string) string {
	for {
		switch {
		case strings.HasPrefix(goType, "*"):
			goType = goType[1:]
		case strings.HasPrefix(goType, "[]"):
			goType = goType[2:]
		case strings.HasPrefix(goType, "map[string]"):
			goType = goType[len("map[string]"):]
		default:
			return goType
		}
	}
}

// Types returns every struct type declared in the pulumiTypes*.go files of
// go/gcp/<pkg>, by Go name, each with its pulumi-tagged fields. Walking all
// nested types of a package is then one parse of its files instead of one per
// lookup, as Type does.
func Types(dir, pkg string) (map[string][]Field, error) {
	files, err := filepath.Glob(filepath.Join(dir, "go", "gcp", pkg, "pulumiTypes*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string][]Field{}
	for _, path := range files {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					if st, ok := ts.Type.(*ast.StructType); ok {
						out[ts.Name.Name] = fields(st)
					}
				}
			}
		}
	}
	return out, nil
}
