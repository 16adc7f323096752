//! `hoard serve` as a real process on a free loopback port: started on a data dir, ready
//! once `/health` answers 200, stopped by PID (SIGKILL when dropped or crashed on purpose,
//! SIGTERM for a clean stop), and driven with curl.

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

/// A running `hoard serve`; SIGKILLed (by PID) when dropped, whether the test passed or
/// panicked.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The data dir it serves.
    pub data: PathBuf,
    /// The bearer token `call` and `json` send; none while empty.
    pub token: String,
    /// `--config`, when it was started with one.
    config: Option<PathBuf>,
    /// Its stderr: `DATA.PORT.log`.
    log: PathBuf,
    /// The program and arguments it runs under (strace, setpriv), empty for none.
    wrapper: Vec<String>,
    /// Environment variables set for it (after any of `HOARD_TEST_BACKEND`'s, so they win).
    env: Vec<(String, String)>,
}

impl Server {
    /// `hoard --data-dir DATA --bind 127.0.0.1:PORT serve`, run from DATA's parent.
    pub fn start(data: &Path) -> Self {
        Self::launch(data, None, String::new(), Vec::new(), Vec::new())
    }

    /// The same with `--config CONFIG`.
    pub fn start_with_config(data: &Path, config: &Path) -> Self {
        Self::launch(
            data,
            Some(config.to_owned()),
            String::new(),
            Vec::new(),
            Vec::new(),
        )
    }

    /// The same with environment variables `env` (e.g. its own object store's
    /// `HOARD_STORAGE_*`, which then outrank the ones `HOARD_TEST_BACKEND=s3` sets).
    pub fn start_with_env(data: &Path, env: &[(String, String)]) -> Self {
        Self::launch(data, None, String::new(), Vec::new(), env.to_vec())
    }

    /// The same run as `WRAPPER… hoard …` (e.g. under strace or setpriv), with `--config`
    /// when given. The child is then the wrapper's process, not hoard's.
    pub fn start_under(wrapper: &[&str], data: &Path, config: Option<&Path>) -> Self {
        let wrapper = wrapper.iter().map(|arg| arg.to_string()).collect();
        Self::launch(
            data,
            config.map(Path::to_owned),
            String::new(),
            wrapper,
            Vec::new(),
        )
    }

    /// A fresh data dir in a new temp dir, served, with a registered user `name` (the first
    /// account: an admin) whose token it sends.
    pub fn fresh(name: &str, password: &str) -> (TempDir, Self) {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Self::start(&dir.path().join("data"));
        server.sign_up(name, password);
        (dir, server)
    }

    fn launch(
        data: &Path,
        config: Option<PathBuf>,
        token: String,
        wrapper: Vec<String>,
        env: Vec<(String, String)>,
    ) -> Self {
        let port = free_port();
        let log = data.with_extension(format!("{port}.log"));
        let mut hoard = wrapped_command(&wrapper, data);
        hoard.envs(env.iter().map(|(key, value)| (key, value)));
        if let Some(config) = &config {
            hoard.arg("--config").arg(config);
        }
        let child = hoard
            .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
            .current_dir(data.parent().unwrap())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data: data.to_owned(),
            token,
            config,
            log,
            wrapper,
            env,
        };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while curl(&[&self.url("/health")]).0 != 200 {
            let exited = self.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "hoard did not become healthy ({exited:?}); its log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL by PID, as a crash would stop it: no drain, no clean-up.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGKILL, then a new server on the same data dir, config, token and environment.
    pub fn restart(&mut self) {
        self.kill9();
        let (data, config, token) = (self.data.clone(), self.config.clone(), self.token.clone());
        let (wrapper, env) = (self.wrapper.clone(), self.env.clone());
        *self = Self::launch(&data, config, token, wrapper, env);
    }

    /// Stops the server with SIGTERM; returns whether it exited successfully, and its log.
    pub fn stop(mut self) -> (bool, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        (status.success(), self.log_text())
    }

    /// What it has logged so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn auth(&self) -> String {
        format!("Authorization: Bearer {}", self.token)
    }

    /// A request with `extra` curl arguments (and the token, when there is one);
    /// (status, body).
    pub fn call(&self, path: &str, extra: &[&str]) -> (u16, Vec<u8>) {
        let (auth, url) = (self.auth(), self.url(path));
        let auth: &[&str] = if self.token.is_empty() {
            &[]
        } else {
            &["-H", auth.as_str()]
        };
        curl(&[auth, extra, &[url.as_str()]].concat())
    }

    /// `call`, its body as JSON (a JSON string of the text when it is not JSON).
    pub fn json(&self, path: &str, extra: &[&str]) -> (u16, Value) {
        let (status, body) = self.call(path, extra);
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        (status, value)
    }

    /// Registers `name` (email `NAME@example.com`); asserts 201 and returns the reply.
    pub fn register(&self, name: &str, password: &str) -> Value {
        let body =
            json!({"username": name, "email": format!("{name}@example.com"), "password": password});
        let url = self.url("/api/v1/auth/register");
        let json_type = "Content-Type: application/json";
        let (status, reply) = curl(&["-H", json_type, "-d", &body.to_string(), &url]);
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(status, 201, "{reply}");
        reply
    }

    /// Deletes file `id` and purges it from the trash; asserts both answer 204.
    pub fn delete_and_purge(&self, id: impl std::fmt::Display) {
        for path in [format!("/api/v1/files/{id}"), format!("/api/v1/trash/{id}")] {
            assert_eq!(self.call(&path, &["-X", "DELETE"]).0, 204, "DELETE {path}");
        }
    }

    /// Registers `name` and sends its access token from now on.
    pub fn sign_up(&mut self, name: &str, password: &str) {
        let reply = self.register(name, password);
        self.token = reply["tokens"]["access_token"].as_str().unwrap().to_owned();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// With `HOARD_TEST_BACKEND=s3` (the README's second run of the drive suites, SPEC §14),
/// points the server at the process's one SeaweedFS through the environment, under a key
/// prefix named after its data dir's parent (a fresh temp dir: unique, and the same when
/// the server restarts on that data).
pub fn on_backend_under_test(hoard: &mut Command, data: &Path) {
    if std::env::var("HOARD_TEST_BACKEND").map_or(true, |backend| backend != "s3") {
        return;
    }
    let seaweed = super::seaweed::Seaweed::shared();
    let parent = data.parent().and_then(Path::file_name).unwrap_or_default();
    let prefix = format!("{}-{}/", parent.to_string_lossy(), std::process::id());
    hoard.envs(seaweed.hoard_env(&prefix));
}

/// `hoard --data-dir DATA`, to add arguments to.
pub fn hoard_command(data: &Path) -> Command {
    let mut hoard = Command::new(env!("CARGO_BIN_EXE_hoard"));
    hoard.arg("--data-dir").arg(data);
    on_backend_under_test(&mut hoard, data);
    hoard
}

/// A loopback port nothing listens on (the OS picks it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `WRAPPER… hoard --data-dir DATA`; plain `hoard_command` without a wrapper.
fn wrapped_command(wrapper: &[String], data: &Path) -> Command {
    let Some((program, args)) = wrapper.split_first() else {
        return hoard_command(data);
    };
    let mut command = Command::new(program);
    command.args(args).arg(env!("CARGO_BIN_EXE_hoard"));
    command.arg("--data-dir").arg(data);
    on_backend_under_test(&mut command, data);
    command
}

/// Runs curl; returns (status, body), status 0 when no response came.
pub fn curl(args: &[&str]) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-sS", "-m", "120", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl is installed (apt-get install -y curl)");
    let split = out.stdout.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let status = String::from_utf8_lossy(&out.stdout[split..]).trim().parse();
    (status.unwrap_or(0), out.stdout[..split].to_vec())
}
