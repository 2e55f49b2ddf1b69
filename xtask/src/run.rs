//! `cargo xtask run`: the product on this machine, as the README's first command promises.

use crate::{shell, web};

pub fn run() -> anyhow::Result<()> {
    let dist = web::build()?;
    shell::run(
        shell::cargo()
            .args([
                "run",
                "--release",
                "--package",
                "callvault-backend",
                "--bin",
                "callvault",
                "--",
                "serve",
            ])
            .env("CALLVAULT_WEB_DIR", dist),
    )
}
