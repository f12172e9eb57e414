"""CLI subcommands: each module has `register(subparsers)` and `execute(args, client, out)`."""
