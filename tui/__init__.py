"""whytree terminal client: the participant and facilitator screens (Textual)."""
