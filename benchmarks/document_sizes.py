"""Bytes per document as the Mongo stores write them, and an estimate per 1M users.

    python -m benchmarks.document_sizes

Each store writes one typical record on mongomock (the values made the way the core makes them: a
bcrypt hash, SHA-256 hex digests, a Fernet-sealed TOTP secret, ten recovery-code hashes, a P-256
COSE key); the stored document is read back and its BSON size taken with `bson.encode`, the size
MongoDB's `$bsonSize` reports. Index sizes are estimated, not measured: per entry, the BSON size of
the indexed values plus an 8-byte record id, times the entries (one per document holding the field;
one per array element for a multikey index). WiredTiger compresses both on a real server (snappy
blocks for documents, prefix compression for index keys), so disk use will be smaller and
`collStats` will differ. Prints the two Markdown tables of docs/mongodb-production.md's "Size".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import bson
import mongomock

from frappyauth.core.mail_tokens import binding_of
from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge, TotpEnrolment
from frappyauth.core.minting import (
    hash_secret,
    new_api_key,
    new_credential_version,
    new_secret,
    new_session_id,
)
from frappyauth.core.models import ApiKey, LinkedIdentity, MailToken, Session, User
from frappyauth.core.passwords import PasswordHasher
from frappyauth.core.totp_codec import TotpCodec, new_recovery_codes, recovery_code_hash
from frappyauth.stores.mongo import mongo_stores

NOW = datetime(2100, 1, 1, tzinfo=timezone.utc)  # future: mongomock's TTL runs on the real clock
AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
RECORD_ID_BYTES = 8


@dataclass(frozen=True)
class Kind:
    """One kind of document: its collection, and how many a deployment of 1M users holds."""

    name: str
    collection: str
    per_million: int
    assumption: str


KINDS = [
    Kind("user", "users", 1_000_000, "every user"),
    Kind("session", "userTokens", 2_000_000, "2 live sessions per user"),
    Kind("API key", "userApiKeys", 1_000_000, "1 key per user"),
    Kind("attempt counter", "userLoginFailures", 30_000, "1% of users: 3 counters each, live"),
    Kind("mail token", "userMailTokens", 10_000, "1% of users with a link outstanding"),
    Kind("TOTP enrolment", "userTotp", 1_000_000, "every user enrolled: an upper bound"),
    Kind("passkey", "userPasskeys", 1_000_000, "1 passkey per user"),
    Kind("second-factor challenge", "userMfaTokens", 1_000, "logins halfway at once"),
    Kind("passkey challenge", "userPasskeyChallenges", 1_000, "ceremonies under way at once"),
    Kind("linked identity", "userIdentities", 1_000_000, "1 provider account per user"),
]


def write_typical_documents(db: Any) -> None:
    stores = mongo_stores(db)
    user = stores.users.create(
        User(
            id="",
            username="alice.martin",
            # cost 4 for speed: a bcrypt hash is 60 characters at every cost
            password_hash=PasswordHasher(4).hash("correct horse battery staple"),
            permissions=("view",),
            profile={"displayName": "Alice Martin"},
            email="alice.martin@example.org",
            email_key="alice.martin@example.org",
            email_verified=True,
            credential_version=new_credential_version(),
        )
    )
    later, version = NOW + timedelta(days=30), user.credential_version
    token = hash_secret(new_secret())
    stores.sessions.create(
        Session(token, new_session_id(), user.id, NOW, NOW, later, AGENT, "203.0.113.7", version)
    )
    key_id, key = new_api_key()
    api_key = ApiKey(key_id, user.id, "deploy", hash_secret(key), NOW, ("read",), later, NOW)
    stores.api_keys.create(api_key, 10, NOW)
    stores.attempts.increment(
        f"pair:{user.username_key}|203.0.113.0/24", "alice.martin", NOW, later
    )
    binding = binding_of(user)
    mail = MailToken(
        hash_secret(new_secret()), "reset", user.id, user.email or "", binding, NOW, later
    )
    assert stores.mail_tokens is not None and stores.mfa is not None
    stores.mail_tokens.create(mail)
    codec = TotpCodec("a key of 32 characters or more....", "Example")
    sealed = codec.seal(codec.new_secret())
    stores.mfa.start_totp(TotpEnrolment(user.id, sealed, NOW))
    codes = tuple(recovery_code_hash(code) for code in new_recovery_codes())
    stores.mfa.confirm_totp(user.id, sealed, 123456789, codes)
    credential_id = new_secret()  # 32 random bytes in base64url, as many authenticators make
    cose_p256_key = bytes(77)  # a COSE EC2 P-256 public key is 77 bytes
    stores.mfa.create_passkey(Passkey(credential_id, user.id, "iPhone", cose_p256_key, 0, NOW, NOW))
    stores.mfa.create_challenge(MfaChallenge(hash_secret(new_secret()), user.id, version, later))
    challenge = PasskeyChallenge(hash_secret(new_secret()), "login", None, later)
    stores.mfa.create_passkey_challenge(challenge)
    assert stores.identities is not None
    google_subject = "109876543210987654321"  # Google's `sub`: 21 digits
    stores.identities.link(
        LinkedIdentity(
            new_session_id(),
            user.id,
            "google",
            "https://accounts.google.com",
            google_subject,
            user.email,
            True,
            NOW,
            NOW,
        )
    )


def value_bytes(value: Any) -> int:
    """The BSON size of one value, as an index key holds it (no field name)."""
    return len(bson.encode({"": value})) - 5 - 2  # document length and end; type byte and name


def index_entries(document: dict[str, Any], fields: list[str]) -> list[int]:
    """The bytes of each index entry the document makes (none if it lacks the index's first
    field)."""
    if fields[0] not in document:
        return []
    values = [document.get(field) for field in fields]
    arrays = [value for value in values if isinstance(value, list)]
    fixed = sum(value_bytes(value) for value in values if not isinstance(value, list))
    if not arrays:
        return [fixed + RECORD_ID_BYTES]
    return [fixed + value_bytes(item) + RECORD_ID_BYTES for item in arrays[0]]


def measure() -> list[tuple[Kind, int, int, int]]:
    """(kind, document bytes, index bytes per document, indexes) for each kind."""
    db = mongomock.MongoClient()["sizes"]
    write_typical_documents(db)
    rows = []
    for kind in KINDS:
        collection = db[kind.collection]
        document = collection.find_one()
        indexes = collection.index_information()
        index_bytes = sum(
            sum(index_entries(document, [field for field, _ in info["key"]]))
            for info in indexes.values()
        )
        rows.append((kind, len(bson.encode(document)), index_bytes, len(indexes)))
    return rows


def megabytes(count: int) -> str:
    return f"{count / 1_000_000:,.0f}" if count >= 10_000_000 else f"{count / 1_000_000:,.1f}"


def report(rows: list[tuple[Kind, int, int, int]]) -> str:
    lines = [
        "| Document | Collection | BSON bytes | Indexes | Index bytes (estimate) |",
        "|---|---|---:|---:|---:|",
    ]
    for kind, size, index_bytes, indexes in rows:
        lines.append(f"| {kind.name} | `{kind.collection}` | {size} | {indexes} | {index_bytes} |")
    lines += [
        "",
        "| Collection | Documents per 1M users (assumed) | Data MB | Index MB (estimate) |",
        "|---|---|---:|---:|",
    ]
    data_total = index_total = 0
    for kind, size, index_bytes, _ in rows:
        data, index = size * kind.per_million, index_bytes * kind.per_million
        data_total, index_total = data_total + data, index_total + index
        lines.append(
            f"| `{kind.collection}` | {kind.per_million:,} ({kind.assumption}) | "
            f"{megabytes(data)} | {megabytes(index)} |"
        )
    lines.append(f"| **total** | | **{megabytes(data_total)}** | **{megabytes(index_total)}** |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure()))
