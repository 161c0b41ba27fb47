"""Writes to farm work (actions: preview, execute, audit). Services may read through
selectors and call the deadline boundary; they never import a view."""
