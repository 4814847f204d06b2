"""``python -m unique.client`` and the ``uniquectl`` script: run the client CLI, or say in one
line which extra it needs when typer, rich or PyYAML is missing."""

from __future__ import annotations

import sys

CLI_PACKAGES = {"typer", "click", "rich", "yaml"}


def main() -> None:
    try:
        from unique.client.cli import main as cli
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in CLI_PACKAGES:
            raise
        sys.exit(
            f"error: the command line needs the cli extra ({error.name} is missing): "
            "pip install 'unique-client[cli]'"
        )
    cli()


if __name__ == "__main__":
    main()
