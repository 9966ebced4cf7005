package gcp

import "strings"

// Audit config type tokens.
const (
	ProjectAuditConfig      = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
	FolderAuditConfig       = "gcp:folder/iamAuditConfig:IamAuditConfig"
	OrganizationAuditConfig = "gcp:organizations/iamAuditConfig:IamAuditConfig"
)

// AuditConfigResourceTypes are the resources that are one audit config each.
var AuditConfigResourceTypes = []string{ProjectAuditConfig, FolderAuditConfig, OrganizationAuditConfig}

// AuditConfigTypes lists every type token AuditConfigs reads: the three audit
// config resources and every IAMPolicy type (their policyData may hold
// auditConfigs).
func AuditConfigTypes() []string {
	return append(append([]string(nil), AuditConfigResourceTypes...), IAMTypes(IAMPolicy)...)
}

// Audit log types.
const (
	AdminRead = "ADMIN_READ"
	DataRead  = "DATA_READ"
	DataWrite = "DATA_WRITE"
)

// AllServices is the audit config service that covers every service.
const AllServices = "allServices"

// AuditConfig is one audit configuration: an IAMAuditConfig resource, or one
// entry of an IAMPolicy's policyData `auditConfigs`. Both have the same
// shape: `service` and `auditLogConfigs[{logType, exemptedMembers[]}]`.
// When policyData is unknown, the config itself is unknown (one per
// resource): nothing about it can be read.
type AuditConfig struct {
	Value
	Service Value
}

// AuditLogConfig is one `auditLogConfigs` entry.
type AuditLogConfig struct {
	Value
	LogType Value
	// ExemptedMembers are the entries of exemptedMembers (unknown entries
	// included); Exempted is the list itself, possibly unknown.
	ExemptedMembers []Value
	Exempted        Value
}

// AuditConfigs returns the audit configs a resource declares. An
// IAMAuditConfig resource is one config; an IAMPolicy yields one per
// policyData auditConfigs entry, or one unknown config when policyData is
// unknown. A policyData that cannot be read is a Problem.
func AuditConfigs(r *Resource) ([]AuditConfig, *Problem) {
	for _, t := range AuditConfigResourceTypes {
		if r.Type == t {
			root := r.Root()
			return []AuditConfig{{Value: root, Service: root.Get("service")}}, nil
		}
	}
	if kind, _, _, ok := IAMTypeInfo(r.Type); !ok || kind != IAMPolicy {
		return nil, nil
	}
	doc, problem := PolicyData(r)
	switch {
	case problem != nil:
		return nil, problem
	case doc.IsUnknown():
		return []AuditConfig{{Value: doc, Service: doc}}, nil
	case !doc.IsSet():
		return nil, nil
	}
	configs := doc.Get("auditConfigs")
	switch {
	case configs.IsAbsent():
		return nil, nil
	case configs.IsUnknown():
		return []AuditConfig{{Value: configs, Service: configs}}, nil
	case !configs.IsArray():
		return nil, &Problem{Path: configs.Path(), Message: "auditConfigs is not a list"}
	}
	var out []AuditConfig
	for _, c := range configs.Items() {
		out = append(out, AuditConfig{Value: c, Service: c.Get("service")})
	}
	return out, nil
}

// Covers reports whether the config applies to service: its service is
// service itself or allServices (compared case-insensitively). known is
// false when the service is not a known string.
func (a AuditConfig) Covers(service string) (covers, known bool) {
	s, ok := a.Service.String()
	if !ok {
		return false, !a.Service.HasUnknown() && !a.IsUnknown()
	}
	s = strings.TrimSpace(s)
	return strings.EqualFold(s, service) || strings.EqualFold(s, AllServices), true
}

// LogConfigs returns the `auditLogConfigs` entries; the list itself is
// returned too so callers can tell an unknown or absent list.
func (a AuditConfig) LogConfigs() ([]AuditLogConfig, Value) {
	list := a.Get("auditLogConfigs")
	if a.IsUnknown() {
		list = a.Value
	}
	var out []AuditLogConfig
	for _, e := range list.Items() {
		exempted := e.Get("exemptedMembers")
		out = append(out, AuditLogConfig{Value: e, LogType: e.Get("logType"), ExemptedMembers: exempted.Items(), Exempted: exempted})
	}
	return out, list
}

// LogTypeName returns the log type upper-cased and trimmed, when known.
func (l AuditLogConfig) LogTypeName() (string, bool) {
	s, ok := l.LogType.String()
	if !ok {
		return "", false
	}
	return strings.ToUpper(strings.TrimSpace(s)), true
}

// AuditConfigParent names the resource whose audit configuration r sets:
// "projects/P", "folders/F" or "organizations/O", the way audit configs of the
// same parent merge; "" when it is not known yet or r is not a project,
// folder or organization audit config or IAM policy, and secret when the
// value naming it is.
func AuditConfigParent(r *Resource) (parent string, secret bool) {
	var v Value
	var collection string
	switch r.Type {
	case ProjectAuditConfig, "gcp:projects/iAMPolicy:IAMPolicy":
		v, collection = r.Get("project"), "projects/"
		if v.IsAbsent() && r.Provider != nil {
			v = r.Provider.Get("project")
		}
	case FolderAuditConfig, "gcp:folder/iAMPolicy:IAMPolicy":
		v, collection = r.Get("folder"), "folders/"
	case OrganizationAuditConfig, "gcp:organizations/iAMPolicy:IAMPolicy":
		v, collection = r.Get("orgId"), "organizations/"
	default:
		return "", false
	}
	s, ok := v.String()
	s = strings.TrimPrefix(strings.TrimSpace(s), collection)
	if !ok || s == "" {
		return "", false
	}
	return collection + s, v.Secret()
}
