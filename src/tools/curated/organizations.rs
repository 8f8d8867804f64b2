//! Toolset `organizations`: organizations themselves (members are their own toolset).

use super::{Set, curated, metadata_merge};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::ORGANIZATIONS,
    tools: &[
        curated!(clerk_list_organizations => ListOrganizations, "List organizations",
        "List organizations, newest first; `query` matches name, slug or id; include_members_count adds \
         members_count.",
        list = true, hide = &["include_missing_member_with_elevated_permissions"]),
        curated!(clerk_get_organization => GetOrganization, "Get organization",
        "Get one organization by its id (org_…) or by its slug — both work in `organization_id`.", hide = &["include_missing_member_with_elevated_permissions"]),
        curated!(clerk_create_organization => CreateOrganization, "Create organization",
        "Create an organization (slug derived from `name` unless given); `created_by`, a user id, becomes \
         its first admin.", hide = &["body.created_at", "body.role_set_key"]),
        curated!(clerk_update_organization => UpdateOrganization, "Update organization",
        "Change an organization's name, slug, membership limit or admin-delete setting.", hide = &["body.created_at", "body.role_set_key",
            // As for users: metadata is merged by clerk_update_organization_metadata.
            "body.public_metadata", "body.private_metadata"]),
        curated!(clerk_delete_organization => DeleteOrganization, "Delete organization",
        "Permanently delete an organization with its memberships, invitations and domains. Cannot be undone."),
        curated!(clerk_update_organization_metadata => MergeOrganizationMetadata, "Update organization metadata",
        concat!("Change an organization's public or private metadata. ",
            metadata_merge!())),
    ],
};
