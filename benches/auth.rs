//! Token verification on every request: HS256 JWT decode, and `Auth::authenticate` with its
//! revocation checks (blacklist, session liveness, user) against warm and cold caches, plus
//! personal API tokens.
//!
//!     cargo bench --bench auth            (add `-- --quick` for a short run)

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hoard::app::AppState;
use hoard::config::Config;
use hoard::secret::ServerSecret;
use hoard::service::accounts::NewAccount;
use hoard::service::auth::ClientInfo;
use hoard::service::tokens::{Claims, TokenCodec, TokenType, ISSUER};

use common::{or_die, runtime};

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let dir = or_die(tempfile::tempdir(), "temp dir");
    let mut config = Config::default();
    config.storage.data_dir = dir.path().join("data");
    let state = or_die(AppState::open(config), "open state");
    let client = ClientInfo {
        ip: "127.0.0.1".into(),
        user_agent: "bench".into(),
    };
    let account = NewAccount {
        username: "bench".into(),
        email: "bench@example.com".into(),
        password: "correct horse battery staple".into(),
        password_confirm: None,
        display_name: None,
        admin: false,
        storage_quota: None,
    };
    let (_, tokens) = or_die(
        rt.block_on(state.auth.register(account, &client)),
        "register",
    );
    let access = tokens.access_token;
    let principal = or_die(
        rt.block_on(state.auth.authenticate(&access)),
        "authenticate",
    );
    let (_, pat) = or_die(
        rt.block_on(state.accounts.create_api_token(&principal, "bench", None)),
        "api token",
    );

    let mut group = c.benchmark_group("auth");
    // The JWT alone: signature, issuer, expiry, claims decode.
    let codec = TokenCodec::new(&ServerSecret::new([7u8; 32]));
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: "1".into(),
        jti: "abcdefghijklmnopqrstuv".into(),
        iat: now,
        exp: now + 3600,
        typ: TokenType::Access,
        iss: ISSUER.into(),
        sid: 1,
    };
    let token = or_die(codec.sign(&claims), "sign");
    group.bench_function("jwt_verify_hs256", |b| {
        b.iter(|| codec.verify(black_box(&token), TokenType::Access))
    });
    // What every request pays: JWT + blacklist + session + user, caches warm.
    group.bench_function("authenticate_access_warm", |b| {
        b.iter(|| rt.block_on(state.auth.authenticate(black_box(&access))))
    });
    // Same with all caches flushed first: three SQLite lookups on the blocking pool.
    group.bench_function("authenticate_access_cold", |b| {
        b.iter(|| {
            state.caches.flush();
            rt.block_on(state.auth.authenticate(black_box(&access)))
        })
    });
    // Personal API token (sha256 of the secret, then cached record + user).
    group.bench_function("authenticate_api_token_warm", |b| {
        b.iter(|| rt.block_on(state.auth.authenticate(black_box(&pat))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
