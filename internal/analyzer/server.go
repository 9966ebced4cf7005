// Package analyzer is the gRPC Analyzer server the Pulumi engine launches.
// It adapts requests to the gcp model, runs the shared evaluator and never
// returns a gRPC error for resource data: any error aborts the deployment.
package analyzer

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// PackInfo is the pack-level metadata sent in GetAnalyzerInfo.
type PackInfo struct {
	DisplayName string
	Readme      string
	Provider    string
	Tags        []string
	Repository  string
}

// Server implements pulumirpc.AnalyzerServer. It is safe for concurrent use.
type Server struct {
	pulumirpc.UnimplementedAnalyzerServer

	pack *policy.Pack
	info PackInfo
	log  io.Writer
	env  func(string) (string, bool)
	// readFile reads the files a deployment names, from the machine the
	// engine runs on (policy.ReadLocalFile).
	readFile func(string) ([]byte, error)

	timeout time.Duration

	mu     sync.RWMutex
	stack  policy.StackInfo
	ctx    context.Context // cancelled by Cancel, then replaced
	cancel context.CancelFunc

	rec recorder // the in-engine report (report.go)

	notApplicable notApplicableCache
}

// New builds a server. log receives warnings (the engine shows stderr).
func New(pack *policy.Pack, info PackInfo, log io.Writer) *Server {
	s := &Server{pack: pack, info: info, log: log, env: os.LookupEnv, readFile: policy.ReadLocalFile}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.timeout = callTimeout(os.LookupEnv, log)
	return s
}

// DefaultTimeout bounds each Analyze, AnalyzeStack and Remediate call: the
// engine waits on them in its main loop.
const DefaultTimeout = 5 * time.Second

// callTimeout reads DATAFLOW_GUARDRAILS_TIMEOUT: a Go duration ("750ms",
// "10s") or a number of seconds; 0 disables the limit.
func callTimeout(env func(string) (string, bool), log io.Writer) time.Duration {
	raw, ok := env("DATAFLOW_GUARDRAILS_TIMEOUT")
	if !ok || strings.TrimSpace(raw) == "" {
		return DefaultTimeout
	}
	raw = strings.TrimSpace(raw)
	if d, err := time.ParseDuration(raw); err == nil && d >= 0 {
		return d
	}
	if secs, err := strconv.ParseFloat(raw, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if log != nil {
		fmt.Fprintf(log, "dataflow-guardrails: warning: ignoring DATAFLOW_GUARDRAILS_TIMEOUT=%q (want a duration such as 5s); using %s\n", raw, DefaultTimeout)
	}
	return DefaultTimeout
}

// SetTimeout replaces the per-call time limit (tests).
func (s *Server) SetTimeout(d time.Duration) { s.timeout = d }

// SetEnv replaces the environment lookup (tests).
func (s *Server) SetEnv(env func(string) (string, bool)) { s.env = env }

// SetReadFile replaces how files a deployment names are read (tests).
func (s *Server) SetReadFile(read func(string) ([]byte, error)) { s.readFile = read }

func (s *Server) warnf(format string, args ...any) {
	if s.log != nil {
		fmt.Fprintf(s.log, "dataflow-guardrails: warning: "+format+"\n", args...)
	}
}

// options are the evaluation options of one call. Cancel ties the call to
// the engine's Cancel: the server's context at the start of the call.
func (s *Server) options() policy.Options {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return policy.Options{Stack: s.stack, Env: s.env, ReadFile: s.readFile, Mode: policy.EngineMode, Timeout: s.timeout, Cancel: s.ctx.Done()}
}

// Handshake accepts the engine's address; the pack needs nothing from it.
func (s *Server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

// ConfigureStack stores the stack context. Config values are never logged.
func (s *Server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	tags := make(map[string]string, len(req.GetTags()))
	for k, v := range req.GetTags() {
		tags[k] = v
	}
	s.mu.Lock()
	s.stack = policy.StackInfo{Project: req.GetProject(), Stack: req.GetStack(),
		Organization: req.GetOrganization(), DryRun: req.GetDryRun(), Tags: tags}
	s.mu.Unlock()
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

// GetPluginInfo reports the pack version (the engine requires semver).
func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.pack.Version}, nil
}

// GetAnalyzerInfo describes the pack and every policy with its resolved level.
func (s *Server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	return analyzerInfo(s.pack, s.info), nil
}

// Configure replaces the policy configuration. Unknown names (and "all",
// which the engine forwards) only warn. Invalid values are an error: the
// engine has validated them against our schemas already, so this only
// happens for a misbehaving client.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	cfg, err := configFromRPC(req.GetPolicyConfig())
	if err != nil {
		return nil, err
	}
	warnings, err := s.pack.Configure(cfg)
	for _, w := range warnings {
		s.warnf("%s", w)
	}
	if err != nil {
		return nil, err // a *policy.ValidationError: "invalid policy config: <policy>: <field>: <problem>; ..."
	}
	return &emptypb.Empty{}, nil
}

// Analyze checks one resource's inputs.
func (s *Server) Analyze(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	opts := s.options()
	r, err := resourceFromRequest(req.GetType(), req.GetUrn(), req.GetName(), req.GetProperties(), req.GetProvider())
	if err != nil {
		return &pulumirpc.AnalyzeResponse{Diagnostics: s.failClosed(false, req.GetType(), req.GetUrn(), malformed(err))}, nil
	}
	findings, na := s.pack.Analyze(ctx, r, opts)
	s.record(findings, r.URN)
	return &pulumirpc.AnalyzeResponse{
		Diagnostics:   diagnostics(s.pack, findings, false),
		NotApplicable: s.notApplicable.of(na),
	}, nil
}

// AnalyzeStack checks the outputs of every resource together.
func (s *Server) AnalyzeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	opts := s.options()
	resources := make([]*gcp.Resource, 0, len(req.GetResources()))
	var diags []*pulumirpc.AnalyzeDiagnostic
	providers := providerCache{}
	for _, res := range req.GetResources() {
		r, err := stackResource(res, providers)
		if err != nil {
			// Stack policies cannot see this resource: they fail closed on it.
			diags = append(diags, s.failClosed(true, res.GetType(), res.GetUrn(), malformed(err))...)
			continue
		}
		resources = append(resources, r)
	}
	st := gcp.NewStack(opts.Stack.Project, opts.Stack.Stack, resources)
	if st.Project == "" && len(resources) > 0 {
		// publish and `pulumi policy analyze` never call ConfigureStack.
		st.StackName, st.Project, _, _ = gcp.ParseURN(resources[0].URN)
		opts.Stack.Project, opts.Stack.Stack = st.Project, st.StackName
	}
	findings := s.pack.AnalyzeStack(ctx, st, opts)
	s.recordStack(findings, req.GetResources())
	s.flushReport(true)
	diags = append(diags, diagnostics(s.pack, findings, true)...)
	return &pulumirpc.AnalyzeResponse{Diagnostics: diags}, nil
}

// Remediate applies every policy configured at `remediate`.
func (s *Server) Remediate(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	opts := s.options()
	r, err := resourceFromRequest(req.GetType(), req.GetUrn(), req.GetName(), req.GetProperties(), req.GetProvider())
	if err != nil {
		// Leave the inputs alone; Analyze reports the malformed data.
		return &pulumirpc.RemediateResponse{}, nil
	}
	if opts.Stack.Project == "" {
		opts.Stack.Stack, opts.Stack.Project, _, _ = gcp.ParseURN(r.URN)
	}
	rems, na := s.pack.Remediate(ctx, r, opts)
	return &pulumirpc.RemediateResponse{Remediations: remediations(s.pack, rems), NotApplicable: notApplicable(na)}, nil
}

// Cancel aborts in-flight evaluations (they fail closed) and keeps serving.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	s.mu.Lock()
	s.cancel()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Unlock()
	s.flushReport(false) // the run ends without AnalyzeStack, or is interrupted
	return &emptypb.Empty{}, nil
}

// internalError fails closed after a panic outside the evaluator.
func (s *Server) internalError(typ, urn string) []*pulumirpc.AnalyzeDiagnostic {
	return s.failClosed(typ == "", typ, urn, "internal error")
}

// malformed says why properties that cannot be decoded fail closed for
// every enabled policy: a resource we cannot read must not pass.
func malformed(err error) string {
	return fmt.Sprintf("its properties could not be decoded (%v)", err)
}

// failClosed reports a violation for every enabled stack policy (stack) or
// every enabled resource policy that applies to typ (Pack.FailClosed).
func (s *Server) failClosed(stack bool, typ, urn, why string) []*pulumirpc.AnalyzeDiagnostic {
	fs := s.pack.FailClosed(stack, urn, typ, why)
	s.record(fs, urn)
	return diagnostics(s.pack, fs, stack)
}
