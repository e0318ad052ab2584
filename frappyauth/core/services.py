"""The one place where an app's services are built: each exactly once, from its options and stores.

No service builds another: each gets what it needs here, by its constructor. Services of a feature
that is off are `None`; those of the `[mail]` and `[mfa]` extras are imported only when their
options are on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from frappyauth.core.account_deletion import AccountDeletion
from frappyauth.core.accounts import Accounts
from frappyauth.core.api_keys import ApiKeys
from frappyauth.core.audit import AuditTrail
from frappyauth.core.breached_passwords import BreachedPasswords
from frappyauth.core.context import ServiceContext, utc_now
from frappyauth.core.data_export import DataExport
from frappyauth.core.events import Events
from frappyauth.core.federation import Federation
from frappyauth.core.identity_flows import IdentityFlows
from frappyauth.core.identity_providers import provider_settings
from frappyauth.core.impersonation import Impersonation
from frappyauth.core.mailer import Mailer, MessageComposer
from frappyauth.core.options import Options
from frappyauth.core.password_rules import PasswordRules, zxcvbn_estimate
from frappyauth.core.passwords import PasswordHasher
from frappyauth.core.protocols import Stores
from frappyauth.core.roles import Roles
from frappyauth.core.second_factors import SecondFactors
from frappyauth.core.sessions import Sessions
from frappyauth.core.sign_in import SignIn
from frappyauth.core.suspension import Suspension
from frappyauth.core.throttle import Throttle
from frappyauth.core.trusted_devices import TrustedDevices
from frappyauth.core.username_change import UsernameChange

if TYPE_CHECKING:  # the services of the `[mail]` and `[mfa]` extras
    from frappyauth.core.mail_flows import MailFlows
    from frappyauth.core.new_devices import NewDeviceAlerts
    from frappyauth.core.passkeys import Passkeys
    from frappyauth.core.totp import Totp

MIN_KEY_LENGTH = 16  # a secret key shorter than this cannot seal anything worth sealing


@dataclass(frozen=True)
class Services:
    """Every service of one app."""

    context: ServiceContext
    throttle: Throttle
    sessions: Sessions
    api_keys: ApiKeys
    accounts: Accounts
    sign_in: SignIn
    username_change: UsernameChange
    second_factors: SecondFactors | None = None  # with option `totp` or `passkeys`
    totp: Totp | None = None
    passkeys: Passkeys | None = None
    mail: MailFlows | None = None  # with any mail flow on
    audit: AuditTrail | None = None  # with option `audit_trail`
    federation: Federation | None = None  # with option `identity_providers`
    identity_flows: IdentityFlows | None = None
    data_export: DataExport | None = None  # always built; a default only to follow the others
    account_deletion: AccountDeletion | None = None  # with option `allow_self_delete`
    new_devices: NewDeviceAlerts | None = None  # with option `new_device_alerts`
    impersonation: Impersonation | None = None  # with option `impersonation`
    roles: Roles | None = None  # with option `roles`
    suspension: Suspension | None = None  # with option `suspension`
    trusted_devices: TrustedDevices | None = None  # with option `trusted_devices`

    @property
    def options(self) -> Options:
        return self.context.options

    @property
    def stores(self) -> Stores:
        return self.context.stores


def build_services(
    options: Options,
    stores: Stores,
    *,
    clock: Callable[[], datetime] = utc_now,
    event_source: object = None,
    mailer: Mailer | None = None,
    composer: MessageComposer | None = None,
    secret_key: str | bytes | None = None,
) -> Services:
    """Build every service these options ask for, over `stores` (see `Stores`).

    `event_source` is what signals are sent from (the Flask app); `secret_key` seals TOTP secrets
    when the option `mfa_encryption_key` is not set. Raises `ValueError` for TOTP without a key, or
    mail flows without a mailer; `RuntimeError` when an option's extra is not installed.
    """
    audit = stores.audit if options.audit_trail else None
    context = ServiceContext(
        options,
        stores,
        PasswordHasher(options.bcrypt_cost),
        Events(event_source, audit.append if audit else None, clock),
        clock,
    )
    throttle, sessions, api_keys = Throttle(context), Sessions(context), ApiKeys(context)
    accounts = Accounts(context, throttle, api_keys, _password_rules(options))
    trusted_devices = TrustedDevices(context) if options.trusted_devices else None
    second_factors, totp, passkeys = _second_factor_services(
        context, throttle, secret_key, trusted_devices
    )
    federation = _federation(context, accounts, sessions)
    identity_flows = IdentityFlows(context, throttle) if federation is not None else None
    mail = _mail_flows(context, throttle, accounts, mailer, composer, secret_key)
    new_devices = _new_device_alerts(mail, accounts)
    trail = AuditTrail(context) if audit is not None else None
    sign_in = SignIn(
        context,
        throttle,
        sessions,
        second_factors,
        totp,
        passkeys,
        identity_flows=identity_flows,
        new_devices=new_devices,
        emailed_codes=mail.email_sign_in if mail is not None else None,
    )
    return Services(
        context=context,
        throttle=throttle,
        sessions=sessions,
        api_keys=api_keys,
        accounts=accounts,
        sign_in=sign_in,
        username_change=UsernameChange(context, throttle),
        second_factors=second_factors,
        totp=totp,
        passkeys=passkeys,
        mail=mail,
        audit=trail,
        federation=federation,
        identity_flows=identity_flows,
        data_export=DataExport(context, trail),
        account_deletion=AccountDeletion(context, throttle, accounts, second_factors, totp)
        if options.allow_self_delete
        else None,
        new_devices=new_devices,
        impersonation=Impersonation(context, sessions) if options.impersonation else None,
        roles=_roles(context),
        suspension=Suspension(context) if options.suspension else None,
        trusted_devices=trusted_devices,
    )


def _federation(
    context: ServiceContext, accounts: Accounts, sessions: Sessions
) -> Federation | None:
    providers = provider_settings(context.options.identity_providers)
    return Federation(context, accounts, sessions, providers) if providers else None


def _new_device_alerts(mail: MailFlows | None, accounts: Accounts) -> NewDeviceAlerts | None:
    """The alerts, over the mail flows' tokens (option `password_reset`, which they need, builds
    them)."""
    if mail is None or not mail.tokens.context.options.new_device_alerts:
        return None
    from frappyauth.core.new_devices import NewDeviceAlerts

    return NewDeviceAlerts(mail.tokens, accounts)


def _roles(context: ServiceContext) -> Roles | None:
    if not context.options.roles:
        return None
    if context.stores.roles is None:
        raise ValueError(
            "frappyauth option 'roles' needs a role store: Stores(..., roles=MongoRoleStore(db)), "
            "or stores=mongo_stores(db) / memory_stores()."
        )
    return Roles(context, context.stores.roles)


def _password_rules(options: Options) -> PasswordRules:
    breached = (
        BreachedPasswords(options.breached_password_api, options.breached_password_timeout)
        if options.breached_password_check
        else None
    )
    estimate = zxcvbn_estimate() if options.min_password_score is not None else None
    return PasswordRules(options, estimate, breached)


def _second_factor_services(
    context: ServiceContext,
    throttle: Throttle,
    secret_key: str | bytes | None,
    trusted_devices: TrustedDevices | None,
) -> tuple[SecondFactors | None, Totp | None, Passkeys | None]:
    options = context.options
    if not (options.totp or options.passkeys):
        return None, None, None
    key = _app_key(options, secret_key)
    if options.totp and key is None:
        raise ValueError(
            "frappyauth option 'totp' needs a key to encrypt TOTP secrets: set option "
            "'mfa_encryption_key' (32+ random characters) or app.secret_key before "
            "register_endpoints."
        )
    try:
        from frappyauth.core.totp import Totp
        from frappyauth.core.totp_codec import TotpCodec

        if options.passkeys:
            from frappyauth.core.passkeys import Passkeys
    except ImportError as missing:
        raise RuntimeError(
            f"frappyauth options 'totp' and 'passkeys' need the mfa extra: pip install "
            f"'frappyauth[mfa]' ({missing.name} is missing)."
        ) from None
    second_factors = SecondFactors(context, trusted_devices)
    totp = (
        Totp(context, throttle, second_factors, TotpCodec(key, options.totp_issuer))
        if options.totp and key
        else None
    )
    passkeys = Passkeys(context, throttle, second_factors) if options.passkeys else None
    return second_factors, totp, passkeys


def _mail_flows(
    context: ServiceContext,
    throttle: Throttle,
    accounts: Accounts,
    mailer: Mailer | None,
    composer: MessageComposer | None,
    secret_key: str | bytes | None,
) -> MailFlows | None:
    if not context.options.mail_flows:
        return None
    if mailer is None or composer is None:
        raise ValueError(
            "frappyauth's mail flows need a mailer: register_endpoints(..., "
            "mailer=SmtpMailer(...))."
        )
    try:
        from frappyauth.core.email_change import EmailChange
        from frappyauth.core.email_sign_in import EmailSignIn
        from frappyauth.core.mail_flows import MailFlows
        from frappyauth.core.mail_tokens import MailTokens
        from frappyauth.core.mailer import Outbox
        from frappyauth.core.password_reset import PasswordReset
        from frappyauth.core.registration import Registration
    except ImportError as missing:
        raise RuntimeError(
            "frappyauth's mail flows need the [mail] extra: pip install 'frappyauth[mail]'."
        ) from missing
    tokens = MailTokens(context, throttle, Outbox(mailer, composer))
    return MailFlows(
        tokens,
        PasswordReset(tokens, accounts),
        Registration(tokens, accounts),
        EmailChange(tokens),
        EmailSignIn(tokens, _code_key(context.options, secret_key))
        if context.options.email_sign_in
        else None,
    )


def _code_key(options: Options, secret_key: str | bytes | None) -> bytes:
    """The key emailed sign-in codes are hashed with: eight digits, hashed without a key, would
    fall to a search of a copy of the database in seconds."""
    key = _app_key(options, secret_key)
    if key is None:
        raise ValueError(
            "frappyauth option 'email_sign_in' needs a key to hash the codes: set app.secret_key "
            "(or option 'mfa_encryption_key') before register_endpoints."
        )
    return key.encode() if isinstance(key, str) else bytes(key)


def _app_key(options: Options, secret_key: str | bytes | None) -> str | bytes | None:
    """The key the core seals or keys secrets with (TOTP secrets, emailed codes): option
    `mfa_encryption_key`, else the app's `secret_key`; `None` when neither is long enough."""
    key = options.mfa_encryption_key or secret_key
    return key if key and len(key) >= MIN_KEY_LENGTH else None
