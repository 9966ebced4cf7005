package report

// SARIF 2.1.0 output, written with a handful of structs rather than a SARIF
// library: the pack binary is compiled on every enforcing runner, so it
// carries no dependency it can do without. The tests validate the output
// against the SARIF 2.1.0 JSON schemas.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/compliance"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// SARIFSchema is the schema URI a SARIF log names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// FingerprintKey names the result fingerprint the pack computes, so code
// scanning tells apart findings that share a location and keeps tracking
// them from run to run. Version 2 is the baseline fingerprint `check` puts
// in Note.Fingerprint (policy, URN, property path without list positions,
// kind, and a hash of the offending value; never the message text);
// version 1 hashed the message too, so rewording a message lost the alert.
// A report without notes (the in-engine report, which has no offending
// values to hash) keeps version 1 under FingerprintKeyV1.
const (
	FingerprintKey   = "dataflowGuardrailsFinding/v2"
	FingerprintKeyV1 = "dataflowGuardrailsFinding/v1"
)

// SecuritySeverity is the CVSS-like score code scanning ranks security
// alerts by: critical 9.5, high 8.0, medium 5.5, low 3.0.
func SecuritySeverity(s policy.Severity) string {
	switch s {
	case policy.Critical:
		return "9.5"
	case policy.High:
		return "8.0"
	case policy.Medium:
		return "5.5"
	}
	return "3.0"
}

// SARIFLevel maps a finding to a result level: a mandatory finding is an
// error (an unknown is mandatory only when no later update will decide it),
// an advisory violation a warning, an advisory unknown a note.
func SARIFLevel(f policy.Finding) string {
	switch {
	case Blocks(f):
		return "error"
	case f.Kind == policy.Unknown:
		return "note"
	}
	return "warning"
}

// SourcePosition is where a program registered a resource, relative to the
// Pulumi project directory.
type SourcePosition struct {
	Path   string // slash-separated and relative, e.g. "infra/main.go"
	Line   int    // 1-based
	Column int    // 1-based; 0 when not known
}

// ParseSourcePosition reads a resource's `sourcePosition` as stack exports
// carry it: `project:///main.go#12,3` (the engine writes a project URL with
// the path relative to the project root, then `#line[,column]`).
func ParseSourcePosition(s string) (SourcePosition, bool) {
	rest, ok := strings.CutPrefix(s, "project://")
	if !ok {
		return SourcePosition{}, false
	}
	p, frag, ok := strings.Cut(rest, "#")
	if !ok {
		return SourcePosition{}, false
	}
	p, err := url.PathUnescape(p)
	if err != nil {
		return SourcePosition{}, false
	}
	p = strings.TrimLeft(p, "/")
	if p == "" || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return SourcePosition{}, false // outside the project: no useful relative path
	}
	lineText, colText, hasCol := strings.Cut(frag, ",")
	line, err := strconv.Atoi(lineText)
	if err != nil || line < 1 {
		return SourcePosition{}, false
	}
	pos := SourcePosition{Path: path.Clean(p), Line: line}
	if hasCol {
		col, err := strconv.Atoi(colText)
		if err != nil || col < 0 {
			return SourcePosition{}, false
		}
		pos.Column = col
	}
	return pos, true
}

// LocateProject describes the Pulumi project in dir for SARIF locations: its
// directory relative to the root of the enclosing git work tree ("" for the
// root itself, or when dir is in no work tree) and the name of its project
// file ("" when dir has none).
func LocateProject(dir string) (root, projectFile string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", ""
	}
	for _, name := range []string{"Pulumi.yaml", "Pulumi.yml", "Pulumi.json"} {
		if fi, err := os.Stat(filepath.Join(abs, name)); err == nil && fi.Mode().IsRegular() {
			projectFile = name
			break
		}
	}
	for d := abs; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			rel, err := filepath.Rel(d, abs)
			if err != nil || rel == "." {
				return "", projectFile
			}
			return filepath.ToSlash(rel), projectFile
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", projectFile
		}
		d = parent
	}
}

// SARIFOptions says what a SARIF log holds besides the findings.
type SARIFOptions struct {
	// Policies are the pack's policies: one rule each, in this order.
	Policies []*policy.Policy
	// Positions maps a URN to where the program registered the resource.
	Positions map[string]SourcePosition
	// SourceRoot is the Pulumi project directory relative to the repository
	// root ("" for the root); it prefixes Positions and ProjectFile, as code
	// scanning resolves artifact URIs against the repository root.
	SourceRoot string
	// ProjectFile, when set, is the artifact (relative to SourceRoot) of the
	// results whose resource has no position: code scanning only shows
	// results with a physical location. Usually "Pulumi.yaml".
	ProjectFile string
	// InformationURI is the pack's home page.
	InformationURI string
	// Justification explains why an excepted finding is excepted; nil, or an
	// empty result, gives a generic text.
	Justification func(policy.Finding) string
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

// sarifInvocation carries the exports `check` could not read, as tool
// execution notifications: a broken file is not a finding in the code.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID               string          `json:"id"`
	Name             string          `json:"name,omitempty"`
	ShortDescription *sarifText      `json:"shortDescription,omitempty"`
	FullDescription  *sarifText      `json:"fullDescription,omitempty"`
	Help             *sarifText      `json:"help,omitempty"`
	HelpURI          string          `json:"helpUri,omitempty"`
	Properties       *sarifRuleProps `json:"properties,omitempty"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
	Severity         string   `json:"severity"`
	// Framework is the CIS recommendation the rule implements, as
	// GetAnalyzerInfo sends it.
	Framework *compliance.Framework `json:"compliance-framework,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifResultProps   `json:"properties"`
}

type sarifResultProps struct {
	Kind             string `json:"kind"`
	EnforcementLevel string `json:"enforcementLevel"`
	Severity         string `json:"severity"`
	ResourceType     string `json:"resourceType,omitempty"`
	Path             string `json:"path,omitempty"`
	Stack            string `json:"stack,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// sarif builds the SARIF 2.1.0 log of the report: one run whose driver is
// the pack, one rule per policy, one result per finding (excepted findings
// included, with an external suppression).
func (r *Report) sarif(opts SARIFOptions) sarifLog {
	rules := make([]sarifRule, 0, len(opts.Policies))
	index := make(map[string]int, len(opts.Policies))
	for _, p := range opts.Policies {
		index[p.Name] = len(rules)
		rules = append(rules, rule(p))
	}
	results := make([]sarifResult, 0, len(r.Findings))
	for n, f := range r.Findings {
		i, ok := index[f.Policy]
		if !ok { // not one of opts.Policies: still a valid rule to point at
			i = len(rules)
			index[f.Policy] = i
			rules = append(rules, sarifRule{ID: f.Policy, ShortDescription: &sarifText{Text: f.Policy}})
		}
		res := result(f, i, opts)
		note := r.note(n)
		if note.Fingerprint != "" {
			res.PartialFingerprints = map[string]string{FingerprintKey: note.Fingerprint}
		}
		if len(r.Stacks) > 1 {
			res.Properties.Stack = note.Stack
		}
		if r.Baseline != nil {
			res.BaselineState = "new"
			if note.Baselined {
				res.BaselineState = "unchanged"
			}
		}
		results = append(results, res)
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: r.Pack.Name, Version: r.Pack.Version, SemanticVersion: r.Pack.Version,
			InformationURI: opts.InformationURI, Rules: rules,
		}},
		Results: results,
	}
	if r.Stack.Project != "" || r.Stack.Stack != "" {
		run.Properties = map[string]any{"project": r.Stack.Project, "stack": r.Stack.Stack, "resources": r.Summary.Resources}
	}
	if len(r.Stacks) > 1 {
		run.Properties = map[string]any{"stacks": r.Stacks, "resources": r.Summary.Resources}
	}
	if r.Summary.Skipped > 0 {
		inv := sarifInvocation{ExecutionSuccessful: false}
		for _, st := range r.Stacks {
			if st.Error == "" {
				continue
			}
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level:   "error",
				Message: sarifText{Text: "cannot check " + st.File + ": " + st.Error},
				Locations: []sarifLocation{{PhysicalLocation: &sarifPhysical{
					ArtifactLocation: sarifArtifact{URI: fileURI(st.File)}}}},
			})
		}
		run.Invocations = []sarifInvocation{inv}
	}
	return sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}}
}

// WriteSARIF writes the report as an indented SARIF 2.1.0 log.
func (r *Report) WriteSARIF(w io.Writer, opts SARIFOptions) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.sarif(opts))
}

func rule(p *policy.Policy) sarifRule {
	var md strings.Builder
	md.WriteString(p.Description)
	md.WriteString("\n\n**Remediation:** ")
	md.WriteString(p.Remediation)
	if p.URL != "" {
		md.WriteString("\n\n[Reference](")
		md.WriteString(p.URL)
		md.WriteString(")")
	}
	return sarifRule{
		ID:               p.Name,
		ShortDescription: &sarifText{Text: p.Title},
		FullDescription:  &sarifText{Text: p.Description},
		Help:             &sarifText{Text: p.Remediation, Markdown: md.String()},
		HelpURI:          p.URL,
		Properties: &sarifRuleProps{
			Tags:             compliance.Tags(p.Name, string(p.Family)),
			Framework:        compliance.FrameworkOf(p.Name),
			SecuritySeverity: SecuritySeverity(p.Severity),
			// The policies decide on declared configuration, not heuristics.
			Precision: "high",
			Severity:  string(p.Severity),
		},
	}
}

func result(f policy.Finding, ruleIndex int, opts SARIFOptions) sarifResult {
	text := f.Message
	if f.Path != "" {
		text = f.Path + ": " + text
	}
	if strings.TrimSpace(text) == "" {
		text = f.Policy
		if f.URN != "" {
			text += " on " + f.URN
		}
	}
	res := sarifResult{
		RuleID: f.Policy, RuleIndex: ruleIndex, Level: SARIFLevel(f),
		Message:             sarifText{Text: text},
		PartialFingerprints: map[string]string{FingerprintKeyV1: fingerprint(f)},
		Properties: sarifResultProps{Kind: string(f.Kind), EnforcementLevel: string(f.Level),
			Severity: string(f.Severity), ResourceType: f.ResourceType, Path: f.Path},
	}
	var loc sarifLocation
	if pos, ok := opts.Positions[f.URN]; ok && pos.Path != "" && pos.Line > 0 {
		loc.PhysicalLocation = &sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: artifactURI(opts.SourceRoot, pos.Path)},
			Region:           &sarifRegion{StartLine: pos.Line, StartColumn: pos.Column},
		}
	} else if opts.ProjectFile != "" {
		loc.PhysicalLocation = &sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: artifactURI(opts.SourceRoot, opts.ProjectFile)},
			Region:           &sarifRegion{StartLine: 1},
		}
	}
	if f.URN != "" {
		loc.LogicalLocations = []sarifLogical{{Name: urnName(f.URN), FullyQualifiedName: f.URN, Kind: "resource"}}
	}
	if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
		res.Locations = []sarifLocation{loc}
	}
	if f.Excepted {
		why := ""
		if opts.Justification != nil {
			why = opts.Justification(f)
		}
		if why == "" {
			why = "excepted by the policy pack configuration"
		}
		res.Suppressions = []sarifSuppression{{Kind: "external", Justification: why}}
	}
	return res
}

// artifactURI joins a relative path below root as a relative URI reference.
func artifactURI(root, rel string) string {
	p := (&url.URL{Path: path.Join(root, rel)}).EscapedPath()
	if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ":") {
		p = "./" + p // not to be read as a scheme
	}
	return p
}

// fileURI is a file name as a URI reference: file:// for an absolute path.
func fileURI(name string) string {
	u := &url.URL{Path: filepath.ToSlash(name)}
	if filepath.IsAbs(name) {
		u.Scheme = "file"
		if !strings.HasPrefix(u.Path, "/") {
			u.Path = "/" + u.Path
		}
		return u.String()
	}
	return artifactURI("", filepath.ToSlash(name))
}

// urnName is the last part of a URN, the resource's name.
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return ""
}

func fingerprint(f policy.Finding) string {
	h := sha256.New()
	for _, s := range []string{f.Policy, f.URN, f.Path, string(f.Kind), f.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
