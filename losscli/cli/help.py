"""``--help`` in sections, as sacrebleu groups its flags: score source, labels and columns,
loss options, output, statistics, CI gates.

Each option carries a ``group`` attribute, set where it is declared (:func:`tag`);
:class:`GroupedCommand` prints one section per group, in :data:`SECTIONS` order, and the
options without one (``--help``) last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import click

SCORES = "Score source"
LABELS = "Labels and columns"
LOSS = "Loss options"
OUTPUT = "Output"
STATS = "Statistics"
GATES = "CI gates"
SECTIONS = (SCORES, LABELS, LOSS, OUTPUT, STATS, GATES)


def tag(params: Iterable[click.Parameter], group: str | Callable[[str], str]) -> None:
    """Put ``params`` in ``group`` (a section name, or a function of the parameter's name)
    unless they already are in one."""
    for p in params:
        if getattr(p, "group", None) is None:
            p.group = group if isinstance(group, str) else group(p.name or "")  # type: ignore[attr-defined]


class GroupedCommand(click.Command):
    """A command whose options are listed in sections named by their ``group``."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
            if record is None:  # hidden, or an argument (the usage line names those)
                continue
            group = getattr(param, "group", None) or "Other options"
            sections.setdefault(group, []).append(record)
        for name in [*SECTIONS, *(s for s in sections if s not in SECTIONS)]:
            if name in sections:
                with formatter.section(name):
                    formatter.write_dl(sections[name])


def short_help(text: str) -> str:
    """The first sentence of a command's help, whole: ``losscli --help`` lists it uncut."""
    first = text.strip().split("\n\n", 1)[0]
    return " ".join(first.split())
