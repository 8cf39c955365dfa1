//! The store: every SQL statement of the server lives here, behind typed functions, one module per family of tables
//! (requests and their history, the card's challenges, the job queue and its emails, the operators and their
//! journal, the national directory's extract). SQLite or PostgreSQL through sqlx's Any driver, with versioned
//! migrations run at connect; their differences are handled here, once: how a write transaction starts, how the
//! directory's rows are bulk-written.
//!
//! A function that takes a `&Store` runs on its own; one that takes a `&mut AnyConnection` runs inside the caller's
//! transaction (`Store::begin_write`), so that a state, its history and its jobs are written together or not at all.
pub mod accounts;
pub mod annuaire;
pub mod challenges;
pub mod factors;
pub mod jobs;
pub mod limits;
pub mod operators;
pub mod psc;
pub mod registrations;

use sqlx::{AnyPool, any::AnyPoolOptions};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A transaction that writes.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The connection pool and what kind of database it reaches.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// How the pool is sized and how long a request waits for a connection.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: std::time::Duration,
}

/// How long a request waits for a connection: well under the request's own limit (30 s), so that a database gone
/// away answers a French 503 with Retry-After in about two seconds instead of holding the client.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl Default for PoolSettings {
    fn default() -> PoolSettings {
        PoolSettings { max_connections: 8, acquire_timeout: ACQUIRE_TIMEOUT }
    }
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// Why a copy was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("la base est PostgreSQL : sauvegardez-la avec pg_dump (voir le README)")]
    NotSqlite,
    #[error("{0} existe déjà : choisissez un nouveau fichier")]
    Exists(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl NotReady {
    /// What a readiness check may tell anyone: the kind of failure, without the database's own message.
    pub fn public_reason(&self) -> String {
        match self {
            NotReady::Unreachable(_) => "base de données injoignable".into(),
            schema @ NotReady::Schema { .. } => schema.to_string(),
        }
    }
}

/// Why the store cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("base de données injoignable : {0}")]
    Unreachable(#[from] sqlx::Error),
    #[error("schéma de la base en retard : {applied} migrations appliquées sur {expected}")]
    Schema { applied: i64, expected: usize },
}

impl Store {
    /// Connects (creating a SQLite file's folder when needed) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Store, sqlx::Error> {
        Store::connect_with(url, PoolSettings::default()).await
    }

    pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<Store, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        if let Some(path) = url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p))
            && let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect(url)
            .await?;
        if backend == Backend::Sqlite {
            // Concurrent writers wait for each other instead of failing at once.
            sqlx::query("PRAGMA busy_timeout = 5000").execute(&pool).await?;
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        // Two processes started at once on one SQLite file may both find a migration missing; the one that loses the
        // race fails on what the other created, and runs again, finding it applied. (PostgreSQL's migrations take a
        // lock.)
        let mut attempt = 0;
        loop {
            match MIGRATOR.run(&pool).await {
                Ok(()) => return Ok(Store { pool, backend }),
                Err(e) if attempt < 5 => {
                    attempt += 1;
                    tracing::warn!(error = %e, attempt, "migration raced another process; running it again");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The pool, for the tests' own queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that writes. SQLite takes its write lock at the start (`BEGIN IMMEDIATE`), so that two of them
    /// wait for each other instead of one failing when both upgrade a read lock; PostgreSQL's row locks and the
    /// conditional updates do the rest.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Whether the database answers and every migration of this build is applied.
    pub async fn ready(&self) -> Result<(), NotReady> {
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await?;
        let expected = MIGRATOR.iter().count();
        if applied as usize != expected {
            return Err(NotReady::Schema { applied, expected });
        }
        Ok(())
    }

    /// An online copy of a SQLite database into `path` (a new file), consistent even while the server writes
    /// (SQLite's `VACUUM INTO`). PostgreSQL's copies are `pg_dump`'s (see the README).
    pub async fn backup(&self, path: &std::path::Path) -> Result<(), BackupError> {
        if self.backend != Backend::Sqlite {
            return Err(BackupError::NotSqlite);
        }
        if path.exists() {
            return Err(BackupError::Exists(path.display().to_string()));
        }
        sqlx::query("VACUUM INTO $1").bind(path.display().to_string()).execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool (tests that stop a server in-process).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A new row's id, as a database error when the system has no randomness to give.
fn new_id() -> Result<String, sqlx::Error> {
    crate::secret::new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))
}
