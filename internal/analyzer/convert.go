package analyzer

// All conversion between the gRPC protocol and the pack's model lives here;
// property values in their wire form are internal/propertypb's (which the
// tests and the e2e oracle use too).

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/compliance"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/propertypb"
)

func providerFromRPC(p *pulumirpc.AnalyzerProviderResource) (*gcp.Provider, error) {
	if p == nil {
		return nil, nil
	}
	props, err := propertypb.Unmarshal(p.GetProperties())
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", p.GetUrn(), err)
	}
	return &gcp.Provider{URN: p.GetUrn(), Type: p.GetType(), Name: p.GetName(), Props: props}, nil
}

func resourceFromRequest(typ, urn, name string, props *structpb.Struct, prov *pulumirpc.AnalyzerProviderResource) (*gcp.Resource, error) {
	m, err := propertypb.Unmarshal(props)
	if err != nil {
		return nil, err
	}
	p, err := providerFromRPC(prov)
	if err != nil {
		return nil, err
	}
	return &gcp.Resource{URN: urn, Type: typ, Name: name, Props: m, Provider: p}, nil
}

// providerCache decodes each provider once per AnalyzeStack call: every
// resource of a stack repeats its provider's inputs.
type providerCache map[string]*gcp.Provider

func stackResource(res *pulumirpc.AnalyzerResource, providers providerCache) (*gcp.Resource, error) {
	m, err := propertypb.Unmarshal(res.GetProperties())
	if err != nil {
		return nil, err
	}
	r := &gcp.Resource{URN: res.GetUrn(), Type: res.GetType(), Name: res.GetName(), Props: m,
		Parent: res.GetParent(), Dependencies: res.GetDependencies()}
	if pd := res.GetPropertyDependencies(); len(pd) > 0 {
		r.PropertyDependencies = make(map[string][]string, len(pd))
		for k, v := range pd {
			r.PropertyDependencies[k] = v.GetUrns()
		}
	}
	if prov := res.GetProvider(); prov != nil {
		if cached, ok := providers[prov.GetUrn()]; ok && prov.GetUrn() != "" {
			r.Provider = cached
		} else {
			p, err := providerFromRPC(prov)
			if err != nil {
				return nil, err
			}
			providers[prov.GetUrn()] = p
			r.Provider = p
		}
	}
	return r, nil
}

func configFromRPC(in map[string]*pulumirpc.PolicyConfig) (map[string]policy.PolicyConfig, error) {
	out := make(map[string]policy.PolicyConfig, len(in))
	for name, c := range in {
		level, err := levelFromRPC(c.GetEnforcementLevel())
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", name, err)
		}
		pc := policy.PolicyConfig{Level: level}
		if props := c.GetProperties(); props != nil {
			pc.Properties = props.AsMap()
			delete(pc.Properties, "enforcementLevel")
		}
		out[name] = pc
	}
	return out, nil
}

func levelFromRPC(l pulumirpc.EnforcementLevel) (policy.Level, error) {
	switch l {
	case pulumirpc.EnforcementLevel_ADVISORY:
		return policy.Advisory, nil
	case pulumirpc.EnforcementLevel_MANDATORY:
		return policy.Mandatory, nil
	case pulumirpc.EnforcementLevel_DISABLED:
		return policy.Disabled, nil
	case pulumirpc.EnforcementLevel_REMEDIATE:
		return policy.Remediate, nil
	}
	return "", fmt.Errorf("unknown enforcement level %d", l)
}

func levelToRPC(l policy.Level) pulumirpc.EnforcementLevel {
	switch l {
	case policy.Mandatory:
		return pulumirpc.EnforcementLevel_MANDATORY
	case policy.Disabled:
		return pulumirpc.EnforcementLevel_DISABLED
	case policy.Remediate:
		return pulumirpc.EnforcementLevel_REMEDIATE
	}
	return pulumirpc.EnforcementLevel_ADVISORY
}

func severityToRPC(s policy.Severity) pulumirpc.PolicySeverity {
	switch s {
	case policy.Low:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_LOW
	case policy.Medium:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_MEDIUM
	case policy.High:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_HIGH
	case policy.Critical:
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_CRITICAL
	}
	return pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED
}

func analyzerInfo(pack *policy.Pack, info PackInfo) *pulumirpc.AnalyzerInfo {
	out := &pulumirpc.AnalyzerInfo{
		Name: pack.Name, DisplayName: info.DisplayName, Version: pack.Version, SupportsConfig: true,
		Description: pack.Description, Readme: info.Readme, Provider: info.Provider,
		Tags: info.Tags, Repository: info.Repository,
	}
	levels := pack.Levels()
	for i, p := range pack.Policies() {
		pi := &pulumirpc.PolicyInfo{
			Name: p.Name, DisplayName: p.Title, Description: p.Description,
			EnforcementLevel: levelToRPC(levels[i]),
			Severity:         severityToRPC(p.Severity),
			Tags:             compliance.Tags(p.Name, string(p.Family)),
			RemediationSteps: p.Remediation,
			Url:              p.URL,
			PolicyType:       pulumirpc.PolicyType_POLICY_TYPE_RESOURCE,
			ConfigSchema:     configSchema(p),
		}
		if p.IsStack() {
			pi.PolicyType = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		if f := compliance.FrameworkOf(p.Name); f != nil {
			pi.Framework = &pulumirpc.PolicyComplianceFramework{
				Name: f.Name, Version: f.Version, Reference: f.Reference, Specification: f.Specification,
			}
		}
		out.Policies = append(out.Policies, pi)
	}
	return out
}

// configSchema sends the schema's properties (with their defaults) and
// required list; the engine wraps them in {type: object}.
func configSchema(p *policy.Policy) *pulumirpc.PolicyConfigSchema {
	schema := p.Schema()
	if schema.Empty() {
		return nil
	}
	props, err := structpb.NewStruct(schema.Properties())
	if err != nil {
		return nil // a schema JSON parses into what structpb takes
	}
	return &pulumirpc.PolicyConfigSchema{Properties: props, Required: schema.Required()}
}

// diagnostics converts findings. Their levels are reported levels
// (policy.Level.Reported); the engine crashes on anything but advisory or
// mandatory, so nothing else leaves here.
func diagnostics(pack *policy.Pack, fs []policy.Finding, stack bool) []*pulumirpc.AnalyzeDiagnostic {
	out := make([]*pulumirpc.AnalyzeDiagnostic, 0, len(fs))
	for _, f := range fs {
		p, _ := pack.Lookup(f.Policy)
		level := pulumirpc.EnforcementLevel_ADVISORY
		if f.Level.Blocks() {
			level = pulumirpc.EnforcementLevel_MANDATORY
		}
		d := &pulumirpc.AnalyzeDiagnostic{
			PolicyName: f.Policy, PolicyPackName: pack.Name, PolicyPackVersion: pack.Version,
			EnforcementLevel: level, Severity: severityToRPC(f.Severity),
		}
		if p != nil {
			d.Description = p.Title
		}
		if f.Kind == policy.Unknown {
			d.Message = f.Message
		} else {
			d.Message = DiagnosticMessage(d.Description, f)
		}
		if stack {
			d.Urn = f.URN
		}
		out = append(out, d)
	}
	return out
}

// DiagnosticMessage is what the engine prints: the policy's title, then
// where and what is wrong (the engine does not print the description).
func DiagnosticMessage(title string, f policy.Finding) string {
	var b strings.Builder
	b.WriteString(title)
	b.WriteString("\n")
	if f.Path != "" {
		b.WriteString(f.Path)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// notApplicableCache keeps the response form of the pack's not-applicable
// lists, which the pack shares between calls for one configuration and
// type: about twenty messages per Analyze answer, the same each time.
type notApplicableCache struct {
	mu   sync.RWMutex
	byNA map[*policy.NotApplicable][]*pulumirpc.PolicyNotApplicable
}

// maxCachedNotApplicable bounds the cache across reconfigurations.
const maxCachedNotApplicable = 4096

// of converts na, reusing the messages built for the same list before. The
// messages are shared between responses and must not be modified.
func (c *notApplicableCache) of(na []policy.NotApplicable) []*pulumirpc.PolicyNotApplicable {
	if len(na) == 0 {
		return notApplicable(na)
	}
	key := &na[0]
	c.mu.RLock()
	out, ok := c.byNA[key]
	c.mu.RUnlock()
	if ok && len(out) == len(na) {
		return out
	}
	out = notApplicable(na)
	c.mu.Lock()
	if c.byNA == nil || len(c.byNA) >= maxCachedNotApplicable {
		c.byNA = map[*policy.NotApplicable][]*pulumirpc.PolicyNotApplicable{}
	}
	c.byNA[key] = out
	c.mu.Unlock()
	return out
}

func notApplicable(na []policy.NotApplicable) []*pulumirpc.PolicyNotApplicable {
	out := make([]*pulumirpc.PolicyNotApplicable, 0, len(na))
	for _, n := range na {
		out = append(out, &pulumirpc.PolicyNotApplicable{PolicyName: n.Policy, Reason: n.Reason})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PolicyName < out[j].PolicyName })
	return out
}

func remediations(pack *policy.Pack, rems []policy.Remediation) []*pulumirpc.Remediation {
	out := make([]*pulumirpc.Remediation, 0, len(rems))
	for _, r := range rems {
		rem := &pulumirpc.Remediation{PolicyName: r.Policy, PolicyPackName: pack.Name, PolicyPackVersion: pack.Version}
		if p, ok := pack.Lookup(r.Policy); ok {
			rem.Description = p.Title
		}
		if r.Diagnostic != "" {
			rem.Diagnostic = r.Diagnostic
		} else {
			rem.Properties = propertypb.Marshal(r.Props)
		}
		out = append(out, rem)
	}
	return out
}
