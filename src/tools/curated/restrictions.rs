//! Toolset `restrictions`: the sign-up allowlist and blocklist.

use super::{Set, curated};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::RESTRICTIONS,
    tools: &[
        curated!(clerk_list_allowlist => ListAllowlistIdentifiers, "List allowlist",
        "List allowlist identifiers (emails, phone numbers, domains). When the allowlist is enabled only these \
         can sign up.",
        list = true, hide = &["paginated"], defaults = &[("paginated", "true")]),
        curated!(clerk_add_to_allowlist => CreateAllowlistIdentifier, "Add to allowlist",
        "Allow an email address, phone number or domain (e.g. *@example.com) to sign up."),
        curated!(clerk_remove_from_allowlist => DeleteAllowlistIdentifier, "Remove from allowlist",
        "Remove an identifier from the allowlist by its id."),
        curated!(clerk_list_blocklist => ListBlocklistIdentifiers, "List blocklist",
        "List blocklist identifiers: emails, phone numbers and domains that cannot sign up.", list = true),
        curated!(clerk_add_to_blocklist => CreateBlocklistIdentifier, "Add to blocklist",
        "Block an email address, phone number or domain from signing up."),
        curated!(clerk_remove_from_blocklist => DeleteBlocklistIdentifier, "Remove from blocklist",
        "Remove an identifier from the blocklist by its id."),
    ],
};
