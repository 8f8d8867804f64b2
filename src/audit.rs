//! The audit log: one JSON line per tool call that writes (and, with `--audit-reads`, per read),
//! written and flushed before the result is returned, so a record exists of who did what.
//!
//! A line carries the time, the request id, the principal (OAuth subject and client, a static token's
//! position, or a public-mode key's fingerprint — never a key or token), the client address, the
//! tool, the Clerk operations with method and path template, the target ids, the arguments with
//! secrets and private metadata masked, the outcome, Clerk's trace id and the duration.
//!
//! If the sink cannot be written, writes are refused (reads go on) and `/api/health` reports
//! `degraded`: an action that cannot be recorded does not happen. SIGHUP reopens the file, for
//! logrotate.

use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where audit lines go.
enum Sink {
    Stderr,
    File(std::fs::File),
}

/// The audit log.
pub struct Audit {
    path: Option<PathBuf>,
    sink: Mutex<Option<Sink>>,
    /// Also record reads.
    pub reads: bool,
    failed: AtomicBool,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit")
            .field("path", &self.path)
            .field("reads", &self.reads)
            .field("failed", &self.failed)
            .finish()
    }
}

fn open(path: &PathBuf) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

impl Audit {
    /// An audit log at `target` (`-` for stderr). A file that cannot be opened is an error at start.
    pub fn new(target: &str, reads: bool) -> Result<Audit, String> {
        let (path, sink) = if target == "-" {
            (None, Sink::Stderr)
        } else {
            let p = PathBuf::from(target);
            let f = open(&p).map_err(|e| format!("--audit-log {target}: {e}"))?;
            (Some(p), Sink::File(f))
        };
        Ok(Audit {
            path,
            sink: Mutex::new(Some(sink)),
            reads,
            failed: AtomicBool::new(false),
        })
    }

    /// Whether the last write succeeded (writes are refused otherwise).
    pub fn healthy(&self) -> bool {
        !self.failed.load(Ordering::Relaxed)
    }

    /// Writes one line and flushes it; on failure the log is marked unhealthy.
    pub fn record(&self, entry: &Value) -> Result<(), String> {
        let mut line = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
        line.push(b'\n');
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        let result = match sink.as_mut() {
            Some(Sink::Stderr) => {
                let mut e = std::io::stderr().lock();
                e.write_all(&line).and_then(|()| e.flush())
            }
            Some(Sink::File(f)) => f.write_all(&line).and_then(|()| f.flush()),
            None => Err(std::io::Error::other("the audit log is not open")),
        };
        match result {
            Ok(()) => {
                self.failed.store(false, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                self.failed.store(true, Ordering::Relaxed);
                crate::telemetry::metrics::audit_write_failure();
                tracing::error!(error = %e, "audit log write failed; writes are refused until it works");
                Err(format!("the audit log cannot be written ({e})"))
            }
        }
    }

    /// Reopens the file (after logrotate moved it). A failure marks the log unhealthy.
    pub fn reopen(&self) {
        let Some(path) = &self.path else { return };
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        match open(path) {
            Ok(f) => {
                *sink = Some(Sink::File(f));
                self.failed.store(false, Ordering::Relaxed);
                tracing::info!("audit log reopened");
            }
            Err(e) => {
                *sink = None;
                self.failed.store(true, Ordering::Relaxed);
                tracing::error!(error = %e, "audit log could not be reopened");
            }
        }
    }

    /// Tests only: make the next writes fail, as a full disk would.
    #[doc(hidden)]
    pub fn break_for_test(&self) {
        *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// Argument names whose values are secrets or private data, masked at any depth.
const MASKED: [&str; 14] = [
    "password",
    "password_digest",
    "secret",
    "client_secret",
    "secret_key",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "totp_secret",
    "backup_codes",
    "signing_key",
    "code",
    "private_metadata",
];

/// The arguments as the audit log shows them: secrets and private metadata masked.
pub fn masked(args: &Value) -> Value {
    match args {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let masked_key = MASKED.contains(&k.as_str()) || k.ends_with("_secret");
                    let v = if masked_key && !v.is_null() {
                        json!("[masked]")
                    } else {
                        masked(v)
                    };
                    (k.clone(), v)
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(masked).collect()),
        other => other.clone(),
    }
}

/// The ids an action targets: every argument ending in `_id` (top level and in `arguments` of
/// `clerk_api_call`), as given.
pub fn targets(args: &Value) -> Value {
    let mut out = Map::new();
    for scope in [Some(args), args.get("arguments")].into_iter().flatten() {
        if let Some(o) = scope.as_object() {
            for (k, v) in o {
                if (k.ends_with("_id") || k == "slug") && k != "operation_id" && v.is_string() {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_private_metadata_are_masked_at_any_depth() {
        let a = json!({"user_id": "user_1", "body": {"password": "hunter2", "first_name": "Ada",
            "private_metadata": {"ssn": 1}, "public_metadata": {"plan": "pro"},
            "nested": [{"client_secret": "cs"}, {"api_key": null}]}});
        let m = masked(&a);
        let text = m.to_string();
        assert!(!text.contains("hunter2") && !text.contains("ssn") && !text.contains("\"cs\""));
        assert_eq!(m["body"]["first_name"], json!("Ada"));
        assert_eq!(m["body"]["public_metadata"], json!({"plan": "pro"}));
        assert_eq!(m["body"]["nested"][1]["api_key"], Value::Null);
        assert_eq!(
            targets(
                &json!({"user_id": "u", "operation_id": "X", "arguments": {"organization_id": "o"}})
            ),
            json!({"user_id": "u", "organization_id": "o"})
        );
    }

    #[test]
    fn lines_are_written_flushed_and_a_broken_sink_is_reported() {
        let dir = tempfile_dir();
        let path = dir.join("audit.jsonl");
        let a = Audit::new(path.to_str().unwrap(), false).unwrap();
        a.record(&json!({"n": 1})).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":1}\n");
        a.break_for_test();
        assert!(a.record(&json!({"n": 2})).is_err());
        assert!(!a.healthy());
        // logrotate: the file moves away, SIGHUP reopens a new one.
        std::fs::rename(&path, dir.join("audit.jsonl.1")).unwrap();
        a.reopen();
        assert!(a.healthy());
        a.record(&json!({"n": 3})).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":3}\n");
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("clerk-mcp-audit-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
