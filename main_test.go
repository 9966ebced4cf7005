package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/packmeta"
)

// TestBinaryServesInfoWithoutConfigureStack launches the built pack the way
// `pulumi policy publish` does (flags, then the engine address), reads the
// port from the first stdout line and asks for the pack's metadata without
// ever calling ConfigureStack.
func TestBinaryServesInfoWithoutConfigureStack(t *testing.T) {
	bin := packBinary(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--logtostderr", "-v=3", "--tracing", "127.0.0.1:1", "127.0.0.1:65000")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	port, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	client := pulumirpc.NewAnalyzerClient(conn)

	meta, err := packmeta.Parse(pulumiPolicyYAML)
	require.NoError(t, err)
	pi, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, meta.Version, pi.GetVersion())

	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, "dataflow-guardrails", info.GetName())
	assert.Equal(t, meta.Version, info.GetVersion())
	assert.Equal(t, meta.Description, info.GetDescription())
	require.NotEmpty(t, info.GetPolicies())
	assert.Equal(t, readme, info.GetReadme(), "Pulumi Cloud shows the generated policy reference")
	assert.Contains(t, info.GetReadme(), "# dataflow-guardrails policy reference")
	for _, p := range info.GetPolicies() {
		assert.NotEqual(t, pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED, p.GetSeverity(), p.GetName())
		assert.NotEmpty(t, p.GetUrl(), p.GetName())
		assert.NotEmpty(t, p.GetRemediationSteps(), p.GetName())
	}
	labels := findPolicy(info, "required-labels")
	require.NotNil(t, labels)
	assert.Contains(t, labels.GetConfigSchema().GetProperties().AsMap(), "requiredLabels")
}

func findPolicy(info *pulumirpc.AnalyzerInfo, name string) *pulumirpc.PolicyInfo {
	for _, p := range info.GetPolicies() {
		if p.GetName() == name {
			return p
		}
	}
	return nil
}

func TestPulumiPolicyYAML(t *testing.T) {
	meta, err := packmeta.Parse(pulumiPolicyYAML)
	require.NoError(t, err)
	// The version is semver and CHANGELOG.md says what it changed.
	assert.Regexp(t, `^[0-9]+\.[0-9]+\.[0-9]+$`, meta.Version)
	changelog, err := os.ReadFile("CHANGELOG.md")
	require.NoError(t, err)
	assert.Contains(t, string(changelog), "\n## "+meta.Version+"\n", "CHANGELOG.md has a section for version %s", meta.Version)
	assert.Contains(t, string(pulumiPolicyYAML), "runtime: go")
	assert.Contains(t, string(pulumiPolicyYAML), "license:")
}
