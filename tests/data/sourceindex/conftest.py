# The .py files here are source-index fixtures, not tests: pytest must not import them.
collect_ignore_glob = ["*.py"]
