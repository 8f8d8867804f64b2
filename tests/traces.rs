//! OpenTelemetry traces: the real binary, started with the standard `OTEL_EXPORTER_OTLP_ENDPOINT`,
//! exports OTLP/HTTP protobuf to a receiver built here on the OpenTelemetry protobuf definitions
//! (`opentelemetry-proto`). One tool call gives a request span continuing the caller's
//! `traceparent`, a tool span under it and a Clerk attempt span under that, whose context reached
//! the fake Clerk as `traceparent`; a `traceparent` in `_meta` is continued too. Without the
//! variable nothing is sent to Clerk.

mod support;

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::fake_clerk::{FakeClerk, Fault, GOOD_KEY};
use support::server::{Client, Era, secrets, start, wait_for_listen_port};

/// Spans received, with the service name of their resource.
type Received = Arc<Mutex<Vec<(String, Span)>>>;

/// A minimal OTLP/HTTP receiver: `POST /v1/traces` with a protobuf `ExportTraceServiceRequest`.
async fn receiver() -> (String, Received, tokio::task::JoinHandle<()>) {
    let got: Received = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: Bytes| {
            let g = g.clone();
            async move {
                assert_eq!(headers["content-type"], "application/x-protobuf");
                let req = ExportTraceServiceRequest::decode(body).expect("an OTLP trace export");
                for rs in req.resource_spans {
                    let service = rs
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|a| a.key == "service.name")
                        .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                            Any::StringValue(s) => Some(s.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    for ss in rs.scope_spans {
                        for s in ss.spans {
                            g.lock().unwrap().push((service.clone(), s));
                        }
                    }
                }
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (url, got, task)
}

fn attr(s: &Span, key: &str) -> Option<String> {
    s.attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            Any::StringValue(v) => Some(v.clone()),
            Any::IntValue(v) => Some(v.to_string()),
            other => Some(format!("{other:?}")),
        }
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Waits until spans named `name` have arrived; returns all spans so far.
async fn until(got: &Received, pred: impl Fn(&[(String, Span)]) -> bool) -> Vec<(String, Span)> {
    for _ in 0..100 {
        let now = got.lock().unwrap().clone();
        if pred(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names: Vec<String> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, s)| s.name.clone())
        .collect();
    panic!("the expected spans did not arrive; got {names:?}");
}

struct Child(tokio::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_is_one_trace_from_the_caller_to_clerk() {
    let (otlp, got, _rx) = receiver().await;
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        .args(["--port", "0", "--clerk-api-url", &fake.url])
        .env_clear()
        .env("CLERK_SECRET_KEY", GOOD_KEY)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)
        .env("OTEL_SERVICE_NAME", "clerk-mcp-under-test")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let child = Child(child);
    let addr = wait_for_listen_port(child.0.id().unwrap()).await;
    let url = format!("http://{addr}/mcp");

    // The caller's trace, in the W3C header.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let mut c = Client::new(&url, Era::Modern)
        .header("traceparent", &format!("00-{trace}-{caller_span}-01"));
    c.ok("clerk_get_user", json!({"user_id": uid})).await;

    let spans = until(&got, |s| {
        s.iter().any(|(_, s)| s.name.starts_with("clerk "))
    })
    .await;
    let in_trace: Vec<&Span> = spans
        .iter()
        .filter(|(svc, s)| svc == "clerk-mcp-under-test" && hex(&s.trace_id) == trace)
        .map(|(_, s)| s)
        .collect();
    let find = |prefix: &str| {
        *in_trace
            .iter()
            .find(|s| s.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` span in the caller's trace: {in_trace:#?}"))
    };
    let request = find("POST /mcp");
    let tool = find("tools/call clerk_get_user");
    let clerk = find("clerk GetUser");
    assert_eq!(
        hex(&request.parent_span_id),
        caller_span,
        "the request continues the caller's span"
    );
    assert_eq!(
        tool.parent_span_id, request.span_id,
        "the tool call is under the request"
    );
    assert_eq!(
        clerk.parent_span_id, tool.span_id,
        "the Clerk attempt is under the tool call"
    );
    assert_eq!(
        attr(request, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(attr(tool, "outcome").as_deref(), Some("ok"));
    assert_eq!(
        attr(clerk, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(attr(clerk, "attempt").as_deref(), Some("1"));

    // Clerk got the attempt span's context.
    let sent = fake
        .last_request()
        .header("traceparent")
        .expect("traceparent sent to Clerk");
    assert_eq!(sent, format!("00-{trace}-{}-01", hex(&clerk.span_id)));

    // A Clerk error: the attempt span carries the status and Clerk's trace id.
    fake.push_fault(
        Fault::new(404, r#"{"errors":[{"message":"not found","long_message":"No user","code":"resource_not_found"}],"clerk_trace_id":"trace_for_support_42"}"#)
            .on("GET", "/v1/users/"),
    );
    c.err("clerk_get_user", json!({"user_id": "user_missing"}))
        .await;
    let spans = until(&got, |s| {
        s.iter()
            .any(|(_, s)| attr(s, "clerk_trace_id").as_deref() == Some("trace_for_support_42"))
    })
    .await;
    let failed = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| attr(s, "clerk_trace_id").is_some())
        .unwrap();
    assert_eq!(
        attr(failed, "http.response.status_code").as_deref(),
        Some("404")
    );
    assert_eq!(
        failed.status.as_ref().map(|s| s.code),
        Some(2),
        "status ERROR"
    );

    // A traceparent in `_meta` (a client that has no headers to put it in) is continued.
    let meta_trace = "0af7651916cd43dd8448eb211c80319c";
    let mut m = Client::new(&url, Era::Modern);
    let r = m
        .request(
            "tools/call",
            json!({"name": "clerk_get_user", "arguments": {"user_id": uid},
                   "_meta": {"traceparent": format!("00-{meta_trace}-b7ad6b7169203331-01")}}),
        )
        .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let spans = until(&got, |s| {
        s.iter()
            .any(|(_, s)| hex(&s.trace_id) == meta_trace && s.name.starts_with("clerk "))
    })
    .await;
    let tool = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| hex(&s.trace_id) == meta_trace && s.name.starts_with("tools/call"))
        .expect("the tool span joined the _meta trace");
    assert_eq!(hex(&tool.parent_span_id), "b7ad6b7169203331");

    // No span carries the key.
    for (_, s) in got.lock().unwrap().iter() {
        let text = format!("{s:?}");
        assert!(!text.contains(GOOD_KEY), "a span carries the key: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_endpoint_nothing_about_traces_reaches_clerk() {
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let srv = start(
        &["--clerk-api-url", &fake.url],
        secrets(Some(GOOD_KEY), None),
    )
    .await;
    let mut c = Client::new(&srv.url(), Era::Modern).header(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    );
    c.ok("clerk_get_user", json!({"user_id": uid})).await;
    assert_eq!(fake.last_request().header("traceparent"), None);
}
