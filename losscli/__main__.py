"""``python -m losscli``."""

from losscli.entry import main

if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess test
    main()
