//! Toolset `organizations`: organizations themselves (members are their own toolset).

use super::{Curated, curated};

pub const TOOLS: &[Curated] = &[
    curated!("organizations": clerk_list_organizations => ListOrganizations, "List organizations",
        "List organizations, newest first; `query` matches name, slug or id. Set include_members_count to get \
         members_count for each.",
        list = true, hide = &["include_missing_member_with_elevated_permissions"]),
    curated!("organizations": clerk_get_organization => GetOrganization, "Get organization",
        "Get one organization by its id (org_…) or by its slug — both work in `organization_id`.",
        returns = "The Clerk organization", hide = &["include_missing_member_with_elevated_permissions"]),
    curated!("organizations": clerk_create_organization => CreateOrganization, "Create organization",
        "Create an organization. `name` is required; the slug is derived from it unless given. `created_by` \
         (a user id) becomes its first admin.",
        returns = "The new Clerk organization", hide = &["body.created_at"]),
    curated!("organizations": clerk_update_organization => UpdateOrganization, "Update organization",
        "Change an organization's name, slug, membership limit or admin-delete setting. Metadata has its own \
         tool: clerk_update_organization_metadata.",
        returns = "The updated Clerk organization", hide = &["body.created_at"]),
    curated!("organizations": clerk_delete_organization => DeleteOrganization, "Delete organization",
        "Permanently delete an organization with its memberships, invitations and domains. Cannot be undone.",
        returns = "The deletion confirmation"),
    curated!("organizations": clerk_update_organization_metadata => MergeOrganizationMetadata, "Update organization metadata",
        concat!("Change an organization's public_metadata or private_metadata. ",
            "Clerk deep-merges the given objects into the existing metadata: keys you leave out are kept, nested \
             objects are merged, and a key set to null is deleted. To replace a whole object, set its old keys to null."),
        returns = "The updated Clerk organization"),
];
