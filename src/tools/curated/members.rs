//! Toolset `members`: who is in an organization, and with which role.

use super::{Set, curated, metadata_merge};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::MEMBERS,
    tools: &[
        curated!(clerk_list_organization_members => ListOrganizationMemberships, "List organization members",
        "Who is in an organization, with roles; filter by role (e.g. org:admin), user, email or query; times \
         in Unix milliseconds.",
        list = true,
        hide = &["web3_wallet", "email_address_query", "phone_number_query", "username_query", "name_query"]),
        curated!(clerk_add_organization_member => CreateOrganizationMembership, "Add organization member",
        "Add an existing user to an organization with a role (e.g. org:member); invite people without an \
         account instead."),
        curated!(clerk_update_member_role => UpdateOrganizationMembership, "Change member role",
        "Change a member's role in an organization (by organization id and user id)."),
        curated!(clerk_update_member_metadata => UpdateOrganizationMembershipMetadata, "Update member metadata",
        concat!("Change one membership's public or private metadata. ",
            metadata_merge!())),
        curated!(clerk_remove_member => DeleteOrganizationMembership, "Remove member",
        "Remove a user from an organization. The user account itself is kept."),
    ],
};
