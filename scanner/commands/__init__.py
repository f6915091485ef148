"""One module per ``lekk`` subcommand; ``scanner.cli.COMMANDS`` lists them."""
