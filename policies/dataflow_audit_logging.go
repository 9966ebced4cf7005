package policies

import (
	"slices"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

const dataflowService = "dataflow.googleapis.com"

var requiredAuditLogTypes = []string{gcp.AdminRead, gcp.DataRead, gcp.DataWrite}

type auditLoggingConfig struct {
	AllowedExemptions  []string `json:"allowedExemptions"`
	RequireAuditConfig bool     `json:"requireAuditConfig"`
	allowed            map[string]bool
}

// Validate indexes the allowed exemptions once per configuration, by the
// principal each names, so any spelling of an allowed member is allowed.
func (c *auditLoggingConfig) Validate() error {
	c.allowed = map[string]bool{}
	for _, m := range c.AllowedExemptions {
		c.allowed[gcp.ParseMember(m).Key()] = true
	}
	return nil
}

// auditFinding is one problem of a covering config, reported on its
// resource (or turned into an unknown when the config's service is not
// known yet).
type auditFinding struct {
	unknown       bool
	path, message string
}

// DataflowAuditLogging requires the Data Access audit logs of Dataflow to be
// on wherever the stack configures audit logging for it.
func DataflowAuditLogging() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name:  "dataflow-audit-logging",
		Title: "Audit configs covering Dataflow enable every Data Access log type without exemptions",
		Description: "Dataflow records job creation and cancellation in Admin Activity audit logs, which are always on; " +
			"who read job details, listed jobs or read and wrote job data is only in Data Access audit logs, which " +
			"are off until an audit config enables ADMIN_READ, DATA_READ and DATA_WRITE. Every audit config in the " +
			"stack that covers dataflow.googleapis.com or allServices - IAMAuditConfig resources at project, folder " +
			"and organization level, and auditConfigs inside any IAMPolicy policyData - must enable all three, and " +
			"may exempt only members listed in allowedExemptions. Each covering config is judged on its own: Google " +
			"Cloud merges the configs for a service, so an incomplete allServices config is reported even when a " +
			"dataflow.googleapis.com config completes it, and an exemption anywhere exempts the member everywhere. " +
			"With requireAuditConfig, a stack that declares Dataflow jobs must also declare a covering config; the " +
			"stack is reported only when there is none at all (an incomplete one is reported on itself).",
		Remediation: "Add a gcp.projects.IAMAuditConfig (or the folder/organization one, or an auditConfigs entry in " +
			"the IAM policy) with service dataflow.googleapis.com or allServices and auditLogConfigs for ADMIN_READ, " +
			"DATA_READ and DATA_WRITE, with no exemptedMembers outside allowedExemptions.",
		URL:      "https://cloud.google.com/logging/docs/audit/configure-data-access",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   "logging",
		Types:    slices.Concat(gcp.AuditConfigTypes(), gcp.DataflowTypes),
		ConfigSchema: `{"type":"object","properties":{
			"allowedExemptions":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Members (such as serviceAccount:scanner@p.iam.gserviceaccount.com) an audit config covering Dataflow may exempt, matched as the principal each names (any documented spelling of it, such as another prefix case); a set, such as all service accounts of a project, allows only that set."},
			"requireAuditConfig":{"type":"boolean","default":false,
				"description":"Also require a stack with Dataflow jobs to declare an audit config covering dataflow.googleapis.com or allServices."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *auditLoggingConfig) {
		covering := 0
		type pending struct {
			r    *gcp.Resource
			path string
		}
		var undecided []pending // configs that might cover Dataflow once known
		for _, r := range s.OfType(gcp.AuditConfigTypes()...) {
			configs, problem := gcp.AuditConfigs(r)
			if problem != nil {
				covering++ // it may well be the config; its own finding says why it cannot be checked
				c.ViolationOn(r, problem.Path, "%s, so its audit configs cannot be checked; fix policyData", problem.Message)
				continue
			}
			for _, a := range configs {
				if a.IsUnknown() {
					undecided = append(undecided, pending{r, a.Path()})
					c.UnknownOn(r, a.Path())
					continue
				}
				covers, known := a.Covers(dataflowService)
				if known && !covers {
					continue
				}
				findings := judgeAuditConfig(a, cfg)
				if !known {
					undecided = append(undecided, pending{r, a.Service.Path()})
					if len(findings) > 0 {
						c.UnknownOn(r, a.Service.Path())
					}
					continue
				}
				covering++
				for _, f := range findings {
					if f.unknown {
						c.UnknownOn(r, f.path)
						continue
					}
					c.ViolationOn(r, f.path, "%s", f.message)
				}
			}
		}
		if !cfg.RequireAuditConfig || covering > 0 || len(s.OfType(gcp.DataflowTypes...)) == 0 {
			return
		}
		if len(undecided) > 0 {
			for _, p := range undecided {
				c.UnknownOn(p.r, p.path)
			}
			return
		}
		c.Violation("", "the stack runs Dataflow jobs but declares no audit config covering dataflow.googleapis.com or allServices, "+
			"so Dataflow Data Access audit logs may be off; add a gcp.projects.IAMAuditConfig for dataflow.googleapis.com "+
			"enabling ADMIN_READ, DATA_READ and DATA_WRITE")
	})
}

// judgeAuditConfig checks one config as if it covers Dataflow.
func judgeAuditConfig(a gcp.AuditConfig, cfg *auditLoggingConfig) []auditFinding {
	var out []auditFinding
	logs, list := a.LogConfigs()
	if list.IsUnknown() {
		return []auditFinding{{unknown: true, path: list.Path()}}
	}
	enabled := map[string]bool{}
	var unknownType *gcp.Value
	for _, l := range logs {
		if l.IsUnknown() || l.LogType.IsUnknown() {
			lt := l.LogType
			unknownType = &lt
		} else if name, ok := l.LogTypeName(); ok {
			enabled[name] = true
		}
		if l.Exempted.IsUnknown() {
			out = append(out, auditFinding{unknown: true, path: l.Exempted.Path()})
			continue
		}
		for _, m := range l.ExemptedMembers {
			if m.IsUnknown() {
				out = append(out, auditFinding{unknown: true, path: m.Path()})
				continue
			}
			member, _ := m.String()
			if cfg.allowed[gcp.ParseMember(member).Key()] {
				continue
			}
			out = append(out, auditFinding{path: m.Path(), message: "exempts " + m.Display() + " from " +
				l.LogType.Display() + " audit logging for " + a.Service.Display() +
				", so that member's Dataflow access goes unrecorded; remove the exemption or add the member to allowedExemptions"})
		}
	}
	var missing []string
	for _, t := range requiredAuditLogTypes {
		if !enabled[t] {
			missing = append(missing, t)
		}
	}
	switch {
	case len(missing) == 0:
	case unknownType != nil:
		out = append(out, auditFinding{unknown: true, path: unknownType.Path()})
	default:
		out = append(out, auditFinding{path: list.Path(), message: "the audit config for " + a.Service.Display() +
			" covers Dataflow but does not enable " + strings.Join(missing, ", ") +
			", so Dataflow Data Access audit logs are incomplete; add an auditLogConfigs entry for each"})
	}
	return out
}
