"""schemathesis hooks for callvault: sign in and stay signed in, and send ZIP archives.

The bearer token comes from `POST /api/v1/auth/login` as the user named in CALLVAULT_USER
(password in CALLVAULT_PASSWORD), and is fetched again after any 401: the fuzzer itself signs
out and ends sessions. The login goes out from another loopback address (127.0.0.2), so that
the throttle the fuzzer trips for 127.0.0.1 (ten failed logins lock an address) never locks
the run out.
"""

import http.client
import json
import os
import urllib.parse

import schemathesis
from hypothesis import strategies as st

URL = urllib.parse.urlsplit(os.environ["CALLVAULT_URL"])
SOURCE_ADDRESS = os.environ.get("CALLVAULT_LOGIN_FROM", "127.0.0.2")


def _call(method, path, body=None, token=None):
    connection = http.client.HTTPConnection(
        URL.hostname, URL.port, timeout=30, source_address=(SOURCE_ADDRESS, 0)
    )
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} failed: {response.status} {data[:200]!r}")
    return data


def _sign_in(user_variable="CALLVAULT_USER"):
    credentials = {
        "username": os.environ[user_variable],
        "password": os.environ["CALLVAULT_PASSWORD"],
    }
    return json.loads(_call("POST", "/api/v1/auth/login", credentials))["access_token"]


def _asks_holds(path):
    return path.startswith("/api/v1/tenants/{tenant}/holds")


@schemathesis.auth(refresh_interval=300, retry_on=[401])
class SignedIn:
    """Legal holds are asked as the demo tenant's auditor (provider staff may not touch a
    tenant's holds); everything else as the run's root administrator."""

    def get(self, case, context):
        return {"root": _sign_in(), "holds": _sign_in("CALLVAULT_HOLDS_USER")}

    def set(self, case, data, context):
        case.headers = case.headers or {}
        token = data["holds"] if _asks_holds(case.operation.path) else data["root"]
        case.headers["Authorization"] = f"Bearer {token}"


def _wav(samples):
    """A small valid WAV file: 8 kHz, 16-bit mono."""
    data = samples * 2
    header = b"RIFF" + (36 + data).to_bytes(4, "little") + b"WAVEfmt "
    for value in (16, 0x0001_0001, 8000, 16000, 0x0010_0002):
        header += value.to_bytes(4, "little")
    return header + b"data" + data.to_bytes(4, "little") + bytes(data)


# Uploads take the audio as the raw body, which the document describes as bytes: send real
# audio most of the time, and noise, which must be refused as not audio.
schemathesis.openapi.media_type(
    "audio/*", st.one_of(st.just(_wav(800)), st.just(_wav(0)), st.binary(max_size=512))
)


@schemathesis.serializer("audio/*")
def _audio(context, value):
    return bytes(value) if isinstance(value, (bytes, bytearray)) else str(value).encode()


# `POST …/recordings/import` takes `application/zip`, which the document describes as bytes.
# Send real archives (CALLVAULT_ARCHIVE, exported from the seeded tenant), broken ones, and
# noise.
_samples = [b"", b"PK\x05\x06" + b"\x00" * 18]
_archive = os.environ.get("CALLVAULT_ARCHIVE")
if _archive and os.path.exists(_archive):
    with open(_archive, "rb") as file:
        _zip = file.read()
    _samples += [_zip, _zip[: len(_zip) // 2], _zip[:-22], _zip[:100] + b"\xff" + _zip[101:]]
schemathesis.openapi.media_type(
    "application/zip", st.one_of(st.sampled_from(_samples), st.binary(max_size=2048))
)


@schemathesis.serializer("application/zip")
def _zip(context, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        return bytes(v % 256 for v in value if isinstance(v, int))
    return str(value).encode()


# Ids that exist in the seeded `demo` tenant, so that operations on one object reach the code
# behind the lookup instead of meeting 404 every time.
def _seeded_ids():
    token, auditor = _sign_in(), _sign_in("CALLVAULT_HOLDS_USER")
    listing = lambda path, as_=token: json.loads(
        _call("GET", f"/api/v1/tenants/demo/{path}", token=as_)
    )
    return {
        "keys": [key["id"] for key in listing("keys")],
        # Not the run's auditor: the fuzzer would delete it or reset its password.
        "users": [
            user["id"]
            for user in listing("users")
            if user["username"] != os.environ["CALLVAULT_HOLDS_USER"]
        ],
        "recordings": [r["id"] for r in listing("recordings")["recordings"]],
        "holds": [hold["id"] for hold in listing("holds", auditor)],
    }


_IDS = _seeded_ids()


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    path = context.operation.path
    kind = next((k for k in _IDS if path.startswith(f"/api/v1/tenants/{{tenant}}/{k}/{{id}}")), None)
    if kind is None or not _IDS[kind]:
        return st.just(path_parameters)
    seeded = {**path_parameters, "tenant": "demo"}
    choices = [st.fixed_dictionaries({**{n: st.just(v) for n, v in seeded.items()}, "id": st.sampled_from(_IDS[kind])})]
    if "user" in path_parameters and _IDS["users"]:
        choices = [
            strategy.flatmap(
                lambda chosen: st.fixed_dictionaries(
                    {**{n: st.just(v) for n, v in chosen.items()}, "user": st.sampled_from(_IDS["users"])}
                )
            )
            for strategy in choices
        ]
    return st.one_of(st.just(path_parameters), *choices)
