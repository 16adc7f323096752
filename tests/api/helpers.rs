//! `TestApp`: a fresh Hoard (temp data dir, real SQLite file) driven in-process.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hoard::app::{self, AppState};
use hoard::config::Config;
use poem::http::{HeaderMap, Method, StatusCode};
use poem::test::TestClient;
use poem::{Endpoint, EndpointExt};
use serde_json::{json, Value};
use tempfile::TempDir;

/// A password that passes the strength policy.
pub const PASSWORD: &str = "correct horse battery staple";
pub const NEW_PASSWORD: &str = "tranquil otter meadow lantern";

type App = poem::endpoint::BoxEndpoint<'static, poem::Response>;

pub struct TestApp {
    pub dir: Arc<TempDir>,
    pub state: Arc<AppState>,
    client: TestClient<App>,
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The SPEC error `code` of this response.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts status and error code together, printing the body when they differ.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.code().as_str()),
            (status, code),
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
    }
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub username: String,
    pub access: String,
    pub refresh: String,
}

/// Whether this run of the suite keeps blobs in an object store: `HOARD_TEST_BACKEND=s3`
/// (the README's test command runs the suite once more that way, SPEC §14's matrix).
pub fn on_s3() -> bool {
    std::env::var("HOARD_TEST_BACKEND").is_ok_and(|backend| backend == "s3")
}

/// Points `config` at the backend under test: for S3, the process's one SeaweedFS, each app
/// under its own key prefix so that apps never see each other's objects.
fn on_backend_under_test(config: &mut Config) {
    if !on_s3() {
        return;
    }
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seaweed = crate::support::seaweed::Seaweed::shared();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let storage = &mut config.storage;
    storage.backend = hoard::config::Backend::S3;
    storage.s3_endpoint = seaweed.endpoint.clone();
    storage.s3_region = seaweed.region.clone();
    storage.s3_bucket = seaweed.bucket.clone();
    storage.s3_access_key_id = seaweed.access_key.clone();
    storage.s3_secret_access_key = seaweed.secret_key.clone();
    storage.s3_prefix = format!("app{}-{n}/", std::process::id());
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config(|_| {})
    }

    pub fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.storage.data_dir = dir.path().join("data");
        on_backend_under_test(&mut config);
        adjust(&mut config);
        let state = AppState::open(config).expect("app state");
        let client = TestClient::new(app::build(state.clone()).boxed());
        Self {
            dir: Arc::new(dir),
            state,
            client,
        }
    }

    /// A second app on the same data directory, as after a restart: no in-memory state
    /// carries over.
    pub fn reopen(other: &TestApp) -> Self {
        Self::reopen_with(other, |_| {})
    }

    /// [`TestApp::reopen`] with the configuration changed by `adjust`.
    pub fn reopen_with(other: &TestApp, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = other.state.config.clone();
        adjust(&mut config);
        let state = AppState::open(config).expect("app state");
        let client = TestClient::new(app::build(state.clone()).boxed());
        Self {
            dir: other.dir.clone(),
            state,
            client,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.state.data_dir.root.clone()
    }

    /// One registered cache's figures (src/service/cache/registry.rs), by its name.
    pub fn cache(&self, name: &str) -> hoard::service::cache::CacheReport {
        let reports = self.state.caches.registry().reports();
        let found = reports.into_iter().find(|(n, _)| *n == name);
        found.unwrap_or_else(|| panic!("no cache named {name}")).1
    }

    /// A separate connection to the app's database file, for assertions.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.state.data_dir.database()).expect("open db")
    }

    /// Sends a request; `body` is sent as JSON when present.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, path.to_owned());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request.body_json(&body);
        }
        read(request.send().await.0).await
    }

    /// Sends a request with full control over headers and raw body.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self.client.request(method, path.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.body(body).send().await.0).await
    }

    /// Sends a form as a standard client encodes it (poem's own multipart encoder).
    pub async fn send_form(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        form: poem::test::TestForm,
    ) -> Reply {
        let mut request = self.client.request(method, path.to_owned());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        read(request.multipart(form).send().await.0).await
    }

    /// The underlying client, for multipart and other special requests.
    pub fn client(&self) -> &TestClient<App> {
        &self.client
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::DELETE, path, token, None).await
    }

    /// Registers `username` (email `<username>@example.com`, password `PASSWORD`).
    pub async fn register(&self, username: &str) -> Session {
        let reply = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD}),
            )
            .await;
        reply.assert_status(201);
        session_from(&reply.json())
    }

    pub async fn login(&self, login: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"username": login, "password": password}),
        )
        .await
    }

    /// Logs in and returns the session, asserting success.
    pub async fn login_ok(&self, login: &str, password: &str) -> Session {
        let reply = self.login(login, password).await;
        reply.assert_status(200);
        session_from(&reply.json())
    }

    /// The first registered user is admin; this returns an admin session and a plain user.
    pub async fn admin_and_user(&self) -> (Session, Session) {
        let admin = self.register("admin").await;
        let user = self.register("alice").await;
        (admin, user)
    }

    /// The instance's JWT secret, for minting hostile tokens.
    pub fn jwt_secret(&self) -> Vec<u8> {
        std::fs::read_to_string(self.state.data_dir.jwt_secret())
            .expect("secret")
            .trim()
            .as_bytes()
            .to_vec()
    }
}

pub fn session_from(body: &Value) -> Session {
    Session {
        id: body["user"]["id"].as_i64().expect("user.id"),
        username: body["user"]["username"]
            .as_str()
            .expect("username")
            .to_owned(),
        access: body["tokens"]["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned(),
        refresh: body["tokens"]["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .to_owned(),
    }
}

async fn read(response: poem::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().into_vec().await.expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

/// Builds the app without a client, for tests that need the raw endpoint.
pub fn endpoint(state: Arc<AppState>) -> impl Endpoint<Output = poem::Response> {
    app::build(state)
}

/// `GET /users/me` with a bearer token.
pub async fn me(app: &TestApp, token: &str) -> Reply {
    app.get("/api/v1/users/me", Some(token)).await
}

/// `POST /auth/refresh` with a refresh token.
pub async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": token }),
    )
    .await
}

/// The (unverified) claims of a JWT, for assertions about what the server minted.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}
