//! The tool inventory: every tool with its toolset and annotations, and the one place where the
//! filters are applied, always in the same order: toolsets (`--toolsets`, default set or `all`), then
//! the allow list (`--tools`), then the deny list (`--exclude-tools`), then read-only (`--read-only`).
//!
//! Per-request headers form a second [`Filter`] that is intersected with the server's, so a request can
//! only ever narrow what the server allows. A leaf: each tool brings its own [`Handler`]; the
//! inventory names none (`tools::all()` assembles them).

use super::call::Handler;
pub use super::filter::Filter;
use super::toolsets::{self, Toolset};
use crate::clerk::catalog::Operation;
use rmcp::model::{Tool, ToolAnnotations};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// One tool: its MCP definition, what the filters need to know, and what calling it does.
#[derive(Clone)]
pub struct ToolDef {
    /// The MCP definition returned by `tools/list`.
    pub tool: Tool,
    /// Its toolset.
    pub toolset: &'static Toolset,
    /// Whether it only reads (listed and callable under `--read-only`).
    pub read_only: bool,
    /// Whether it enforces read-only per Clerk operation itself (`clerk_api_call`): then read-only mode
    /// keeps it, and only its GET operations run.
    pub gates_operations: bool,
    /// The Clerk operations it performs (curated tools), so that excluding an operationId or a tag
    /// excludes every tool that would perform it. Empty for tools that check each operation
    /// themselves (`clerk_api_call`) or call none.
    pub operations: Vec<&'static Operation>,
    /// What calling it does.
    pub handler: Arc<dyn Handler>,
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef")
            .field("name", &self.tool.name)
            .field("toolset", &self.toolset.id)
            .finish_non_exhaustive()
    }
}

impl ToolDef {
    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.tool.name
    }

    /// The definition as listed under `filters`. A tool that gates its operations
    /// (`clerk_api_call`) can only read under read-only mode, so it is then annotated as reading
    /// and clients need not ask for an approval that nothing requires.
    pub fn listed(&self, filters: &[&Filter]) -> Tool {
        let mut t = self.tool.clone();
        if self.gates_operations && filters.iter().any(|f| f.read_only) {
            t.annotations = Some(annotations("GET", None));
        }
        t
    }
}

/// Annotations derived from the HTTP method: GET reads; PUT/PATCH/DELETE are idempotent; DELETE is
/// destructive. `destructive` overrides the method's default (bans, locks, revokes are destructive).
///
/// The title is not repeated here (the tool's own `title` is what clients show), a read-only tool
/// carries no destructive/idempotent hints (the spec gives them meaning only for tools that write),
/// and hints equal to the spec's defaults are left out.
/// Every token counts, since clients send the tool list with every model request.
pub fn annotations(method: &str, destructive: Option<bool>) -> ToolAnnotations {
    // Every tool acts on one Clerk instance, a closed domain, not the open web.
    let ann = ToolAnnotations::new().open_world(false);
    if matches!(method, "GET" | "HEAD") {
        return ann.read_only(true);
    }
    // Hints at their defaults (readOnly false, idempotent false) are left out; destructive defaults
    // to true in the spec, so it is always stated.
    let ann = ann.destructive(destructive.unwrap_or(method == "DELETE"));
    if matches!(method, "PUT" | "PATCH" | "DELETE") {
        ann.idempotent(true)
    } else {
        ann
    }
}

/// Builds an MCP tool definition.
pub fn tool(
    name: &'static str,
    title: &str,
    description: String,
    input: Value,
    output: Value,
    ann: ToolAnnotations,
) -> Tool {
    let obj = |v: Value| match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(serde_json::Map::new()),
    };
    Tool::new(name, description, obj(input))
        .with_title(title)
        .with_raw_output_schema(obj(output))
        .with_annotations(ann)
}

/// How a filter judges a whole tool (its operations are judged in `filter.rs`).
impl Filter {
    /// Whether a tool passes, in the fixed order toolsets → allow → deny → read-only.
    pub fn admits(&self, t: &ToolDef) -> bool {
        self.refusal(t, "").is_none()
    }

    /// Why a tool does not pass, for a refusal a user can act on.
    pub fn refusal(&self, t: &ToolDef, source: &str) -> Option<String> {
        if self
            .toolsets
            .as_ref()
            .is_some_and(|s| !s.contains(t.toolset.id))
        {
            return Some(format!(
                "its toolset `{}` is not enabled {source}",
                t.toolset.id
            ));
        }
        if self.allow.as_ref().is_some_and(|a| !a.contains(t.name())) {
            return Some(format!("it is not in the allowed tools {source}"));
        }
        if self.deny.contains(t.name()) {
            return Some(format!("it is excluded {source}"));
        }
        for op in &t.operations {
            if let Some(d) = self.denying(&op.operation_id, &op.tags) {
                return Some(format!(
                    "it performs operation {} and `{d}` is excluded {source}",
                    op.operation_id
                ));
            }
        }
        if self.read_only && !t.read_only && !t.gates_operations {
            return Some(format!("it changes data and read-only mode is on {source}"));
        }
        None
    }
}

/// Every tool the binary knows, in listing order.
#[derive(Debug)]
pub struct Registry {
    tools: Vec<ToolDef>,
}

impl Registry {
    /// An inventory of `tools`, ordered by toolset (declaration order kept inside a toolset).
    pub fn new(mut tools: Vec<ToolDef>) -> Registry {
        tools.sort_by_key(|t| toolsets::position(t.toolset));
        Registry { tools }
    }

    /// Every tool, in listing order.
    pub fn all(&self) -> &[ToolDef] {
        &self.tools
    }

    /// A tool by name, whatever the filters.
    pub fn get(&self, name: &str) -> Option<&ToolDef> {
        self.tools.iter().find(|t| t.name() == name)
    }

    /// Tools passing every filter given, in listing order.
    pub fn visible<'a>(
        &'a self,
        filters: &'a [&'a Filter],
    ) -> impl Iterator<Item = &'a ToolDef> + 'a {
        self.tools
            .iter()
            .filter(move |t| filters.iter().all(|f| f.admits(t)))
    }

    /// Checks names given in configuration, so a typo fails at startup with the valid names.
    pub fn validate_names(
        &self,
        what: &str,
        names: &BTreeSet<String>,
        also_ok: impl Fn(&str) -> bool,
    ) -> Result<(), String> {
        let unknown: Vec<&String> = names
            .iter()
            .filter(|n| self.get(n).is_none() && !also_ok(n))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let valid: Vec<&str> = self.tools.iter().map(ToolDef::name).collect();
        Err(format!(
            "unknown tool name(s) in {what}: {}. Valid tools: {}",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            valid.join(", ")
        ))
    }
}

/// Splits a comma-separated list into a set.
pub fn parse_list(raw: &str) -> BTreeSet<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}
