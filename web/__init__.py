"""The browser client: HTML, CSS and plain-JS modules, served by `whytree.server.web`."""
