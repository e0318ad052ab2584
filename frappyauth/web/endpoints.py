"""Endpoint declarations: each endpoint is declared once, beside its view, and everything else is
derived.

A flow's web module keeps one `Endpoints` list and declares each view on it with `route`: its rule,
method, the features (options) it needs and its OpenAPI operation. From the lists,
`build_blueprints` registers what the options turn on, `routing` answers a request for what they
turn off with a JSON 404 naming the option, and `openapi` documents exactly what is on. Adding an
endpoint is one declaration in one place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from frappyauth.core.options import Options
from frappyauth.core.throttle import Throttle
from frappyauth.web.responses import no_store, render_any
from frappyauth.web.schemas import Operation

View = Callable[..., ResponseReturnValue]
V = TypeVar("V", bound=View)
OperationSource = Operation | Callable[[Options], Operation] | None
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Feature:
    """Options that turn endpoints on, and what a client is told while they are off."""

    is_on: Callable[[Options], bool]
    off_message: str


def _disabled(what: str, option: str, state: str = "off") -> str:
    return f"{what} disabled on this server (the frappyauth option '{option}' is {state})."


API_KEYS = Feature(lambda o: o.api_keys, _disabled("API keys are", "api_keys"))
USER_MANAGEMENT = Feature(
    lambda o: not o.no_user_management, _disabled("User management is", "no_user_management", "on")
)
REGISTRATION = Feature(lambda o: o.registration, _disabled("Self sign-up is", "registration"))
EMAIL_VERIFICATION = Feature(
    lambda o: o.email_verification is not None,
    _disabled("Address verification is", "email_verification"),
)
PASSWORD_RESET = Feature(
    lambda o: o.password_reset, _disabled("Password reset by mail is", "password_reset")
)
EMAIL_CHANGE = Feature(lambda o: o.email_change, _disabled("Address change is", "email_change"))
TOTP = Feature(lambda o: o.totp, _disabled("TOTP is", "totp"))
PASSKEYS = Feature(lambda o: o.passkeys, _disabled("Passkeys are", "passkeys"))
SECOND_FACTORS = Feature(lambda o: o.totp or o.passkeys, TOTP.off_message)
IDENTITY_PROVIDERS = Feature(
    lambda o: bool(o.identity_providers),
    "Sign-in through identity providers is disabled on this server (the frappyauth option "
    "'identity_providers' is empty).",
)
TRUSTED_DEVICES = Feature(
    lambda o: o.trusted_devices, _disabled("Trusted devices are", "trusted_devices")
)
EMAIL_SIGN_IN = Feature(
    lambda o: o.email_sign_in, _disabled("Sign-in by emailed code is", "email_sign_in")
)
AUDIT = Feature(lambda o: o.audit_trail, _disabled("The audit trail is", "audit_trail"))
IMPERSONATION = Feature(lambda o: o.impersonation, _disabled("Impersonation is", "impersonation"))
CONSOLE = Feature(lambda o: o.console, _disabled("The console is", "console"))
SELF_DELETE = Feature(
    lambda o: o.allow_self_delete, _disabled("Deleting one's own account is", "allow_self_delete")
)
NEW_DEVICE_ALERTS = Feature(
    lambda o: o.new_device_alerts, _disabled("New-device alerts are", "new_device_alerts")
)
ROLES = Feature(lambda o: o.roles, _disabled("Roles are", "roles"))
SUSPENSION = Feature(lambda o: o.suspension, _disabled("Suspension is", "suspension"))
USERNAME_CHANGE = Feature(
    lambda o: o.allow_username_change,
    _disabled("Changing one's own username is", "allow_username_change"),
)


@dataclass(frozen=True)
class BlueprintSpec:
    """A blueprint the endpoints are registered on, with the hooks every response of it gets."""

    name: str
    after_request: tuple[Callable[[Response], Response], ...] = ()
    error_handler: Callable[[Exception], Response] | None = None


API = BlueprintSpec("frappyauth", after_request=(no_store,), error_handler=render_any)


@dataclass(frozen=True)
class Endpoint:
    rule: str  # relative to `api_prefix`, in Werkzeug's syntax
    method: str
    view: View
    operation: OperationSource  # `None`: not in the OpenAPI document
    requires: tuple[Feature, ...] = ()
    blueprint: BlueprintSpec = API
    # Whether an impersonation session may call it. Off unless declared: an endpoint added later
    # is closed to impersonation until someone decides it is safe (see docs/audit.md).
    impersonation: bool = False

    @property
    def name(self) -> str:
        return f"{self.view.__name__}_{self.method.lower()}"

    @property
    def flask_endpoint(self) -> str:
        """Its name as Flask's `request.endpoint` gives it."""
        return f"{self.blueprint.name}.{self.name}"

    def off_message(self, options: Options) -> str | None:
        """What a client is told while a feature this endpoint needs is off; `None` while it is
        on."""
        return next(
            (feature.off_message for feature in self.requires if not feature.is_on(options)), None
        )

    def openapi_operation(self, options: Options) -> Operation | None:
        source = self.operation
        return source(options) if callable(source) else source

    def counts_anonymous_requests(self, options: Options) -> bool:
        """Whether anyone may call it without credentials and it may write: then each request is
        counted per client network before the view runs (`Throttle.limit_anonymous`).

        Read from the declaration itself: a method other than GET whose operation lets a caller
        send no credentials (`security` empty, or one of its alternatives empty). An undocumented
        write counts too, so forgetting the operation cannot open a flood.
        """
        if self.method in SAFE_METHODS:
            return False
        operation = self.openapi_operation(options)
        security = None if operation is None else operation.get("security")
        return not security or any(not requirement for requirement in security)


@dataclass
class Endpoints:
    """One flow's endpoint declarations; `requires` and `blueprint` apply to each of them."""

    requires: tuple[Feature, ...] = ()
    blueprint: BlueprintSpec = API
    declared: list[Endpoint] = field(default_factory=list)

    def route(
        self,
        method: str,
        rule: str,
        operation: OperationSource,
        requires: tuple[Feature, ...] = (),
        impersonation: bool = False,
    ) -> Callable[[V], V]:
        """Declare the decorated view as `method rule`; the view itself is returned unchanged.
        `impersonation` opens it to impersonation sessions (see `Endpoint.impersonation`)."""

        def declare(view: V) -> V:
            self.declared.append(
                Endpoint(
                    rule,
                    method,
                    view,
                    operation,
                    (*self.requires, *requires),
                    self.blueprint,
                    impersonation,
                )
            )
            return view

        return declare

    def __iter__(self) -> Any:
        return iter(self.declared)


def build_blueprints(
    options: Options, endpoints: Iterable[Endpoint], throttle: Throttle
) -> list[Blueprint]:
    """The blueprints of the endpoints these options turn on, under `api_prefix`; those anyone
    may call that write are counted by `throttle` first (see `Endpoint.counts_anonymous_requests`).
    """
    blueprints: dict[str, Blueprint] = {}
    for endpoint in endpoints:
        if endpoint.off_message(options) is not None:
            continue
        blueprint = blueprints.get(endpoint.blueprint.name)
        if blueprint is None:
            blueprint = blueprints[endpoint.blueprint.name] = _blueprint(
                endpoint.blueprint, options
            )
        blueprint.add_url_rule(
            endpoint.rule,
            endpoint=endpoint.name,
            view_func=(
                _counted(endpoint, throttle)
                if endpoint.counts_anonymous_requests(options)
                else endpoint.view
            ),
            methods=[endpoint.method],
        )
    return list(blueprints.values())


def _counted(endpoint: Endpoint, throttle: Throttle) -> View:
    """The endpoint's view, after one count of the request against its client's network."""
    view = endpoint.view

    @functools.wraps(view)
    def counted(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        throttle.limit_anonymous(endpoint.name, request.remote_addr)
        return view(*args, **kwargs)

    return counted


def _blueprint(spec: BlueprintSpec, options: Options) -> Blueprint:
    blueprint = Blueprint(spec.name, __name__, url_prefix=options.api_prefix)
    for hook in spec.after_request:
        blueprint.after_request(hook)
    if spec.error_handler is not None:
        blueprint.register_error_handler(Exception, spec.error_handler)
    return blueprint


_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> tuple[str, list[str]]:
    """A Werkzeug rule as an OpenAPI path (`/users/<user_id>` -> `/users/{userId}`), and its
    variables."""
    names: list[str] = []

    def variable(match: re.Match[str]) -> str:
        head, *rest = match.group(1).split("_")
        names.append(head + "".join(word.title() for word in rest))
        return "{" + names[-1] + "}"

    return _VARIABLE.sub(variable, rule), names
