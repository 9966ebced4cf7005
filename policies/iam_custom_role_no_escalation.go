package policies

import (
	"fmt"
	"strings"

	"github.com/dataflow-guardrails/dataflow-guardrails/internal/gcp"
	"github.com/dataflow-guardrails/dataflow-guardrails/internal/policy"
)

type customRoleConfig struct {
	DeniedPermissions []string `json:"deniedPermissions"`
	denied            map[string]struct{}
}

// Validate indexes the denied permissions once per configuration.
func (c *customRoleConfig) Validate() error {
	c.denied = make(map[string]struct{}, len(c.DeniedPermissions))
	for _, p := range c.DeniedPermissions {
		c.denied[gcp.NormalizePermission(p)] = struct{}{}
	}
	return nil
}

// IAMCustomRoleNoEscalation forbids custom roles that carry a privilege
// escalation permission or a wildcard.
func IAMCustomRoleNoEscalation() *policy.Policy {
	return policy.Resource(policy.Meta{
		Name:        "iam-custom-role-no-escalation",
		Title:       "Custom roles carry no privilege escalation permission and no wildcard",
		Description: customRoleDescription(),
		Remediation: "Remove the listed permissions from the role's permissions. Grant impersonation on the one " +
			"service account that needs it with a predefined role (for example roles/iam.serviceAccountUser " +
			"through gcp.serviceaccount.IAMMember), keep IAM, organization policy and deployment administration " +
			"with a separate, audited group, and list exact permission names, never a wildcard. If a role " +
			"truly needs one of the named permissions, set `deniedPermissions` to the list without it and say why.",
		URL:      "https://cloud.google.com/iam/docs/understanding-custom-roles",
		Severity: policy.High,
		Level:    policy.Mandatory,
		Family:   policy.FamilyLeastPrivilege,
		Types:    gcp.CustomRoleTypes(),
		ConfigSchema: `{"type":"object","properties":{
			"deniedPermissions":{"type":"array","items":{"type":"string","minLength":1},"uniqueItems":true,
				"default":` + jsonList(gcp.EscalationPermissionNames()) + `,
				"description":"Permissions no custom role may include (replaces the default list). Every *.setIamPolicy permission and every permission containing * are always denied."}}}`,
	}, func(c *policy.Call, r *gcp.Resource, cfg *customRoleConfig) {
		perms := gcp.CustomRolePermissions(r)
		if perms.IsUnknown() {
			c.Unknown(perms.Path())
			return
		}
		for _, p := range perms.Items() {
			if p.IsUnknown() {
				c.Unknown(p.Path())
				continue
			}
			s, ok := p.String()
			if !ok {
				continue
			}
			_, denied := cfg.denied[gcp.NormalizePermission(s)]
			switch {
			case gcp.IsWildcardPermission(s):
				c.Violation(p.Path(), "is the wildcard permission %s, which can match escalation permissions; IAM takes only exact names in a custom role, so list the exact permissions the role needs", p.Display())
			case denied || gcp.IsSetIamPolicy(s):
				c.Violation(p.Path(), "is %s, which lets holders of the role %s; remove it from the custom role",
					p.Display(), escalationReason(s))
			}
		}
	})
}

// escalationReason says what a denied permission lets a role holder do.
func escalationReason(perm string) string {
	if e, ok := gcp.EscalationOf(perm); ok {
		return e.Kind.Effect()
	}
	return "escalate their privileges"
}

// customRoleDescription is the why, with the default list and the sources of
// each entry rendered from the data, so the reference cannot drift from it.
func customRoleDescription() string {
	var b strings.Builder
	b.WriteString("A custom role that carries a permission listed below lets whoever holds it grant themselves more " +
		"than the role says: rewrite an allow policy, impersonate a service account, mint a long-lived key, widen a " +
		"role, lift an organization policy guardrail, or have a Google service run their code as a service account. " +
		"Hidden in a custom role, such a permission passes every check on predefined roles. Every `*.setIamPolicy` " +
		"and every wildcard is denied whatever the configuration (IAM itself rejects wildcards in custom roles); names " +
		"are compared without regard to case or surrounding space; and neither the role's `stage` (`DISABLED`, " +
		"`DEPRECATED`) nor its `deleted` state exempts it, as both are one update away from active with the role's " +
		"bindings in place. Deployments, legacy-account builds and metadata SSH keys run as a service account with " +
		"no further check; the other act-through-a-service permissions also need `iam.serviceAccounts.actAs` on " +
		"the account, which a project-wide Service Account User grant often supplies. " +
		"Dataflow job permissions (`dataflow.jobs.*`) are not on the list: Dataflow checks actAs on the worker " +
		"service account for every job it launches " +
		"([Google](https://cloud.google.com/dataflow/docs/concepts/security-and-permissions)), and this pack keeps " +
		"that account dedicated and narrow (dataflow-dedicated-worker-service-account, dataflow-worker-least-privilege).\n\n" +
		"Denied by default, with the sources for each entry (`deniedPermissions` replaces the named permissions):\n")
	var kinds []gcp.EscalationKind
	byKind := map[gcp.EscalationKind][]gcp.EscalationPermission{}
	for _, e := range gcp.EscalationPermissions() {
		if _, seen := byKind[e.Kind]; !seen {
			kinds = append(kinds, e.Kind)
		}
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	refs := sourceRefs{}
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n- **%s**: %s", k.Heading(), refs.permissionsBySource(byKind[k]))
	}
	b.WriteString("\n\nSources:\n")
	for i, s := range refs.sources {
		fmt.Fprintf(&b, "\n- S%d: [%s](%s)", i+1, s.Title, s.URL)
	}
	return b.String()
}

// sourceRefs numbers sources S1, S2, ... in the order they are first cited.
type sourceRefs struct {
	sources []gcp.Source
	number  map[string]int
}

func (r *sourceRefs) cite(s gcp.Source) string {
	if r.number == nil {
		r.number = map[string]int{}
	}
	n, ok := r.number[s.URL]
	if !ok {
		r.sources = append(r.sources, s)
		n = len(r.sources)
		r.number[s.URL] = n
	}
	return fmt.Sprintf("S%d", n)
}

// permissionsBySource lists permissions grouped by the sources they share,
// in list order: "`a`, `b` [S1, S2]; `c` [S3]".
func (r *sourceRefs) permissionsBySource(entries []gcp.EscalationPermission) string {
	var groups []string
	names := map[string][]string{}
	for _, e := range entries {
		cites := make([]string, 0, len(e.Sources))
		for _, s := range e.Sources {
			cites = append(cites, r.cite(s))
		}
		group := "[" + strings.Join(cites, ", ") + "]"
		if _, seen := names[group]; !seen {
			groups = append(groups, group)
		}
		name := "`" + e.Name + "`"
		if e.Name == gcp.AnySetIamPolicy {
			name += " of every service, such as `resourcemanager.projects.setIamPolicy` or `iam.serviceAccounts.setIamPolicy`"
		}
		names[group] = append(names[group], name)
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		parts = append(parts, strings.Join(names[g], ", ")+" "+g)
	}
	return strings.Join(parts, "; ")
}
