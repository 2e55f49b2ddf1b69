//! Finding a compiler for `wasm32-unknown-unknown`, in the order the project's toolchain notes
//! give: a rustup toolchain with the target installed; else Debian's `rustc-web`, building
//! `std` from source (installed with apt when it is missing and apt is there); else a message
//! naming both ways.

use std::path::Path;
use std::process::Command;

use anyhow::bail;

use crate::shell;

pub const TARGET: &str = "wasm32-unknown-unknown";

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_STD_SOURCE: &str = "/usr/lib/rustlib/src/rust/library";
const DEBIAN_PACKAGES: [&str; 4] = ["rustc-web", "cargo-web", "rust-web-src", "lld-22"];

pub enum WasmToolchain {
    /// The toolchain running xtask has the wasm32 standard library.
    Rustup,
    /// Debian's second toolchain, which compiles `std` for wasm32 itself.
    Debian,
}

impl WasmToolchain {
    pub fn find() -> anyhow::Result<Self> {
        if rustup_has_target() {
            return Ok(Self::Rustup);
        }
        if debian_toolchain_present() {
            return Ok(Self::Debian);
        }
        if Path::new("/usr/bin/apt-get").exists() {
            crate::apt::install(
                &DEBIAN_PACKAGES,
                "Debian's second Rust toolchain, to build the web app for wasm32",
            )?;
            if debian_toolchain_present() {
                return Ok(Self::Debian);
            }
        }
        bail!(
            "no Rust toolchain can build for {TARGET}. Either `rustup target add {TARGET}`, \
             or (Debian) `apt-get install {}`",
            DEBIAN_PACKAGES.join(" ")
        )
    }

    /// A `cargo build` for wasm32; the caller adds the package, profile and target directory.
    pub fn cargo_build(&self) -> Command {
        match self {
            Self::Rustup => {
                let mut command = shell::cargo();
                command.args(["build", "--target", TARGET]);
                command
            }
            Self::Debian => {
                let mut command = Command::new(DEBIAN_CARGO);
                command
                    .current_dir(shell::root())
                    // The outer `cargo xtask` (rustup's) set these for itself; they must not
                    // steer Debian's cargo towards rustup's compiler.
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .env_remove("CARGO")
                    .env("RUSTC", DEBIAN_RUSTC)
                    // `-Z build-std` is unstable; Debian's stable compiler allows it this way.
                    .env("RUSTC_BOOTSTRAP", "1")
                    .args(["build", "--target", TARGET, "-Zbuild-std=std,panic_abort"]);
                command
            }
        }
    }
}

fn rustup_has_target() -> bool {
    let Ok(output) = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
    else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout);
    Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(TARGET)
        .join("lib")
        .is_dir()
}

fn debian_toolchain_present() -> bool {
    Path::new(DEBIAN_RUSTC).exists()
        && Path::new(DEBIAN_CARGO).exists()
        && Path::new(DEBIAN_STD_SOURCE).is_dir()
        && shell::succeeds(Command::new("sh").args(["-c", "command -v rust-lld"]))
}
