//! `callvault`: the server and its command line.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use callvault::bootstrap::{FirstStart, ROOT_USERNAME};
use callvault::config::Settings;
use callvault::startup::Application;
use callvault::{openapi, telemetry};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "callvault",
    version,
    about = "Encrypted storage and playback of call recordings"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// A TOML file of settings; environment variables override it.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print the OpenAPI document.
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve { config: None }) {
        Command::Serve { config } => serve(config.as_deref()),
        Command::Openapi => std::io::stdout()
            .write_all(openapi::document_json().as_bytes())
            .map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, naming the setting where a setting is the cause.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn serve(config_file: Option<&Path>) -> anyhow::Result<()> {
    let config = Settings::load(config_file)?.validate()?;
    telemetry::init(config.log_format);
    let data_dir = config.data_dir.clone();
    let mut app = Application::build(config).await?;
    if let FirstStart::CreatedWithPassword(password) = app.take_first_start() {
        show_root_password(&password, &data_dir)?;
    }
    app.run_until_stopped().await?;
    tracing::info!("callvault stopped");
    Ok(())
}

/// The generated root password is shown once, on the terminal. When nobody is watching (a
/// service manager capturing output into a log), it goes to a file only its owner can read.
fn show_root_password(password: &str, data_dir: &Path) -> anyhow::Result<()> {
    if std::io::stderr().is_terminal() {
        eprintln!(
            "\n  First start. Sign in as `{ROOT_USERNAME}` with this password, shown only this once:\n\n      {password}\n"
        );
        return Ok(());
    }
    let file = data_dir.join("initial-root-password");
    write_private(&file, password)?;
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
