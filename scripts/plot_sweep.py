#!/usr/bin/python3
"""Plot sotsim results: a sweep's results.csv, or report.json files, to PNG, PDF or SVG.

Line plot (default): one metric against one parameter, one line per value of a --hue
parameter, mean over seeds with +-1 standard deviation error bars (sample std, n-1).
Heatmap (--heatmap X Y METRIC): the seed-mean of METRIC over a 2-D grid of X and Y.
Energy breakdown (--breakdown, inputs are report.json files): stacked bars of the energy
per inference by component class, one bar per report (e.g. one per sweep point).
Layers (--layers, input one report.json or layers.csv): per-layer latency and energy.

results.csv columns (written by `sotsim sweep`): parameters..., seed, metrics..., status,
error. Only rows with status "ok" and a value for the metric are plotted. Parameters other
than x/hue (or the heatmap axes) that take more than one value must be fixed with
--where KEY=VALUE (VALUE as in the sweep file or the CSV: 3.1MOhm, 3100000 and 3.1e+06 are
the same), so no plot silently averages over a design dimension. Axis labels carry units
(config keys from the schema via `sotsim info --keys`, report figures from their names);
accuracy is drawn in percent. The output format follows the -o extension; without -o the
name is derived from the inputs (e.g. out/sweep-rp_sigma/heatmap_accuracy.hardware_...png).
Data is read with scripts/sotsim_results.py.

Examples:
  plot_sweep.py out/results.csv --x device.sigma_p --y accuracy.hardware --hue array.rows
  plot_sweep.py out/results.csv --heatmap device.r_p device.sigma_p+device.sigma_ap accuracy.hardware -o fig.pdf
  plot_sweep.py --breakdown out/sweep-x/points/*/report.json
  plot_sweep.py --layers out/demo/report.json
"""
import argparse
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sotsim_results as sr  # noqa: E402

FORMATS = ("png", "pdf", "svg")


def pyplot():
    """matplotlib (Agg, no display), imported only when drawing so errors come fast."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError("matplotlib is not installed for this Python (" + sys.executable +
                        "; Debian: python3-matplotlib, scripts/setup.sh); run the script itself, "
                        "scripts/plot_sweep.py, which uses /usr/bin/python3")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


class PlotError(Exception):
    pass


def load(path):
    """(parameters, metrics, records as dicts of the CSV text) through sotsim_results."""
    try:
        df = sr.results(path, all=True, raw=True)
    except sr.ResultsError as e:
        raise PlotError(str(e))
    if df.empty and not df.attrs["parameters"] and not df.attrs["metrics"]:
        raise PlotError(f"{path}: empty file")
    return df.attrs["parameters"], df.attrs["metrics"], df.to_dict("records")


def as_number(text):
    v = sr.parse_quantity(text) if isinstance(text, str) else None
    return v if v is not None and math.isfinite(v) else None


def ordered_values(values):
    """Distinct values, numerically sorted when all are numbers, else in first-seen order."""
    distinct = list(dict.fromkeys(values))
    if all(as_number(v) is not None for v in distinct):
        return sorted(distinct, key=as_number), True
    return distinct, False


def tick_label(text, unit=""):
    """Numbers with an SI prefix for SI units (10k, 3.16M), else compact (64, 0.05)."""
    v = as_number(text)
    if v is None:
        return text
    if unit in ("Ohm", "s", "J", "W", "Hz", "V", "A", "F") and v != 0:
        f, u = sr.si_scale([v], unit)
        return f"{v * f:.3g}{u[:-len(unit)]}"
    return f"{v:.6g}"


def check_column(name, columns, kind, path):
    if name not in columns:
        listing = ", ".join(columns) if columns else "none"
        raise PlotError(f"{path}: no {kind} column '{name}' ({kind}s: {listing})")


def same_value(cell, wanted):
    if cell == wanted:
        return True
    a, b = as_number(cell), as_number(wanted)
    return a is not None and b is not None and abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def select(records, params, metric, axes, where, path):
    """ok rows with a numeric metric, filtered by --where; checks no other parameter varies."""
    ok = [r for r in records if r["status"] == "ok"]
    for key, value in where.items():
        check_column(key, params, "parameter", path)
        if not any(same_value(r[key], value) for r in ok):
            values, _ = ordered_values([r[key] for r in ok])
            raise PlotError(f"{path}: --where {key}={value} matches no finished point "
                            f"(values: {', '.join(values) if values else 'none'})")
    rows = [r for r in ok if all(same_value(r[k], v) for k, v in where.items())]
    rows = [r for r in rows if as_number(r[metric]) is not None]
    if not rows:
        raise PlotError(f"{path}: no finished point has a numeric '{metric}'"
                        + (" with " + ", ".join(f"{k}={v}" for k, v in where.items()) if where else ""))
    for p in params:
        if p in axes or p in where:
            continue
        seen, _ = ordered_values([r[p] for r in rows])
        if len(seen) > 1:
            raise PlotError(f"parameter '{p}' takes {len(seen)} values ({', '.join(seen)}); "
                            f"plot it with --x/--hue or fix it with --where {p}=VALUE")
    return rows


def mean_std(values):
    n = len(values)
    m = sum(values) / n
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return m, s


def metric_scale(name, values):
    """(factor, axis label): percent for accuracy, an SI prefix for J/s/W figures."""
    if sr.is_accuracy(name):
        return 100.0, sr.label(name)
    f, u = sr.si_scale(values, sr.unit(name))
    return f, sr.label(name, u)


def filter_text(where):
    return ", ".join(f"{k} = {v}" for k, v in where.items())


def seeds_text(n):
    return f"mean ± std over {n} seeds" if n > 1 else "1 seed"


def title_of(main, where, seeds_note):
    parts = [p for p in (filter_text(where), seeds_note) if p]
    return main + (f"\n({'; '.join(parts)})" if parts else "")


def log_ticks(axis, values, unit):
    """On a log axis, ticks at the swept values (64, 128, 256 rather than 6x10^1)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator
    nums = [as_number(v) for v in values]
    if len(nums) <= 12 and all(v and v > 0 for v in nums):
        axis.set_major_locator(FixedLocator(nums))
        axis.set_major_formatter(pyplot().FuncFormatter(lambda v, _: tick_label(f"{v:.12g}", unit)))
        axis.set_minor_locator(NullLocator())
        axis.set_minor_formatter(NullFormatter())


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
    factor, ylabel = metric_scale(y, [as_number(r[y]) for r in rows])
    fig, ax = pyplot().subplots(figsize=(6.4, 4.6))
    for h in hues:
        sel = [r for r in rows if h is None or r[args.hue] == h]
        pts = []
        for i, xv in enumerate(xs):
            vals = [as_number(r[y]) * factor for r in sel if r[x] == xv]
            if vals:
                m, s = mean_std(vals)
                pts.append((as_number(xv) if numeric else i, m, s))
        if not pts:
            continue
        label = f"{args.hue} = {tick_label(h, sr.unit(args.hue))} {sr.unit(args.hue)}".rstrip() if h is not None else None
        ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[p[2] for p in pts],
                    marker="o", capsize=3, label=label)
    if not numeric:
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels([tick_label(v) for v in xs])
    if args.logx:
        ax.set_xscale("log")
        if numeric:
            log_ticks(ax.xaxis, xs, sr.unit(x))
    if args.logy:
        ax.set_yscale("log")
    ax.set_xlabel(sr.label(x))
    ax.set_ylabel(ylabel)
    seeds = max(len([r for r in rows if r[x] == xv and (not args.hue or r[args.hue] == h)])
                for xv in xs for h in hues)
    ax.set_title(args.title or title_of(f"{ylabel} vs {x}", args.where, seeds_text(seeds)), fontsize=10)
    ax.grid(True, alpha=0.3)
    if args.hue:
        ax.legend()
    return fig, f"line_{y}_vs_{x}" + (f"_by_{args.hue}" if args.hue else "")


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
    factor, clabel = metric_scale(metric, [as_number(r[metric]) for r in rows])
    grid = [[math.nan] * len(xs) for _ in ys]
    seeds = 0
    for j, yv in enumerate(ys):
        for i, xv in enumerate(xs):
            vals = [as_number(r[metric]) * factor for r in rows if r[xk] == xv and r[yk] == yv]
            if vals:
                grid[j][i] = mean_std(vals)[0]
                seeds = max(seeds, len(vals))
    fig, ax = pyplot().subplots(figsize=(1.6 + 0.9 * max(4, len(xs)), 1.6 + 0.6 * max(4, len(ys))))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap=args.cmap)
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels([tick_label(v, sr.unit(xk)) for v in xs], rotation=45 if len(xs) > 6 else 0)
    ax.set_yticks(range(len(ys)))
    ax.set_yticklabels([tick_label(v, sr.unit(yk)) for v in ys])
    ax.set_xlabel(sr.label(xk))
    ax.set_ylabel(sr.label(yk))
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
    fig.colorbar(im, ax=ax, label=clabel)
    note = "mean over %d seeds" % seeds if seeds > 1 else "1 seed"
    ax.set_title(args.title or title_of(clabel, args.where, note), fontsize=10)
    return fig, f"heatmap_{metric}_over_{xk}_{yk}"


def bar_labels(df):
    """Sweep points by their swept values (r_p=1M, sigma_p=0.1; the seed when it varies),
    other reports by their directory name."""
    params = df.attrs.get("parameters", [])
    if not params:
        return list(df["run"])
    seeds = df["seed"].nunique() > 1
    labels = []
    for _, r in df.iterrows():
        parts = [f"{p.split('+')[0].split('.')[-1]}={tick_label(str(r[p]), sr.unit(p))}" for p in params]
        if seeds:
            parts.append(f"seed {r['seed']}")
        labels.append("\n".join(parts))
    return labels


def breakdown_plot(args):
    """Stacked energy per inference by component class, one bar per report.json."""
    df = sr.reports(args.inputs)
    prefix = "energy_J.breakdown_per_inference."
    cats = [c for c in df.columns if c.startswith(prefix)]
    if not cats:
        raise PlotError(f"{args.inputs[0]}: no energy_J.breakdown_per_inference in the report")
    cats = [c for c in cats if df[c].fillna(0).abs().sum() > 0]
    f, u = sr.si_scale(list(df[cats].fillna(0).sum(axis=1)), "J")
    fig, ax = pyplot().subplots(figsize=(max(5.0, 1.0 + 0.7 * len(df)), 4.6))
    bottom = [0.0] * len(df)
    for c in cats:
        vals = list(df[c].fillna(0) * f)
        ax.bar(range(len(df)), vals, bottom=bottom, label=c[len(prefix):])
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(len(df)))
    ax.set_xticklabels(bar_labels(df), rotation=45 if len(df) > 4 else 0, ha="right" if len(df) > 4 else "center",
                       fontsize=8)
    ax.set_ylabel(f"energy per inference [{u}]")
    ax.set_title(args.title or f"energy breakdown per inference ({len(df)} runs)", fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(True, axis="y", alpha=0.3)
    return fig, "breakdown_energy"


def layers_plot(args):
    """Per-layer latency and energy (two panels) of one run."""
    if len(args.inputs) != 1:
        raise PlotError("--layers takes one report.json or layers.csv")
    df = sr.layers(args.inputs[0])
    for col in ("name", "latency_s", "energy_J"):
        if col not in df.columns:
            raise PlotError(f"{args.inputs[0]}: no '{col}' in the layers")
    fig, (a, b) = pyplot().subplots(1, 2, figsize=(max(7.0, 2.0 + 1.2 * len(df)), 4.2))
    for ax, col, unit, what in ((a, "latency_s", "s", "latency"), (b, "energy_J", "J", "energy")):
        vals = [float(v) if v == v else 0.0 for v in df[col]]
        f, u = sr.si_scale(vals, unit)
        ax.bar(range(len(df)), [v * f for v in vals])
        ax.set_xticks(range(len(df)))
        ax.set_xticklabels(list(df["name"]), rotation=30, ha="right")
        ax.set_ylabel(f"{what} [{u}]")
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle(args.title or f"per-layer latency and energy ({os.path.dirname(os.path.abspath(args.inputs[0]))})",
                 fontsize=10)
    return fig, "layers"


def parse_where(items):
    where = {}
    for item in items or []:
        if "=" not in item:
            raise PlotError(f"--where needs KEY=VALUE, got '{item}'")
        k, v = item.split("=", 1)
        where[k] = v
    return where


def default_output(first_input, stem, where):
    """<directory of the first input>/<plot kind and axes>[_<filter>].png"""
    tag = stem + "".join(f"_{k}={v}" for k, v in where.items())
    tag = re.sub(r"[^A-Za-z0-9_.=+-]+", "_", tag)
    return os.path.join(os.path.dirname(os.path.abspath(first_input)), tag + ".png")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", nargs="+", help="results.csv of a sweep (or report.json files with --breakdown/--layers)")
    ap.add_argument("-o", "--output", help="PNG, PDF or SVG to write (default: named after the plot, next to the input)")
    ap.add_argument("--x", help="parameter on the x axis (default: the first)")
    ap.add_argument("--y", help="metric on the y axis (default: the first)")
    ap.add_argument("--hue", help="parameter giving one line per value")
    ap.add_argument("--heatmap", nargs=3, metavar=("X", "Y", "METRIC"),
                    help="heatmap of METRIC over parameters X and Y")
    ap.add_argument("--breakdown", action="store_true", help="stacked energy breakdown of report.json files")
    ap.add_argument("--layers", action="store_true", help="per-layer latency and energy of one report")
    ap.add_argument("--where", action="append", metavar="KEY=VALUE",
                    help="keep only rows where parameter KEY has VALUE (number, with or without unit)")
    ap.add_argument("--logx", action="store_true")
    ap.add_argument("--logy", action="store_true")
    ap.add_argument("--title")
    ap.add_argument("--cmap", default="viridis")
    args = ap.parse_args(argv)
    try:
        args.where = parse_where(args.where)
        args.csv = args.inputs[0]
        if args.output:
            ext = os.path.splitext(args.output)[1].lower().lstrip(".")
            if ext not in FORMATS:
                raise PlotError(f"{args.output}: output must end in .png, .pdf or .svg")
        if args.breakdown:
            fig, stem = breakdown_plot(args)
        elif args.layers:
            fig, stem = layers_plot(args)
        else:
            if len(args.inputs) != 1:
                raise PlotError("a line plot or heatmap takes one results.csv")
            params, metrics, records = load(args.csv)
            if not metrics:
                raise PlotError(f"{args.csv}: no metric columns")
            fig, stem = (heatmap if args.heatmap else line_plot)(args, params, metrics, records)
        out = args.output or default_output(args.inputs[0], stem, args.where)
        fmt = os.path.splitext(out)[1].lower().lstrip(".")
        fig.tight_layout()
        tmp = out + ".tmp"
        try:
            fig.savefig(tmp, dpi=150, format=fmt)
            os.replace(tmp, out)  # never leave a half-written figure
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except (PlotError, sr.ResultsError) as e:
        print(f"plot_sweep.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"plot_sweep.py: error: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
