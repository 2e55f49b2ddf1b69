//! `callvault`: the server and its command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use callvault::http::startup::Application;
use callvault::infra::config::Settings;
use callvault::{cli, http::openapi, infra::telemetry};
use clap::{Parser, Subcommand};

/// See the workspace's `Cargo.toml`: memory freed by one thread is returned, not kept per
/// thread, so that the server's footprint follows its load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    Openapi {
        /// Print `docs/permissions.md` instead, which is generated from the same routes.
        #[arg(long, hide = true)]
        permissions: bool,
    },
    /// Generate an encryption key pair into a passphrase-protected PKCS#8 file.
    Keygen {
        /// 2048, 3072 or 4096.
        #[arg(long, default_value_t = 3072)]
        bits: usize,
        /// The encrypted private key file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Also write the public key here (for `seal`, or to give a provider).
        #[arg(long, value_name = "FILE")]
        public_out: Option<PathBuf>,
        /// Read the passphrase from the first line of FILE instead of asking.
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Seal a recording for a public key.
    Seal {
        /// A public key file (PEM), or an unencrypted private key.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The audio's media type; guessed from the file name when left out.
        #[arg(long)]
        content_type: Option<String>,
        /// The recording's id (a UUID); a new one when left out.
        #[arg(long)]
        id: Option<uuid::Uuid>,
        input: PathBuf,
        output: PathBuf,
    },
    /// Open a sealed recording with a private key file (`-` as OUTPUT writes to stdout).
    Open {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// Only bytes START to END of the audio, both included (END past the end is cut to it),
        /// or START- for the rest; START at or past the end is an error.
        #[arg(long, value_name = "START-END")]
        range: Option<cli::ByteRange>,
        input: PathBuf,
        output: PathBuf,
    },
    /// Account rescue for the operator, working on the database directly.
    Admin {
        /// A TOML file of settings; environment variables override it.
        #[arg(long, value_name = "FILE", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Back up recordings into an archive, or restore one.
    Backup {
        /// A TOML file of settings; environment variables override it.
        #[arg(long, value_name = "FILE", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Check the object store against the catalogue: list every recording whose bytes are
    /// missing or shorter than recorded (exit status 1 if there is one).
    Check {
        /// A TOML file of settings; environment variables override it.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Seed a demo tenant with users, a key and a few dozen synthetic calls.
    Demo {
        /// A TOML file of settings; environment variables override it.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Succeed without seeding when the demo tenant exists already (for a start that seeds
        /// only the first time, as `cargo xtask run --demo` does).
        #[arg(long)]
        if_absent: bool,
    },
    /// Show a sealed file's version, content type and key fingerprints; needs no key.
    Inspect { file: PathBuf },
    /// Check a tenant's key chain (`GET …/keys/chain`) and that every sealed recording in an
    /// export archive, or in sealed files, is sealed only to keys of that chain.
    Verify {
        /// The chain, as `GET /api/v1/tenants/{tenant}/keys/chain` returns it.
        #[arg(long, value_name = "FILE")]
        chain: PathBuf,
        /// The tenant's own key (its public key file): the chain must be pinned to it.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Export archives (ZIP) or sealed recordings.
        #[arg(value_name = "ARCHIVE.zip|FILE")]
        inputs: Vec<PathBuf>,
    },
    /// What a tenant that holds its own keys does with its key file.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Offline checks of a tenant's audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Retention: what the tenants' policies delete (the server does it every ten minutes).
    Retention {
        /// A TOML file of settings; environment variables override it.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: RetentionCommand,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Delete every recording whose retention has run out and that no hold covers, each with
    /// its certificate in the audit log.
    Run {
        /// Only print what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Sign a key-change statement (from `POST …/keys/statements`) with the tenant's key file;
    /// prints the two request headers that carry it.
    Sign {
        /// The tenant's private key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        /// The statement: the JSON the server answered, or its text.
        #[arg(long, value_name = "FILE")]
        statement: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check an export of a tenant's audit log against a checkpoint the server signed earlier,
    /// offline. Exit status 0 if the export extends the checkpoint; 1 at the first problem
    /// (an altered, missing or rewritten record), which it names.
    Verify {
        /// The checkpoint (JSON of GET /api/v1/tenants/{tenant}/audit/checkpoint).
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
        /// The server's audit public key that you trust: its base64, or a file holding the
        /// base64 or the JSON of GET /api/v1/audit/signing-key.
        #[arg(long, value_name = "KEY|FILE")]
        signing_key: String,
        /// The export, taken after the checkpoint and without filters (JSON Lines of
        /// GET /api/v1/tenants/{tenant}/audit/export); `-` reads standard input.
        export: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user (for example a new root administrator).
    CreateUser {
        /// The tenant's slug or id (`system` for provider staff).
        #[arg(long, default_value = "system")]
        tenant: String,
        #[arg(long)]
        username: String,
        /// root, provider_admin, tenant_admin, supervisor, user or auditor.
        #[arg(long)]
        role: callvault_shared::api::Role,
        /// Read the password from the first line of FILE instead of asking.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Set a new password. The user gets a new key pair: their grants are void.
    ResetPassword {
        username: String,
        /// Read the password from the first line of FILE instead of asking.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Write every recording of one tenant (or all) into an archive; plaintext recordings and
    /// every recording's caller, callee, agent, external id and tags are sealed on the way to
    /// the System key (keep its exported file: `backup restore --key` needs it).
    Create {
        /// The tenant's slug.
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        tenant: Option<String>,
        /// Every tenant.
        #[arg(long)]
        all: bool,
        /// The archive to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Register the recordings of an archive (missing tenants are created); recordings that
    /// are here already are left alone. Recordings that were stored in plaintext were sealed
    /// for the backup with the System key: give its key file with --key, and they go back as
    /// they were stored (plaintext, or sealed to their tenant's own key if its encryption is
    /// on now). Without it, nothing is restored.
    Restore {
        file: PathBuf,
        /// A private key file the backup used (the System key exported from the old
        /// instance); repeat for several.
        #[arg(long = "key", value_name = "FILE")]
        keys: Vec<PathBuf>,
        /// The passphrase of the key files, on the first line of FILE (else asked).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // Before anything is created: every file and directory this process makes (the database,
    // its journal, keys, objects, archives) is its owner's only, whatever umask it inherited.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve { config: None }) {
        Command::Serve { config } => serve(config.as_deref()),
        Command::Openapi { permissions } => {
            let text = if permissions {
                callvault::http::permissions_doc::render()
            } else {
                openapi::document_json()
            };
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(Into::into)
        }
        Command::Keygen {
            bits,
            out,
            public_out,
            passphrase_file,
        } => cli::keygen(
            bits,
            &out,
            public_out.as_deref(),
            passphrase_file.as_deref(),
        ),
        Command::Seal {
            key,
            content_type,
            id,
            input,
            output,
        } => cli::seal(&key, content_type.as_deref(), id, &input, &output),
        Command::Open {
            key,
            passphrase_file,
            range,
            input,
            output,
        } => cli::open(&key, passphrase_file.as_deref(), range, &input, &output),
        Command::Inspect { file } => cli::inspect(&file),
        Command::Verify { chain, key, inputs } => cli::verify(&chain, key.as_deref(), &inputs),
        Command::Tenant {
            command:
                TenantCommand::Sign {
                    key,
                    passphrase_file,
                    statement,
                },
        } => cli::tenant_sign(&key, passphrase_file.as_deref(), &statement),
        Command::Admin { config, command } => admin(config.as_deref(), command),
        Command::Backup { config, command } => backup(config.as_deref(), command),
        Command::Demo { config, if_absent } => demo(config.as_deref(), if_absent),
        Command::Check { config } => check(config.as_deref()),
        Command::Retention {
            config,
            command: RetentionCommand::Run { dry_run },
        } => retention(config.as_deref(), dry_run),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    checkpoint,
                    signing_key,
                    export,
                },
        } => cli::audit::verify(&checkpoint, &signing_key, &export),
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
async fn admin(config: Option<&Path>, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser {
            tenant,
            username,
            role,
            password_file,
        } => {
            cli::admin::create_user(config, &tenant, username, role, password_file.as_deref()).await
        }
        AdminCommand::ResetPassword {
            username,
            password_file,
        } => cli::admin::reset_password(config, &username, password_file.as_deref()).await,
    }
}

#[tokio::main]
async fn backup(config: Option<&Path>, command: BackupCommand) -> anyhow::Result<()> {
    match command {
        BackupCommand::Create {
            tenant,
            all: _,
            output,
        } => {
            let scope = match tenant {
                Some(slug) => cli::backup::Scope::Tenant(slug),
                None => cli::backup::Scope::All,
            };
            cli::backup::create(config, scope, &output).await
        }
        BackupCommand::Restore {
            file,
            keys,
            passphrase_file,
        } => cli::backup::restore(config, &file, &keys, passphrase_file.as_deref()).await,
    }
}

#[tokio::main]
async fn check(config: Option<&Path>) -> anyhow::Result<()> {
    cli::check::run(config).await
}

#[tokio::main]
async fn retention(config: Option<&Path>, dry_run: bool) -> anyhow::Result<()> {
    cli::retention::run(config, dry_run).await
}

#[tokio::main]
async fn demo(config: Option<&Path>, if_absent: bool) -> anyhow::Result<()> {
    cli::demo::run(config, if_absent).await
}

#[tokio::main]
async fn serve(config_file: Option<&Path>) -> anyhow::Result<()> {
    let config = Settings::load(config_file)?.validate()?;
    telemetry::init(config.log_format);
    let data_dir = config.data_dir.clone();
    let mut app = Application::build(config).await?;
    cli::first_start::show_root_password(app.take_first_start(), &data_dir)?;
    app.run_until_stopped().await?;
    tracing::info!("callvault stopped");
    Ok(())
}
