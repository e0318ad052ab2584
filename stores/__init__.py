"""Store packages for frappyauth: `stores.memory` and `stores.mongo`."""
