package gcp

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// The provider (terraform-provider-google's unmarshalIamPolicy) decodes
// policyData with encoding/json into cloudresourcemanager.Policy: object keys
// match field names case-insensitively (`{"Bindings":[{"ROLE":...}]}` is
// applied as bindings/role), a repeated key decodes again into the same field
// (the last wins, and a repeated object or list of objects merges into the
// one already decoded), unknown keys are ignored, and what is sent back is
// marshalled with omitempty. The mirror types below decode exactly so, and
// policyValue turns the result into the canonical document the model reads.

type policyDoc struct {
	AuditConfigs []*policyAuditConfig `json:"auditConfigs"`
	Bindings     []*policyBinding     `json:"bindings"`
	Etag         string               `json:"etag"`
	Version      int64                `json:"version"`
}

type policyBinding struct {
	Condition *policyExpr `json:"condition"`
	Members   []string    `json:"members"`
	Role      string      `json:"role"`
}

type policyExpr struct {
	Description string `json:"description"`
	Expression  string `json:"expression"`
	Location    string `json:"location"`
	Title       string `json:"title"`
}

type policyAuditConfig struct {
	AuditLogConfigs []*policyAuditLogConfig `json:"auditLogConfigs"`
	Service         string                  `json:"service"`
}

type policyAuditLogConfig struct {
	ExemptedMembers []string `json:"exemptedMembers"`
	LogType         string   `json:"logType"`
}

// policyFields is the key tree of policyDoc, for telling a document already
// in canonical form (the usual case, read without decoding twice).
type policyFields map[string]policyFields

var policyDocFields = policyFields{
	"auditConfigs": {"service": nil, "auditLogConfigs": {"logType": nil, "exemptedMembers": nil}},
	"bindings":     {"role": nil, "members": nil, "condition": {"description": nil, "expression": nil, "location": nil, "title": nil}},
	"etag":         nil,
	"version":      nil,
}

// canonicalPolicyKeys reports whether every key of doc that encoding/json
// would match to a field of the provider's struct already is that field's
// exact name (so decoding it generically reads what the provider applies).
// Duplicate keys never reach here: the plain parser refuses them.
func canonicalPolicyKeys(doc property.Value, fields policyFields) bool {
	switch {
	case doc.IsArray():
		for _, item := range doc.AsArray().All {
			if !canonicalPolicyKeys(item, fields) {
				return false
			}
		}
	case doc.IsMap():
		for key, v := range doc.AsMap().All {
			if sub, exact := fields[key]; exact {
				if sub != nil && !canonicalPolicyKeys(v, sub) {
					return false
				}
				continue
			}
			for name := range fields {
				if strings.EqualFold(name, key) {
					return false
				}
			}
		}
	}
	return true
}

// decodePolicyDoc decodes policyData as the provider does; ok is false when
// the provider would refuse it.
func decodePolicyDoc(s string) (property.Value, bool) {
	var doc policyDoc
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return property.Value{}, false
	}
	return doc.value(), true
}

// value is the document the provider sends: empty fields are omitted.
func (d policyDoc) value() property.Value {
	m := map[string]property.Value{}
	if len(d.Bindings) > 0 {
		items := make([]property.Value, 0, len(d.Bindings))
		for _, b := range d.Bindings {
			items = append(items, b.value())
		}
		m["bindings"] = property.New(items)
	}
	if len(d.AuditConfigs) > 0 {
		items := make([]property.Value, 0, len(d.AuditConfigs))
		for _, c := range d.AuditConfigs {
			items = append(items, c.value())
		}
		m["auditConfigs"] = property.New(items)
	}
	putString(m, "etag", d.Etag)
	if d.Version != 0 {
		m["version"] = property.New(float64(d.Version))
	}
	return property.New(m)
}

func (b *policyBinding) value() property.Value {
	if b == nil {
		return property.New(map[string]property.Value{})
	}
	m := map[string]property.Value{}
	putString(m, "role", b.Role)
	putStrings(m, "members", b.Members)
	if c := b.Condition; c != nil {
		cond := map[string]property.Value{}
		putString(cond, "description", c.Description)
		putString(cond, "expression", c.Expression)
		putString(cond, "location", c.Location)
		putString(cond, "title", c.Title)
		m["condition"] = property.New(cond)
	}
	return property.New(m)
}

func (c *policyAuditConfig) value() property.Value {
	m := map[string]property.Value{}
	if c == nil {
		return property.New(m)
	}
	putString(m, "service", c.Service)
	if len(c.AuditLogConfigs) > 0 {
		items := make([]property.Value, 0, len(c.AuditLogConfigs))
		for _, l := range c.AuditLogConfigs {
			lm := map[string]property.Value{}
			if l != nil {
				putString(lm, "logType", l.LogType)
				putStrings(lm, "exemptedMembers", l.ExemptedMembers)
			}
			items = append(items, property.New(lm))
		}
		m["auditLogConfigs"] = property.New(items)
	}
	return property.New(m)
}

func putString(m map[string]property.Value, key, s string) {
	if s != "" {
		m[key] = property.New(s)
	}
}

func putStrings(m map[string]property.Value, key string, list []string) {
	if len(list) == 0 {
		return
	}
	items := make([]property.Value, len(list))
	for i, s := range list {
		items[i] = property.New(s)
	}
	m[key] = property.New(items)
}
