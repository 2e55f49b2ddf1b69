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

/// A sealed file read from a pipe (`/dev/stdin`), which has no size to ask for, is reported as
/// the same file on disk is, not as truncated.
#[test]
fn inspect_reads_a_pipe_to_its_end() {
    let (dir, _) = sealed_recording();
    let path = dir.path();
    let from_file =
        String::from_utf8(succeed(path, &["inspect", "call.sealed"]).stdout).expect("text");
    let mut child = Command::new(CALLVAULT)
        .args(["inspect", "/dev/stdin"])
        .current_dir(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let sealed = std::fs::read(path.join("call.sealed")).expect("sealed");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        // Two writes, so that the reader sees the pipe deliver the file in pieces.
        let (head, tail) = sealed.split_at(sealed.len() / 3);
        std::io::Write::write_all(&mut stdin, head).expect("written");
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::io::Write::write_all(&mut stdin, tail).expect("written");
    });
    let output = child.wait_with_output().expect("ends");
    writer.join().expect("writer");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let from_pipe = String::from_utf8(output.stdout).expect("text");
    assert!(!from_pipe.contains("truncated"), "{from_pipe}");
    assert!(from_pipe.contains("100000 bytes of audio"), "{from_pipe}");
    assert_eq!(from_pipe, from_file);
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

/// The committed vectors of `shared/tests/vectors/sealed/`, with their unencrypted test key.
fn vectors() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tests/vectors/sealed")
}

/// The vectors' 40000 bytes of audio.
fn vector_audio() -> Vec<u8> {
    (0..40_000usize).map(|i| ((i * 7919) >> 5) as u8).collect()
}

#[test]
fn files_with_unknown_slot_algorithms_or_duplicate_fingerprints_open_and_inspect() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path();
    std::fs::copy(vectors().join("key.pem"), path.join("key.pem")).expect("copied");
    for name in [
        "recording.sealed",
        "unknown_slot_algorithm.sealed",
        "duplicate_fingerprint.sealed",
    ] {
        std::fs::copy(vectors().join(name), path.join(name)).expect("copied");
        let whole = succeed(path, &["open", "--key", "key.pem", name, "-"]);
        assert_eq!(whole.stdout, vector_audio(), "{name}");
        let part = succeed(
            path,
            &[
                "open",
                "--key",
                "key.pem",
                "--range",
                "16380-16390",
                name,
                "-",
            ],
        );
        assert_eq!(part.stdout, vector_audio()[16380..=16390], "{name}");
    }

    let inspected =
        String::from_utf8(succeed(path, &["inspect", "unknown_slot_algorithm.sealed"]).stdout)
            .expect("text");
    assert_eq!(inspected.matches("key slot:").count(), 3, "{inspected}");
    assert!(
        inspected.contains("(unknown algorithm 0x02, 256-byte wrapped key: skipped"),
        "{inspected}"
    );
    assert!(
        inspected.contains("(unknown algorithm 0x03, 512-byte wrapped key: skipped"),
        "{inspected}"
    );
    assert!(
        inspected.contains(
            "24106688549443812daf4c746c628b0eb46f2cbb8c0d2d4981b338741526b64c (RSA-OAEP-SHA-256, 2048 bits)"
        ),
        "{inspected}"
    );
    assert!(!inspected.contains("warning"), "{inspected}");
}

/// A file whose every slot is of an algorithm this callvault does not know: `open` says so,
/// in one line, distinct from "decryption failed" and "not sealed for this key"; `inspect`
/// still shows it.
#[test]
fn a_file_with_no_usable_slot_is_refused_with_a_clear_error() {
    use callvault_shared::sealed::{SealedHeader, SlotAlgorithm};

    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path();
    std::fs::copy(vectors().join("key.pem"), path.join("key.pem")).expect("copied");
    let original = std::fs::read(vectors().join("recording.sealed")).expect("vector");
    let parsed = SealedHeader::parse(&original).expect("parses");
    let mut header = parsed.header;
    header.slots[0].algorithm = SlotAlgorithm::Unknown(0x02);
    let file = [
        header.encode().expect("encodes").as_slice(),
        &original[parsed.len..],
    ]
    .concat();
    std::fs::write(path.join("unusable.sealed"), file).expect("written");

    let output = callvault(
        path,
        &["open", "--key", "key.pem", "unusable.sealed", "out.wav"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("uses unknown algorithm 0x02, which this callvault does not know"),
        "{stderr}"
    );
    assert!(!path.join("out.wav").exists());

    let inspected =
        String::from_utf8(succeed(path, &["inspect", "unusable.sealed"]).stdout).expect("text");
    assert!(
        inspected.contains("no key slot uses an algorithm this callvault knows"),
        "{inspected}"
    );
}

/// `--range`: inclusive, END clamped to the last byte, `START-` to the end, START at or past
/// the end an error; nothing but digits.
#[test]
fn open_ranges_are_inclusive_clamped_and_start_inside_the_recording() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path();
    std::fs::copy(vectors().join("key.pem"), path.join("key.pem")).expect("copied");
    std::fs::copy(
        vectors().join("recording.sealed"),
        path.join("recording.sealed"),
    )
    .expect("copied");
    std::fs::copy(vectors().join("public.pem"), path.join("public.pem")).expect("copied");
    std::fs::write(path.join("empty.wav"), b"").expect("written");
    succeed(
        path,
        &["seal", "--key", "public.pem", "empty.wav", "empty.sealed"],
    );
    let audio = vector_audio();
    // `--range=…`, so that a range starting with `-` reaches the range parser.
    let range = |range: &str, file: &str| {
        let range = format!("--range={range}");
        callvault(path, &["open", "--key", "key.pem", &range, file, "-"])
    };

    for (spec, expected) in [
        ("0-0", &audio[..1]),
        ("100-199", &audio[100..200]),
        ("39990-", &audio[39990..]),
        ("39999-39999", &audio[39999..]),
        ("39000-99999999", &audio[39000..]),
        ("0-", &audio[..]),
    ] {
        let output = range(spec, "recording.sealed");
        assert!(output.status.success(), "{spec}");
        assert_eq!(output.stdout, expected, "{spec}");
    }
    for (spec, file, expected) in [
        (
            "40000-",
            "recording.sealed",
            "past the recording's end (40000 bytes)",
        ),
        (
            "40000-40010",
            "recording.sealed",
            "past the recording's end",
        ),
        ("0-", "empty.sealed", "past the recording's end (0 bytes)"),
        ("10-5", "recording.sealed", "ends before it starts"),
        ("+1-5", "recording.sealed", "not a byte range"),
        ("-5", "recording.sealed", "not a byte range"),
    ] {
        let output = range(spec, file);
        assert!(!output.status.success(), "{spec} on {file}");
        assert!(output.stdout.is_empty(), "{spec} on {file}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{spec} on {file}: {stderr}");
    }
}

/// A file cut inside its last chunk still implies a plausible length: `inspect` (which has no
/// key) must not present it as the recording's length.
#[test]
fn inspect_says_the_length_is_not_authenticated() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path();
    std::fs::copy(vectors().join("key.pem"), path.join("key.pem")).expect("copied");
    let sealed = std::fs::read(vectors().join("recording.sealed")).expect("vector");
    // The last chunk holds 7232 bytes of audio; cut 100 of them off.
    std::fs::write(path.join("cut.sealed"), &sealed[..sealed.len() - 100]).expect("written");
    let inspected =
        String::from_utf8(succeed(path, &["inspect", "cut.sealed"]).stdout).expect("text");
    assert!(
        inspected.contains(
            "39900 bytes of audio (length implied by the file size, not yet authenticated"
        ),
        "{inspected}"
    );
    let output = callvault(path, &["open", "--key", "key.pem", "cut.sealed", "out.wav"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("decryption failed"));
}
