"""Run the benchmarks and rewrite docs/benchmarks.md (see bench/__init__.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from bench.realcode import kept_section
from bench.report import Section, render

_ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    wanted = argv[1:] if len(argv) > 1 else []
    sections: list[Section] = []
    for module_path in sorted((_ROOT / "bench").glob("bench_*.py")):
        name = module_path.stem
        if wanted and not any(w in name for w in wanted):
            continue
        print(f"==> {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        sections.extend(module.run())
    out = _ROOT / "docs" / "benchmarks.md"
    if wanted and out.exists():
        print("(partial run: docs/benchmarks.md left as it was; printing instead)")
        print(render(sections))
        return 0
    text = render(sections)
    # The section on public Dapr code needs git mirrors (python -m bench.realcode): carried over.
    kept = kept_section(out.read_text(encoding="utf-8")) if out.exists() else ""
    if kept:
        text = text.rstrip("\n") + "\n\n" + kept + "\n"
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
