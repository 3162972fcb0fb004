"""``python -m analyzer.data build|stats|check``: maintain and inspect the corpus."""
from __future__ import annotations

import argparse
import sys

from analyzer.data.check import check, stats
from analyzer.data.corpus import _read_jsonl, build, datasets_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analyzer.data", description=__doc__)
    ap.add_argument("command", choices=["build", "stats", "check"])
    args = ap.parse_args(argv)
    if args.command == "build":
        n, path = build()
        print(f"wrote {n} agreements to {path}")
        return 0
    path = datasets_dir() / "agreements.jsonl"
    if args.command == "stats":
        if not path.exists():
            print(f"{path} is missing; run `python -m analyzer.data build`", file=sys.stderr)
            return 1
        print(stats(list(_read_jsonl(path))))
        return 0
    errors = check()
    for e in errors:
        print(e)
    print(f"{len(errors)} violation(s)" if errors else "corpus OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
