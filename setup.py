from setuptools import find_packages, setup

setup(
    name="frappyauth",
    version="0.1.0",
    description="User management and authentication for Flask in one call, over MongoDB or memory.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["frappyauth", "frappyauth.*", "stores", "stores.*", "frappyauth_demo"]),
    package_data={"frappyauth": ["py.typed"]},
    install_requires=[
        "flask>=2.3",
        "bcrypt>=4.0",
        "blinker>=1.6",  # security-event signals; Flask's own signal library
        "sortedcontainers>=2.4",  # the memory store's O(log n) paging
    ],
    extras_require={
        "mongo": ["pymongo>=4.0"],
        "serve": ["gunicorn>=22"],  # the production server in the Docker image
        "test": ["pytest>=8", "mongomock>=4.1", "hypothesis>=6.100", "mypy>=1.10", "ruff>=0.5",
                 "schemathesis>=4.0", "openapi-spec-validator>=0.7"],
    },
    entry_points={"console_scripts": ["frappyauth-demo = frappyauth_demo.__main__:main"]},
    classifiers=[
        "Framework :: Flask",
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ],
)
