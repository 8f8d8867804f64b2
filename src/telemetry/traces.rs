//! OpenTelemetry traces over OTLP, on when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_BSP_*` are read by the SDK as everywhere else.
//!
//! Three spans: one per HTTP request (`mcp.request`, continuing an incoming W3C `traceparent`), one
//! per tool call (`tools/call <tool>`, continuing a `traceparent` in the request's `_meta` when the
//! client put one there), one per attempt at Clerk (`clerk <operationId>`, with the status and
//! Clerk's trace id), whose context goes to Clerk as `traceparent`. They are `debug` spans under
//! this crate's target: with tracing off, the log filter turns them off at their call sites; with
//! it on, only these spans reach the exporter (no events, so no log line or message body).

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::{Map, Value};
use std::sync::OnceLock;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The target of the spans exported.
pub const TARGET: &str = "clerk_mcp::trace";

/// Whether export is on (set once at start), so that headers are neither read nor written when
/// it is off.
static ENABLED: OnceLock<bool> = OnceLock::new();

/// Whether spans are exported.
pub fn enabled() -> bool {
    ENABLED.get().copied().unwrap_or(false)
}

/// Flushes and stops the exporter when dropped (at the end of `main`, outside the runtime).
pub struct Guard(Option<SdkTracerProvider>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("clerk-mcp: traces could not all be exported at shutdown: {e}");
        }
    }
}

/// The environment asks for traces: an OTLP endpoint, and the SDK not turned off.
fn wanted() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    let off = std::env::var("OTEL_SDK_DISABLED")
        .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|v| v.trim() == "none");
    !off && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The tracing layer that exports spans, when the environment asks for it. Call before the async
/// runtime starts (the exporter's HTTP client has its own thread).
pub fn layer<S>() -> Result<(Option<impl Layer<S>>, Guard), String>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    if !wanted() {
        let _ = ENABLED.set(false);
        return Ok((None, Guard(None)));
    }
    crate::clerk::install_crypto_provider();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| format!("cannot set up the OTLP trace exporter: {e}"))?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(env!("CARGO_PKG_NAME"));
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let _ = ENABLED.set(true);
    let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
    let only_ours = tracing_subscriber::filter::filter_fn(|m| m.is_span() && m.target() == TARGET);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(only_ours);
    Ok((Some(layer), Guard(Some(provider))))
}

/// Continues the trace of an incoming `traceparent` header in `span`.
pub fn continue_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    if !enabled() || !headers.contains_key("traceparent") {
        return;
    }
    let cx = TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers));
    let _ = span.set_parent(cx);
}

/// `_meta` of an MCP request as a carrier (`traceparent`, `tracestate`).
struct MetaExtractor<'a>(&'a Map<String, Value>);

impl Extractor for MetaExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// Continues the trace of a `traceparent` in an MCP request's `_meta` in `span`; `false` when there
/// is none.
pub fn continue_from_meta(span: &tracing::Span, meta: &Map<String, Value>) -> bool {
    if !enabled() || !meta.contains_key("traceparent") {
        return false;
    }
    let cx = TraceContextPropagator::new().extract(&MetaExtractor(meta));
    let _ = span.set_parent(cx);
    true
}

/// Writes `span`'s context into `headers` as `traceparent`, for the request to Clerk.
pub fn inject(span: &tracing::Span, headers: &mut http::HeaderMap) {
    if !enabled() {
        return;
    }
    TraceContextPropagator::new().inject_context(
        &span.context(),
        &mut opentelemetry_http::HeaderInjector(headers),
    );
}
