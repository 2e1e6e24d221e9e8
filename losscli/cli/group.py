"""The command group and the one place where errors become exit codes.

``LossInputError`` (bad data) and click's usage errors exit 2 with one ``Error: …`` line on
stderr; a closed stdout (``| head``) exits 141 quietly; Ctrl-C exits 130.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

import click

from losscli import __version__
from losscli.cli.output import silence_stdout
from losscli.errors import LossInputError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
# a full disk, a file-size limit, a quota, a dead device: the output cannot be written
WRITE_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO)


class InputError(click.ClickException):
    """Bad input: ``Error: …`` on stderr, exit 2 (click's default for this class is 1)."""

    exit_code = EXIT_BAD_INPUT


class LossGroup(click.Group):
    """The one place where errors become exit codes and ``Error: …`` lines.

    ``LossInputError`` (bad data) and click's usage errors exit 2 with a single line on
    stderr; a closed stdout (``| head``) exits 141 quietly; Ctrl-C exits 130.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LossInputError as e:
            raise InputError(str(e)) from None
        except BrokenPipeError:
            # click would turn EPIPE into exit 1, which means "a check failed" here
            silence_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else EXIT_OK
        except click.exceptions.NoArgsIsHelpError as e:
            click.echo(e.ctx.get_help() if e.ctx else e.format_message(), err=True)
            code = EXIT_BAD_INPUT
        except click.UsageError as e:
            where = f" (see '{e.ctx.command_path} --help')" if e.ctx else ""
            click.echo(f"Error: {e.format_message()}{where}", err=True)
            code = EXIT_BAD_INPUT
        except click.ClickException as e:
            e.show()
            code = e.exit_code
        except click.exceptions.Exit as e:
            code = e.exit_code
        except (click.Abort, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            code = EXIT_INTERRUPTED
        except BrokenPipeError:
            silence_stdout()
            code = EXIT_BROKEN_PIPE
        except OSError as e:
            if e.errno not in WRITE_ERRNOS:
                raise
            silence_stdout()  # --help or --version into /dev/full
            click.echo(f"Error: standard output: cannot write ({e.strerror or e})", err=True)
            code = EXIT_BAD_INPUT
        try:
            if sys.stdout is not None:
                sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
            code = EXIT_BROKEN_PIPE
        except OSError as e:
            if e.errno not in WRITE_ERRNOS:
                raise
            silence_stdout()
            click.echo(f"Error: standard output: cannot write ({e.strerror or e})", err=True)
            code = EXIT_BAD_INPUT
        sys.exit(code)


@click.group(cls=LossGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="losscli")
def cli() -> None:
    """Classification losses from files, exactly as PyTorch (or Keras, or scikit-learn) computes them.

    \b
    Examples:
      losscli bce --logits preds.csv                 # table: per-sample losses, mean, accuracy
      losscli ce --logits logits.npy --labels y.npy -q
      cat preds.csv | losscli auto --logits - --format json
      losscli bce --probs p.csv --fail-above 0.35    # exit 1 in CI when the loss regresses

    \b
    Exit codes: 0 ok; 1 a check (--fail-above, --fail-if-worse) failed;
    2 bad usage or bad input; 130 interrupted; 141 stdout closed early (| head).
    Environment: LOSSCLI_FORMAT, LOSSCLI_CONVENTION (flags win); LOSSCLI_READER=auto|numpy|arrow.
    """
