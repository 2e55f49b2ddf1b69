//! The root administrator's generated password, shown once to whoever started the first
//! start: `serve` and `demo` alike, so that a demo's first start reads like the server's.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::domain::bootstrap::{FirstStart, ROOT_USERNAME};

/// The file the password goes to when nobody watches the terminal.
pub const PASSWORD_FILE: &str = "initial-root-password";

/// Shows the password `first_start` generated, if it did. On a terminal it is printed; when
/// nobody is watching (a service manager capturing output into a log), it goes to a file in
/// the data directory that only its owner can read.
pub fn show_root_password(first_start: FirstStart, data_dir: &Path) -> anyhow::Result<()> {
    let FirstStart::CreatedWithPassword(password) = first_start else {
        return Ok(());
    };
    if std::io::stderr().is_terminal() {
        eprintln!(
            "\n  First start. Sign in as `{ROOT_USERNAME}` with this password, shown only this once:\n\n      {}\n",
            password.as_str()
        );
        return Ok(());
    }
    let file = data_dir.join(PASSWORD_FILE);
    write_private(&file, &password)?;
    eprintln!(
        "First start. The password of `{ROOT_USERNAME}` is in {} (readable by its owner only); delete it after signing in.",
        file.display()
    );
    Ok(())
}

fn write_private(file: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(file)?
        .write_all(format!("{contents}\n").as_bytes())
}
