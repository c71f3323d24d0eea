"""The ``simsgd`` command.

``simsgd reproduce --quick`` runs every study at quick scale, writes ``figures/<study>.png``
and ``figures/<study>.json``, prints the verdict table and writes ``figures/verdicts.md``.
``simsgd list`` lists the studies. Bad arguments exit with status 2 and one line.
"""

import argparse
import importlib
import os
import sys
import time

STUDIES = ("exit_time_scaling", "deterministic_mechanism", "l0l1_clipping")


def _study(name):
    return importlib.import_module(f"studies.{name}")


def _parser():
    p = argparse.ArgumentParser(prog="simsgd", description="Theory-validation simulator for SGD.")
    sub = p.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("reproduce", help="run studies, write figures and the verdict table")
    rp.add_argument("studies", nargs="*", help=f"studies to run (default: all of {', '.join(STUDIES)})")
    rp.add_argument("--scale", choices=("quick", "paper"), default="paper")
    rp.add_argument("--quick", dest="scale", action="store_const", const="quick",
                    help="same as --scale quick")
    rp.add_argument("--seed", type=int, default=0)
    rp.add_argument("--out", default="figures", help="output folder (default: figures)")
    rp.add_argument("--no-progress", action="store_true")
    sub.add_parser("list", help="list the studies")
    return p


def _verdict_markdown(rows):
    lines = ["| study | claim | predicted | measured ± 95% CI | verdict (99%) |",
             "|---|---|---|---|---|"]
    for r in rows:
        half = (r["ci_high"] - r["ci_low"]) / 2
        lines.append(f"| {r['study']} | {r['claim']} | {r['predicted']:.4g} | "
                     f"{r['measured']:.4g} ± {half:.2g} | {r['verdict']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        for name in STUDIES:
            doc = (_study(name).__doc__ or "").strip().splitlines()[0]
            print(f"{name:<22} {doc}")
        return 0
    unknown = [s for s in args.studies if s not in STUDIES]
    if unknown:
        parser.exit(2, f"simsgd: error: unknown study {unknown[0]!r}; available: "
                       f"{', '.join(STUDIES)}\n")
    if args.seed < 0:
        parser.exit(2, f"simsgd: error: --seed must be >= 0, got {args.seed}\n")
    from . import report

    rows = []
    t0 = time.perf_counter()
    for name in args.studies or STUDIES:
        mod = _study(name)
        result = mod.run(scale=args.scale, seed=args.seed, progress=not args.no_progress)
        for r in result["rows"]:
            r["study"] = name
        path = report.save(name, result, args.out)
        fig = mod.plot(report.load(path), os.path.join(args.out, f"{name}.png"))
        print(f"{name}: wrote {fig} and {path}", file=sys.stderr)
        rows.extend(result["rows"])
    print(report.verdict_table(rows))
    with open(os.path.join(args.out, "verdicts.md"), "w") as fh:
        fh.write(_verdict_markdown(rows))
    print(f"\n{len(rows)} verdicts in {time.perf_counter() - t0:.0f} s; "
          f"table in {os.path.join(args.out, 'verdicts.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
