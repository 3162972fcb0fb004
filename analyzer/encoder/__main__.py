"""``python -m analyzer.encoder``: build (or find) the encoder cache."""

from __future__ import annotations

from . import _timed_prepare


def main() -> None:
    path, seconds, existed = _timed_prepare()
    state = "already present" if existed else "built"
    print(f"encoder cache {state}: {path} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
