"""A software WebAuthn authenticator for tests, on `cryptography` (EC P-256, ES256) and `cbor2`.

It answers `navigator.credentials.create()` and `.get()` options as a browser would hand them to a
server: client data JSON, authenticator data (RP id hash, flags, sign count, attested credential
data) and an attestation object (`none`, or `packed` self-attestation), all base64url. Each part can
be bent to make the refusals a server must give: another origin or RP id, another challenge, a bad
signature, a count that goes back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # user present, user verified, attested credential data


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class SoftAuthenticator:
    """One credential on one authenticator; `sign_count` grows by one with each assertion."""

    def __init__(self, origin: str = "http://localhost", rp_id: str = "localhost") -> None:
        self.origin, self.rp_id = origin, rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return b64(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def authenticator_data(
        self, rp_id: str, flags: int, count: int, attested: bool = False
    ) -> bytes:
        data = (
            hashlib.sha256(rp_id.encode("utf-8")).digest()
            + bytes([flags])
            + count.to_bytes(4, "big")
        )
        if attested:
            data += (
                bytes(16)
                + len(self.credential_id).to_bytes(2, "big")
                + self.credential_id
                + self.cose_key()
            )
        return data

    def client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode("utf-8")

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        fmt: str = "none",
        challenge: str | None = None,
        bad_signature: bool = False,
    ) -> dict[str, Any]:
        """The PublicKeyCredential JSON that `navigator.credentials.create(options)` would give."""
        self.user_handle = base64.urlsafe_b64decode(options["user"]["id"] + "==")
        client = self.client_data("webauthn.create", challenge or options["challenge"], origin)
        auth = self.authenticator_data(
            rp_id or options["rp"]["id"], UP | UV | AT, self.sign_count, attested=True
        )
        statement: dict[str, Any] = {}
        if fmt == "packed":  # self-attestation: signed with the credential's own key
            signature = self.sign(auth + hashlib.sha256(client).digest())
            statement = {
                "alg": -7,
                "sig": signature[:-1] + bytes([signature[-1] ^ 1]) if bad_signature else signature,
            }
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": statement, "authData": auth})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64(client), "attestationObject": b64(attestation)},
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        count: int | None = None,
        bad_signature: bool = False,
        verified: bool = True,
    ) -> dict[str, Any]:
        """The PublicKeyCredential JSON that `navigator.credentials.get(options)` would give."""
        self.sign_count += 1
        client = self.client_data("webauthn.get", challenge or options["challenge"], origin)
        auth = self.authenticator_data(
            rp_id or options["rpId"],
            UP | UV if verified else UP,
            self.sign_count if count is None else count,
        )
        signature = self.sign(auth + hashlib.sha256(client).digest())
        if bad_signature:
            signature = self.sign(
                auth + hashlib.sha256(client + b" ").digest()
            )  # valid DER, other data
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(client),
                "authenticatorData": b64(auth),
                "signature": b64(signature),
                "userHandle": b64(self.user_handle) if self.user_handle else None,
            },
        }
