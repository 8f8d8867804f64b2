//! Finding operations for `clerk_api_search`: a weighted word index over each operation's id,
//! summary, tags, path and description, built once; and the closest ids to a misspelled one.

use crate::clerk::catalog::{self, Operation};
use crate::tools::filter::Filter;
use heck::ToSnakeCase;

/// Words of an identifier or text: `getM2MTokens` → get, m2m, tokens; `/users/{user_id}` → users, user, id.
pub fn words(s: &str) -> Vec<String> {
    s.to_snake_case()
        .split('_')
        .filter(|w| !w.is_empty())
        .map(stem)
        .collect()
}

/// A light stem so "users"/"user", "tokens"/"token", "revoked"/"revoke" meet.
fn stem(w: &str) -> String {
    let w = w.to_lowercase();
    for suffix in ["ies", "es", "s", "ed", "ing"] {
        if let Some(base) = w.strip_suffix(suffix)
            && base.len() >= 3
        {
            return if suffix == "ies" {
                format!("{base}y")
            } else {
                base.to_string()
            };
        }
    }
    w
}

/// Query words that say nothing about which operation is meant.
const STOP: [&str; 16] = [
    "a", "an", "the", "to", "of", "for", "in", "on", "by", "and", "or", "with", "all", "my", "me",
    "clerk",
];

/// Synonyms users type for Clerk's own words.
const SYNONYMS: [(&str, &str); 10] = [
    ("remove", "delete"),
    ("add", "create"),
    ("new", "create"),
    ("edit", "update"),
    ("change", "update"),
    ("fetch", "get"),
    ("show", "get"),
    ("find", "list"),
    ("org", "organization"),
    ("machine", "m2m"),
];

/// The words of one operation's searchable fields, with each field's weight.
struct Indexed {
    fields: [(Vec<String>, u32); 5],
}

/// Word lists for every operation, built once (search runs on every `clerk_api_search` call).
static INDEX: std::sync::LazyLock<Vec<Indexed>> = std::sync::LazyLock::new(|| {
    catalog::all()
        .iter()
        .map(|op| Indexed {
            fields: [
                (words(&op.operation_id), 6),
                (words(&op.summary), 4),
                (op.tags.iter().flat_map(|t| words(t)).collect(), 3),
                (words(&op.path), 2),
                (words(&op.description), 1),
            ],
        })
        .collect()
});

/// Scores an operation for a query; higher is better; 0 means no word matched.
fn score(op: &Operation, idx: &Indexed, query_words: &[String]) -> u32 {
    let mut total = 0;
    let mut matched = 0;
    for q in query_words {
        let best = idx
            .fields
            .iter()
            .filter(|(ws, _)| {
                ws.iter()
                    .any(|w| w == q || (q.len() >= 4 && w.starts_with(q.as_str())))
            })
            .map(|(_, weight)| *weight)
            .max()
            .unwrap_or(0);
        if best > 0 {
            matched += 1;
        }
        total += best;
    }
    if matched == 0 {
        return 0;
    }
    // Matching every word beats matching one word strongly; deprecated operations sink.
    let all = if matched == query_words.len() { 10 } else { 0 };
    (total * 10 + all * 10).saturating_sub(if op.deprecated { 25 } else { 0 })
}

/// Normalised query words, with synonyms mapped to Clerk's words.
pub fn query_words(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(query) {
        if STOP.contains(&w.as_str()) {
            continue;
        }
        let w = SYNONYMS
            .iter()
            .find(|(from, _)| *from == w)
            .map(|(_, to)| stem(to))
            .unwrap_or(w);
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// The operations a search may show under the filters, best first.
pub fn search<'a>(
    query: &str,
    tag: Option<&str>,
    limit: usize,
    filters: &[&Filter],
) -> Vec<&'a Operation> {
    let qw = query_words(query);
    let mut scored: Vec<(u32, &Operation)> = catalog::all()
        .iter()
        .zip(INDEX.iter())
        .filter(|(op, _)| tag.is_none_or(|t| op.tags.iter().any(|x| x.eq_ignore_ascii_case(t))))
        .filter(|(op, _)| {
            filters.iter().all(|f| {
                f.admits_operation(&op.operation_id, &op.tags, op.is_read_only())
                    .is_ok()
            })
        })
        .map(|(op, idx)| (score(op, idx, &qw), op))
        .filter(|(s, _)| *s > 0 || qw.is_empty())
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.path.len().cmp(&b.1.path.len()))
            .then(a.1.operation_id.cmp(&b.1.operation_id))
    });
    scored.into_iter().take(limit).map(|(_, op)| op).collect()
}

/// Closest operation ids to a misspelled one, by edit distance.
pub fn closest(operation_id: &str, n: usize) -> Vec<String> {
    let lower = operation_id.to_lowercase();
    let mut scored: Vec<(usize, &str)> = catalog::all()
        .iter()
        .map(|op| {
            (
                strsim::levenshtein(&lower, &op.operation_id.to_lowercase()),
                op.operation_id.as_str(),
            )
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, id)| id.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_identifiers_paths_and_text() {
        assert_eq!(words("getM2MTokens"), ["get", "m2m", "token"]);
        assert_eq!(words("/users/{user_id}"), ["user", "user", "id"]);
        assert_eq!(words("Revoked API keys"), ["revok", "api", "key"]);
        assert_eq!(query_words("remove the org"), ["delete", "organization"]);
    }

    #[test]
    fn misspelled_ids_find_the_real_one() {
        assert_eq!(closest("GetUsr", 1), ["GetUser"]);
        assert!(closest("deleteuser", 3).contains(&"DeleteUser".to_string()));
    }
}
