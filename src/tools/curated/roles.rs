//! Toolset `roles`: organization roles and permissions (custom RBAC).

use super::{Set, curated};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::ROLES,
    tools: &[
        curated!(clerk_list_organization_roles => ListOrganizationRoles, "List organization roles",
        "List the instance's organization roles (keys such as org:admin) with their permissions.", list = true),
        curated!(clerk_get_organization_role => GetOrganizationRole, "Get organization role",
        "Get one organization role by id, with its permissions."),
        curated!(clerk_create_organization_role => CreateOrganizationRole, "Create organization role",
        "Create a custom organization role with a key (org:<name>), a name and optional permission keys."),
        curated!(clerk_update_organization_role => UpdateOrganizationRole, "Update organization role",
        "Change a role's name, key, description or permission set."),
        curated!(clerk_delete_organization_role => DeleteOrganizationRole, "Delete organization role",
        "Delete a custom organization role. Fails while members still hold it."),
        curated!(clerk_assign_role_permission => AssignPermissionToOrganizationRole, "Assign permission to role",
        "Add one permission (by id) to a role."),
        curated!(clerk_remove_role_permission => RemovePermissionFromOrganizationRole, "Remove permission from role",
        "Take one permission (by id) away from a role."),
        curated!(clerk_list_organization_permissions => ListOrganizationPermissions, "List organization permissions",
        "List organization permissions (keys such as org:invoices:read), system and custom.", list = true),
        curated!(clerk_create_organization_permission => CreateOrganizationPermission, "Create organization permission",
        "Create a custom permission with a key of the form org:<feature>:<permission>."),
        curated!(clerk_delete_organization_permission => DeleteOrganizationPermission, "Delete organization permission",
        "Delete a custom permission; it is removed from every role."),
    ],
};
