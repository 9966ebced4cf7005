package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dataflow-guardrails/dataflow-guardrails/policies"
)

func TestProgressOnlyOnATerminalAndOnlyOnStderr(t *testing.T) {
	pack, err := policies.NewPack("0.1.0", "test")
	require.NoError(t, err)
	defer func(after time.Duration, term func(io.Writer) bool) { progressAfter, isTerminal = after, term }(progressAfter, isTerminal)
	progressAfter = 0
	export := "../../testdata/stacks/dataflow-insecure.json"

	for _, terminal := range []bool{false, true} {
		isTerminal = func(io.Writer) bool { return terminal }
		var stdout, stderr bytes.Buffer
		app := &App{Pack: pack, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
		targets, err := app.exportTargets([]string{export, export, export})
		require.NoError(t, err)
		prog := app.startProgress(targets)
		prog.stackDone()
		time.Sleep(300 * time.Millisecond) // a run that takes longer than the delay
		prog.stop()
		_ = app.checkAll(context.Background(), targets, false)
		assert.Empty(t, stdout.String(), "never on stdout")
		if terminal {
			assert.Contains(t, stderr.String(), "checked 1 of 3 stacks")
			assert.True(t, strings.HasSuffix(stderr.String(), "\r\x1b[K"), "the line is cleared")
		} else {
			assert.NotContains(t, stderr.String(), "checked", "never in a log")
		}
	}
}

func TestProgressWaitsForSlowRuns(t *testing.T) {
	defer func(term func(io.Writer) bool) { isTerminal = term }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	var stderr bytes.Buffer
	app := &App{Stderr: &stderr}
	prog := app.startProgress(make([]exportTarget, 2))
	prog.stop() // a run well under two seconds
	assert.Empty(t, stderr.String())
}
