//! Building the web app: the frontend crate for wasm32, wasm-bindgen's JS glue (as a library
//! call, at exactly the version of the `wasm-bindgen` crate), and the static files, into
//! `target/web/dist`, which the server serves.

use std::path::{Path, PathBuf};

use anyhow::Context;
use wasm_bindgen_cli_support::Bindgen;

use crate::shell;
use crate::wasm_toolchain::{TARGET, WasmToolchain};

const PACKAGE: &str = "callvault-frontend";
const PROFILE: &str = "web";

/// Where the built app goes; the server's default `CALLVAULT_WEB_DIR`.
pub fn dist_dir() -> PathBuf {
    target_dir().join("dist")
}

/// A target directory of its own: the wasm build may use another compiler than the host
/// build, and the two must never share artefacts.
fn target_dir() -> PathBuf {
    shell::root().join("target/web")
}

pub fn build() -> anyhow::Result<PathBuf> {
    let toolchain = WasmToolchain::find()?;
    shell::build_with_progress(
        toolchain
            .cargo_build()
            .args(["--package", PACKAGE, "--profile", PROFILE, "--target-dir"])
            .arg(target_dir()),
        "the web app (wasm32)",
    )?;
    let wasm = target_dir()
        .join(TARGET)
        .join(PROFILE)
        .join(format!("{}.wasm", PACKAGE.replace('-', "_")));

    let dist = dist_dir();
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .with_context(|| format!("cannot empty {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist)?;
    Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        // Function names only help a debugger; they cost the download.
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(&dist)
        .with_context(|| format!("wasm-bindgen failed on {}", wasm.display()))?;

    let statics = shell::root().join("frontend/static");
    for entry in
        std::fs::read_dir(&statics).with_context(|| format!("cannot read {}", statics.display()))?
    {
        let entry = entry?;
        std::fs::copy(entry.path(), dist.join(entry.file_name()))?;
    }
    precompress(&dist)?;
    let size =
        std::fs::metadata(dist.join(format!("{}_bg.wasm", PACKAGE.replace('-', "_"))))?.len();
    eprintln!(
        "xtask: web app built in {} ({} KiB of wasm)",
        dist.display(),
        size / 1024
    );
    Ok(dist)
}

/// Writes `NAME.br` beside each asset, at brotli's highest quality: the server sends it to
/// browsers that take brotli, where compressing on the fly at the speed a request allows gave
/// up a fifth of the size (the wasm: 733 KB on the fly, 573 KB here).
fn precompress(dist: &Path) -> anyhow::Result<()> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let compressible = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| matches!(extension, "wasm" | "js" | "css"));
        if !compressible {
            continue;
        }
        let original = std::fs::read(&path)?;
        let mut compressed = Vec::with_capacity(original.len() / 3);
        brotli::BrotliCompress(&mut original.as_slice(), &mut compressed, &params)
            .with_context(|| format!("cannot compress {}", path.display()))?;
        let mut name = path.file_name().unwrap_or_default().to_owned();
        name.push(".br");
        std::fs::write(path.with_file_name(name), compressed)?;
    }
    Ok(())
}
