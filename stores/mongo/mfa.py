"""The MongoDB MFA store: TOTP enrolments and login challenges, each in its own collection.

Every compare-and-set of the contract is one conditional `update_one` (or `delete_one`), atomic on
the server: no read-then-write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument, WriteConcern
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from frappyauth.core.mfa_models import MfaChallenge, Passkey, PasskeyChallenge, TotpEnrolment
from frappyauth.stores.mongo.connection import collection_on
from frappyauth.stores.mongo.documents import from_mongo_time, to_mongo_time
from frappyauth.stores.mongo.retries import insert_once
from frappyauth.stores.mongo.startup import StartsOnFirstContact, Startup, command


class MongoMfaStore(StartsOnFirstContact):
    """A unique index on the user id keeps one enrolment per user; a TTL index on `expires` lets the
    server delete expired challenges (garbage collection: reads filter on `expires` themselves)."""

    def __init__(
        self,
        db: Database,
        totp_collection: str = "userTotp",
        challenges_collection: str = "userMfaTokens",
        passkeys_collection: str = "userPasskeys",
        passkey_challenges_collection: str = "userPasskeyChallenges",
        *,
        write_concern: WriteConcern | None = None,
    ) -> None:
        self._totp = collection_on(db, totp_collection, write_concern)
        self._challenges = collection_on(db, challenges_collection, write_concern)
        self._passkeys = collection_on(db, passkeys_collection, write_concern)
        self._passkey_challenges = collection_on(db, passkey_challenges_collection, write_concern)
        self._startup = Startup(self._create_indexes, db)

    def _create_indexes(self) -> None:
        self._passkeys.create_index("credentialId", unique=True)
        self._passkeys.create_index("userId")
        self._passkey_challenges.create_index("challengeHash", unique=True)
        self._passkey_challenges.create_index("expires", expireAfterSeconds=0)
        self._totp.create_index("userId", unique=True)
        self._challenges.create_index("tokenHash", unique=True)
        self._challenges.create_index("expires", expireAfterSeconds=0)

    @command
    def start_totp(self, enrolment: TotpEnrolment) -> bool:
        document = {**_totp_document(enrolment), "confirmed": False}
        # matches an unconfirmed enrolment or none; a confirmed one makes the upsert a duplicate key
        try:
            self._totp.update_one(
                {"userId": enrolment.user_id, "confirmed": False}, {"$set": document}, upsert=True
            )
        except DuplicateKeyError:
            return False
        return True

    @command
    def get_totp(self, user_id: str) -> TotpEnrolment | None:
        if not isinstance(user_id, str):
            return None
        document = self._totp.find_one({"userId": user_id})
        return None if document is None else _totp_from_document(document)

    @command
    def confirm_totp(
        self, user_id: str, secret: str, last_step: int, recovery_code_hashes: tuple[str, ...]
    ) -> bool:
        result = self._totp.update_one(
            {"userId": user_id, "confirmed": False, "secret": secret},
            {
                "$set": {
                    "confirmed": True,
                    "lastStep": last_step,
                    "recoveryCodes": list(recovery_code_hashes),
                }
            },
        )
        return result.matched_count == 1

    @command
    def use_totp_step(self, user_id: str, step: int) -> bool:
        result = self._totp.update_one(
            {"userId": user_id, "confirmed": True, "lastStep": {"$lt": step}},
            {"$set": {"lastStep": step}},
        )
        return result.modified_count == 1

    @command
    def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        if not isinstance(code_hash, str):
            return False
        result = self._totp.update_one(
            {"userId": user_id, "confirmed": True, "recoveryCodes": code_hash},
            {"$pull": {"recoveryCodes": code_hash}},
        )
        return result.modified_count == 1

    @command
    def set_recovery_codes(self, user_id: str, code_hashes: tuple[str, ...]) -> bool:
        result = self._totp.update_one(
            {"userId": user_id, "confirmed": True}, {"$set": {"recoveryCodes": list(code_hashes)}}
        )
        return result.matched_count == 1

    @command
    def delete_totp(self, user_id: str) -> bool:
        if not isinstance(user_id, str):
            return False
        return self._totp.delete_one({"userId": user_id}).deleted_count == 1

    @command
    def totp_users(self, user_ids: Sequence[str]) -> set[str]:
        query = {"userId": {"$in": list(user_ids)}, "confirmed": True}
        return {document["userId"] for document in self._totp.find(query, {"userId": 1})}

    @command
    def create_challenge(self, challenge: MfaChallenge) -> None:
        try:
            insert_once(
                self._challenges,
                {
                    "tokenHash": challenge.token_hash,
                    "userId": challenge.user_id,
                    "credentialVersion": challenge.credential_version,
                    "expires": to_mongo_time(challenge.expires_at),
                },
            )
        except DuplicateKeyError:
            raise ValueError("A challenge with that token hash exists.") from None

    @command
    def get_challenge(self, token_hash: str, now: datetime) -> MfaChallenge | None:
        if not isinstance(token_hash, str):
            return None
        document = self._challenges.find_one(
            {"tokenHash": token_hash, "expires": {"$gt": to_mongo_time(now)}}
        )
        if document is None:
            return None
        return MfaChallenge(
            token_hash=document["tokenHash"],
            user_id=document["userId"],
            credential_version=document["credentialVersion"],
            expires_at=from_mongo_time(document["expires"]),
        )

    @command
    def delete_challenge(self, token_hash: str, now: datetime) -> bool:
        if not isinstance(token_hash, str):
            return False
        document = self._challenges.find_one_and_delete({"tokenHash": token_hash})
        return document is not None and from_mongo_time(document["expires"]) > now

    @command
    def create_passkey(self, passkey: Passkey) -> None:
        try:
            insert_once(self._passkeys, _passkey_document(passkey))
        except DuplicateKeyError:
            raise ValueError("A passkey with that credential id exists.") from None

    @command
    def get_passkey(self, credential_id: str) -> Passkey | None:
        if not isinstance(credential_id, str):
            return None
        document = self._passkeys.find_one({"credentialId": credential_id})
        return None if document is None else _passkey_from_document(document)

    @command
    def list_passkeys(self, user_id: str) -> list[Passkey]:
        cursor = self._passkeys.find({"userId": user_id}).sort("created", ASCENDING)
        return [_passkey_from_document(document) for document in cursor]

    @command
    def passkey_counts(self, user_ids: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for document in self._passkeys.find({"userId": {"$in": list(user_ids)}}, {"userId": 1}):
            counts[document["userId"]] = counts.get(document["userId"], 0) + 1
        return counts

    @command
    def rename_passkey(self, user_id: str, credential_id: str, name: str) -> Passkey | None:
        if not isinstance(credential_id, str):
            return None
        document = self._passkeys.find_one_and_update(
            {"credentialId": credential_id, "userId": user_id},
            {"$set": {"name": name}},
            return_document=ReturnDocument.AFTER,
        )
        return None if document is None else _passkey_from_document(document)

    @command
    def delete_passkey(self, user_id: str, credential_id: str) -> bool:
        if not isinstance(credential_id, str):
            return False
        return (
            self._passkeys.delete_one(
                {"credentialId": credential_id, "userId": user_id}
            ).deleted_count
            == 1
        )

    @command
    def delete_passkeys(self, user_id: str) -> int:
        return self._passkeys.delete_many({"userId": user_id}).deleted_count

    @command
    def use_passkey(
        self, credential_id: str, expected_sign_count: int, sign_count: int, used_at: datetime
    ) -> bool:
        result = self._passkeys.update_one(
            {"credentialId": credential_id, "signCount": expected_sign_count},
            {"$set": {"signCount": sign_count, "lastUsed": to_mongo_time(used_at)}},
        )
        return result.matched_count == 1

    @command
    def create_passkey_challenge(self, challenge: PasskeyChallenge) -> None:
        try:
            insert_once(
                self._passkey_challenges,
                {
                    "challengeHash": challenge.challenge_hash,
                    "ceremony": challenge.ceremony,
                    "userId": challenge.user_id,
                    "expires": to_mongo_time(challenge.expires_at),
                },
            )
        except DuplicateKeyError:
            raise ValueError("A challenge with that hash exists.") from None

    @command
    def take_passkey_challenge(self, challenge_hash: str, now: datetime) -> PasskeyChallenge | None:
        if not isinstance(challenge_hash, str):
            return None
        document = self._passkey_challenges.find_one_and_delete({"challengeHash": challenge_hash})
        if document is None or from_mongo_time(document["expires"]) <= now:
            return None
        return PasskeyChallenge(
            challenge_hash=document["challengeHash"],
            ceremony=document["ceremony"],
            user_id=document["userId"],
            expires_at=from_mongo_time(document["expires"]),
        )


def _passkey_document(passkey: Passkey) -> dict[str, Any]:
    return {
        "credentialId": passkey.credential_id,
        "userId": passkey.user_id,
        "name": passkey.name,
        "publicKey": passkey.public_key,
        "signCount": passkey.sign_count,
        "created": to_mongo_time(passkey.created_at),
        "lastUsed": None if passkey.last_used_at is None else to_mongo_time(passkey.last_used_at),
    }


def _passkey_from_document(document: dict[str, Any]) -> Passkey:
    last_used = document.get("lastUsed")
    return Passkey(
        credential_id=document["credentialId"],
        user_id=document["userId"],
        name=document["name"],
        public_key=bytes(document["publicKey"]),
        sign_count=int(document["signCount"]),
        created_at=from_mongo_time(document["created"]),
        last_used_at=from_mongo_time(last_used) if isinstance(last_used, datetime) else None,
    )


def _totp_document(enrolment: TotpEnrolment) -> dict[str, Any]:
    return {
        "userId": enrolment.user_id,
        "secret": enrolment.secret,
        "created": to_mongo_time(enrolment.created_at),
        "confirmed": enrolment.confirmed,
        "lastStep": enrolment.last_step,
        "recoveryCodes": list(enrolment.recovery_code_hashes),
    }


def _totp_from_document(document: dict[str, Any]) -> TotpEnrolment:
    return TotpEnrolment(
        user_id=document["userId"],
        secret=document["secret"],
        created_at=from_mongo_time(document["created"]),
        confirmed=bool(document["confirmed"]),
        last_step=int(document["lastStep"]),
        recovery_code_hashes=tuple(document.get("recoveryCodes") or ()),
    )
