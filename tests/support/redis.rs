//! A real `redis-server` (Debian's) for the shared-limit tests, on a Unix socket in a temporary
//! directory (no TCP port at all), stopped when dropped.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct RedisServer {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server with no persistence and waits until it answers PING.
    pub fn start() -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        let mut r = RedisServer { dir, child: None };
        r.resume();
        r
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// The URL clerk-mcp's `--redis-url` takes.
    pub fn url(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// Starts (again) on the same socket.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(self.socket())
            .args(["--unixsocketperm", "700", "--dir"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package `redis-server`; .ci/run installs it)");
        self.child = Some(child);
        for _ in 0..200 {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server does not answer on {}", self.url());
    }

    /// Stops the server (the socket goes away with it).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_file(self.socket());
    }

    /// Whether the server answers PING.
    pub fn ping(&self) -> bool {
        let Ok(mut s) = UnixStream::connect(self.socket()) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// Keys in the database (what clerk-mcp wrote), via the protocol's KEYS command.
    pub fn keys(&self) -> Vec<String> {
        let mut s = UnixStream::connect(self.socket()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        s.write_all(b"KEYS *\r\n").unwrap();
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        // The reply is small; read until the array is complete.
        loop {
            let n = s.read(&mut buf).unwrap();
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            let lines: Vec<&str> = text.split("\r\n").collect();
            if let Some(count) = lines.first().and_then(|l| l.strip_prefix('*')) {
                let count: usize = count.parse().unwrap_or(0);
                if lines.len() > 2 * count + 1 || n == 0 {
                    return lines
                        .iter()
                        .skip(1)
                        .filter(|l| !l.starts_with('$') && !l.is_empty())
                        .map(|l| l.to_string())
                        .collect();
                }
            }
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
