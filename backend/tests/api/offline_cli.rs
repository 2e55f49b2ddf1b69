//! The offline disaster-recovery commands, as an operator runs them: keygen, seal, open (whole
//! and by range), inspect; and what happens with a wrong passphrase or a damaged file.

use std::path::Path;
use std::process::{Command, Output};

const CALLVAULT: &str = env!("CARGO_BIN_EXE_callvault");
const PASSPHRASE: &str = "a long enough passphrase";

fn callvault(dir: &Path, args: &[&str]) -> Output {
    Command::new(CALLVAULT)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs")
}

fn succeed(dir: &Path, args: &[&str]) -> Output {
    let output = callvault(dir, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A key pair and a sealed recording of 100 KiB and some bytes.
fn sealed_recording() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path();
    std::fs::write(path.join("pass"), format!("{PASSPHRASE}\n")).expect("written");
    let audio: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(7919) >> 5) as u8)
        .collect();
    std::fs::write(path.join("call.wav"), &audio).expect("written");
    succeed(
        path,
        &[
            "keygen",
            "--bits",
            "2048",
            "--out",
            "key.pem",
            "--public-out",
            "public.pem",
            "--passphrase-file",
            "pass",
        ],
    );
    succeed(
        path,
        &["seal", "--key", "public.pem", "call.wav", "call.sealed"],
    );
    (dir, audio)
}

#[test]
fn keygen_seal_open_and_inspect_round_trip() {
    let (dir, audio) = sealed_recording();
    let path = dir.path();
    assert!(
        std::fs::read_to_string(path.join("key.pem"))
            .expect("key")
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    );
    assert_ne!(
        std::fs::read(path.join("call.sealed")).expect("sealed")[..],
        audio[..]
    );

    succeed(
        path,
        &[
            "open",
            "--key",
            "key.pem",
            "--passphrase-file",
            "pass",
            "call.sealed",
            "opened.wav",
        ],
    );
    assert_eq!(
        std::fs::read(path.join("opened.wav")).expect("opened"),
        audio
    );

    let to_stdout = succeed(
        path,
        &[
            "open",
            "--key",
            "key.pem",
            "--passphrase-file",
            "pass",
            "call.sealed",
            "-",
        ],
    );
    assert_eq!(to_stdout.stdout, audio);

    let part = succeed(
        path,
        &[
            "open",
            "--key",
            "key.pem",
            "--passphrase-file",
            "pass",
            "--range",
            "16000-40000",
            "call.sealed",
            "-",
        ],
    );
    assert_eq!(part.stdout, audio[16000..=40000]);
    let tail = succeed(
        path,
        &[
            "open",
            "--key",
            "key.pem",
            "--passphrase-file",
            "pass",
            "--range",
            "99990-",
            "call.sealed",
            "-",
        ],
    );
    assert_eq!(tail.stdout, audio[99990..]);

    let inspected =
        String::from_utf8(succeed(path, &["inspect", "call.sealed"]).stdout).expect("text");
    assert!(
        inspected.contains("content type:  audio/wav"),
        "{inspected}"
    );
    assert!(inspected.contains("100000 bytes of audio"), "{inspected}");
    let fingerprint = String::from_utf8(
        succeed(
            path,
            &[
                "keygen",
                "--bits",
                "2048",
                "--out",
                "other.pem",
                "--passphrase-file",
                "pass",
            ],
        )
        .stderr,
    )
    .expect("text");
    assert!(
        !inspected.contains(fingerprint.split(' ').next().expect("fingerprint")),
        "another key's fingerprint is not listed"
    );
    assert_eq!(inspected.matches("key slot:").count(), 1);
}

#[test]
fn failures_are_one_line_and_leave_no_output_behind() {
    let (dir, _) = sealed_recording();
    let path = dir.path();
    std::fs::write(path.join("wrong"), "not the passphrase at all\n").expect("written");
    let sealed = std::fs::read(path.join("call.sealed")).expect("sealed");
    std::fs::write(path.join("truncated.sealed"), &sealed[..sealed.len() - 100]).expect("written");
    let mut flipped = sealed.clone();
    flipped[50_000] ^= 1;
    std::fs::write(path.join("flipped.sealed"), &flipped).expect("written");
    succeed(
        path,
        &[
            "keygen",
            "--bits",
            "2048",
            "--out",
            "other.pem",
            "--passphrase-file",
            "pass",
        ],
    );

    for (args, expected) in [
        (
            vec![
                "open",
                "--key",
                "key.pem",
                "--passphrase-file",
                "wrong",
                "call.sealed",
                "out.wav",
            ],
            "wrong passphrase",
        ),
        (
            vec![
                "open",
                "--key",
                "key.pem",
                "--passphrase-file",
                "pass",
                "truncated.sealed",
                "out.wav",
            ],
            "decryption failed",
        ),
        (
            vec![
                "open",
                "--key",
                "key.pem",
                "--passphrase-file",
                "pass",
                "flipped.sealed",
                "out.wav",
            ],
            "decryption failed",
        ),
        (
            vec![
                "open",
                "--key",
                "other.pem",
                "--passphrase-file",
                "pass",
                "call.sealed",
                "out.wav",
            ],
            "sealed for the key",
        ),
        (
            vec!["open", "--key", "public.pem", "call.sealed", "out.wav"],
            "public key only",
        ),
        (
            vec!["inspect", "call.wav"],
            "not a sealed callvault recording",
        ),
        (
            vec!["seal", "--key", "key.pem", "call.wav", "out.wav"],
            "use its public key file",
        ),
    ] {
        let output = callvault(path, &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{args:?}: {stderr}"
        );
        assert!(
            !path.join("out.wav").exists(),
            "{args:?} left a partial output"
        );
    }
}

#[test]
fn short_passphrases_and_small_keys_are_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("short"), "short\n").expect("written");
    let output = callvault(
        dir.path(),
        &["keygen", "--out", "key.pem", "--passphrase-file", "short"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 12 characters"));
    std::fs::write(dir.path().join("pass"), format!("{PASSPHRASE}\n")).expect("written");
    let output = callvault(
        dir.path(),
        &[
            "keygen",
            "--bits",
            "1024",
            "--out",
            "key.pem",
            "--passphrase-file",
            "pass",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("1024 bits are not supported"));
    assert!(!dir.path().join("key.pem").exists());
}
