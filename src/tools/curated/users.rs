//! Toolset `users`: find, inspect, create, change and moderate users.

use super::{Set, curated, metadata_merge};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::USERS,
    tools: &[
        curated!(clerk_list_users => GetUserList, "List users",
        "List users, newest first; `query` searches names, emails, phones, usernames; array filters match any \
         value; times in Unix milliseconds.",
        list = true, count = Some(crate::clerk::catalog::ops::GetUsersCount),
        hide = &["last_active_at_since", "web3_wallet", "email_address_query", "phone_number_query", "username_query",
                 "name_query", "provider_user_id", "starting_after"]),
        curated!(clerk_count_users => GetUsersCount, "Count users",
        "Count users matching clerk_list_users filters (times in Unix milliseconds) without fetching them.",
        hide = &["last_active_at_since", "web3_wallet", "email_address_query", "phone_number_query", "username_query",
                 "name_query", "provider_user_id", "last_active_at_before", "last_sign_in_at_before",
                 "last_sign_in_at_after", "created_at_before"]),
        curated!(clerk_get_user => GetUser, "Get user",
        "Get a user by id (user_…); clerk_list_users finds one by name or email."),
        curated!(clerk_create_user => CreateUser, "Create user",
        "Create a user with the identifiers your instance requires (email, phone or username); emails and \
         phones given are marked verified.",
        hide = &["body.password_digest", "body.password_hasher", "body.totp_secret", "body.backup_codes",
                 "body.web3_wallet", "body.created_at", "body.skip_password_requirement", "body.skip_user_requirement",
                 "body.bypass_client_trust", "body.skip_legal_checks", "body.legal_accepted_at",
                 "body.create_organizations_limit", "body.delete_self_enabled", "body.create_organization_enabled",
                 "body.email_address_identification_status", "body.phone_number_identification_status",
                 "body.skip_password_checks", "body.locked"]),
        curated!(clerk_update_user => UpdateUser, "Update user",
        "Update a user's names, username, external_id, password or primary email/phone (metadata: \
         clerk_update_user_metadata).",
        hide = &["body.password_digest", "body.password_hasher", "body.totp_secret", "body.backup_codes",
                 "body.created_at", "body.bypass_client_trust", "body.skip_legal_checks", "body.legal_accepted_at",
                 "body.create_organizations_limit", "body.delete_self_enabled", "body.create_organization_enabled",
                 "body.primary_web3_wallet_id", "body.profile_image_id", "body.notify_primary_email_address_changed",
                 // Some spec revisions let UpdateUser replace metadata wholesale; merging is
                 // clerk_update_user_metadata's job.
                 "body.public_metadata", "body.private_metadata", "body.unsafe_metadata"]),
        curated!(clerk_delete_user => DeleteUser, "Delete user",
        "Permanently delete a user with their memberships and sessions; cannot be undone (clerk_ban_user only \
         blocks sign-in)."),
        curated!(clerk_ban_user => BanUser, "Ban user",
        "Ban a user: revokes all their sessions and blocks future sign-ins until unbanned.", destructive = Some(true),
        changes = &["banned"]),
        curated!(clerk_unban_user => UnbanUser, "Unban user",
        "Lift a ban so the user can sign up and sign in again; their old sessions stay revoked.",
        changes = &["banned"]),
        curated!(clerk_lock_user => LockUser, "Lock user",
        "Lock a user's account as after failed sign-ins: no sign-in until unlocked or the lockout expires.",
        destructive = Some(true), changes = &["locked"]),
        curated!(clerk_unlock_user => UnlockUser, "Unlock user",
        "Unlock a user locked out (by failed sign-ins or clerk_lock_user) so they can sign in again now.",
        changes = &["locked"]),
        curated!(clerk_update_user_metadata => UpdateUserMetadata, "Update user metadata",
        concat!("Change a user's public, private or unsafe metadata. ",
            metadata_merge!())),
        curated!(clerk_list_user_memberships => UsersGetOrganizationMemberships, "List user's organizations",
        "A user's organizations and the role in each (fields [\"permissions\"] adds permissions).",
        list = true),
    ],
};
