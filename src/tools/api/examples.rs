//! Example arguments for `clerk_api_describe`: a minimal `arguments` object for any operation that
//! passes validation (every required argument, with a value of the right type, enum, bound or pattern).

use crate::clerk::catalog::Operation;
use crate::codegen::schema::required_names;
use serde_json::{Map, Value, json};

/// A minimal arguments object for an operation that passes validation: every required argument, with
/// a value of the right type (the first enum value, the minimum, a string matching the pattern).
pub fn example_arguments(op: &Operation) -> Value {
    let mut args = example_value(&op.input_schema).unwrap_or_else(|| json!({}));
    // An optional array body left out is sent empty, which Clerk refuses; show one element instead.
    let body = &op.input_schema["properties"]["body"];
    if body.get("type") == Some(&json!("array"))
        && args.get("body").is_none()
        && let (Some(obj), Some(v)) = (args.as_object_mut(), example_value(body))
    {
        obj.insert("body".into(), v);
    }
    args
}

fn example_value(s: &Value) -> Option<Value> {
    if let Some(e) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(e.clone());
    }
    if let Some(d) = s.get("default") {
        return Some(d.clone());
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(first) = s.get(k).and_then(Value::as_array).and_then(|a| a.first()) {
            let mut merged = s.clone();
            if let Some(m) = merged.as_object_mut() {
                m.remove(k);
                for (fk, fv) in first.as_object().into_iter().flatten() {
                    match (m.get_mut(fk), fv) {
                        // Both the schema's and the alternative's required fields are required.
                        (Some(Value::Array(have)), Value::Array(more)) if fk == "required" => have
                            .extend(
                                more.iter()
                                    .filter(|x| !have.contains(x))
                                    .cloned()
                                    .collect::<Vec<_>>(),
                            ),
                        (None, _) => {
                            m.insert(fk.clone(), fv.clone());
                        }
                        _ => {}
                    }
                }
            }
            return example_value(&merged);
        }
    }
    let ty = s
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(if s.get("properties").is_some() {
            "object"
        } else {
            "string"
        });
    Some(match ty {
        "object" => {
            let props = s.get("properties").and_then(Value::as_object);
            let mut out = Map::new();
            for r in required_names(s) {
                let prop = props.and_then(|p| p.get(r));
                let v = named_example(r, prop)
                    .or_else(|| prop.and_then(example_value))
                    .unwrap_or(json!("example"));
                out.insert(r.to_string(), v);
            }
            Value::Object(out)
        }
        "array" => {
            let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = s
                .get("items")
                .and_then(example_value)
                .unwrap_or(json!("example"));
            Value::Array((0..min.max(1)).map(|_| item.clone()).collect())
        }
        "integer" => json!(
            s.get("minimum").and_then(Value::as_i64).unwrap_or(1).max(
                s.get("exclusiveMinimum")
                    .and_then(Value::as_i64)
                    .map(|m| m + 1)
                    .unwrap_or(i64::MIN)
            )
        ),
        "number" => json!(s.get("minimum").and_then(Value::as_f64).unwrap_or(1.0)),
        "boolean" => json!(false),
        _ => json!(example_string(s)),
    })
}

/// A realistic value for a plain string field whose name says what it holds (emails, URLs, phones).
fn named_example(name: &str, prop: Option<&Value>) -> Option<Value> {
    let p = prop?;
    let plain = p.get("type") == Some(&json!("string"))
        && p.get("enum").is_none()
        && p.get("pattern").is_none();
    if !plain {
        return None;
    }
    let n = name.to_ascii_lowercase();
    if n.ends_with("id") {
        None
    } else if n.contains("email") {
        Some(json!("user@example.com"))
    } else if n.ends_with("url") {
        Some(json!("https://example.com"))
    } else if n.contains("phone") {
        Some(json!("+15555550100"))
    } else {
        None
    }
}

fn example_string(s: &Value) -> String {
    match s.get("format").and_then(Value::as_str) {
        Some("email") => return "user@example.com".into(),
        Some("uri") => return "https://example.com".into(),
        Some("date-time") => return "2026-01-01T00:00:00Z".into(),
        _ => {}
    }
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = s
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|m| m as usize)
        .unwrap_or(usize::MAX);
    let pattern = s.get("pattern").and_then(Value::as_str);
    let regex = pattern.and_then(|p| regress::Regex::new(p).ok());
    let mut padded = "example".to_string();
    while padded.len() < min {
        padded.push('x');
    }
    let candidates = [
        pattern.and_then(string_for_pattern),
        Some("example".to_string()),
        Some(padded),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|c| {
            (min..=max).contains(&c.chars().count())
                && regex.as_ref().is_none_or(|r| r.find(c).is_some())
        })
        .unwrap_or_else(|| "example".into())
}

/// A string matching a simple regular expression (literals, `\w \d \S`, classes, groups with
/// alternatives, quantifiers), checked with the same regex engine the client validates with.
fn string_for_pattern(pattern: &str) -> Option<String> {
    fn atom(chars: &[char], i: &mut usize) -> Option<String> {
        let c = *chars.get(*i)?;
        *i += 1;
        Some(match c {
            '\\' => {
                let e = *chars.get(*i)?;
                *i += 1;
                match e {
                    'w' | 'S' => "a".into(),
                    'd' => "0".into(),
                    's' => " ".into(),
                    other => other.to_string(),
                }
            }
            '[' => {
                let negated = chars.get(*i) == Some(&'^');
                let start = *i + usize::from(negated);
                let end = start + chars[start..].iter().position(|&c| c == ']')?;
                *i = end + 1;
                if negated {
                    "a".into()
                } else {
                    chars[start].to_string()
                }
            }
            '(' => {
                let mut depth = 1;
                let start = *i;
                while depth > 0 {
                    match chars.get(*i)? {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    *i += 1;
                }
                let inner: String = chars[start..*i - 1].iter().collect();
                let first = inner.split('|').next().unwrap_or("");
                seq(&first.chars().collect::<Vec<_>>())?
            }
            '.' => "a".into(),
            other => other.to_string(),
        })
    }
    fn seq(chars: &[char]) -> Option<String> {
        let mut i = 0;
        let mut out = String::new();
        while i < chars.len() {
            let a = atom(chars, &mut i)?;
            let times = match chars.get(i) {
                Some('{') => {
                    let end = i + chars[i..].iter().position(|&c| c == '}')?;
                    let spec: String = chars[i + 1..end].iter().collect();
                    i = end + 1;
                    spec.split(',').next()?.trim().parse::<usize>().ok()?
                }
                Some('+') => {
                    i += 1;
                    1
                }
                Some('*') | Some('?') => {
                    i += 1;
                    0
                }
                _ => 1,
            };
            out.push_str(&a.repeat(times));
        }
        Some(out)
    }
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let body = body.strip_suffix('$').unwrap_or(body);
    let candidate = seq(&body.chars().collect::<Vec<_>>())?;
    let re = regress::Regex::new(pattern).ok()?;
    re.find(&candidate).is_some().then_some(candidate)
}
