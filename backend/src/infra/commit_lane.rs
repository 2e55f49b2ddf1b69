//! The commit lane: a runtime of its own, on a thread of its own, for the short transactions
//! that hold a tenant's audit chain lock on the request path (an upload's row and record, a
//! playback's record) and for the access epoch's poller.
//!
//! A transaction holds the chain lock (PostgreSQL's row lock, SQLite's write lock) from its
//! first write to its commit, several round trips. Run on an HTTP worker, each round trip's
//! answer waits its turn behind every other request that worker serves: under load, tens of
//! milliseconds per round trip, so the lock was held for a hundred or more and every writer of
//! the tenant queued behind it (the load benchmark: 14 uploads a second and seeks waiting
//! seconds for their playback's record). On the lane a round trip's answer is taken up at
//! once, so the lock is held only as long as the database needs.
//!
//! On PostgreSQL the lane has its own few connections, opened on its runtime, because a
//! connection's socket is served by the runtime that opened it. SQLite's connections are
//! threads of their own that any runtime can wait on, so there the lane shares the pool.

use std::sync::Arc;

use sea_orm::{Database, DatabaseConnection, DbBackend, DbErr};
use tokio::runtime::{Handle, Runtime};

use crate::infra::{database, statement_count};

/// PostgreSQL connections of the lane. Its transactions are short and few run at once.
const LANE_CONNECTIONS: u32 = 4;

#[derive(Clone)]
pub struct CommitLane {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    /// `None`: the work runs where it is awaited (a command-line tool, which has no workers).
    runtime: Option<Runtime>,
}

impl CommitLane {
    /// A lane of its own beside `db`, which was opened from `url`.
    pub async fn start(
        db: &DatabaseConnection,
        url: &str,
        count_statements: bool,
    ) -> Result<Self, DbErr> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("commit-lane")
            .enable_all()
            .build()
            .map_err(|error| DbErr::Custom(format!("cannot start the commit lane: {error}")))?;
        let db = match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut options = database::connect_options(url);
                options.max_connections(LANE_CONNECTIONS).min_connections(0);
                let mut lane_db = runtime
                    .spawn(Database::connect(options))
                    .await
                    .map_err(|error| DbErr::Custom(error.to_string()))??;
                if count_statements {
                    statement_count::install(&mut lane_db);
                }
                lane_db
            }
            _ => db.clone(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                runtime: Some(runtime),
            }),
        })
    }

    /// A lane that runs its work where it is awaited, on `db`.
    pub fn in_place(db: DatabaseConnection) -> Self {
        Self {
            inner: Arc::new(Inner { db, runtime: None }),
        }
    }

    /// The connections the lane's work uses.
    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// Runs `work` on the lane and waits for it. It runs to its end even if the caller stops
    /// waiting, so a commit it began is never cut off half way. Its statements count as the
    /// caller's (`Server-Timing`).
    pub async fn run<T, E>(
        &self,
        work: impl Future<Output = Result<T, E>> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbErr> + Send + 'static,
    {
        let Some(handle) = self.handle() else {
            return work.await;
        };
        match handle.spawn(statement_count::counting(work)).await {
            Ok((done, statements)) => {
                statement_count::add(statements);
                done
            }
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(DbErr::Custom(format!("the commit lane stopped: {error}")).into()),
        }
    }

    /// Starts `work` on the lane, for as long as the lane runs.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        match self.handle() {
            Some(handle) => drop(handle.spawn(work)),
            None => drop(tokio::spawn(work)),
        }
    }

    fn handle(&self) -> Option<&Handle> {
        self.inner.runtime.as_ref().map(Runtime::handle)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropped from async code when an application stops; waiting there would block it.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
