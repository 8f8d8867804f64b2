//! Toolset `users`: find, inspect, create, change and moderate users.

use super::{Set, curated, metadata_merge};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::USERS,
    tools: &[
        curated!(clerk_list_users => GetUserList, "List users",
        "Search and list users, newest first. Array filters match any value; `query` is free text over names, \
         emails, phones and usernames; times are Unix milliseconds. Pages with limit/offset (see next_offset).",
        list = true, count = Some(crate::clerk::catalog::ops::GetUsersCount),
        hide = &["last_active_at_since", "web3_wallet", "email_address_query", "phone_number_query", "username_query",
                 "name_query", "provider_user_id"]),
        curated!(clerk_count_users => GetUsersCount, "Count users",
        "Count users matching the same filters as clerk_list_users (times in Unix milliseconds), without \
         fetching them. Use it to answer \"how many users …\" questions.",
        hide = &["last_active_at_since", "web3_wallet", "email_address_query", "phone_number_query", "username_query",
                 "name_query", "provider_user_id", "last_active_at_before", "last_sign_in_at_before",
                 "last_sign_in_at_after", "created_at_before"]),
        curated!(clerk_get_user => GetUser, "Get user",
        "Get one user by id (user_…): names, email addresses, phone numbers, external accounts, metadata, \
         ban/lock state and activity timestamps."),
        curated!(clerk_create_user => CreateUser, "Create user",
        "Create a user. Give at least one identifier your instance requires (email_address, phone_number or \
         username); emails and phones given here are marked verified. Public/private/unsafe metadata may be set.",
        hide = &["body.password_digest", "body.password_hasher", "body.totp_secret", "body.backup_codes",
                 "body.web3_wallet", "body.created_at", "body.skip_password_requirement", "body.skip_user_requirement",
                 "body.bypass_client_trust", "body.skip_legal_checks", "body.legal_accepted_at",
                 "body.create_organizations_limit", "body.delete_self_enabled", "body.create_organization_enabled"]),
        curated!(clerk_update_user => UpdateUser, "Update user",
        "Update a user's profile fields (names, username, external_id, password, primary email/phone, \
         settings). Only the fields given change. Metadata has its own tool: clerk_update_user_metadata.",
        hide = &["body.password_digest", "body.password_hasher", "body.totp_secret", "body.backup_codes",
                 "body.created_at", "body.bypass_client_trust", "body.skip_legal_checks", "body.legal_accepted_at",
                 "body.create_organizations_limit", "body.delete_self_enabled", "body.create_organization_enabled",
                 "body.primary_web3_wallet_id", "body.profile_image_id", "body.notify_primary_email_address_changed"]),
        curated!(clerk_delete_user => DeleteUser, "Delete user",
        "Permanently delete a user and their memberships and sessions. This cannot be undone; consider \
         clerk_ban_user to block sign-in instead."),
        curated!(clerk_ban_user => BanUser, "Ban user",
        "Ban a user: revokes all their sessions and blocks future sign-ins until unbanned.", destructive = Some(true)),
        curated!(clerk_unban_user => UnbanUser, "Unban user",
        "Lift a ban so the user can sign up and sign in again; their old sessions stay revoked."),
        curated!(clerk_lock_user => LockUser, "Lock user",
        "Lock a user's account, as after too many failed sign-ins; they cannot sign in until unlocked or the \
         lockout expires.", destructive = Some(true)),
        curated!(clerk_unlock_user => UnlockUser, "Unlock user",
        "Unlock a user locked out (by failed sign-ins or clerk_lock_user) so they can sign in again now."),
        curated!(clerk_update_user_metadata => UpdateUserMetadata, "Update user metadata",
        concat!("Change a user's public_metadata, private_metadata or unsafe_metadata. ",
            metadata_merge!())),
        curated!(clerk_list_user_memberships => UsersGetOrganizationMemberships, "List user's organizations",
        "List the organizations a user belongs to, with their role and permissions in each.",
        list = true),
    ],
};
