//! Toolset `members`: who is in an organization, and with which role.

use super::{Set, curated, metadata_merge};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::MEMBERS,
    tools: &[
        curated!(clerk_list_organization_members => ListOrganizationMemberships, "List organization members",
        "List the members of an organization with each one's role, permissions and public user data. Filter by \
         role (e.g. org:admin), user, email or free-text query; times are Unix milliseconds. Answers \"who is in \
         org X and what role do they have\".",
        list = true,
        hide = &["web3_wallet", "email_address_query", "phone_number_query", "username_query", "name_query"]),
        curated!(clerk_add_organization_member => CreateOrganizationMembership, "Add organization member",
        "Add an existing user to an organization with a role key (e.g. org:member, org:admin). To add someone \
         without an account, invite them with clerk_create_organization_invitation."),
        curated!(clerk_update_member_role => UpdateOrganizationMembership, "Change member role",
        "Change a member's role in an organization (by organization id and user id)."),
        curated!(clerk_update_member_metadata => UpdateOrganizationMembershipMetadata, "Update member metadata",
        concat!("Change the public_metadata or private_metadata of one membership. ",
            metadata_merge!())),
        curated!(clerk_remove_member => DeleteOrganizationMembership, "Remove member",
        "Remove a user from an organization. The user account itself is kept."),
    ],
};
