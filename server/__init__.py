"""whytree server: holds the authoritative session, journals it and serves it over websockets."""
