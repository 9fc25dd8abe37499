#!/usr/bin/python3
"""Plot a sotsim sweep's results.csv to PNG.

Line plot (default): one metric against one parameter, one line per value of a --hue
parameter, mean over seeds with +-1 standard deviation error bars (sample std, n-1).
Heatmap (--heatmap X Y METRIC): the seed-mean of METRIC over a 2-D grid of X and Y.

results.csv columns (written by `sotsim sweep`): parameters..., seed, metrics..., status,
error. Only rows with status "ok" and a value for the metric are plotted. Parameters other
than x/hue (or the heatmap axes) that take more than one value must be fixed with
--where KEY=VALUE, so no plot silently averages over a design dimension.

Examples:
  plot_sweep.py out/results.csv --x device.sigma_p --y accuracy.hardware --hue array.rows
  plot_sweep.py out/results.csv --heatmap device.r_p device.sigma_p accuracy.hardware --logx
"""
import argparse
import csv
import math
import os
import sys


def pyplot():
    """matplotlib (Agg, no display), imported only when drawing so errors come fast."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


class PlotError(Exception):
    pass


def load(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise PlotError(f"{path}: cannot read: {e.strerror}")
    if not rows:
        raise PlotError(f"{path}: empty file")
    header = rows[0]
    for required in ("seed", "status"):
        if required not in header:
            raise PlotError(f"{path}: not a sweep results.csv (no '{required}' column)")
    i_seed, i_status = header.index("seed"), header.index("status")
    params, metrics = header[:i_seed], header[i_seed + 1:i_status]
    records = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise PlotError(f"{path}:{n}: {len(row)} cells, header has {len(header)}")
        records.append(dict(zip(header, row)))
    return params, metrics, records


def as_number(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def ordered_values(values):
    """Distinct values, numerically sorted when all are numbers, else in first-seen order."""
    distinct = list(dict.fromkeys(values))
    if all(as_number(v) is not None for v in distinct):
        return sorted(distinct, key=as_number), True
    return distinct, False


def tick_label(text):
    """Numbers in compact form (1e+07 rather than 10000000); other values as written."""
    v = as_number(text)
    return f"{v:g}" if v is not None else text


def check_column(name, columns, kind, path):
    if name not in columns:
        listing = ", ".join(columns) if columns else "none"
        raise PlotError(f"{path}: no {kind} column '{name}' ({kind}s: {listing})")


def select(records, params, metric, axes, where, path):
    """ok rows with a numeric metric, filtered by --where; checks no other parameter varies."""
    for key, value in where.items():
        check_column(key, params, "parameter", path)
    rows = [r for r in records if r["status"] == "ok"
            and all(r[k] == v for k, v in where.items())]
    rows = [r for r in rows if as_number(r[metric]) is not None]
    if not rows:
        raise PlotError(f"{path}: no finished point has a numeric '{metric}'"
                        + (" with " + ", ".join(f"{k}={v}" for k, v in where.items()) if where else ""))
    for p in params:
        if p in axes or p in where:
            continue
        seen = sorted(set(r[p] for r in rows))
        if len(seen) > 1:
            raise PlotError(f"parameter '{p}' takes {len(seen)} values ({', '.join(seen)}); "
                            f"plot it with --x/--hue or fix it with --where {p}=VALUE")
    return rows


def mean_std(values):
    n = len(values)
    m = sum(values) / n
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return m, s


def line_plot(args, params, metrics, records):
    x = args.x or (params[0] if params else None)
    if x is None:
        raise PlotError(f"{args.csv}: the sweep has no parameters to plot against")
    y = args.y or metrics[0]
    check_column(x, params, "parameter", args.csv)
    check_column(y, metrics, "metric", args.csv)
    if args.hue:
        check_column(args.hue, params, "parameter", args.csv)
    rows = select(records, params, y, {x, args.hue}, args.where, args.csv)
    hues, _ = ordered_values([r[args.hue] for r in rows]) if args.hue else ([None], False)
    xs, numeric = ordered_values([r[x] for r in rows])
    fig, ax = pyplot().subplots(figsize=(6.4, 4.4))
    for h in hues:
        sel = [r for r in rows if h is None or r[args.hue] == h]
        pts = []
        for i, xv in enumerate(xs):
            vals = [as_number(r[y]) for r in sel if r[x] == xv]
            if vals:
                m, s = mean_std(vals)
                pts.append((as_number(xv) if numeric else i, m, s))
        if not pts:
            continue
        label = f"{args.hue} = {tick_label(h)}" if h is not None else None
        ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[p[2] for p in pts],
                    marker="o", capsize=3, label=label)
    if not numeric:
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels([tick_label(v) for v in xs])
    if args.logx:
        ax.set_xscale("log")
    if args.logy:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    seeds = max(len([r for r in rows if r[x] == xv and (not args.hue or r[args.hue] == h)])
                for xv in xs for h in hues)
    ax.set_title(args.title or f"{y} vs {x}" + (f" (mean ± std over {seeds} seeds)" if seeds > 1 else ""))
    ax.grid(True, alpha=0.3)
    if args.hue:
        ax.legend()
    return fig


def heatmap(args, params, metrics, records):
    xk, yk, metric = args.heatmap
    check_column(xk, params, "parameter", args.csv)
    check_column(yk, params, "parameter", args.csv)
    check_column(metric, metrics, "metric", args.csv)
    if xk == yk:
        raise PlotError("heatmap axes must be two different parameters")
    rows = select(records, params, metric, {xk, yk}, args.where, args.csv)
    xs, _ = ordered_values([r[xk] for r in rows])
    ys, _ = ordered_values([r[yk] for r in rows])
    grid = [[math.nan] * len(xs) for _ in ys]
    for j, yv in enumerate(ys):
        for i, xv in enumerate(xs):
            vals = [as_number(r[metric]) for r in rows if r[xk] == xv and r[yk] == yv]
            if vals:
                grid[j][i] = mean_std(vals)[0]
    fig, ax = pyplot().subplots(figsize=(1.0 + 0.9 * max(4, len(xs)), 1.2 + 0.6 * max(4, len(ys))))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap=args.cmap)
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels([tick_label(v) for v in xs], rotation=45 if len(xs) > 6 else 0)
    ax.set_yticks(range(len(ys)))
    ax.set_yticklabels([tick_label(v) for v in ys])
    ax.set_xlabel(xk)
    ax.set_ylabel(yk)
    finite = [v for row in grid for v in row if not math.isnan(v)]
    lo, hi = min(finite), max(finite)
    for j in range(len(ys)):
        for i in range(len(xs)):
            v = grid[j][i]
            if math.isnan(v):
                continue
            dark = hi > lo and (v - lo) / (hi - lo) < 0.5
            ax.text(i, j, f"{v:.3g}", ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
    fig.colorbar(im, ax=ax, label=metric)
    ax.set_title(args.title or f"{metric} (mean over seeds)")
    return fig


def parse_where(items):
    where = {}
    for item in items or []:
        if "=" not in item:
            raise PlotError(f"--where needs KEY=VALUE, got '{item}'")
        k, v = item.split("=", 1)
        where[k] = v
    return where


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", help="results.csv of a sweep")
    ap.add_argument("-o", "--output", help="PNG to write (default: next to the CSV)")
    ap.add_argument("--x", help="parameter on the x axis (default: the first)")
    ap.add_argument("--y", help="metric on the y axis (default: the first)")
    ap.add_argument("--hue", help="parameter giving one line per value")
    ap.add_argument("--heatmap", nargs=3, metavar=("X", "Y", "METRIC"),
                    help="heatmap of METRIC over parameters X and Y")
    ap.add_argument("--where", action="append", metavar="KEY=VALUE",
                    help="keep only rows where parameter KEY has VALUE (as written in the CSV)")
    ap.add_argument("--logx", action="store_true")
    ap.add_argument("--logy", action="store_true")
    ap.add_argument("--title")
    ap.add_argument("--cmap", default="viridis")
    args = ap.parse_args(argv)
    try:
        args.where = parse_where(args.where)
        params, metrics, records = load(args.csv)
        if not metrics:
            raise PlotError(f"{args.csv}: no metric columns")
        fig = heatmap(args, params, metrics, records) if args.heatmap else line_plot(args, params, metrics, records)
        out = args.output or os.path.splitext(args.csv)[0] + ".png"
        fig.tight_layout()
        tmp = out + ".tmp.png"
        fig.savefig(tmp, dpi=150)
        os.replace(tmp, out)  # never leave a half-written PNG
    except PlotError as e:
        print(f"plot_sweep.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"plot_sweep.py: error: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
