"""The Flask layer: endpoints, request bodies, credentials, JSON answers, the CLI and the OpenAPI
document."""
