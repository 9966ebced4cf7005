package policy_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

func TestReadLocalFileReadsAsTheProviderWould(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "key.json"), []byte("{}"), 0o600))

	got, err := policy.ReadLocalFile(filepath.Join(dir, "key.json"))
	require.NoError(t, err)
	assert.Equal(t, "{}", string(got))
	_, err = policy.ReadLocalFile(filepath.Join(dir, "missing.json"))
	assert.Error(t, err)
	_, err = policy.ReadLocalFile(dir)
	assert.ErrorContains(t, err, "not a regular file")
	_, err = policy.ReadLocalFile("  ")
	assert.Error(t, err)

	// Relative paths resolve against the working directory, or the folder
	// LocalFilesUnder names.
	got, err = policy.LocalFilesUnder(dir)("./key.json")
	require.NoError(t, err)
	assert.Equal(t, "{}", string(got))
	t.Chdir(dir)
	_, err = policy.ReadLocalFile("key.json")
	assert.NoError(t, err)

	// ~ is the home directory.
	t.Setenv("HOME", dir)
	_, err = policy.ReadLocalFile("~/key.json")
	assert.NoError(t, err)
	_, err = policy.LocalFilesUnder("/elsewhere")("~/key.json")
	assert.NoError(t, err)
}
