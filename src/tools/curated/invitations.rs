//! Toolset `invitations`: organization invitations and instance (application) invitations.

use super::{Set, curated};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::INVITATIONS,
    tools: &[
        curated!(clerk_list_organization_invitations => ListOrganizationInvitations, "List organization invitations",
        "List an organization's invitations; filter by status (pending, accepted, revoked, expired) or email.",
        list = true),
        curated!(clerk_create_organization_invitation => CreateOrganizationInvitation, "Invite to organization",
        "Invite an email address to an organization with a role; Clerk emails it unless notify is false."),
        curated!(clerk_create_organization_invitations_bulk => CreateOrganizationInvitationBulk, "Invite many to organization",
        "Invite several email addresses to an organization at once; all or none.",
        list = true),
        curated!(clerk_revoke_organization_invitation => RevokeOrganizationInvitation, "Revoke organization invitation",
        "Revoke a pending organization invitation so its link stops working.", destructive = Some(true)),
        curated!(clerk_list_invitations => ListInvitations, "List application invitations",
        "List invitations to sign up for the application (not to an organization); filter by status or query.",
        list = true, hide = &["paginated"], defaults = &[("paginated", "true")]),
        curated!(clerk_create_invitation => CreateInvitation, "Invite to application",
        "Invite an email address to sign up for the application (not an organization); public_metadata goes \
         to their user.",
        hide = &["body.template_slug"]),
        curated!(clerk_revoke_invitation => RevokeInvitation, "Revoke application invitation",
        "Revoke a pending application invitation so it can no longer be accepted.", destructive = Some(true)),
    ],
};
