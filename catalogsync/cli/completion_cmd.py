"""`catalogsync completion SHELL`: the shell completion script (click's), to source."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from catalogsync.cli import cli

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_CATALOGSYNC_COMPLETE"


@cli.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL: commands, options, targets' flags.

    \b
    bash:  eval "$(catalogsync completion bash)"     (in ~/.bashrc)
    zsh:   eval "$(catalogsync completion zsh)"      (in ~/.zshrc)
    fish:  catalogsync completion fish > ~/.config/fish/completions/catalogsync.fish
    """
    completer = get_completion_class(shell)
    assert completer is not None  # every name in SHELLS is one click knows
    click.echo(completer(cli, {}, "catalogsync", COMPLETE_VAR).source())
