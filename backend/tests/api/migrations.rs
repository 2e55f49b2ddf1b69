//! A first start killed while it applies the schema, at the beginning and at the end of every
//! migration: the next start comes up whole, with every migration applied once and recorded.
//! (Before each migration was one transaction on SQLite, a kill here left tables or columns
//! that the next start tried to create again, and the data directory never started again.)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use callvault_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::helpers::{ROOT_PASSWORD, TestDatabase, start_process, storage_url, write_web_app};

#[tokio::test]
async fn a_first_start_killed_during_any_migration_starts_whole_the_next_time() {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    for name in &names {
        for moment in [
            format!("Applying migration '{name}'"),
            format!("Migration '{name}' has been applied"),
        ] {
            let data_dir = tempfile::tempdir().expect("temporary directory");
            let database = TestDatabase::create(data_dir.path()).await;
            let storage = storage_url(data_dir.path());
            write_web_app(&data_dir.path().join("web"));
            kill_when_logged(data_dir.path(), &database.url, &storage, &moment);

            let (mut process, address) =
                start_process(data_dir.path(), &database.url, &storage).await;
            let ready = reqwest::get(format!("{address}/readyz"))
                .await
                .expect("the restarted server answers");
            assert_eq!(ready.status(), 200, "killed at {moment:?}");
            let db = Database::connect(&database.url).await.expect("database");
            let applied = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT COUNT(*) AS applied FROM seaql_migrations",
                ))
                .await
                .expect("query")
                .and_then(|row| row.try_get::<i64>("", "applied").ok());
            assert_eq!(
                applied,
                Some(names.len() as i64),
                "killed at {moment:?}: every migration recorded once"
            );
            db.close().await.expect("closed");
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// Starts a first `callvault serve` and SIGKILLs it the moment its log shows `moment`.
fn kill_when_logged(data_dir: &std::path::Path, database_url: &str, storage: &str, moment: &str) {
    let mut process = Command::new(env!("CARGO_BIN_EXE_callvault"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("CALLVAULT_BIND", "127.0.0.1:0")
        .env("CALLVAULT_DATA_DIR", data_dir)
        .env("CALLVAULT_DATABASE_URL", database_url)
        .env("CALLVAULT_STORAGE_URL", storage)
        .env("CALLVAULT_WEB_DIR", data_dir.join("web"))
        .env("CALLVAULT_ROOT_PASSWORD", ROOT_PASSWORD)
        .envs(
            ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
                .into_iter()
                .filter_map(|name| std::env::var(name).ok().map(|value| (name, value))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stdout = process.stdout.take().expect("stdout");
    let stderr = process.stderr.take().expect("stderr");
    // Whichever stream the log goes to; the other is drained so that it never blocks.
    let drain = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.contains(moment) {
            process.kill().expect("killed");
            process.wait().expect("reaped");
            return;
        }
        seen.push(line);
    }
    let _ = process.kill();
    let _ = process.wait();
    let out = drain.join().unwrap_or_default();
    panic!(
        "the first start never logged {moment:?}:\n{}\n{}",
        seen.join("\n"),
        out.join("\n")
    );
}

/// Deterministic where the kill above is a race: every migration runs in a transaction, and
/// each one's work, stopped before its commit, leaves the database as it was, so that the
/// migrator then applies it and every later one.
#[tokio::test]
async fn every_migration_is_one_transaction_and_leaves_nothing_when_stopped_before_its_commit() {
    use sea_orm::TransactionTrait;

    let migrations = Migrator::migrations();
    for (index, migration) in migrations.iter().enumerate() {
        assert_eq!(
            migration.use_transaction(),
            Some(true),
            "{} runs in a transaction with its record",
            migration.name()
        );
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let database = TestDatabase::create(data_dir.path()).await;
        let db = Database::connect(&database.url).await.expect("database");
        Migrator::up(&db, Some(index as u32))
            .await
            .expect("the migrations before it");
        let before = schema_of(&db).await;

        let txn = db.begin().await.expect("transaction");
        migration
            .up(&callvault_migrations::SchemaManager::new(&txn))
            .await
            .expect("the migration's work");
        txn.rollback().await.expect("stopped before its commit");
        assert_eq!(
            schema_of(&db).await,
            before,
            "{} left nothing behind",
            migration.name()
        );

        Migrator::up(&db, None)
            .await
            .expect("then every migration applies");
        db.close().await.expect("closed");
    }
}

/// The tables and columns of the database, as names.
async fn schema_of(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "SELECT table_name || '.' || column_name AS name FROM information_schema.columns \
             WHERE table_schema = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT m.name || '.' || p.name AS name FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY 1"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("schema")
        .into_iter()
        .filter_map(|row| row.try_get::<String>("", "name").ok())
        .collect()
}
