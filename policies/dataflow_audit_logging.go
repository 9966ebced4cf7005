package policies

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/logquery"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

// requiredAuditLogTypes are the Data Access log types that record reads and
// writes of data. ADMIN_READ (metadata and configuration reads) is not
// required; Admin Activity (ADMIN_WRITE) is always written.
var requiredAuditLogTypes = []string{gcp.DataRead, gcp.DataWrite}

// defaultAuditedServices are the services whose data Dataflow's common I/O
// connectors read and write: Cloud Storage (TextIO, AvroIO, temp and staging
// files), BigQuery (BigQueryIO), Pub/Sub (PubsubIO), Cloud KMS (CMEK jobs)
// and Secret Manager (templates reading credentials).
var defaultAuditedServices = []string{"storage.googleapis.com", "bigquery.googleapis.com", "pubsub.googleapis.com",
	"cloudkms.googleapis.com", "secretmanager.googleapis.com"}

// bigQueryService writes Data Access audit logs without an audit config.
const bigQueryService = "bigquery.googleapis.com"

type auditLoggingConfig struct {
	AllowedExemptions  []string `json:"allowedExemptions"`
	RequireAuditConfig bool     `json:"requireAuditConfig"`
	Services           []string `json:"services"`
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

// auditEntry is one audit config of the stack and the resource declaring it.
type auditEntry struct {
	r      *gcp.Resource
	config gcp.AuditConfig
}

// DataflowAuditLogging requires the Data Access audit logs of the services a
// Dataflow pipeline reads and writes to be on, without exemptions, wherever
// the stack configures audit logging for them.
func DataflowAuditLogging() *policy.Policy {
	return policy.Stack(policy.Meta{
		Name: "dataflow-audit-logging",
		Title: "Audit configs covering the services Dataflow pipelines read and write enable DATA_READ and DATA_WRITE " +
			"without exemptions",
		Description: "Who read and wrote a pipeline's data is recorded in the Data Access audit logs of the services that hold " +
			"it, not in Dataflow's: Dataflow's audit logging page lists only Admin Activity methods (jobs create, cancel, " +
			"update), which are always written and cannot be turned off " +
			"(https://cloud.google.com/dataflow/docs/audit-logging, https://cloud.google.com/logging/docs/audit), so an " +
			"audit config for dataflow.googleapis.com protects nothing and the policy no longer asks for one. The reads " +
			"and writes of a pipeline's workers are DATA_READ and DATA_WRITE Data Access logs of Cloud Storage, BigQuery, " +
			"Pub/Sub (which logs topic and subscription reads, not message operations: " +
			"https://cloud.google.com/pubsub/docs/audit-logging), Cloud KMS and Secret Manager (the services list, " +
			"config). They are off until an audit config enables them, BigQuery's excepted, which are written without one " +
			"(https://cloud.google.com/logging/docs/audit/configure-data-access). Every audit config in the stack that " +
			"covers one of these services, directly or through allServices (IAMAuditConfig resources at project, folder " +
			"and organization level, and auditConfigs inside an IAMPolicy's policyData), is judged with the other configs " +
			"of the same project, folder or organization, as Google merges them (the union of their log types): together " +
			"they must enable DATA_READ and DATA_WRITE for each covered service but BigQuery, and no config may exempt a " +
			"member from DATA_READ or DATA_WRITE unless it is in allowedExemptions (an exemption anywhere exempts the " +
			"member everywhere, a Dataflow worker or deployer included: its reads and writes go unrecorded). With " +
			"requireAuditConfig, a stack that declares Dataflow jobs must also declare, for each listed service but " +
			"BigQuery, a config covering it; the stack is reported only when there is none at all (an incomplete one is " +
			"reported on itself). Where these logs are stored, and for how long, is logging-no-dataflow-exclusions' question.",
		Remediation: "Add a gcp.projects.IAMAuditConfig (or the folder/organization one, or an auditConfigs entry in the IAM " +
			"policy) with service allServices, or one per service (storage.googleapis.com, pubsub.googleapis.com, ...), and " +
			"auditLogConfigs for DATA_READ and DATA_WRITE, with no exemptedMembers outside allowedExemptions.",
		URL:      "https://cloud.google.com/logging/docs/audit/configure-data-access",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLogging,
		Types:    slices.Concat(gcp.AuditConfigTypes(), gcp.DataflowTypes),
		ConfigSchema: `{"type":"object","properties":{
			"allowedExemptions":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":[],
				"description":"Members (such as serviceAccount:scanner@p.iam.gserviceaccount.com) an audit config covering these services may exempt, matched as the principal each names (any documented spelling of it, such as another prefix case); a set, such as all service accounts of a project, allows only that set."},
			"requireAuditConfig":{"type":"boolean","default":false,
				"description":"Also require a stack with Dataflow jobs to declare, for each service but BigQuery (whose Data Access logs are on by default), an audit config covering it or allServices."},
			"services":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,"default":` + jsonList(defaultAuditedServices) + `,
				"description":"The services whose Data Access audit logs must record a pipeline's reads and writes."}}}`,
	}, func(c *policy.Call, s *gcp.Stack, cfg *auditLoggingConfig) {
		groups := map[string][]auditEntry{} // by parent; configs of an unknown parent stand alone
		var order []string
		var undecided []auditEntry // configs whose service is not known yet
		covered := map[string]bool{}
		for _, r := range s.OfType(gcp.AuditConfigTypes()...) {
			configs, problem := gcp.AuditConfigs(r)
			if problem != nil {
				for _, svc := range cfg.Services {
					covered[svc] = true // it may well be the config; its own finding says why it cannot be checked
				}
				c.ViolationOn(r, problem.Path, "%s, so its audit configs cannot be checked; fix policyData", problem.Message)
				continue
			}
			parent, _ := gcp.AuditConfigParent(r)
			if parent == "" {
				parent = "\x00" + r.URN
			}
			for _, a := range configs {
				if a.IsUnknown() {
					c.UnknownOn(r, a.Path())
					undecided = append(undecided, auditEntry{r, a})
					continue
				}
				if !serviceKnown(a) {
					undecided = append(undecided, auditEntry{r, a})
				}
				if _, ok := groups[parent]; !ok {
					order = append(order, parent)
				}
				groups[parent] = append(groups[parent], auditEntry{r, a})
			}
		}
		for _, parent := range order {
			judgeAuditGroup(c, groups[parent], cfg, covered)
		}
		if !cfg.RequireAuditConfig || len(s.OfType(gcp.DataflowTypes...)) == 0 {
			return
		}
		var missing []string
		for _, svc := range cfg.Services {
			if svc != bigQueryService && !covered[svc] {
				missing = append(missing, svc)
			}
		}
		switch {
		case len(missing) == 0:
		case len(undecided) > 0:
			for _, u := range undecided {
				c.UnknownOn(u.r, u.config.Service.Path())
			}
		default:
			c.Violation("", "the stack runs Dataflow jobs but declares no audit config covering %s or allServices, so the "+
				"Data Access audit logs that record its workers' reads and writes may be off; add a gcp.projects.IAMAuditConfig "+
				"for allServices (or each of them) enabling DATA_READ and DATA_WRITE", strings.Join(missing, ", "))
		}
	})
}

// judgeAuditGroup judges the configs of one parent: for each listed service
// they cover, their union must enable the required log types, and none may
// exempt a member outside allowedExemptions. covered collects the services
// some config covers.
func judgeAuditGroup(c *policy.Call, group []auditEntry, cfg *auditLoggingConfig, covered map[string]bool) {
	var unknownService []auditEntry
	for _, e := range group {
		if !serviceKnown(e.config) {
			unknownService = append(unknownService, e)
		}
	}
	judged := map[int]bool{} // configs covering some listed service, by index in group
	for _, svc := range cfg.Services {
		var covering []int
		for i, e := range group {
			if covers, known := e.config.Covers(svc); known && covers {
				covering = append(covering, i)
			}
		}
		if len(covering) == 0 {
			continue
		}
		covered[svc] = true
		enabled := map[string]bool{}
		var unknownType []gcp.Value
		for _, i := range covering {
			judged[i] = true
			logs, list := group[i].config.LogConfigs()
			if list.IsUnknown() {
				unknownType = append(unknownType, list)
				continue
			}
			for _, l := range logs {
				if l.IsUnknown() || l.LogType.IsUnknown() {
					unknownType = append(unknownType, l.LogType)
				} else if name, ok := l.LogTypeName(); ok {
					enabled[name] = true
				}
			}
		}
		var missing []string
		for _, t := range requiredAuditLogTypes {
			if !enabled[t] {
				missing = append(missing, t)
			}
		}
		switch {
		case len(missing) == 0 || svc == bigQueryService:
		case len(unknownType) > 0 || len(unknownService) > 0:
			for _, i := range covering {
				if _, list := group[i].config.LogConfigs(); list.HasUnknown() {
					c.UnknownOn(group[i].r, list.Path())
				}
			}
			for _, u := range unknownService {
				c.UnknownOn(u.r, u.config.Service.Path())
			}
		default:
			for _, i := range covering {
				_, list := group[i].config.LogConfigs()
				c.ViolationOn(group[i].r, list.Path(), "covers %s (service %s), and neither it nor another audit config of "+
					"the same parent enables %s, so the %s audit logs of %s do not record the reads and writes of Dataflow "+
					"workers; add an auditLogConfigs entry for each", svc, group[i].config.Service.Display(),
					strings.Join(missing, ", "), dataAccessLabel(missing), logquery.ServiceTitle(svc))
			}
		}
	}
	for i, e := range group {
		if !judged[i] {
			if !serviceKnown(e.config) && len(auditExemptions(e.config, cfg)) > 0 {
				c.UnknownOn(e.r, e.config.Service.Path())
			}
			continue
		}
		for _, f := range auditExemptions(e.config, cfg) {
			if f.unknown {
				c.UnknownOn(e.r, f.path)
				continue
			}
			c.ViolationOn(e.r, f.path, "%s", f.message)
		}
	}
}

// serviceKnown reports whether an audit config's service is known.
func serviceKnown(a gcp.AuditConfig) bool {
	_, known := a.Covers(gcp.AllServices)
	return known
}

func dataAccessLabel(missing []string) string {
	if len(missing) == 1 {
		return missing[0] + " Data Access"
	}
	return "Data Access"
}

// auditFinding is one problem of an audit config.
type auditFinding struct {
	unknown       bool
	path, message string
}

// auditExemptions reports the exemptions from DATA_READ or DATA_WRITE (or
// from a log type not known yet) outside allowedExemptions.
func auditExemptions(a gcp.AuditConfig, cfg *auditLoggingConfig) []auditFinding {
	logs, list := a.LogConfigs()
	if list.IsUnknown() {
		return []auditFinding{{unknown: true, path: list.Path()}}
	}
	var out []auditFinding
	for _, l := range logs {
		name, known := l.LogTypeName()
		if known && !slices.Contains(requiredAuditLogTypes, name) {
			continue // ADMIN_READ: metadata reads, not the data
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
			if !known {
				out = append(out, auditFinding{unknown: true, path: l.LogType.Path()})
				continue
			}
			out = append(out, auditFinding{path: m.Path(), message: "exempts " + m.Display() + " from " +
				strconv.Quote(name) + " audit logging for " + a.Service.Display() +
				", so that member's reads and writes of pipeline data (a Dataflow worker's or deployer's included) go " +
				"unrecorded; remove the exemption or add the member to allowedExemptions"})
		}
	}
	return out
}
