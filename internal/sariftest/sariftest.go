// Package sariftest checks SARIF logs against the official SARIF 2.1.0 JSON
// schemas vendored in internal/report/testdata/sarif-schema (see its
// README), for the tests of every package and module that writes SARIF.
// Only tests import it, so the pack binary never links it.
package sariftest

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaNames are the vendored schema files: the OASIS 2.1.0 release and
// the rtm.5 draft GitHub code scanning documents.
var SchemaNames = []string{"sarif-2.1.0-rtm.5.json", "sarif-2.1.0.json"}

// schemaDir is found from this source file, so callers may run from any
// working directory, in either module.
func schemaDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("sariftest: cannot locate its own source")
	}
	return filepath.Join(filepath.Dir(file), "..", "report", "testdata", "sarif-schema")
}

// Schemas compiles each vendored schema with format assertions on.
func Schemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	dir := schemaDir(t)
	out := map[string]*jsonschema.Schema{}
	for _, name := range SchemaNames {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("sariftest: %v", err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("sariftest: %s: %v", name, err)
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		url := "file:///sarif-schema/" + name
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("sariftest: %s: %v", name, err)
		}
		sch, err := c.Compile(url)
		if err != nil {
			t.Fatalf("sariftest: compiling %s: %v", name, err)
		}
		out[name] = sch
	}
	return out
}

// Validate fails t unless data is a SARIF log valid against every vendored
// schema.
func Validate(t testing.TB, data []byte) {
	t.Helper()
	for name, sch := range Schemas(t) {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("not valid against %s: %v", name, err)
		}
	}
}
