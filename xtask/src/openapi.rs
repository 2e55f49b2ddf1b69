use crate::shell;

pub const DOCUMENT: &str = "openapi/openapi.json";

/// Writes the OpenAPI document as the server builds it, for committing.
pub fn write() -> anyhow::Result<()> {
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
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "`callvault openapi` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(shell::root().join(DOCUMENT), output.stdout)?;
    eprintln!("wrote {DOCUMENT}");
    Ok(())
}
