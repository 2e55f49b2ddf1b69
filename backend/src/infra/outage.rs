//! Whether a failure is an outage of a dependency, the database or the object store, rather
//! than a fault of ours. An outage answers 503 with `Retry-After`, so that clients and load
//! balancers retry; nothing was written half, because every write commits its row last.

use sea_orm::{DbErr, RuntimeErr, sqlx};

/// The dependency that is down, if some cause in `error`'s chain says one is.
pub fn dependency_down(error: &anyhow::Error) -> Option<&'static str> {
    error.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<DbErr>() {
            return database_unreachable(error).then_some("database");
        }
        if let Some(error) = cause.downcast_ref::<sqlx::Error>() {
            return sqlx_unreachable(error).then_some("database");
        }
        if let Some(error) = cause.downcast_ref::<object_store::Error>() {
            return store_unreachable(error).then_some("object store");
        }
        None
    })
}

/// Whether the pool ran out of connections and waited its whole acquire timeout for one.
pub fn pool_timed_out(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<DbErr>(),
            Some(DbErr::ConnectionAcquire(
                sea_orm::error::ConnAcquireErr::Timeout
            ))
        ) || matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::PoolTimedOut)
        )
    })
}

fn database_unreachable(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            sqlx_unreachable(error)
        }
        _ => false,
    }
}

fn sqlx_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception) and 57P (the server is shutting down,
        // restarting or not yet accepting connections).
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Any store failure but a missing object: those are the store not answering, refusing our
/// credentials, or running out of room, and none is a fault of the request.
fn store_unreachable(error: &object_store::Error) -> bool {
    !matches!(error, object_store::Error::NotFound { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_that_cannot_connect_is_an_outage_and_a_constraint_is_not() {
        let acquire = DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout);
        assert_eq!(dependency_down(&acquire.into()), Some("database"));
        let refused = DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(sqlx::Error::Io(
            std::io::ErrorKind::ConnectionRefused.into(),
        ))));
        let wrapped = anyhow::Error::from(refused).context("listing recordings");
        assert_eq!(dependency_down(&wrapped), Some("database"));
        let missing = DbErr::RecordNotFound("recording".into());
        assert_eq!(dependency_down(&missing.into()), None);
    }

    #[test]
    fn a_missing_object_is_ours_and_a_store_that_does_not_answer_is_an_outage() {
        let missing = object_store::Error::NotFound {
            path: "recordings/x".into(),
            source: "gone".into(),
        };
        assert_eq!(dependency_down(&missing.into()), None);
        let generic = object_store::Error::Generic {
            store: "S3",
            source: "connection refused".into(),
        };
        assert_eq!(dependency_down(&generic.into()), Some("object store"));
    }
}
