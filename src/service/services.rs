//! The services of one running instance, built once at start-up from the configuration:
//! the data directory, the database, the blob store and every service over them.

use std::sync::Arc;

use super::accounts::Accounts;
use super::auth::Auth;
use super::cache::Caches;
use super::drive::Drive;
use super::health::Health;
use super::links::LinkSigner;
use super::locks::Locks;
use super::mfa::Mfa;
use super::oidc::{Oidc, OidcError};
use super::shares::Shares;
use super::tokens::TokenCodec;
use super::uploads::Uploads;
use crate::config::{Backend, Config, ConfigError};
use crate::db::{Db, DbError};
use crate::store::data_dir::DataDir;
use crate::store::s3::{S3Blobs, S3Error, S3Settings};
use crate::store::BlobStore;

/// Everything a request may need, built once at start-up.
pub struct Services {
    pub config: Config,
    pub db: Db,
    pub data_dir: DataDir,
    pub caches: Arc<Caches>,
    pub accounts: Arc<Accounts>,
    pub auth: Arc<Auth>,
    pub drive: Arc<Drive>,
    pub links: Arc<LinkSigner>,
    pub locks: Arc<Locks>,
    pub mfa: Arc<Mfa>,
    pub uploads: Arc<Uploads>,
    pub shares: Arc<Shares>,
    pub oidc: Arc<Oidc>,
    pub health: Arc<Health>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("data directory: {0}")]
    DataDir(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("single sign-on: {0}")]
    Oidc(#[from] OidcError),
    #[error("object store: {0}")]
    ObjectStore(#[from] S3Error),
    /// The object store answered, and refused: a configuration error (exit 2).
    #[error("{0}")]
    ObjectStoreConfig(String),
}

impl Services {
    /// Before serving: an object store that refuses the credentials or has no such bucket
    /// is a configuration error naming the keys; one that does not answer is only logged,
    /// since requests answer 503 until it is back and the server recovers by itself.
    pub async fn preflight(&self) -> Result<(), StartupError> {
        let Some(objects) = self.drive.store().objects() else {
            return Ok(());
        };
        match objects.ping().await {
            Ok(()) => Ok(()),
            Err(S3Error::Denied(why)) => Err(StartupError::ObjectStoreConfig(format!(
                "storage.s3_access_key_id / storage.s3_secret_access_key: the object store refused them ({why})"
            ))),
            Err(S3Error::NotFound) => Err(StartupError::ObjectStoreConfig(format!(
                "storage.s3_bucket: the object store has no bucket {:?}",
                self.config.storage.s3_bucket
            ))),
            Err(error) => {
                tracing::warn!(%error, "the object store does not answer; serving, with 503 for file bytes until it does");
                Ok(())
            }
        }
    }

    /// Creates the data directory, opens and migrates the database, loads the JWT secret.
    pub fn open(config: Config) -> Result<Arc<Self>, StartupError> {
        let data_dir = DataDir::open(&config.storage.data_dir)?;
        let db = Db::open(&data_dir.database())?;
        let secret = data_dir.load_or_create_secret(&config.auth.jwt_secret)?;
        let links = Arc::new(LinkSigner::new(&secret));
        let caches = Arc::new(Caches::default());
        let objects = match config.storage.backend {
            Backend::S3 => Some(Arc::new(S3Blobs::open(&S3Settings::of(&config.storage))?)),
            Backend::Local => None,
        };
        let mut store = BlobStore::new(data_dir.blobs(), data_dir.tmp(), data_dir.thumbs());
        if let Some(objects) = &objects {
            store = store.with_objects(objects.clone());
        }
        let store = Arc::new(store);
        let max_upload = Some(config.limits.max_upload_bytes).filter(|max| *max > 0);
        let drive = Arc::new(
            Drive::new(
                db.clone(),
                store,
                max_upload,
                config.storage.trash_days,
                caches.registry(),
            )
            .with_versions(config.versions),
        );
        let accounts = Arc::new(Accounts::new(db.clone(), caches.clone(), drive.clone()));
        let uploads = Arc::new(Uploads::new(
            db.clone(),
            drive.clone(),
            data_dir.uploads(),
            config.storage.upload_expiry_s,
        ));
        let shares = Arc::new(Shares::new(
            db.clone(),
            drive.clone(),
            accounts.passwords().clone(),
            &secret,
            &config.auth,
        ));
        let auth = Arc::new(Auth::new(
            db.clone(),
            caches.clone(),
            TokenCodec::new(&secret),
            accounts.clone(),
            &config.auth,
        ));
        let mfa = Arc::new(Mfa::new(
            db.clone(),
            auth.clone(),
            accounts.passwords().clone(),
            &secret,
        ));
        let oidc = Arc::new(Oidc::new(
            db.clone(),
            auth.clone(),
            caches.clone(),
            &config.auth.oidc,
        )?);
        let health = Arc::new(Health::new(db.clone(), data_dir.clone(), objects));
        let locks = Arc::new(Locks::new(db.clone()));
        Ok(Arc::new(Self {
            config,
            db,
            data_dir,
            caches,
            accounts,
            auth,
            drive,
            links,
            locks,
            mfa,
            uploads,
            shares,
            oidc,
            health,
        }))
    }
}
