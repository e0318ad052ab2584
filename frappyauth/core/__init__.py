"""The framework-free core: accounts, authentication, passwords, secrets, records and the store
protocols.

Nothing here imports Flask or a store package; the HTTP layer (`frappyauth.web`) calls in with the
request's facts, and the stores (`frappyauth.stores`) implement `protocols`.
"""
