"""An application written for frappyflaskauth 1.6.3 + frappymongouser 1.5.1, following their
READMEs.

Ported to frappyauth by changing its imports only; it used to read:

    from frappyflaskauth import register_endpoints, check_login_state
    from frappymongouser import UserStore, UserTokenStore
"""

import os

from flask import Flask, abort, jsonify, request

from frappyauth import check_login_state, register_endpoints
from frappyauth.compat import UserStore, UserTokenStore

MONGO_URL = os.environ.get("MONGO_URL", "mongodb://localhost:27017")
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "first admin password")


def create_app(auth_options=None):
    app = Flask(__name__)
    user_store = UserStore(mongo_url=MONGO_URL, mongo_db="portal", collection_name="users")
    token_store = UserTokenStore(
        mongo_url=MONGO_URL, mongo_db="portal", collection_name="userTokens"
    )
    user_store.initial_local_user_check("admin", ADMIN_PASSWORD)
    options = {"api_keys": True, "page_size": 2}
    options.update(auth_options or {})
    register_endpoints(app, user_store, token_store, options)

    @app.route("/api/me", methods=["GET"])
    def me():
        user = check_login_state()
        return jsonify(
            {"user": user.to_json(), "uid": user.user_id, "hasKey": user.api_key is not None}
        )

    @app.route("/api/staff", methods=["GET"])
    def staff():
        check_login_state("admin")
        users, total = user_store.get_all(page_size=2, page=int(request.args.get("page", 0)))
        return jsonify({"users": [user.to_json() for user in users], "total": total})

    @app.route("/api/staff", methods=["POST"])
    def hire():
        check_login_state("admin")
        body = request.get_json()
        if user_store.get_by_username(body["username"]) is not None:
            abort(400)
        user = user_store.create_local_user(
            body["username"], body["password"], body.get("permissions", [])
        )
        return jsonify(user.to_json())

    @app.route("/api/staff/<username>/permissions", methods=["POST"])
    def set_permissions(username):
        check_login_state("admin")
        user = user_store.get_by_username(username)
        if user is None:
            abort(404)
        return jsonify(
            user_store.update_permissions(user.id, request.get_json()["permissions"]).to_json()
        )

    @app.route("/api/staff/<user_id>/password", methods=["POST"])
    def reset_password(user_id):
        check_login_state("admin")
        user = user_store.change_password(user_id, request.get_json()["password"])
        if user is None:
            abort(404)
        return jsonify(user.to_json())

    @app.route("/api/staff/<user_id>/profile", methods=["POST"])
    def set_profile(user_id):
        check_login_state("admin")
        return jsonify(user_store.update_profile(user_id, request.get_json()).to_json())

    @app.route("/api/confirm", methods=["POST"])
    def confirm_password():
        user = check_login_state()
        return jsonify(
            {
                "confirmed": user_store.login_with_password(
                    user.username, request.get_json()["password"]
                )
                is not None
            }
        )

    @app.route("/api/my-key", methods=["POST", "DELETE"])
    def my_key():
        user = check_login_state()
        if request.method == "DELETE":
            user_store.revoke_api_key(user.id)
            return jsonify({"apiKey": None})
        return jsonify({"apiKey": user_store.create_api_key(user.id)})

    @app.route("/api/key-holders", methods=["GET"])
    def key_holders():
        check_login_state("admin")
        return jsonify([user.username for user in user_store.get_users_with_api_key()])

    @app.route("/api/reports", methods=["GET"])
    def reports():
        user = check_login_state("view", allow_api_key=True)
        return jsonify({"for": user.username})

    return app
