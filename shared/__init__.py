"""whytree core shared by server and clients: model, protocol, rules and apply; no I/O."""
