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
