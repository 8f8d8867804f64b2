//! Reading tool arguments that a tool interprets itself (paging, search limits): one rule for every
//! tool, so a wrong type is always refused with the argument's name and never silently replaced.

use super::call::ToolError;
use serde_json::Value;

/// An optional integer argument. A JSON integer or a string holding one (some clients send every
/// value as a string) is accepted; anything else (`"ten"`, `2.5`, `true`) is refused.
pub fn integer(args: &Value, name: &str) -> Result<Option<i64>, ToolError> {
    let refuse =
        |v: &Value| ToolError::InvalidArguments(format!("`{name}` must be an integer, got {v}"));
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| refuse(v)),
        Some(v @ Value::String(s)) => s.trim().parse().map(Some).map_err(|_| refuse(v)),
        Some(v) => Err(refuse(v)),
    }
}

/// An optional integer argument kept inside `min..=max` (a page size above Clerk's maximum asks
/// for "as many as possible", which the clamp gives), with `default` when absent.
pub fn bounded(
    args: &Value,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ToolError> {
    Ok(integer(args, name)?.unwrap_or(default).clamp(min, max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_and_numeric_strings_pass_everything_else_is_named() {
        let a = json!({"a": 20, "b": "20", "c": " 7 ", "d": null});
        assert_eq!(integer(&a, "a").unwrap(), Some(20));
        assert_eq!(integer(&a, "b").unwrap(), Some(20));
        assert_eq!(integer(&a, "c").unwrap(), Some(7));
        assert_eq!(integer(&a, "d").unwrap(), None);
        assert_eq!(integer(&a, "missing").unwrap(), None);
        for bad in [
            json!("ten"),
            json!(2.5),
            json!(true),
            json!([1]),
            json!({"n": 1}),
        ] {
            let e = integer(&json!({"limit": bad}), "limit").unwrap_err();
            assert!(e.to_string().contains("`limit` must be an integer"), "{e}");
        }
        assert_eq!(
            bounded(&json!({"limit": 900}), "limit", 10, 1, 500).unwrap(),
            500
        );
        assert_eq!(bounded(&json!({}), "limit", 10, 1, 500).unwrap(), 10);
        assert_eq!(
            bounded(&json!({"offset": -3}), "offset", 0, 0, i64::MAX).unwrap(),
            0
        );
    }
}
