//! What operators watch: logs on stderr, Prometheus metrics (`metrics`) and OpenTelemetry traces
//! (`traces`).

pub mod metrics;
pub mod traces;

use crate::config::LogFormat;

/// rmcp dumps whole JSON-RPC messages (tool arguments and results, which hold metadata and personal
/// data) at debug and trace level from this target; those events are dropped whatever the filter says.
const MESSAGE_DUMP_TARGET: &str = "rmcp::service";

/// Installs the process's log output and, when the environment asks for it, the trace exporter.
/// Call before the async runtime starts; keep the guard until the end of `main` (it flushes traces).
pub fn init(format: LogFormat, filter: &str) -> Result<traces::Guard, String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer, filter::filter_fn, fmt};
    let env = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let no_dumps = filter_fn(|m| {
        !(m.target().starts_with(MESSAGE_DUMP_TARGET) && *m.level() > tracing::Level::INFO)
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi);
    let layer = match format {
        LogFormat::Json => layer.json().flatten_event(true).boxed(),
        LogFormat::Text => layer.boxed(),
    };
    let (otel, guard) = traces::layer()?;
    tracing_subscriber::registry()
        .with(layer.with_filter(env).with_filter(no_dumps))
        .with(otel)
        .init();
    Ok(guard)
}
