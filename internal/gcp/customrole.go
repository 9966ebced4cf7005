package gcp

// Custom role type tokens.
const (
	ProjectCustomRole      = "gcp:projects/iAMCustomRole:IAMCustomRole"
	OrganizationCustomRole = "gcp:organizations/iAMCustomRole:IAMCustomRole"
)

// CustomRoleTypes lists the custom role types, project and organization.
func CustomRoleTypes() []string { return []string{ProjectCustomRole, OrganizationCustomRole} }

// CustomRolePermissions reads the permissions a custom role grants. Nothing
// else on the role limits them: a DISABLED or DEPRECATED stage is one update
// away from GA, and a soft-deleted role keeps its bindings and is undeleted,
// permissions and all, by the provider's next create.
func CustomRolePermissions(r *Resource) Value { return r.Get("permissions") }
