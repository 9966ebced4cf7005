package gcp

import (
	"slices"
	"strings"
)

// FolderResource is a Resource Manager folder.
const FolderResource = "gcp:organizations/folder:Folder"

// organizationInputs names, per type, the input that says which Google Cloud
// organization a resource belongs to or configures: a project's or an
// organization-level resource's numeric orgId, a folder's, tag key's or v2
// policy's parent `organizations/N`. Other inputs called orgId (Apigee's)
// name something else and are not read.
var organizationInputs = map[string]string{
	ProjectResource:         "orgId",
	FolderResource:          "parent",
	OrgPolicy:               "parent",
	OrganizationPolicy:      "orgId",
	OrganizationAuditConfig: "orgId",
	"gcp:organizations/iAMBinding:IAMBinding":         "orgId",
	"gcp:organizations/iAMMember:IAMMember":           "orgId",
	"gcp:organizations/iAMPolicy:IAMPolicy":           "orgId",
	LoggingOrganizationSink:                           "orgId",
	LoggingOrganizationExclusion:                      "orgId",
	LoggingOrganizationBucketConfig:                   "organization",
	LoggingOrganizationSettings:                       "organization",
	"gcp:tags/tagKey:TagKey":                          "parent",
	"gcp:orgpolicy/customConstraint:CustomConstraint": "parent",
}

// OrganizationIDOf reads an organization reference as these inputs spell
// it: `123`, `organizations/123`. ok is false for anything else (a folder
// or project parent, a computed or empty value).
func OrganizationIDOf(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if foldPrefix(s, "organizations/") {
		s = strings.TrimSpace(s[len("organizations/"):])
	}
	return s, isDigits(s)
}

// OrganizationRef is an input of a stack resource that names an
// organization.
type OrganizationRef struct {
	Resource *Resource
	Value    Value
}

// Organizations lists the Google Cloud organizations the stack's own
// resources name (numeric IDs, sorted, each once): the organization its
// projects belong to, its folders, tag keys and org-level policies, IAM,
// audit configs and log sinks are set on. unknown lists the values that
// could name one but are not known yet (preview).
func (s *Stack) Organizations() (ids []string, unknown []OrganizationRef) {
	types := make([]string, 0, len(organizationInputs))
	for t := range organizationInputs {
		types = append(types, t)
	}
	for _, r := range s.OfType(types...) {
		v := r.Get(organizationInputs[r.Type])
		if v.HasUnknown() {
			unknown = append(unknown, OrganizationRef{Resource: r, Value: v})
			continue
		}
		if id, ok := OrganizationIDOf(v.Str()); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), unknown
}
