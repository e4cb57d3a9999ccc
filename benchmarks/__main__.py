"""Run the benchmarks: ``python -m benchmarks [name-filter ...] [--repeat N]``.

Each time is the best of at least N runs (of about 0.25 s of runs for quick
workloads), taken in rounds in which the implementations take turns (see
benchmarks.best_times)."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import best_times


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("filters", nargs="*", help="run only workloads whose name contains one")
    ap.add_argument("--repeat", type=int, default=None, help="the fewest timed runs per implementation")
    args = ap.parse_args(argv)
    import benchmarks
    mods = [importlib.import_module(f"benchmarks.{m.name}")
            for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")]
    print(f"{'workload':44s} {'ours':>10s} {'numpy':>10s} {'torch':>10s} "
          f"{'/numpy':>7s} {'/torch':>7s}  notes")
    for mod in mods:
        for w in mod.WORKLOADS:
            if args.filters and not any(f in w.name for f in args.filters):
                continue
            impls = w.setup()
            if "check" in impls:
                impls["check"]()
            repeat = args.repeat or w.repeat
            times = best_times({k: impls[k] for k in ("ours", "numpy", "torch")
                                if impls.get(k) is not None}, repeat)
            ours = times["ours"]
            r_np = ours / times["numpy"] if "numpy" in times else float("nan")
            r_t = ours / times["torch"] if "torch" in times else float("nan")
            notes = []
            if "ops" in impls:
                notes.append(f"{impls['ops'] / ours:,.0f} ops/s")
                if "torch" in times:
                    notes.append(f"torch {impls['ops'] / times['torch']:,.0f} ops/s")
            for k, v in impls.get("report", {}).items():
                notes.append(f"{k} {v}")
            for k, target in w.targets.items():
                r = r_np if k == "numpy" else r_t
                if r == r:
                    notes.append(f"{'ok' if r <= target else 'MISS'} <= {target}x {k}")
            fmt = lambda k: f"{times[k] * 1e3:8.3f}ms" if k in times else f"{'-':>10s}"
            print(f"{w.name:44s} {fmt('ours')} {fmt('numpy')} {fmt('torch')} "
                  f"{r_np:7.2f} {r_t:7.2f}  {'; '.join(notes)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
