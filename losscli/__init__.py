"""losscli: classification losses from the command line, exactly as the frameworks compute them.

This module holds only the version, so that ``--help``, ``--version`` and shell completion
never pay for NumPy or rich.
"""

__version__ = "0.1.0"
