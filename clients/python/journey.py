"""An integrator's journey through callvault with the client that openapi-python-client
generates from `openapi/openapi.json`, and nothing else: every call is a generated function,
every answer a generated model. `cargo xtask test` runs it against a fresh server; it fails
(non-zero exit) on an answer the document does not describe, a model that does not parse or
carries fields it does not declare, or a wrong answer.

Run by hand: CALLVAULT_URL=http://127.0.0.1:8080 CALLVAULT_ROOT_PASSWORD=… python journey.py
with the generated package on PYTHONPATH.
"""

import io
import json
import os
import struct
import sys
import zipfile
from http import HTTPStatus

from callvault_client import AuthenticatedClient, Client
from callvault_client.api.audit import audit_export, audit_list, audit_verify_chain
from callvault_client.api.auth import auth_login, auth_me
from callvault_client.api.keys import (
    keys_create,
    keys_export,
    keys_grant,
    keys_public_key,
    keys_show_encryption,
    keys_update_encryption,
)
from callvault_client.api.recordings import (
    recordings_audio,
    recordings_export,
    recordings_import,
    recordings_list,
    recordings_show,
    recordings_stored_file,
    recordings_upload,
)
from callvault_client.api.tenants import tenants_create
from callvault_client.api.tokens import tokens_create
from callvault_client.api.users import users_create
from callvault_client.models import (
    AuditPage,
    CreatedApiToken,
    Direction,
    EncryptionKey,
    EncryptionUpdate,
    ExportRequest,
    GenerateKey,
    ImportOutcome,
    KeyExport,
    LoginRequest,
    MetadataJson,
    NewApiToken,
    NewGrant,
    NewTenant,
    NewUser,
    Problem,
    Recording,
    RecordingPage,
    Role,
    Sort,
    TokenScope,
    UploadForm,
)
from callvault_client.types import UNSET, File

URL = os.environ["CALLVAULT_URL"]
ROOT_PASSWORD = os.environ["CALLVAULT_ROOT_PASSWORD"]
PASSWORD = "journey-password-1"
TENANT = "journey"


def fail(message):
    print(f"journey: {message}", file=sys.stderr)
    sys.exit(1)


def declared_only(model, where):
    """A model whose JSON had fields the document does not declare keeps them here."""
    extra = getattr(model, "additional_properties", {})
    if extra:
        fail(f"{where}: undeclared fields {sorted(extra)}")
    return model


def answer(response, status, model, where):
    """The parsed answer of a generated call, which must be `status` and `model`."""
    if response.status_code != status:
        fail(f"{where}: {int(response.status_code)} {response.content[:300]!r}")
    parsed = response.parsed
    if not isinstance(parsed, model):
        fail(f"{where}: parsed as {type(parsed).__name__}, not {model.__name__}")
    return declared_only(parsed, where)


def client_for(token):
    return AuthenticatedClient(base_url=URL, token=token, raise_on_unexpected_status=True)


def login(username, password):
    anonymous = Client(base_url=URL, raise_on_unexpected_status=True)
    response = auth_login.sync_detailed(
        client=anonymous, body=LoginRequest(username=username, password=password)
    )
    if response.status_code != HTTPStatus.OK:
        fail(f"login as {username}: {int(response.status_code)}")
    return client_for(declared_only(response.parsed, "login").access_token)


def wav(seconds=2, rate=8000):
    """A telephone-quality WAV file: 16-bit mono PCM."""
    samples = bytes((i * 7) % 251 for i in range(seconds * rate * 2))
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", len(samples))
    return header + samples


def main():
    root = login("root", ROOT_PASSWORD)
    me = auth_me.sync_detailed(client=root)
    if me.status_code != HTTPStatus.OK or declared_only(me.parsed, "me").user.username != "root":
        fail(f"me: {int(me.status_code)}")

    # The provider's System key, then a tenant with an administrator and a supervisor.
    answer(
        keys_create.sync_detailed("system", client=root, body=GenerateKey(bits=2048)),
        HTTPStatus.CREATED, EncryptionKey, "the System key",
    )
    answer(
        tenants_create.sync_detailed(client=root, body=NewTenant(slug=TENANT, name="Journey Ltd")),
        HTTPStatus.CREATED, object, "a tenant",
    )
    for username, role in [("journey-admin", Role.TENANT_ADMIN), ("journey-supervisor", Role.SUPERVISOR)]:
        answer(
            users_create.sync_detailed(
                TENANT, client=root, body=NewUser(username=username, password=PASSWORD, role=role)
            ),
            HTTPStatus.CREATED, object, f"the user {username}",
        )
    admin = login("journey-admin", PASSWORD)

    # The tenant's key, kept safe, and encryption on.
    key = answer(
        keys_create.sync_detailed(TENANT, client=admin, body=GenerateKey(bits=2048)),
        HTTPStatus.CREATED, EncryptionKey, "the tenant's key",
    )
    exported = keys_export.sync_detailed(
        TENANT, str(key.id), client=admin, body=KeyExport(passphrase="a passphrase of length")
    )
    if exported.status_code != HTTPStatus.OK or "ENCRYPTED PRIVATE KEY" not in exported.parsed:
        fail(f"key export: {int(exported.status_code)} {exported.parsed!r:.200}")
    public = keys_public_key.sync_detailed(TENANT, str(key.id), client=admin)
    if public.status_code != HTTPStatus.OK or "PUBLIC KEY" not in public.parsed:
        fail(f"public key: {int(public.status_code)}")
    answer(
        keys_update_encryption.sync_detailed(TENANT, client=admin, body=EncryptionUpdate(enabled=True)),
        HTTPStatus.OK, object, "encryption on",
    )
    settings = keys_show_encryption.sync_detailed(TENANT, client=admin)
    if settings.status_code != HTTPStatus.OK or not declared_only(settings.parsed, "settings").enabled:
        fail("encryption is not on")

    # A recorder's token uploads two calls: raw, with metadata as parameters, and as a form.
    created = answer(
        tokens_create.sync_detailed(
            TENANT, client=admin,
            body=NewApiToken(name="recorder pbx-01", scopes=[TokenScope.UPLOAD], expires_in_days=30),
        ),
        HTTPStatus.CREATED, CreatedApiToken, "the recorder's token",
    )
    recorder = client_for(created.secret)
    audio = wav()
    raw = answer(
        recordings_upload.sync_detailed(
            TENANT, client=recorder,
            body=File(payload=io.BytesIO(audio), file_name="call-1.wav", mime_type="audio/wav"),
            caller="+4930123456", callee="+4940987654", direction=Direction.INBOUND,
            agent="ada", tags="sales,journey", idempotency_key="pbx-01-call-1",
        ),
        HTTPStatus.CREATED, Recording, "the raw upload",
    )
    if not raw.sealed or raw.size_bytes != len(audio):
        fail(f"the raw upload: sealed {raw.sealed}, {raw.size_bytes} bytes")
    replayed = recordings_upload.sync_detailed(
        TENANT, client=recorder,
        body=File(payload=io.BytesIO(audio), file_name="call-1.wav", mime_type="audio/wav"),
        caller="+4930123456", callee="+4940987654", direction=Direction.INBOUND,
        agent="ada", tags="sales,journey", idempotency_key="pbx-01-call-1",
    )
    if replayed.headers.get("idempotent-replayed") != "true" or replayed.parsed.id != raw.id:
        fail("the retried upload was not answered from the first")
    form = answer(
        recordings_upload.sync_detailed(
            TENANT, client=recorder,
            body=UploadForm(
                metadata=MetadataJson(
                    caller="+4930123456", callee="+4940555000", direction=Direction.OUTBOUND,
                    agent="grace", tags=["journey"],
                ),
                file=File(payload=io.BytesIO(audio), file_name="call-2.wav", mime_type="audio/wav"),
            ),
        ),
        HTTPStatus.CREATED, Recording, "the multipart upload",
    )

    # The supervisor gets a grant, searches, pages and plays a range.
    supervisor_me = auth_me.sync_detailed(client=login("journey-supervisor", PASSWORD))
    supervisor_id = declared_only(supervisor_me.parsed, "the supervisor").user.id
    answer(
        keys_grant.sync_detailed(TENANT, str(key.id), client=admin, body=NewGrant(user_id=supervisor_id)),
        HTTPStatus.CREATED, object, "the grant",
    )
    supervisor = login("journey-supervisor", PASSWORD)
    found = answer(
        recordings_list.sync_detailed(TENANT, client=supervisor, caller="+4930123456", tag="journey",
                                      sort=Sort.OLDEST, limit=1),
        HTTPStatus.OK, RecordingPage, "the search",
    )
    if [r.id for r in found.recordings] != [raw.id] or found.next_cursor is UNSET or found.next_cursor is None:
        fail(f"the first page: {[str(r.id) for r in found.recordings]}, cursor {found.next_cursor!r}")
    second = answer(
        recordings_list.sync_detailed(TENANT, client=supervisor, caller="+4930123456", tag="journey",
                                      sort=Sort.OLDEST, limit=1, cursor=found.next_cursor),
        HTTPStatus.OK, RecordingPage, "the second page",
    )
    if [r.id for r in second.recordings] != [form.id] or second.next_cursor not in (None, UNSET):
        fail(f"the second page: {[str(r.id) for r in second.recordings]}")
    for recording in found.recordings + second.recordings:
        declared_only(recording, "a listed recording")
    answer(recordings_show.sync_detailed(TENANT, raw.id, client=supervisor),
           HTTPStatus.OK, Recording, "a recording")

    played = recordings_audio.sync_detailed(TENANT, raw.id, client=supervisor, range_="bytes=100-1099")
    if played.status_code != HTTPStatus.PARTIAL_CONTENT:
        fail(f"a range: {int(played.status_code)}")
    if played.parsed.payload.read() != audio[100:1100]:
        fail("a range: not the bytes asked for")
    if played.headers.get("content-range") != f"bytes 100-1099/{len(audio)}":
        fail(f"a range: Content-Range {played.headers.get('content-range')!r}")

    # The sealed file as stored, and both as a ZIP, which imports again without duplicates.
    stored = recordings_stored_file.sync_detailed(TENANT, raw.id, client=admin)
    sealed = stored.parsed.payload.read() if stored.status_code == HTTPStatus.OK else b""
    if len(sealed) <= len(audio) or audio[:64] in sealed:
        fail(f"the stored file: {int(stored.status_code)}, {len(sealed)} bytes")
    archive = recordings_export.sync_detailed(TENANT, client=admin, body=ExportRequest(ids=[raw.id, form.id]))
    if archive.status_code != HTTPStatus.OK:
        fail(f"the export: {int(archive.status_code)}")
    zipped = archive.parsed.payload.read()
    with zipfile.ZipFile(io.BytesIO(zipped)) as opened:
        if "manifest.json" not in opened.namelist():
            fail(f"the export holds {opened.namelist()}")
    imported = answer(
        recordings_import.sync_detailed(
            TENANT, client=recorder,
            body=File(payload=io.BytesIO(zipped), file_name="export.zip", mime_type="application/zip"),
            idempotency_key="journey-import-1",
        ),
        HTTPStatus.OK, ImportOutcome, "the import",
    )
    if (imported.imported, imported.already_present) != (0, 2):
        fail(f"the import: {imported.imported} imported, {imported.already_present} already present")

    # The audit log: a page, the chain, and the export.
    page = answer(audit_list.sync_detailed(TENANT, client=admin), HTTPStatus.OK, AuditPage, "the audit log")
    for event in page.events:
        declared_only(event, "an audit event")
    actions = {event.action for event in page.events}
    for expected in ("recording.upload", "recording.play", "key.grant"):
        if not any(action.startswith(expected) for action in actions):
            fail(f"the audit log has no {expected}: {sorted(actions)}")
    verified = audit_verify_chain.sync_detailed(TENANT, client=admin)
    if verified.status_code != HTTPStatus.OK or not declared_only(verified.parsed, "verify").intact:
        fail("the audit chain does not verify")
    exported_log = audit_export.sync_detailed(TENANT, client=admin)
    if exported_log.status_code != HTTPStatus.OK:
        fail(f"the audit export: {int(exported_log.status_code)}")
    lines = [json.loads(line) for line in exported_log.parsed.splitlines() if line]
    if len(lines) < len(page.events):
        fail(f"the audit export has {len(lines)} records, the page {len(page.events)}")

    # A refusal is a problem, parsed as one.
    refused = recordings_audio.sync_detailed(TENANT, raw.id, client=recorder)
    if refused.status_code != HTTPStatus.FORBIDDEN or not isinstance(refused.parsed, Problem):
        fail(f"a recorder playing: {int(refused.status_code)}")

    print("journey: every step answered as the document says")


if __name__ == "__main__":
    main()
