"""Shell completion: file options complete file names in bash, zsh and fish.

A plain string option completes nothing, and click then tells the shell to offer nothing
either; :data:`FILE` tells it to complete paths (``CompletionItem(type="file")``) and keeps
the value as the user typed it (``-``, globs and URLs pass through untouched).
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

INSTALL = """\
Shell completion (file options complete paths):
  eval "$(_LOSSCLI_COMPLETE=bash_source losscli)"      # bash, in ~/.bashrc
  eval "$(_LOSSCLI_COMPLETE=zsh_source losscli)"       # zsh, in ~/.zshrc
  _LOSSCLI_COMPLETE=fish_source losscli | source       # fish, in ~/.config/fish/completions/losscli.fish
"""


class FilePath(click.ParamType):
    """A path as given (``-``, a glob, a URL): no checks here, the readers make them."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return [CompletionItem(incomplete, type="file")]


FILE = FilePath()
