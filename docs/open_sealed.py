#!/usr/bin/env python3
"""Opens a callvault sealed recording with nothing but OpenSSL and an AES-GCM library, as
FORMAT.md describes: an independent check of the format, and a recovery path that needs no
callvault at all.

    python3 docs/open_sealed.py KEY.pem SEALED OUT [PASSPHRASE]
"""
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CVREC\r\n\x1a"
INFO_PREFIX = b"c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00"
CHUNK, TAG = 16384, 16


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def main(key_file, sealed_file, out_file, passphrase=None):
    data = open(sealed_file, "rb").read()
    assert data[:8] == MAGIC and data[8] == 1, "not a version 1 sealed recording"
    type_len = data[25]
    bound = data[: 26 + type_len]  # the chunked-encryption context
    at = len(bound)
    (section_len,) = struct.unpack(">H", data[at : at + 2])
    slots_end = at + 2 + section_len
    count, at = data[at + 2], at + 3
    pass_args = ["-passin", f"pass:{passphrase}"] if passphrase else []
    public_der = openssl("pkey", "-in", key_file, *pass_args, "-pubout", "-outform", "DER")
    fingerprint = bytes.fromhex(openssl("dgst", "-sha256", "-r", data=public_der).split()[0].decode())
    candidates = []  # every wrapped key for this key, in file order
    for _ in range(count):
        slot_fp, algorithm = data[at : at + 32], data[at + 32]
        (wrapped_len,) = struct.unpack(">H", data[at + 33 : at + 35])
        assert 1 <= wrapped_len <= 512, "malformed slot"
        wrapped = data[at + 35 : at + 35 + wrapped_len]
        at += 35 + wrapped_len
        if slot_fp == fingerprint and algorithm == 1:  # other algorithms: skipped, not refused
            candidates.append(wrapped)
    assert at == slots_end, "malformed slot section"
    salt, commitment = data[at : at + 24], data[at + 24 : at + 56]
    okm = None
    for wrapped in candidates:  # slots are not authenticated: a bogus one may come first
        with tempfile.NamedTemporaryFile() as wrapped_file:
            wrapped_file.write(wrapped)
            wrapped_file.flush()
            try:
                input_key = openssl(
                    "pkeyutl", "-decrypt", "-inkey", key_file, *pass_args, "-in", wrapped_file.name,
                    "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                    "-pkeyopt", "rsa_mgf1_md:sha256",
                )
            except subprocess.CalledProcessError:
                continue
        if len(input_key) != 32:
            continue
        derived = openssl(
            "kdf", "-binary", "-keylen", "76", "-kdfopt", "digest:SHA512", "-kdfopt", "mode:EXPAND_ONLY",
            "-kdfopt", "hexkey:" + input_key.hex(), "-kdfopt", "hexinfo:" + (INFO_PREFIX + salt + bound).hex(), "HKDF",
        )
        if derived[44:] == commitment:
            okm = derived
            break
    assert candidates, "no key slot for this key (or only slots of algorithms this script does not know)"
    assert okm, "decryption failed: no slot for this key matches the commitment (wrong key or damaged file)"
    aead_key, base_nonce = okm[:32], okm[32:44]
    chunks, plaintext, index = data[at + 56 :], bytearray(), 0
    while True:
        chunk = chunks[index * (CHUNK + TAG) : (index + 1) * (CHUNK + TAG)]
        nonce = (int.from_bytes(base_nonce, "big") ^ index).to_bytes(12, "big")
        plaintext += AESGCM(aead_key).decrypt(nonce, chunk, b"")
        if len(chunk) < CHUNK + TAG:  # the short final chunk ends the message
            assert len(chunks) == (index * (CHUNK + TAG)) + len(chunk), "trailing data"
            break
        index += 1
    open(out_file, "wb").write(plaintext)


if __name__ == "__main__":
    main(*sys.argv[1:])
