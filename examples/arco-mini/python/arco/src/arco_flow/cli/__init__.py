"""The `arco` command line interface."""
