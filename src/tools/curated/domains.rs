//! Toolset `domains`: organization domains (verified domains for automatic enrollment).

use super::{Set, curated};
use crate::tools::toolsets;

pub const SET: Set = Set {
    toolset: &toolsets::DOMAINS,
    tools: &[
        curated!(clerk_list_organization_domains => ListOrganizationDomains, "List organization domains",
        "List an organization's domains with their verification state and enrollment mode.", list = true),
        curated!(clerk_add_organization_domain => CreateOrganizationDomain, "Add organization domain",
        "Add a domain (e.g. example.com) to an organization; set enrollment_mode (manual_invitation, \
         automatic_invitation, automatic_suggestion) and whether it is verified."),
        curated!(clerk_update_organization_domain => UpdateOrganizationDomain, "Update organization domain",
        "Change a domain's enrollment mode or verified flag."),
        curated!(clerk_remove_organization_domain => DeleteOrganizationDomain, "Remove organization domain",
        "Remove a domain from an organization."),
    ],
};
