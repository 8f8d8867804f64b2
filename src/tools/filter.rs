//! A set of narrowing rules (`--toolsets`, `--tools`, `--exclude-tools`, `--read-only`, and the
//! `X-MCP-*` request headers), and how it judges one Clerk operation. How it judges a whole tool is
//! in `registry.rs`, beside the tools. A leaf.

use std::collections::BTreeSet;

/// A set of narrowing rules; `None` means "no restriction from this rule".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Enabled toolsets.
    pub toolsets: Option<BTreeSet<String>>,
    /// Tools allowed by name.
    pub allow: Option<BTreeSet<String>>,
    /// Tools, operationIds or tags denied.
    pub deny: BTreeSet<String>,
    /// Only read-only tools and operations.
    pub read_only: bool,
}

impl Filter {
    /// The deny entry that matches an operation by operationId or tag (case-insensitive).
    pub(super) fn denying(&self, operation_id: &str, tags: &[String]) -> Option<&String> {
        self.deny.iter().find(|d| {
            d.eq_ignore_ascii_case(operation_id) || tags.iter().any(|t| t.eq_ignore_ascii_case(d))
        })
    }

    /// Whether an API operation (for `clerk_api_call` / `clerk_api_search`) passes the deny list and
    /// read-only rule. Deny entries match operationIds and tags, case-insensitively.
    pub fn admits_operation(
        &self,
        operation_id: &str,
        tags: &[String],
        read_only: bool,
    ) -> Result<(), String> {
        if let Some(d) = self.denying(operation_id, tags) {
            return Err(format!("`{d}` is on the deny list"));
        }
        if self.read_only && !read_only {
            return Err("it changes data and read-only mode is on".into());
        }
        Ok(())
    }
}
