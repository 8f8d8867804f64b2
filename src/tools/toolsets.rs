//! The toolsets, each one typed value, listed once: tools name their toolset by value, and the
//! `--toolsets` help, the README tables and the tests are generated from or checked against [`ALL`].

use std::collections::BTreeSet;

/// A group of tools that is enabled or disabled together.
#[derive(Debug, PartialEq, Eq)]
pub struct Toolset {
    /// The name used in `--toolsets` and `X-MCP-Toolsets`.
    pub id: &'static str,
    /// What its tools are for.
    pub description: &'static str,
    /// Whether it is enabled when no toolsets are configured.
    pub default: bool,
}

/// Users.
pub const USERS: Toolset = Toolset {
    id: "users",
    description: "find, inspect, create, change and moderate users",
    default: true,
};
/// Organizations.
pub const ORGANIZATIONS: Toolset = Toolset {
    id: "organizations",
    description: "organizations, by id or slug, and their metadata",
    default: true,
};
/// Organization members.
pub const MEMBERS: Toolset = Toolset {
    id: "members",
    description: "who is in an organization, and with which role",
    default: true,
};
/// Invitations.
pub const INVITATIONS: Toolset = Toolset {
    id: "invitations",
    description: "organization invitations and application invitations",
    default: true,
};
/// Roles and permissions.
pub const ROLES: Toolset = Toolset {
    id: "roles",
    description: "organization roles and permissions",
    default: false,
};
/// Sessions.
pub const SESSIONS: Toolset = Toolset {
    id: "sessions",
    description: "list, inspect and revoke sessions",
    default: false,
};
/// Allow and block lists.
pub const RESTRICTIONS: Toolset = Toolset {
    id: "restrictions",
    description: "the allowlist and blocklist of sign-up identifiers",
    default: false,
};
/// Organization domains.
pub const DOMAINS: Toolset = Toolset {
    id: "domains",
    description: "verified domains of organizations",
    default: false,
};
/// The whole API in three tools.
pub const API: Toolset = Toolset {
    id: "api",
    description: "the whole Backend API in three tools: search, describe, call",
    default: true,
};

/// Every toolset, in the order their tools are listed.
pub const ALL: [&Toolset; 9] = [
    &USERS,
    &ORGANIZATIONS,
    &MEMBERS,
    &INVITATIONS,
    &ROLES,
    &SESSIONS,
    &RESTRICTIONS,
    &DOMAINS,
    &API,
];

/// Position in listing order.
pub fn position(t: &Toolset) -> usize {
    ALL.iter().position(|x| x.id == t.id).unwrap_or(usize::MAX)
}

/// The ids of the toolsets enabled by default.
pub fn defaults() -> BTreeSet<String> {
    ALL.iter()
        .filter(|t| t.default)
        .map(|t| t.id.to_string())
        .collect()
}

/// Parses a toolset list (`a,b`, `all`, `default`) into toolset ids.
pub fn parse(raw: &str) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "all" => out.extend(ALL.iter().map(|t| t.id.to_string())),
            "default" => out.extend(defaults()),
            p => match ALL.iter().find(|t| t.id == p) {
                Some(t) => {
                    out.insert(t.id.to_string());
                }
                None => {
                    return Err(format!(
                        "unknown toolset `{p}`. Valid toolsets: {}, or `all` / `default`",
                        ALL.map(|t| t.id).join(", ")
                    ));
                }
            },
        }
    }
    Ok(out)
}

/// The `--toolsets` help text.
pub fn help() -> String {
    format!(
        "Toolsets to enable, comma-separated: {}; `all` for every one; `default` for {}",
        ALL.map(|t| t.id).join(", "),
        ALL.iter()
            .filter(|t| t.default)
            .map(|t| t.id)
            .collect::<Vec<_>>()
            .join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_say_what_is_valid() {
        assert_eq!(parse("all").unwrap().len(), ALL.len());
        assert_eq!(parse("default").unwrap(), defaults());
        assert_eq!(
            parse(" users , roles ").unwrap(),
            ["roles", "users"].map(String::from).into()
        );
        let e = parse("users,userz").unwrap_err();
        assert!(e.contains("`userz`") && e.contains("organizations"), "{e}");
        assert!(help().contains("restrictions") && help().contains("default"));
    }
}
