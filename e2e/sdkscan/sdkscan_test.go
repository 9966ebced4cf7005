package sdkscan

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Walks one nested property path through Type, the way a conformance test
// checks a policy's property paths; scanFile keeps this off the full scan.
func TestNestedPath(t *testing.T) {
	dir, err := Dir()
	require.NoError(t, err)
	r, ok, err := scanFile(filepath.Join(dir, "go", "gcp", "dataflow", "pipeline.go"))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "gcp:dataflow/pipeline:Pipeline", r.Token)
	assert.Equal(t, "Pipeline", r.GoName)
	assert.Equal(t, "dataflow", r.Package)
	assert.NotEmpty(t, r.Outputs)

	fields := r.Args
	path := []string{"workload", "dataflowFlexTemplateRequest", "launchParameter", "environment", "serviceAccountEmail"}
	for i, name := range path {
		var f *Field
		for j := range fields {
			if fields[j].Name == name {
				f = &fields[j]
			}
		}
		require.NotNil(t, f, "%s not found", name)
		if i == len(path)-1 {
			assert.Equal(t, "*string", f.GoType)
			break
		}
		fields, err = Type(dir, r.Package, Named(f.GoType))
		require.NoError(t, err)
		require.NotEmpty(t, fields, "type %s", f.GoType)
	}
}

func TestArgsStructCasing(t *testing.T) {
	dir, err := Dir()
	require.NoError(t, err)
	// The args struct is iammemberArgs here, not iAMMemberArgs.
	r, ok, err := scanFile(filepath.Join(dir, "go", "gcp", "projects", "iammember.go"))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, []Field{{"condition", "*IAMMemberCondition"}, {"member", "string"}, {"project", "string"}, {"role", "string"}}, r.Args)
}
