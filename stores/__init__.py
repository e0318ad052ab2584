"""Store packages, installed as `frappyauth.stores.memory` and `frappyauth.stores.mongo`."""
