"""A live lab: the architectures deployed in emulated accounts that respond in real time."""
