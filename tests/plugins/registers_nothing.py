"""A plugin that imports fine and registers nothing (a forgotten register call)."""

VALUE = 1
