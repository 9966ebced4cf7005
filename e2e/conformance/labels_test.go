package conformance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
)

// TestEveryLabelFieldExistsInTheSDK proves that each labels path of the
// label resolver is an input of its type in the SDK, a map, with the
// effectiveLabels it is merged into beside it, so a resource's labels are
// never looked for where pulumi-gcp does not keep them.
func TestEveryLabelFieldExistsInTheSDK(t *testing.T) {
	dir, byToken := scanSDK(t)
	paths := gcp.LabelFieldPaths()
	require.NotEmpty(t, paths)
	require.Equal(t, []string{"metadata", "labels"}, paths["gcp:cloudrun/service:Service"])
	for tok, path := range paths {
		res, ok := byToken[tok]
		require.True(t, ok, "%s: type token not in pulumi-gcp v9.6.0", tok)
		joined := strings.Join(path, ".")
		require.NoError(t, resolve(dir, res, read{path: joined}), "%s: %s", tok, joined)
		require.NoError(t, resolve(dir, res, read{path: joined + ".anyKey"}), "%s: %s is not a map", tok, joined)
		beside := strings.Join(append(path[:len(path)-1:len(path)-1], "effectiveLabels"), ".")
		if len(path) == 1 {
			_, ok := find(res.Outputs, "effectiveLabels")
			require.True(t, ok, "%s: no effectiveLabels beside %s", tok, joined)
		} else {
			require.NoError(t, resolve(dir, res, read{path: beside}), "%s: no effectiveLabels beside %s", tok, joined)
		}
	}
}
