//! The container image (Dockerfile, scripts/image), built from this test build's binary with buildah.
//! Containers cannot be started on the CI machines, so the image is mounted (`buildah from` + `mount`)
//! and its entrypoint run with `chroot` as the image's user, with the image's environment: it must
//! find its libraries, the CA bundle and `localhost` inside the image alone, answer `/api/health`
//! and a public-mode tool call against the fake Clerk, run as uid 65532, start with the image's own
//! settings, and still refuse hosted mode on 0.0.0.0 without an access token.
//!
//! Needs root and buildah (Debian package `buildah`; .ci/run installs it). The image, the working
//! container and its mount are removed whatever happens.

mod support;

use serde_json::{Value, json};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use support::fake_clerk::{FakeClerk, GOOD_KEY};
use support::server::{Client, Era};
use tokio::io::{AsyncBufReadExt, BufReader};

const USER: &str = "65532:65532";

fn buildah(args: &[&str]) -> std::process::Output {
    std::process::Command::new("buildah")
        .args(args)
        .output()
        .expect("buildah (Debian package `buildah`; .ci/run installs it)")
}

/// `buildah args…` that must succeed; returns its trimmed stdout.
fn buildah_ok(args: &[&str]) -> String {
    let out = buildah(args);
    assert!(
        out.status.success(),
        "buildah {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The built image and, once mounted, its working container; all removed on drop (also on panic).
struct Image {
    tag: String,
    container: Option<String>,
}

impl Image {
    /// `scripts/image --tag <unique> --binary <this test build's clerk-mcp>`.
    async fn build() -> Image {
        let tag = format!(
            "localhost/clerk-mcp-image-test:{}-{}",
            std::process::id(),
            fastrand::u32(..)
        );
        let image = Image {
            tag,
            container: None,
        };
        let out =
            tokio::process::Command::new(format!("{}/scripts/image", env!("CARGO_MANIFEST_DIR")))
                .args([
                    "--tag",
                    &image.tag,
                    "--binary",
                    env!("CARGO_BIN_EXE_clerk-mcp"),
                ])
                .output()
                .await
                .unwrap();
        assert!(
            out.status.success(),
            "scripts/image failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains(&format!("built {}", image.tag)), "{said}");
        image
    }

    /// The image configuration (`OCIv1.config`: User, Env, Entrypoint, ExposedPorts, Labels).
    fn config(&self) -> Value {
        let inspect: Value =
            serde_json::from_str(&buildah_ok(&["inspect", "--type", "image", &self.tag])).unwrap();
        inspect["OCIv1"]["config"].clone()
    }

    /// A working container from the image, mounted; returns the mount point (its root file system).
    fn mount(&mut self) -> PathBuf {
        let name = format!("clerk-mcp-image-test-{}", fastrand::u32(..));
        let ctr = buildah_ok(&["from", "--pull=never", "--name", &name, &self.tag]);
        self.container = Some(ctr.clone());
        PathBuf::from(buildah_ok(&["mount", &ctr]))
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        if let Some(ctr) = self.container.take() {
            // A server killed a moment ago may still hold the mount busy: retry for a few seconds.
            for _ in 0..50 {
                let _ = buildah(&["umount", &ctr]);
                if buildah(&["rm", &ctr]).status.success() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = buildah(&["rmi", "--force", &self.tag]);
    }
}

/// The `KEY=value` pairs of the image's `Env`.
fn image_env(config: &Value) -> Vec<(String, String)> {
    config["Env"]
        .as_array()
        .expect("the image has an Env")
        .iter()
        .map(|e| {
            let (k, v) = e.as_str().unwrap().split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn env_value<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The image's entrypoint under `chroot` as the image's user, with only the image's environment plus
/// `overrides`; `netns` runs it in a network namespace of its own (for anything that may bind 0.0.0.0).
fn entrypoint(
    root: &Path,
    config: &Value,
    overrides: &[(&str, &str)],
    args: &[&str],
    netns: bool,
) -> tokio::process::Command {
    let user = config["User"].as_str().unwrap();
    let entry: Vec<&str> = config["Entrypoint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut cmd = if netns {
        let mut c = tokio::process::Command::new("unshare");
        c.args(["--net", "chroot"]);
        c
    } else {
        tokio::process::Command::new("chroot")
    };
    cmd.arg(format!("--userspec={user}"))
        .arg(root)
        .args(entry)
        .args(args)
        .env_clear()
        // Only to find unshare/chroot on the host; the image sets its own PATH too.
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .envs(image_env(config))
        .envs(overrides.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Reads the server's stderr into `log` until its listening line and returns the address in it
/// (`127.0.0.1:41234`); the rest of stderr keeps going into `log`.
async fn listening(
    child: &mut tokio::process::Child,
    log: std::sync::Arc<std::sync::Mutex<String>>,
) -> String {
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let mut l = log.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
            if let Some(i) = line.find("listening on http://") {
                let rest = &line[i + "listening on http://".len()..];
                return Some(rest.split("/mcp").next().unwrap().to_string());
            }
        }
        None
    })
    .await
    .unwrap_or_else(|_| panic!("no listening line in 20 s:\n{}", log.lock().unwrap()));
    let addr = addr.unwrap_or_else(|| {
        panic!(
            "the server exited before listening:\n{}",
            log.lock().unwrap()
        )
    });
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut l = log.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    addr
}

/// The whole of `a` and `b` are the same bytes (the image carries exactly the binary it was given).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (ma, mb) = (std::fs::metadata(a).unwrap(), std::fs::metadata(b).unwrap());
    if ma.len() != mb.len() {
        return false;
    }
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        if n == 0 {
            return true;
        }
        fb.read_exact(&mut bb[..n]).unwrap();
        if ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// Every path in the tree under `root`, relative to it, as `/a/b`.
fn tree(root: &Path) -> Vec<String> {
    let mut out = vec![];
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            out.push(format!("/{}", p.strip_prefix(root).unwrap().display()));
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                todo.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_serves_as_nonroot_with_only_what_it_carries() {
    // SAFETY: geteuid(2) has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the image test mounts an image and chroots into it: run it as root (CI does)"
    );
    let mut image = Image::build().await;

    // The configuration: nonroot, the binary as entrypoint, listening on every interface of the
    // container at the port it exposes.
    let config = image.config();
    assert_eq!(config["User"], json!(USER), "{config}");
    assert_eq!(config["Entrypoint"], json!(["/clerk-mcp"]), "{config}");
    let env = image_env(&config);
    assert_eq!(env_value(&env, "HOST"), Some("0.0.0.0"), "{config}");
    let port = env_value(&env, "PORT").expect("the image sets PORT");
    assert!(
        config["ExposedPorts"].get(format!("{port}/tcp")).is_some(),
        "PORT={port} is not exposed: {config}"
    );
    assert_eq!(
        config["Labels"]["org.opencontainers.image.version"],
        json!(env!("CARGO_PKG_VERSION"))
    );
    assert!(
        env_value(&env, "CLERK_SECRET_KEY").is_none()
            && env_value(&env, "MCP_AUTH_TOKEN").is_none(),
        "no secret baked into the image: {config}"
    );

    // The file system: the binary it was given, its libraries, the CA bundle, a few /etc files, and
    // no shell or anything else to run.
    let root = image.mount();
    let files = tree(&root);
    assert!(
        same_file(
            &root.join("clerk-mcp"),
            Path::new(env!("CARGO_BIN_EXE_clerk-mcp"))
        ),
        "/clerk-mcp is not the binary scripts/image was given"
    );
    for absent in ["/bin", "/usr", "/sbin"] {
        assert!(
            !files.iter().any(|f| f == absent),
            "{absent} in the image: {files:#?}"
        );
    }
    for f in &files {
        let name = f.rsplit('/').next().unwrap();
        assert!(
            !["sh", "bash", "dash", "busybox"].contains(&name),
            "{f} in the image"
        );
    }
    for needed in [
        "/lib64/ld-linux-x86-64.so.2",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/passwd",
        "/etc/group",
        "/etc/nsswitch.conf",
        "/etc/hosts",
    ] {
        assert!(
            files.iter().any(|f| f == needed),
            "{needed} missing: {files:#?}"
        );
    }
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert!(passwd.contains("nonroot:x:65532:65532:"), "{passwd}");
    let tmp = std::fs::metadata(root.join("tmp")).unwrap();
    assert_eq!(
        tmp.permissions().mode() & 0o7777,
        0o1777,
        "/tmp is writable by all, sticky"
    );
    let home = std::fs::metadata(root.join("home/nonroot")).unwrap();
    assert_eq!((home.uid(), home.gid()), (65532, 65532));

    // The entrypoint as the image runs it, on 127.0.0.1 and a free port here, against the fake Clerk
    // reached as `localhost` (resolved from the image's own /etc/hosts).
    let fake = FakeClerk::start().await;
    let uid = fake.seed_user("Ada", "Lovelace", "ada@example.com");
    let api = format!("http://localhost:{}/v1", fake.addr.port());
    let mut server = entrypoint(
        &root,
        &config,
        &[
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("RUST_LOG", "info,rustls_platform_verifier=debug"),
        ],
        &["--clerk-api-url", &api],
        false,
    )
    .spawn()
    .expect("chroot (coreutils)");
    let pid = server.id().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let addr = listening(&mut server, log.clone()).await;
    {
        // rustls read the image's CA bundle (without one the server does not start at all).
        let l = log.lock().unwrap();
        let loaded = l
            .lines()
            .find_map(|line| {
                let rest = &line[line.find("Loaded ")? + "Loaded ".len()..];
                rest.split_whitespace().next()?.parse::<u32>().ok()
            })
            .unwrap_or_else(|| panic!("no `Loaded N CA root certificates` line:\n{l}"));
        assert!(loaded >= 50, "only {loaded} CA certificates loaded:\n{l}");
        assert!(l.contains("mode=\"public\""), "{l}");
    }

    // It runs as the image's user, not root.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(field("Uid:"), ["65532"; 4], "{status}");
    assert_eq!(field("Gid:"), ["65532"; 4], "{status}");
    assert!(field("Groups:").iter().all(|g| *g == "65532"), "{status}");
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/root")).unwrap(),
        std::fs::canonicalize(&root).unwrap(),
        "chrooted into the image"
    );

    // Health, and a public-mode tool call with the request's own key.
    clerk_mcp::clerk::install_crypto_provider();
    let health = reqwest::get(format!("http://{addr}/api/health"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["mode"], json!("public"), "{health}");
    assert_eq!(
        health["version"],
        json!(env!("CARGO_PKG_VERSION")),
        "{health}"
    );
    let mut c = Client::new(&format!("http://{addr}/mcp"), Era::Modern)
        .header("X-Clerk-Secret-Key", GOOD_KEY);
    let u = c.ok("clerk_get_user", json!({"user_id": uid})).await;
    assert_eq!(u["id"], json!(uid), "{u}");
    assert_eq!(u["first_name"], json!("Ada"), "{u}");
    assert_eq!(u["email"], json!("ada@example.com"), "{u}");
    let seen = fake.last_request();
    assert_eq!(seen.path, format!("/v1/users/{uid}"));
    assert_eq!(
        seen.header("authorization").as_deref(),
        Some(format!("Bearer {GOOD_KEY}").as_str())
    );
    assert_eq!(
        seen.header("host").as_deref(),
        Some(format!("localhost:{}", fake.addr.port()).as_str()),
        "the API URL named localhost"
    );
    server.kill().await.unwrap();

    // With nothing but the image's own settings (HOST=0.0.0.0, its PORT, no key) it starts in public
    // mode; in a network namespace of its own, so nothing listens on this machine's interfaces.
    let mut default = entrypoint(&root, &config, &[], &[], true).spawn().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let bound = listening(&mut default, log.clone()).await;
    assert_eq!(bound, format!("0.0.0.0:{port}"), "{}", log.lock().unwrap());
    assert!(log.lock().unwrap().contains("mode=\"public\""));
    default.kill().await.unwrap();

    // Hosted mode on the image's 0.0.0.0 without an access token is still refused.
    let refused = tokio::time::timeout(
        Duration::from_secs(20),
        entrypoint(
            &root,
            &config,
            &[("CLERK_SECRET_KEY", GOOD_KEY), ("PORT", "0")],
            &[],
            true,
        )
        .output(),
    )
    .await
    .expect("the refusal is immediate")
    .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refusing to start"), "{stderr}");
    assert!(stderr.contains("MCP_AUTH_TOKEN"), "{stderr}");
    assert!(!stderr.contains(GOOD_KEY), "the key is never printed");
}
