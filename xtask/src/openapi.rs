use crate::shell;

pub const DOCUMENT: &str = "openapi/openapi.json";
pub const PERMISSIONS: &str = "docs/permissions.md";

/// Writes the OpenAPI document as the server builds it, and the permission matrix generated
/// from the same routes, for committing.
pub fn write() -> anyhow::Result<()> {
    generate(&[], DOCUMENT)?;
    generate(&["--permissions"], PERMISSIONS)
}

fn generate(flags: &[&str], file: &str) -> anyhow::Result<()> {
    let output = shell::cargo()
        .args([
            "run",
            "--quiet",
            "--package",
            "callvault-backend",
            "--bin",
            "callvault",
            "--",
            "openapi",
        ])
        .args(flags)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "`callvault openapi` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(shell::root().join(file), output.stdout)?;
    eprintln!("wrote {file}");
    Ok(())
}
