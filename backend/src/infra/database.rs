//! The metadata database: SQLite by default, PostgreSQL at scale. Opened and migrated at start.

use std::time::Duration;

use callvault_migrations::Migrator;
use callvault_migrations::MigratorTrait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::infra::config::{Config, ConfigError, DATABASE_URL, redact_url};

/// Connections per instance. Requests hold one only between awaits of their own queries, so a
/// few dozen serve hundreds of concurrent requests; PostgreSQL's default 100 leaves room for
/// several instances.
const MAX_CONNECTIONS: u32 = 24;
/// How long a SQLite writer waits for the write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The configured database, its data directory made first (where SQLite keeps its file).
pub async fn open_configured(config: &Config) -> Result<DatabaseConnection, ConfigError> {
    crate::infra::config::ensure_writable(&config.data_dir)?;
    open(&config.database_url).await
}

/// Connects, tunes SQLite for concurrent readers, and applies pending migrations.
pub async fn open(url: &str) -> Result<DatabaseConnection, ConfigError> {
    let unusable = |what: &str, error: &dyn std::fmt::Display| {
        ConfigError::new(DATABASE_URL, format!("{what} {}: {error}", redact_url(url)))
    };
    let options = connect_options(url);
    let db = Database::connect(options)
        .await
        .map_err(|error| unusable("cannot connect to", &error))?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while one writer commits; the setting persists in the file.
        db.execute_unprepared("PRAGMA journal_mode = WAL")
            .await
            .map_err(|error| unusable("cannot use", &error))?;
    }
    Migrator::up(&db, None)
        .await
        .map_err(|error| unusable("cannot migrate", &error))?;
    Ok(db)
}

/// How this instance connects to `url`.
pub fn connect_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    // While the database is down a request waits this long for a connection, then answers
    // 503 (`crate::infra::outage`): long enough to ride out a busy pool, short enough that clients
    // and load balancers hear of an outage quickly. Connections are tested before use, so
    // after an outage the pool replaces the dead ones by itself. A SQLite file has no outage
    // to report; there a connection is busy only while its writer waits its turn (below), and
    // a request waits for one as long as a writer may wait.
    let acquire_timeout = if url.starts_with("sqlite:") {
        SQLITE_BUSY_TIMEOUT
    } else {
        Duration::from_secs(3)
    };
    options
        .max_connections(MAX_CONNECTIONS)
        .connect_timeout(Duration::from_secs(2))
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(true)
        .sqlx_logging(false)
        // A writer waits its turn for SQLite's one write lock rather than fail with "database
        // is locked" after sqlx's 5 s: under a flood of sign-ins (or on a starved CPU) the
        // queue of short write transactions can take longer than that, and a 500 would lose
        // the request.
        .map_sqlx_sqlite_opts(|options| options.busy_timeout(SQLITE_BUSY_TIMEOUT));
    options
}

/// Whether the database answers, for `/readyz`.
pub async fn is_reachable(db: &DatabaseConnection) -> bool {
    tokio::time::timeout(Duration::from_secs(2), db.ping())
        .await
        .is_ok_and(|ping| ping.is_ok())
}

/// A transaction that is going to write. On SQLite it takes the write lock at its start
/// (`BEGIN IMMEDIATE`, waiting its turn behind the busy timeout): a deferred transaction that
/// reads first and writes later fails at once with "database is locked" when another
/// connection committed in between, which concurrent requests make likely. On PostgreSQL it
/// is a plain transaction; inside another transaction, a savepoint.
pub async fn begin_write<C: TransactionTrait + ?Sized>(
    db: &C,
) -> Result<C::Transaction, sea_orm::DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Whether `error` is a unique constraint refusing a row: a name or an id taken, or a race
/// that another request won.
pub fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// This instance's connections: in use, idle, and the most the pool opens.
pub struct PoolCensus {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

pub fn pool_census(db: &DatabaseConnection) -> Option<PoolCensus> {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return None,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    Some(PoolCensus {
        in_use: size - idle,
        idle,
        max: MAX_CONNECTIONS,
    })
}
