"""A live install: the VRU organisation and its first administrator on an empty database (`flask setup`)."""
