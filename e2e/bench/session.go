package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/e2e/estate"
)

const (
	varFloor      = "decode-only"
	varOursAll    = "ours-all"
	varOursSubset = "ours-subset"
	varNodeDirect = "node-direct"
	varNodeProxy  = "node-proxy"
)

var allVariants = []string{varFloor, varOursAll, varOursSubset, varNodeDirect, varNodeProxy}

// peerPolicies are the six policies the Node peer implements.
var peerPolicies = map[string]bool{
	"iam-no-primitive-roles":                    true,
	"iam-no-public-members":                     true,
	"no-service-account-keys":                   true,
	"required-labels":                           true,
	"dataflow-dedicated-worker-service-account": true,
	"wif-provider-attribute-condition":          true,
}

// variant is one analyzer program and its configuration.
type variant struct {
	key, name string
	dir       string // the pack directory (Handshake's root and program directory)
	command   func() *exec.Cmd
	// proxied: the analyzer is a child of the started process (Node behind
	// the language host stand-in); its CPU and RSS are counted with the
	// proxy's.
	proxied bool
	// enabled says whether a policy runs; nil runs every policy at its own
	// level.
	enabled func(policy string) bool
}

func oursVariant(key string, b *binaries, engine string) variant {
	v := variant{key: key, dir: b.root, command: func() *exec.Cmd {
		cmd := exec.Command(b.pack, engine)
		cmd.Dir = b.root
		cmd.Env = childEnv()
		return cmd
	}}
	switch key {
	case varOursAll:
		v.name = "dataflow-guardrails, every policy"
	case varOursSubset:
		v.name = "dataflow-guardrails, the six peer policies"
		v.enabled = func(p string) bool { return peerPolicies[p] }
	}
	return v
}

func variantsFor(o options, b *binaries, node *nodeSetup, engine string) []variant {
	var out []variant
	for _, key := range allVariants {
		if !o.variants[key] {
			continue
		}
		switch key {
		case varFloor:
			out = append(out, variant{key: key, name: "decode-only analyzer (floor)", dir: b.root, command: func() *exec.Cmd {
				cmd := exec.Command(b.decodeOnly, engine)
				cmd.Env = childEnv()
				return cmd
			}})
		case varOursAll, varOursSubset:
			out = append(out, oursVariant(key, b, engine))
		case varNodeDirect:
			out = append(out, variant{key: key, name: "Node @pulumi/policy, direct", dir: node.dir, command: func() *exec.Cmd {
				// As the Node runtime starts a pack: run-policy-pack <engine> <dir>,
				// in the pack directory, with the stack's settings in the
				// environment (here set by hand, as the proxy would).
				cmd := exec.Command(node.node, node.runPolicyPack, engine, node.dir)
				cmd.Dir = node.dir
				cmd.Env = append(childEnv(), nodeStackEnv()...)
				return cmd
			}})
		case varNodeProxy:
			out = append(out, variant{key: key, name: "Node @pulumi/policy, behind the language host proxy", dir: node.dir,
				proxied: true, command: func() *exec.Cmd {
					cmd := exec.Command(b.langhost, "-node", node.node, "-run", node.runPolicyPack, "-dir", node.dir, engine)
					cmd.Dir = node.dir
					cmd.Env = childEnv()
					return cmd
				}})
		}
	}
	return out
}

// sessionResult is one analyzer process through one estate.
type sessionResult struct {
	Variant string
	Name    string
	N       int

	StartToPort time.Duration
	Ready       time.Duration // process start to Configure answered
	Median      time.Duration
	P99         time.Duration
	Mean        time.Duration
	CPUPerRes   time.Duration // analyzer (and proxy) CPU during the Analyze calls, per resource
	Stack       time.Duration // the AnalyzeStack call
	StackCPU    time.Duration
	PeakRSS     int64 // VmHWM of the analyzer, bytes
	ProxyRSS    int64 // VmHWM of the proxy in front of it, bytes
	ProxyCPU    time.Duration
	Diagnostics int
	StackDiags  int
	Policies    int // enabled after Configure
	Runs        int // sessions this result is the median of
	Err         error
}

// medianSession combines repeated sessions: the median of each measure.
// Any failed session makes the result a failure.
func medianSession(rs []sessionResult) sessionResult {
	out := rs[0]
	out.Runs = len(rs)
	for _, r := range rs {
		if r.Err != nil {
			out.Err = r.Err
			return out
		}
	}
	med := func(get func(sessionResult) time.Duration) time.Duration {
		ds := make([]time.Duration, len(rs))
		for i, r := range rs {
			ds[i] = get(r)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return percentile(ds, 0.5)
	}
	out.StartToPort = med(func(r sessionResult) time.Duration { return r.StartToPort })
	out.Ready = med(func(r sessionResult) time.Duration { return r.Ready })
	out.Median = med(func(r sessionResult) time.Duration { return r.Median })
	out.P99 = med(func(r sessionResult) time.Duration { return r.P99 })
	out.Mean = med(func(r sessionResult) time.Duration { return r.Mean })
	out.CPUPerRes = med(func(r sessionResult) time.Duration { return r.CPUPerRes })
	out.Stack = med(func(r sessionResult) time.Duration { return r.Stack })
	out.StackCPU = med(func(r sessionResult) time.Duration { return r.StackCPU })
	out.ProxyCPU = med(func(r sessionResult) time.Duration { return r.ProxyCPU })
	out.PeakRSS = int64(med(func(r sessionResult) time.Duration { return time.Duration(r.PeakRSS) }))
	out.ProxyRSS = int64(med(func(r sessionResult) time.Duration { return time.Duration(r.ProxyRSS) }))
	return out
}

// runSession launches the analyzer and plays the engine's calls.
func runSession(ctx context.Context, v variant, w *workload) (res sessionResult) {
	res = sessionResult{Variant: v.key, Name: v.name, N: w.n}
	p, err := launch(v.command())
	if err != nil {
		res.Err = err
		return res
	}
	defer p.stop()
	res.StartToPort = p.portAt

	client, conn, err := dial(p.port)
	if err != nil {
		res.Err = err
		return res
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	fail := func(what string, err error) sessionResult {
		res.Err = fmt.Errorf("%s: %w%s", what, err, p.stderrTail())
		return res
	}

	info, enabled, err := configure(cctx, client, v)
	if err != nil {
		return fail("configure", err)
	}
	_ = info
	res.Ready = time.Since(p.start)
	res.Policies = enabled

	analyzer, proxy := p.pid(), 0
	if v.proxied {
		proxy = analyzer
		if analyzer, err = childPid(proxy); err != nil {
			return fail("finding the Node process behind the proxy", err)
		}
	}

	cpu0, pcpu0 := procCPU(analyzer), procCPU(proxy)
	lat := make([]time.Duration, len(w.analyze))
	var total time.Duration
	for i, req := range w.analyze {
		t := time.Now()
		resp, err := client.Analyze(cctx, req)
		lat[i] = time.Since(t)
		total += lat[i]
		if err != nil {
			return fail("Analyze "+req.GetUrn(), err)
		}
		res.Diagnostics += len(resp.GetDiagnostics())
		logDiagnostics(v.key, w.n, req.GetUrn(), resp.GetDiagnostics())
	}
	cpu1, pcpu1 := procCPU(analyzer), procCPU(proxy)

	t := time.Now()
	sresp, err := client.AnalyzeStack(cctx, w.stack)
	res.Stack = time.Since(t)
	if err != nil {
		return fail("AnalyzeStack", err)
	}
	res.StackDiags = len(sresp.GetDiagnostics())
	logDiagnostics(v.key, w.n, "", sresp.GetDiagnostics())
	cpu2, pcpu2 := procCPU(analyzer), procCPU(proxy)

	res.PeakRSS = procHWM(analyzer)
	if proxy != 0 {
		res.ProxyRSS = procHWM(proxy)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.Median, res.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	res.Mean = total / time.Duration(len(lat))
	res.CPUPerRes = (cpu1 - cpu0 + pcpu1 - pcpu0) / time.Duration(len(lat))
	res.ProxyCPU = (pcpu1 - pcpu0) / time.Duration(len(lat))
	res.StackCPU = cpu2 - cpu1 + pcpu2 - pcpu1
	return res
}

// diagLog, when set (-diagnostics), receives every diagnostic as a JSON line.
var diagLog *json.Encoder

func logDiagnostics(variant string, n int, urn string, diags []*pulumirpc.AnalyzeDiagnostic) {
	if diagLog == nil {
		return
	}
	for _, d := range diags {
		u := d.GetUrn()
		if u == "" {
			u = urn
		}
		_ = diagLog.Encode(map[string]any{"variant": variant, "n": n, "urn": u, "policy": d.GetPolicyName(),
			"level": d.GetEnforcementLevel().String(), "message": d.GetMessage()})
	}
}

// configure sends what the engine sends before the first resource.
func configure(ctx context.Context, client pulumirpc.AnalyzerClient, v variant) (*pulumirpc.AnalyzerInfo, int, error) {
	dir := v.dir
	_, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{EngineAddress: engineAddr,
		RootDirectory: &dir, ProgramDirectory: &dir})
	if err != nil && status.Code(err) != codes.Unimplemented {
		return nil, 0, fmt.Errorf("Handshake: %w", err)
	}
	if _, err := client.ConfigureStack(ctx, stackConfigure()); err != nil && status.Code(err) != codes.Unimplemented {
		return nil, 0, fmt.Errorf("ConfigureStack: %w", err)
	}
	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		return nil, 0, fmt.Errorf("GetAnalyzerInfo: %w", err)
	}
	cfg, enabled, err := configFor(info, v.enabled)
	if err != nil {
		return nil, 0, err
	}
	if _, err := client.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg}); err != nil {
		return nil, 0, fmt.Errorf("Configure: %w", err)
	}
	return info, enabled, nil
}

// stackConfigure is a preview of the estate's stack.
func stackConfigure() *pulumirpc.AnalyzerStackConfigureRequest {
	return &pulumirpc.AnalyzerStackConfigureRequest{
		Project: estate.Project, Stack: estate.Stack, Organization: "acme", DryRun: true,
		Config: map[string]string{
			"gcp:project":       estate.GCPProject,
			"gcp:region":        "europe-west1",
			"gcp:defaultLabels": `{"pulumi-project":"etl","pulumi-stack":"prod","env":"prod"}`,
		},
		Tags: map[string]string{"pulumi:project": estate.Project, "pulumi:runtime": "go", "team": "data"},
	}
}

// nodeStackEnv is what the language host derives from stackConfigure for a
// Node pack (PULUMI_NODEJS_* and PULUMI_CONFIG).
func nodeStackEnv() []string {
	c := stackConfigure()
	return []string{
		"PULUMI_NODEJS_ORGANIZATION=" + c.Organization,
		"PULUMI_NODEJS_PROJECT=" + c.Project,
		"PULUMI_NODEJS_STACK=" + c.Stack,
		"PULUMI_NODEJS_DRY_RUN=true",
		`PULUMI_CONFIG={"gcp:defaultLabels":"{\"pulumi-project\":\"etl\",\"pulumi-stack\":\"prod\",\"env\":\"prod\"}","gcp:project":"` +
			estate.GCPProject + `","gcp:region":"europe-west1"}`,
	}
}

// configFor builds the engine's Configure request from GetAnalyzerInfo:
// every policy at its own level (or disabled) with its schema defaults.
func configFor(info *pulumirpc.AnalyzerInfo, enabled func(string) bool) (map[string]*pulumirpc.PolicyConfig, int, error) {
	out := map[string]*pulumirpc.PolicyConfig{}
	n := 0
	for _, p := range info.GetPolicies() {
		level := p.GetEnforcementLevel()
		if enabled != nil && !enabled(p.GetName()) {
			level = pulumirpc.EnforcementLevel_DISABLED
		}
		if level != pulumirpc.EnforcementLevel_DISABLED {
			n++
		}
		defaults := map[string]any{}
		for k, schema := range p.GetConfigSchema().GetProperties().GetFields() {
			if d, ok := schema.GetStructValue().GetFields()["default"]; ok {
				defaults[k] = d.AsInterface()
			}
		}
		props, err := structpb.NewStruct(defaults)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: config defaults: %w", p.GetName(), err)
		}
		out[p.GetName()] = &pulumirpc.PolicyConfig{EnforcementLevel: level, Properties: props}
	}
	return out, n, nil
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// ---- processes -----------------------------------------------------------

type process struct {
	cmd    *exec.Cmd
	start  time.Time
	port   int
	portAt time.Duration
	stderr *tailWriter
	done   chan struct{}
}

// launch starts an analyzer in its own process group and reads the port it
// prints as its first line.
func launch(cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, stderr: &tailWriter{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			line = "error: " + err.Error()
		}
		lines <- line
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case line := <-lines:
		p.portAt = time.Since(p.start)
		port, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil || port <= 0 {
			p.stop()
			return nil, fmt.Errorf("%s: no port on stdout (%q)%s", filepath.Base(cmd.Path), strings.TrimSpace(line), p.stderrTail())
		}
		p.port = port
	case <-time.After(2 * time.Minute):
		p.stop()
		return nil, fmt.Errorf("%s: no port after 2 minutes%s", filepath.Base(cmd.Path), p.stderrTail())
	}
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop ends the process group this harness started, by its id.
func (p *process) stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *process) stderrTail() string {
	s := strings.TrimSpace(p.stderr.String())
	if s == "" {
		return ""
	}
	return "\nstderr:\n" + s
}

func dial(port int) (pulumirpc.AnalyzerClient, *grpc.ClientConn, error) {
	// The engine's dial options: insecure loopback, 400 MiB responses.
	conn, err := grpc.NewClient(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, err
	}
	return pulumirpc.NewAnalyzerClient(conn), conn, nil
}

// childEnv is the harness's environment without the pack's own settings (a
// report file or time limit would change what is measured).
func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATAFLOW_GUARDRAILS_") || strings.HasPrefix(kv, "PULUMI_NODEJS_") ||
			strings.HasPrefix(kv, "PULUMI_CONFIG=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// tailWriter keeps the last max bytes written.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(b), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// ---- /proc ----------------------------------------------------------------

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// procCPU is the user+system CPU time a process has used (utime+stime in
// /proc/<pid>/stat); 0 for pid 0 or a process that is gone.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name, which is in parentheses: state is
	// field 3, utime 14, stime 15.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * clockTick
}

// procHWM is the peak resident set size (VmHWM) of a process, in bytes.
func procHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// childPid finds the child process of pid (the Node process the language
// host stand-in started).
func childPid(pid int) (int, error) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)); err == nil {
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				return c, nil
			}
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			return c, nil
		}
	}
	return 0, errors.New("no child process")
}
