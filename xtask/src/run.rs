//! `cargo xtask run` and `cargo xtask demo`: the product on this machine, as the README's first
//! command promises. Both build the same release binary once and start it with the same
//! settings; the demo seeds its tenant first, on the first start only.

use std::process::Command;

use crate::{shell, web};

pub fn run(demo: bool) -> anyhow::Result<()> {
    let dist = web::build()?;
    let server = shell::build_binary(&["--release"], "the server (release)")?;
    let callvault = |args: &[&str]| {
        let mut command = Command::new(&server);
        command
            .args(args)
            .current_dir(shell::root())
            .env("CALLVAULT_WEB_DIR", &dist);
        command
    };
    if demo {
        shell::run(&mut callvault(&["demo", "--if-absent"]))?;
    }
    shell::run(&mut callvault(&["serve"]))
}
