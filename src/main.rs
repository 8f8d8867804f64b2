//! The `clerk-mcp` command line: `serve` (default), `stdio`, `tools`, `api list`, `spec diff|pin`.

use clap::{Parser, Subcommand};
use clerk_mcp::config::{Config, FilterArgs, Secrets, ServeArgs};
use clerk_mcp::{clerk, codegen, server, tools};
use std::process::ExitCode;

/// Model Context Protocol server for the Clerk Backend API.
///
/// Public mode (no CLERK_SECRET_KEY): every request brings its key in X-Clerk-Secret-Key.
/// Hosted mode (CLERK_SECRET_KEY set, from the environment or ./.env): the server's key is used.
/// Secrets are read from the environment only: CLERK_SECRET_KEY, MCP_AUTH_TOKEN.
#[derive(Parser, Debug)]
#[command(name = "clerk-mcp", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve MCP over streamable HTTP at /mcp, with /api/health (the default).
    Serve(ServeArgs),
    /// Serve MCP over stdin/stdout for clients that launch a local process; key from CLERK_SECRET_KEY.
    Stdio(ServeArgs),
    /// Print the tool list as JSON, exactly as tools/list returns it under the same flags.
    Tools(FilterArgs),
    /// The Clerk operations the client was generated for.
    Api {
        #[command(subcommand)]
        command: ApiCommand,
    },
    /// Compare and pin Clerk OpenAPI spec files (see the README's spec update workflow).
    Spec {
        #[command(subcommand)]
        command: SpecCommand,
    },
}

#[derive(Subcommand, Debug)]
enum ApiCommand {
    /// One operation per line: operationId, method, path.
    List {
        /// Print the whole catalog (with input schemas) as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum SpecCommand {
    /// Report what changed between two spec files: operations, parameters, body fields, affected tools.
    Diff {
        /// The current spec (e.g. the vendored one in openapi/).
        old: std::path::PathBuf,
        /// The candidate spec.
        new: std::path::PathBuf,
    },
    /// Print the openapi/PIN contents for a spec file.
    Pin {
        /// The spec file (its name is what openapi/PIN records).
        file: std::path::PathBuf,
        /// Where it came from.
        #[arg(long, default_value = "https://github.com/clerk/openapi-specs")]
        source: String,
    },
}

fn read(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        None => serve(cli.serve, false).await,
        Some(Command::Serve(a)) => serve(a, false).await,
        Some(Command::Stdio(a)) => serve(a, true).await,
        Some(Command::Tools(f)) => {
            let reg = tools::all();
            let filter = f.to_filter(&reg)?;
            let filters = [&filter];
            let tools: Vec<_> = reg.visible(&filters).map(|t| t.listed(&filters)).collect();
            print_out(
                &serde_json::to_string_pretty(&serde_json::json!({ "tools": tools }))
                    .map_err(|e| e.to_string())?,
            )
        }
        Some(Command::Api {
            command: ApiCommand::List { json },
        }) => {
            if json {
                print_out(
                    &serde_json::to_string_pretty(clerk::catalog::all())
                        .map_err(|e| e.to_string())?,
                )
            } else {
                let lines: String = clerk::catalog::all()
                    .iter()
                    .map(|op| format!("{}\t{}\t{}\n", op.operation_id, op.method, op.path))
                    .collect();
                print_out(lines.trim_end())
            }
        }
        Some(Command::Spec {
            command: SpecCommand::Diff { old, new },
        }) => {
            let (a, b) = (
                codegen::parse_spec(&read(&old)?)?,
                codegen::parse_spec(&read(&new)?)?,
            );
            let curated: Vec<(&str, &str)> =
                tools::curated::all().map(|c| (c.name, c.op)).collect();
            print_out(codegen::diff::diff(&a, &b, &curated).render().trim_end())
        }
        Some(Command::Spec {
            command: SpecCommand::Pin { file, source },
        }) => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let doc = codegen::parse_spec(std::str::from_utf8(&bytes).map_err(|e| e.to_string())?)?;
            let pin = codegen::pin::Pin {
                file: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                api_version: doc
                    .pointer("/info/version")
                    .and_then(|v| v.as_str())
                    .ok_or("the spec has no info.version")?
                    .to_string(),
                sha256: codegen::pin::sha256_hex(&bytes),
                source,
            };
            print_out(pin.render().trim_end())
        }
    }
}

/// Writes a command's output and a newline to stdout. A reader that closed the pipe early
/// (`clerk-mcp api list | head -1`) has all it wanted: that ends the command quietly, as it does for
/// other Unix tools, instead of panicking like `println!`.
fn print_out(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

async fn serve(args: ServeArgs, stdio: bool) -> Result<(), String> {
    let reg = tools::all();
    let config = Config::build(&args, &Secrets::from_env(), &reg, stdio)?;
    let state = server::AppState::new(config, reg)?;
    if stdio {
        tracing::info!(
            mode = "stdio",
            api_url = state.api.base_url(),
            key = state.config.server_key.is_some(),
            "clerk-mcp serving on stdio"
        );
        return server::serve_stdio(state).await;
    }
    // logrotate moves the audit log away and sends SIGHUP: reopen it.
    #[cfg(unix)]
    if state.audit.is_some() {
        let st = state.clone();
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    if let Some(a) = &st.audit {
                        a.reopen();
                    }
                }
            });
        }
    }
    let running = server::http::start(state).await?;
    let shutdown = running.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received; finishing in-flight requests");
        shutdown.cancel();
    });
    running
        .task
        .await
        .map_err(|e| format!("server task failed: {e}"))??;
    tracing::info!("clerk-mcp stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn main() -> ExitCode {
    // A .env in the working directory fills in variables the environment does not already set.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // Logs and traces are set up before the runtime: the trace exporter's HTTP client has its own
    // thread, and its guard flushes after the runtime is gone.
    let serving = match &cli.command {
        None => Some(&cli.serve),
        Some(Command::Serve(a) | Command::Stdio(a)) => Some(a),
        _ => None,
    };
    let _telemetry = match serving.map(|a| clerk_mcp::telemetry::init(a.log_format, &a.log_level)) {
        Some(Err(e)) => {
            eprintln!("clerk-mcp: {e}");
            return ExitCode::from(2);
        }
        other => other.map(Result::ok),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clerk-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = rt.block_on(run(cli));
    // In-flight work (and its spans) ends with the runtime, before the guard flushes.
    drop(rt);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clerk-mcp: {e}");
            ExitCode::from(2)
        }
    }
}
