"""Minimal pages for the links the demo mails, standing in for an app's own front end
(`frontend_url`)."""

from __future__ import annotations

from flask import Blueprint, Response, abort

# action in the link -> (title, endpoint the page posts to, whether it asks for a new password)
PAGES = {
    "reset-password": ("Choose a new password", "password-reset/confirm", True),
    "verify-email": ("Confirm your email address", "verify-email", False),
    "confirm-email": ("Confirm your new email address", "email/confirm", False),
}

# The token stays in the URL's query: the script reads it there, so the server never writes it into
# the page.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
<form id="form">{password}<button type="submit">Confirm</button></form>
<p id="result" role="status"></p>
<script>
document.getElementById("form").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const body = {{token: new URLSearchParams(location.search).get("token")}};
  const password = document.getElementById("password");
  if (password) body.password = password.value;
  const response = await fetch("{api}", {{
    method: "POST", headers: {{"Content-Type": "application/json"}}, body: JSON.stringify(body)}});
  const answer = await response.json();
  document.getElementById("result").textContent = response.ok ? "Done." : answer.message;
}});
</script></body></html>
"""
PASSWORD_FIELD = (
    '<label>New password <input id="password" type="password" autocomplete="new-password" '
    'minlength="12" required></label> '
)


def pages(api_prefix: str) -> Blueprint:
    blueprint = Blueprint("frappyauth_demo_pages", __name__)

    @blueprint.route("/account/<action>")
    def page(action: str) -> Response:
        if action not in PAGES:
            abort(404)
        title, endpoint, asks_password = PAGES[action]
        html = PAGE.format(
            title=title,
            api=f"{api_prefix}/{endpoint}",
            password=PASSWORD_FIELD if asks_password else "",
        )
        # The token is in this page's URL: it must not leak in a Referer header or stay in a cache.
        return Response(
            html,
            mimetype="text/html",
            headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
        )

    return blueprint
