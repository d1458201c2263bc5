"""Screens of the terminal client: joining a session, and the session itself (with its dialogs)."""
