//! The statements each request sends the database, counted through sea-orm's metric hook
//! into a counter that lives as long as the request's task.

use std::cell::Cell;

use sea_orm::DatabaseConnection;

tokio::task_local! {
    static STATEMENTS: Cell<u32>;
}

/// Counts `db`'s statements into the counter of whichever [`counting`] runs them.
pub fn install(db: &mut DatabaseConnection) {
    db.set_metric_callback(|_| {
        // Outside a counted request (a background task) there is nothing to count into.
        let _ = STATEMENTS.try_with(|count| count.set(count.get().saturating_add(1)));
    });
}

/// `work`'s output and how many statements it sent.
pub async fn counting<F: Future>(work: F) -> (F::Output, u32) {
    STATEMENTS
        .scope(Cell::new(0), async {
            let output = work.await;
            (output, STATEMENTS.with(Cell::get))
        })
        .await
}

/// Counts `statements` sent for the request on its behalf elsewhere (the commit lane).
pub fn add(statements: u32) {
    let _ = STATEMENTS.try_with(|count| count.set(count.get().saturating_add(statements)));
}
