//! Hostile and broken input against the real server process: each kind gets a clear 4xx, the
//! stored data is untouched, and over many rounds the process neither keeps the files and
//! connections a round opened nor grows round after round.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fixtures::wav;
use crate::helpers::{Session, TestApp};

/// Rounds of the whole barrage; the first warms up, the rest must not grow the process.
const ROUNDS: usize = 60;
/// The most the resident memory may grow per round, as the trend over all rounds after the
/// first. Two single readings do not tell a leak: the allocator keeps and returns memory in
/// steps of megabytes as threads come and go (the readings swing by ±10 MiB with no trend
/// over 150 rounds), while a leak adds the same amount every round. 256 KiB is less than any
/// body the barrage sends but one.
const GROWTH_PER_ROUND_KIB: f64 = 256.0;

/// One bad request: a name, what it sends, and the status it must get.
struct Case {
    name: &'static str,
    status: u16,
    request: reqwest::RequestBuilder,
}

fn cases(app: &TestApp, client: &reqwest::Client, root: &Session, archive: &[u8]) -> Vec<Case> {
    let url = |path: &str| format!("{}{path}", app.address);
    let json_to = |path: &str| {
        client
            .post(url(path))
            .bearer_auth(&root.token)
            .header("content-type", "application/json")
    };
    let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let mut cases = vec![
        Case {
            // actix-web reads at most 128 KiB of request head, then answers 431.
            name: "a 256 KiB header",
            status: 431,
            request: client
                .get(url("/api/v1/auth/me"))
                .header("x-padding", "a".repeat(256 * 1024)),
        },
        Case {
            name: "200 headers",
            status: 431,
            request: (0..200).fold(client.get(url("/api/v1/auth/me")), |request, index| {
                request.header(format!("x-header-{index}"), "value")
            }),
        },
        Case {
            name: "a 16 MiB JSON body",
            status: 413,
            request: json_to("/api/v1/tenants").body(vec![b' '; 16 * 1024 * 1024]),
        },
        Case {
            name: "a 16 MiB JSON body without a length",
            status: 413,
            request: json_to("/api/v1/tenants").body(reqwest::Body::wrap_stream(
                futures_util::stream::iter(
                    (0..256).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])),
                ),
            )),
        },
        Case {
            name: "JSON nested 20,000 deep",
            status: 400,
            request: json_to("/api/v1/tenants").body(nested),
        },
        Case {
            name: "JSON that is not UTF-8",
            status: 400,
            request: json_to("/api/v1/tenants").body(vec![b'{', 0xff, 0xfe, b'}']),
        },
        Case {
            name: "a private key that is not PEM",
            status: 400,
            request: json_to("/api/v1/tenants/system/keys")
                .json(&json!({ "private_key_pem": "not a key at all" })),
        },
        Case {
            name: "a PEM private key whose DER is garbage",
            status: 400,
            request: json_to("/api/v1/tenants/system/keys").json(&json!({
                "private_key_pem": "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA\n-----END PRIVATE KEY-----\n"
            })),
        },
        Case {
            name: "a public key PEM of random bytes",
            status: 400,
            request: json_to("/api/v1/tenants/system/keys").json(&json!({
                "public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n-----END PUBLIC KEY-----\n"
            })),
        },
        Case {
            name: "an encrypted private key with a wrong passphrase",
            status: 400,
            request: json_to("/api/v1/tenants/system/keys").json(&json!({
                "private_key_pem": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBrTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
                "passphrase": "wrong"
            })),
        },
        Case {
            name: "an archive of random bytes",
            status: 400,
            request: import(client, app, root, (0..100_000u32).map(|i| (i * 7919) as u8).collect()),
        },
        Case {
            name: "an archive cut in half",
            status: 400,
            request: import(client, app, root, archive[..archive.len() / 2].to_vec()),
        },
        Case {
            name: "an upload of an unknown content type",
            status: 415,
            request: client
                .post(url("/api/v1/tenants/acme/recordings"))
                .bearer_auth(&root.token)
                .header("content-type", "application/x-unknown")
                .body(wav(1_000)),
        },
        Case {
            name: "an upload labelled audio that is a ZIP",
            status: 415,
            request: client
                .post(url("/api/v1/tenants/acme/recordings"))
                .bearer_auth(&root.token)
                .header("content-type", "audio/wav")
                .body(archive.to_vec()),
        },
        Case {
            name: "JSON sent as text/plain",
            status: 415,
            request: client
                .post(url("/api/v1/tenants"))
                .bearer_auth(&root.token)
                .header("content-type", "text/plain")
                .body(r#"{"slug":"x","name":"x"}"#),
        },
    ];
    // Archive imports also refuse a ZIP whose manifest is not the format's.
    cases.push(Case {
        name: "a ZIP without a manifest",
        status: 400,
        request: import(client, app, root, zip_without_manifest()),
    });
    cases
}

fn import(
    client: &reqwest::Client,
    app: &TestApp,
    root: &Session,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    client
        .post(format!(
            "{}/api/v1/tenants/acme/recordings/import",
            app.address
        ))
        .bearer_auth(&root.token)
        .header("content-type", "application/zip")
        .body(body)
}

fn zip_without_manifest() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("hello.txt", zip::write::SimpleFileOptions::default())
        .expect("entry");
    std::io::Write::write_all(&mut zip, b"hello").expect("write");
    zip.finish().expect("zip").into_inner()
}

/// Resident memory (KiB) of a process, and the files it holds open that a request could leave
/// behind: connections accepted on `port`, and files other than the database's (whose pool
/// opens connections as it sees fit, and keeps them).
fn footprint(pid: u32, port: u16) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let rss = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    let accepted = accepted_sockets(pid, port);
    let files = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fd")
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .map(|target| target.to_string_lossy().into_owned())
        .filter(|target| match target.strip_prefix("socket:[") {
            Some(inode) => accepted.contains(inode.trim_end_matches(']')),
            None => target.starts_with('/') && !target.contains("callvault.db"),
        })
        .count();
    (rss, files)
}

/// The inodes of the process's TCP sockets on local `port` that are not the listener.
fn accepted_sockets(pid: u32, port: u16) -> std::collections::HashSet<String> {
    let port = format!(":{port:04X}");
    ["tcp", "tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
                    (local.ends_with(&port) && *state != "0A").then(|| (*inode).to_owned())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_leaves_the_server_as_it_was() {
    let app = TestApp::spawn_process().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let uploaded: Value = app
        .upload(&root, "acme", &wav(3_000))
        .await
        .json()
        .await
        .expect("JSON");
    let id = uploaded["id"].as_str().expect("id").to_owned();
    let exported = app
        .post_as(
            "/api/v1/tenants/acme/recordings/export",
            &root,
            &json!({ "ids": [id] }),
        )
        .await;
    assert_eq!(exported.status(), 200);
    let archive = exported.bytes().await.expect("archive").to_vec();

    let port = port(&app);
    let mut after_first = None;
    let mut resident = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // A client per round, dropped after it: its connections close, as a real client's do.
        let client = reqwest::Client::new();
        for case in cases(&app, &client, &root, &archive) {
            let response = case.request.send().await;
            let status = match response {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if status != 431 {
                        let content_type = response.headers().get("content-type").cloned();
                        assert_eq!(
                            content_type.as_ref().and_then(|value| value.to_str().ok()),
                            Some("application/problem+json"),
                            "{}: a problem document",
                            case.name
                        );
                    }
                    status
                }
                Err(error) => panic!("{}: no answer: {error}", case.name),
            };
            assert_eq!(status, case.status, "{}", case.name);
        }
        drop(client);
        if round == 0 {
            after_first = Some(settled_footprint(&app, usize::MAX).await);
        } else {
            resident.push(footprint(app.pid(), port).0);
        }
    }
    let (rss_first, files_first) = after_first.expect("measured");
    let (rss_last, files_last) = settled_footprint(&app, files_first).await;
    let growth = growth_per_round(&resident);
    eprintln!(
        "after the first round: {rss_first} KiB resident, {files_first} client connections and files open; after {ROUNDS}: {rss_last} KiB, {files_last}; trend {growth:.0} KiB per round"
    );
    assert!(
        files_last <= files_first,
        "open files grew from {files_first} to {files_last}"
    );
    assert!(
        growth <= GROWTH_PER_ROUND_KIB,
        "resident memory grew by {growth:.0} KiB per round over {ROUNDS} rounds: {resident:?}"
    );

    // The data is untouched: one tenant with its one recording, which plays as uploaded.
    let listed: Value = app
        .get_as("/api/v1/tenants/acme/recordings", &root)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["recordings"].as_array().expect("list").len(), 1);
    assert!(app.play(&root, "acme", &id).await == wav(3_000));
    assert_eq!(app.object_count("recordings").await, 1);
    assert_eq!(
        app.object_count("imports").await,
        0,
        "no import staging left"
    );
}

/// The least-squares slope of `readings` (KiB) against their round: what each round adds.
fn growth_per_round(readings: &[u64]) -> f64 {
    let count = readings.len() as f64;
    let mean_round = (count - 1.0) / 2.0;
    let mean = readings.iter().map(|&kib| kib as f64).sum::<f64>() / count;
    let (covariance, variance) =
        readings
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(covariance, variance), (round, &kib)| {
                let from_mean = round as f64 - mean_round;
                (
                    covariance + from_mean * (kib as f64 - mean),
                    variance + from_mean * from_mean,
                )
            });
    covariance / variance
}

fn port(app: &TestApp) -> u16 {
    app.address
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("the server's port")
}

/// The footprint once the server has closed what the dropped client left (it notices a closed
/// connection on its next read): up to three seconds for the open files to come down to `files`.
async fn settled_footprint(app: &TestApp, files: usize) -> (u64, usize) {
    let port = port(app);
    let mut footprint = footprint(app.pid(), port);
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = self::footprint(app.pid(), port);
        if now.1 <= files && now.1 == footprint.1 {
            return now;
        }
        footprint = now;
    }
    footprint
}
