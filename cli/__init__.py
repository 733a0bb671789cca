"""The command line: the top layer, one module per command; nothing imports it."""
