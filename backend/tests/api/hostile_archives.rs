//! Archives built to fool the importer rather than to carry recordings: entries that share
//! bytes, names that repeat, records that point outside the archive, local headers that say
//! something else than the directory. Each is refused with 400 and leaves nothing: no row,
//! no object, not a byte more in the store.

use callvault::infra::entities::recording;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{sha256, wav};
use crate::helpers::{Session, TestApp, USER_PASSWORD};
use crate::raw_zip::{Central, DEFLATED, Local, RawZip, local_record};

const MANIFEST: &str = "manifest.json";

/// A tenant to import into, and someone with the `user` role: importing is uploading, so any
/// uploader can send an archive.
async fn setup() -> (TestApp, Session) {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "uploader", "user").await;
    let uploader = app.sign_in("uploader", USER_PASSWORD).await;
    (app, uploader)
}

/// The file name an archive of ours gives a plaintext recording.
fn file_name(id: Uuid) -> String {
    format!("recordings/{id}.audio")
}

/// The manifest's entry for a plaintext recording whose file is `bytes`.
fn listed(id: Uuid, bytes: &[u8]) -> Value {
    json!({
        "id": id,
        "tenant_slug": "acme",
        "tenant_name": "acme",
        "file": file_name(id),
        "file_size": bytes.len(),
        "file_sha256": sha256(bytes),
        "sealed": false,
        "key_fingerprint": null,
        "content_type": "audio/wav",
        "size_bytes": bytes.len(),
        "sha256": sha256(bytes),
        "started_at": null,
        "duration_ms": null,
        "direction": null,
        "caller": null,
        "callee": null,
        "agent": null,
        "external_id": null,
        "tags": [],
        "created_at": "2026-01-02T03:04:05Z",
    })
}

fn manifest(recordings: Vec<Value>) -> Vec<u8> {
    json!({
        "format": "callvault-archive",
        "version": 1,
        "created_at": "2026-01-02T03:04:05Z",
        "recordings": recordings,
    })
    .to_string()
    .into_bytes()
}

/// Everything an import could leave behind: recording rows, and the store's objects and bytes.
async fn footprint(app: &TestApp) -> (u64, usize, u64) {
    let rows = recording::Entity::find()
        .count(&app.db().await)
        .await
        .expect("counted");
    let (objects, bytes) = app.store_usage().await;
    (rows, objects, bytes)
}

/// Imports `archive`, expecting 400 with `reason` in the problem detail and nothing stored.
async fn refused(app: &TestApp, session: &Session, what: &str, archive: Vec<u8>, reason: &str) {
    let before = footprint(app).await;
    let response = app.import_archive(session, "acme", &archive, None).await;
    let status = response.status();
    let detail = response.text().await.expect("text");
    assert_eq!(status, 400, "{what}: {detail}");
    assert!(
        detail.contains(reason),
        "{what}: {reason:?} not in {detail}"
    );
    assert_eq!(footprint(app).await, before, "{what}: something was stored");
}

#[tokio::test]
async fn a_well_formed_archive_from_the_raw_writer_is_accepted() {
    // The hostile archives below differ from this one in what they are named for.
    let (app, uploader) = setup().await;
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let (audio_1, audio_2) = (wav(2_000), wav(2_500));
    let mut zip = RawZip::new();
    zip.entry(&file_name(first), &audio_1);
    zip.entry(&file_name(second), &audio_2);
    zip.entry(
        MANIFEST,
        &manifest(vec![listed(first, &audio_1), listed(second, &audio_2)]),
    );
    let archive = zip.finish();
    let response = app.import_archive(&uploader, "acme", &archive, None).await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.expect("text")
    );
    let (rows, _, bytes) = footprint(&app).await;
    assert_eq!(rows, 2);
    assert!(bytes <= archive.len() as u64);
}

#[tokio::test]
async fn entries_whose_data_overlap_are_refused() {
    let (app, uploader) = setup().await;
    let (outer, inner) = (Uuid::now_v7(), Uuid::now_v7());
    let inner_audio = wav(1_500);
    // The outer entry's data is a WAV file followed by the whole inner entry, local header
    // and all: both headers are honest, and the inner entry's bytes are counted twice.
    let outer_audio = [wav(2_000), local_record(&file_name(inner), &inner_audio)].concat();
    let mut zip = RawZip::new();
    let outer_record = zip.local(&file_name(outer), &outer_audio);
    let inner_at = outer_record.offset
        + Local::stored(&file_name(outer), &outer_audio).bytes().len() as u32
        + wav(2_000).len() as u32;
    zip.central(outer_record);
    zip.central(Central::stored(&file_name(inner), inner_at, &inner_audio));
    zip.entry(
        MANIFEST,
        &manifest(vec![
            listed(outer, &outer_audio),
            listed(inner, &inner_audio),
        ]),
    );
    // Bytes no entry claims, so that the entries add up to less than the archive: this case
    // is about the overlap itself, not about the total.
    zip.raw(&[0; 16 * 1024]);
    refused(&app, &uploader, "nested entries", zip.finish(), "overlap").await;

    // Two records of different names on the same local entry.
    let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
    let audio = wav(2_000);
    let mut zip = RawZip::new();
    let shared = zip.entry(&file_name(one), &audio);
    zip.central(Central {
        name: file_name(two),
        ..shared
    });
    zip.entry(
        MANIFEST,
        &manifest(vec![listed(one, &audio), listed(two, &audio)]),
    );
    zip.raw(&[0; 16 * 1024]);
    refused(&app, &uploader, "one entry twice", zip.finish(), "overlap").await;
}

#[tokio::test]
async fn many_records_on_one_file_do_not_amplify_what_is_stored() {
    // The report's attack: one stored file, eighty directory records pointing at it, each
    // named for a recording of its own, an archive that would store eighty copies.
    let (app, uploader) = setup().await;
    let audio = wav(4_000);
    let ids: Vec<Uuid> = (0..80).map(|_| Uuid::now_v7()).collect();
    let mut zip = RawZip::new();
    let shared = zip.local(&file_name(ids[0]), &audio);
    for id in &ids {
        zip.central(Central {
            name: file_name(*id),
            ..shared.clone()
        });
    }
    zip.entry(
        MANIFEST,
        &manifest(ids.iter().map(|id| listed(*id, &audio)).collect()),
    );
    let archive = zip.finish();
    assert!(
        80 * audio.len() > 2 * archive.len(),
        "the archive amplifies"
    );
    refused(
        &app,
        &uploader,
        "amplification",
        archive,
        "more bytes than the archive",
    )
    .await;
}

#[tokio::test]
async fn a_name_twice_is_refused_not_merged() {
    let (app, uploader) = setup().await;
    let id = Uuid::now_v7();
    let (decoy, real) = (wav(1_000), wav(3_000));
    let mut zip = RawZip::new();
    zip.entry(&file_name(id), &decoy);
    zip.entry(&file_name(id), &real);
    zip.entry(MANIFEST, &manifest(vec![listed(id, &real)]));
    refused(
        &app,
        &uploader,
        "a recording twice",
        zip.finish(),
        "appears twice",
    )
    .await;
}

#[tokio::test]
async fn a_second_manifest_is_refused_not_used() {
    // A reviewer's tool that reads the first manifest sees one recording; an importer that
    // keeps the last would register another.
    let (app, uploader) = setup().await;
    let (shown, hidden) = (Uuid::now_v7(), Uuid::now_v7());
    let (shown_audio, hidden_audio) = (wav(1_000), wav(1_200));
    let mut zip = RawZip::new();
    zip.entry(&file_name(shown), &shown_audio);
    zip.entry(&file_name(hidden), &hidden_audio);
    zip.entry(MANIFEST, &manifest(vec![listed(shown, &shown_audio)]));
    zip.entry(
        MANIFEST,
        &manifest(vec![
            listed(shown, &shown_audio),
            listed(hidden, &hidden_audio),
        ]),
    );
    refused(
        &app,
        &uploader,
        "two manifests",
        zip.finish(),
        "manifest.json appears twice",
    )
    .await;
}

#[tokio::test]
async fn entries_outside_the_archive_are_refused() {
    let (app, uploader) = setup().await;
    let id = Uuid::now_v7();
    let audio = wav(2_000);

    // A record whose local header would start past the end of the file.
    let mut zip = RawZip::new();
    let record = zip.local(&file_name(id), &audio);
    zip.central(Central {
        offset: 1 << 30,
        ..record
    });
    zip.entry(MANIFEST, &manifest(vec![listed(id, &audio)]));
    refused(
        &app,
        &uploader,
        "past the end",
        zip.finish(),
        "outside the archive",
    )
    .await;

    // A record whose data runs on into the central directory.
    let mut zip = RawZip::new();
    zip.entry(MANIFEST, &manifest(vec![listed(id, &audio)]));
    let record = zip.local(&file_name(id), &audio);
    zip.central(Central {
        compressed_size: record.compressed_size + 40,
        size: record.size + 40,
        ..record
    });
    refused(
        &app,
        &uploader,
        "into the directory",
        zip.finish(),
        "outside the archive",
    )
    .await;
}

#[tokio::test]
async fn a_local_header_that_disagrees_with_the_directory_is_refused() {
    let (app, uploader) = setup().await;
    let id = Uuid::now_v7();
    let audio = wav(2_000);
    let honest = Local::stored(&file_name(id), &audio);
    let lies = [
        (
            "another name",
            Local {
                name: "notes.txt".into(),
                ..honest.clone()
            },
        ),
        (
            "another size",
            Local {
                compressed_size: honest.compressed_size - 100,
                size: honest.size - 100,
                ..honest.clone()
            },
        ),
        (
            "another method",
            Local {
                method: DEFLATED,
                ..honest.clone()
            },
        ),
        (
            "another CRC-32",
            Local {
                crc: honest.crc ^ 1,
                ..honest.clone()
            },
        ),
    ];
    for (what, local) in lies {
        let mut zip = RawZip::new();
        let at = zip.raw(&local.bytes());
        zip.raw(&audio);
        zip.central(Central::stored(&file_name(id), at, &audio));
        zip.entry(MANIFEST, &manifest(vec![listed(id, &audio)]));
        refused(&app, &uploader, what, zip.finish(), "local header").await;
    }

    // Both headers agree on a CRC-32 that is not the data's.
    let mut zip = RawZip::new();
    let record = zip.local_with(
        &Local {
            crc: honest.crc ^ 1,
            ..honest.clone()
        },
        &audio,
    );
    zip.central(Central {
        crc: honest.crc ^ 1,
        ..record
    });
    zip.entry(MANIFEST, &manifest(vec![listed(id, &audio)]));
    refused(&app, &uploader, "a wrong CRC-32", zip.finish(), "CRC-32").await;
}

#[test]
fn callvault_verify_reads_archives_through_the_same_scan() {
    // Offline, with an empty key chain: the archive must be refused for what it is, before
    // any recording in it is looked at.
    let dir = tempfile::tempdir().expect("a directory");
    let chain = json!({ "tenant_id": Uuid::now_v7(), "links": [] });
    std::fs::write(dir.path().join("chain.json"), chain.to_string()).expect("written");
    let mut twice = RawZip::new();
    twice.entry(MANIFEST, b"{}");
    twice.entry(MANIFEST, b"{\"recordings\": []}");
    let mut shared = RawZip::new();
    let first = shared.entry("recordings/a.cvrec", b"sealed bytes");
    shared.central(Central {
        name: "recordings/b.cvrec".into(),
        ..first
    });
    shared.raw(&[0; 1024]);
    for (file, archive, reason) in [
        ("twice.zip", twice.finish(), "manifest.json appears twice"),
        ("shared.zip", shared.finish(), "overlap"),
    ] {
        std::fs::write(dir.path().join(file), archive).expect("written");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_callvault"))
            .env_clear()
            .args(["verify", "--chain", "chain.json", file])
            .current_dir(dir.path())
            .output()
            .expect("runs");
        let said = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{file}: {said}");
        assert!(
            said.contains("is not a readable archive") && said.contains(reason),
            "{file}: {reason:?} not in {said}"
        );
    }
}
