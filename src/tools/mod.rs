//! MCP tools. Each tool is a [`ToolDef`] carrying its own [`Handler`]; [`all`] assembles them into
//! the [`Registry`] (a leaf that names no tool), which applies the filters.
//!
//! - `toolsets`: the toolsets, each one typed value
//! - `registry`: the inventory; `filter`: the narrowing rules; `call`: what a call gets and gives
//! - `curated/`: the curated tools, one file per toolset; `api/`: the whole-API trio
//! - `args`, `text`: argument reading, description text (results are shaped in `crate::results`)
//!
//! Adding a kind of tool is one new module plus one line in [`all`].

pub mod api;
pub mod args;
pub mod call;
pub mod curated;
pub mod filter;
pub mod preview;
pub mod registry;
pub mod text;
pub mod toolsets;

pub use call::{Handler, Invocation, Outcome, ToolError};
pub use registry::{Filter, Registry, ToolDef};

/// Every tool the binary serves, in listing order. Every tool that can write takes `dry_run`.
pub fn all() -> Registry {
    let mut tools = curated::definitions();
    tools.extend(api::definitions());
    for t in tools.iter_mut().filter(|t| !t.read_only) {
        let mut schema = (*t.tool.input_schema).clone();
        if let Some(props) = schema
            .get_mut("properties")
            .and_then(serde_json::Value::as_object_mut)
        {
            // What it does is said once, in the server instructions.
            props.insert(
                preview::ARGUMENT.into(),
                serde_json::json!({"type": "boolean"}),
            );
        }
        t.tool.input_schema = std::sync::Arc::new(schema);
    }
    Registry::new(tools)
}

/// The README's toolset table (between `<!-- toolsets:start -->` and `<!-- toolsets:end -->`),
/// generated from the registry so it cannot go stale: a test compares the two.
pub fn readme_table(reg: &Registry) -> String {
    let defaults = toolsets::defaults();
    let default_count = reg
        .all()
        .iter()
        .filter(|t| defaults.contains(t.toolset.id))
        .count();
    let mut out = format!(
        "Default toolsets: {} ({default_count} tools); `--toolsets all` enables every one ({} tools).\n\n\
         | toolset | default | what for | tools (`clerk_…`) |\n|---|---|---|---|\n",
        toolsets::ALL
            .iter()
            .filter(|t| t.default)
            .map(|t| format!("`{}`", t.id))
            .collect::<Vec<_>>()
            .join(", "),
        reg.all().len()
    );
    for set in toolsets::ALL {
        let names: Vec<&str> = reg
            .all()
            .iter()
            .filter(|t| t.toolset.id == set.id)
            .map(|t| t.name().trim_start_matches("clerk_"))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            set.id,
            if set.default { "yes" } else { "" },
            set.description,
            names.join(" · ")
        ));
    }
    out
}
