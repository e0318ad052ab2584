"""`python -m frappyauth_demo [--host H] [--port P]`: serve the demo (development server)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from frappyauth_demo.app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="frappyauth-demo", description="Serve the frappyauth demo."
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: loopback only)"
    )
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    os.environ.setdefault(
        "FRAPPYAUTH_PUBLIC_URL", f"http://{args.host}:{args.port}"
    )  # for the mailed links
    app = create_app()
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"frappyauth demo: the console is at http://{shown_host}:{args.port}/api/user/console/",
        flush=True,
    )
    try:
        app.run(host=args.host, port=args.port)  # werkzeug logs every request
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
