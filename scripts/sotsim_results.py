#!/usr/bin/python3
"""Load sotsim outputs into pandas for analysis (a notebook, a script, the plots).

    import sys; sys.path.insert(0, "scripts")      # or <prefix>/share/sotsim/scripts
    import sotsim_results as sr
    df = sr.results("out/sweep-rp_sigma/results.csv")   # one row per sweep point
    rep = sr.report("out/demo/report.json")              # dict, as written
    pts = sr.reports(sr.point_reports("out/sweep-rp_sigma"))     # one row per finished point
    one = sr.reports(["out/a/report.json", "out/b/report.json"])   # one row per run
    lay = sr.layers("out/demo/layers.csv")               # one row per layer
    sr.unit("device.r_p"), sr.label("energy_J.per_inference")     # 'Ohm', 'energy per inference [J]'

results(): parameters and metrics become numbers where every value is one (a parameter
written "3.1 MOhm" in the sweep file is 3100000 here); the frame carries
`.attrs["parameters"]`, `.attrs["metrics"]` (column names in file order, without the
" [unit]" of the header) and `.attrs["units"]` ({column: unit}), and keeps
only rows with status "ok" unless all=True. reports(): flattens the scalar figures of
each report.json (`energy_J.per_inference`, `accuracy.hardware`, ...) and the energy
breakdown per inference (`energy_J.breakdown_per_inference.adc`, ...), plus a `run` column
(the report's directory). Units: from the files (results.csv headers "key [unit]",
report.json's "units" object), else from `sotsim info --keys` (config keys and report figures). Errors are ResultsError
with one line naming the file and the problem.
"""
import json
import math
import os
import re
import shutil
import subprocess

__all__ = ["ResultsError", "results", "report", "reports", "point_reports", "swept_values", "layers", "unit", "label",
           "parse_quantity"]


class ResultsError(Exception):
    pass


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ResultsError("pandas is not installed for this Python (Debian: python3-pandas, "
                           "scripts/setup.sh); run the scripts with /usr/bin/python3")
    return pandas


def _numeric_or_text(series):
    pd = _pandas()
    num = pd.to_numeric(series, errors="coerce")
    return num if num.notna().sum() == series.replace("", None).notna().sum() else series


def results(path, all=False, raw=False):
    """results.csv of `sotsim sweep` as a DataFrame (see the module doc); raw=True keeps
    every cell as the text the CSV holds."""
    pd = _pandas()
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ResultsError(f"{path}: cannot read as CSV: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    cols, units = [], {}
    for c in df.columns:
        name, u = split_header(c)
        cols.append(name)
        if u:
            units[name] = u
    df.columns = cols
    _KNOWN_UNITS.update(units)
    for required in ("seed", "status"):
        if required not in cols:
            raise ResultsError(f"{path}: not a sweep results.csv (no '{required}' column)")
    i_seed, i_status = cols.index("seed"), cols.index("status")
    params, metrics = cols[:i_seed], cols[i_seed + 1:i_status]
    if not all:
        df = df[df["status"] == "ok"].copy()
    if not raw:
        for c in params + metrics + ["seed"]:
            df[c] = _numeric_or_text(df[c])
    df.attrs["parameters"], df.attrs["metrics"], df.attrs["path"] = params, metrics, path
    df.attrs["units"] = units
    return df


_HEADER = re.compile(r"^(.*\S)\s+\[([^\[\]]+)\]$")


def split_header(cell):
    """'device.r_p [Ohm]' -> ('device.r_p', 'Ohm'); 'accuracy.hardware' -> (..., '')."""
    m = _HEADER.match(cell)
    return (m.group(1), m.group(2)) if m else (cell, "")


def report(path):
    """report.json as a dict."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file")
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}")
    except OSError as e:
        raise ResultsError(f"{path}: {e.strerror}")


def _flatten(obj, prefix, out, skip=("config", "components", "layers", "dataset", "units")):
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if not prefix and k in skip:
            continue
        if isinstance(v, dict):
            if set(v) == {"value", "unit"}:      # a quantity
                out[key] = v["value"]
            else:
                _flatten(v, key + ".", out, skip)
        elif isinstance(v, (int, float, str)) or v is None:
            out[key] = math.nan if v is None else v


def reports(paths):
    """Several report.json files as one DataFrame, one row per file (see the module doc).
    Reports of sweep points also get one column per swept parameter (its value from the
    report's own resolved config) and `seed`, so they can be grouped like results()."""
    pd = _pandas()
    rows = []
    for p in paths:
        r = report(p)
        if isinstance(r.get("units"), dict):
            _KNOWN_UNITS.update({k: v for k, v in r["units"].items() if isinstance(v, str) and v})
        row = {"run": os.path.basename(os.path.dirname(os.path.abspath(p))) or p}
        row.update(swept_values(p, r))
        _flatten(r, "", row)
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["parameters"] = [k for k in (swept_values(paths[0]) if paths else {}) if k != "seed"]
    return df


def point_reports(sweep_dir):
    """report.json of every finished point of a sweep directory, in point order."""
    pts = os.path.join(sweep_dir, "points")
    if not os.path.isdir(pts):
        raise ResultsError(f"{sweep_dir}: not a sweep directory (no points/)")
    return [os.path.join(pts, d, "report.json") for d in sorted(os.listdir(pts))
            if os.path.isfile(os.path.join(pts, d, "report.json"))]


def _config_value(config, dotted):
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def swept_values(path, rep=None):
    """{parameter: value} of a report.json written as a sweep point (DIR/points/<id>/): the
    parameters are the columns of DIR/results.csv, the values come from the report's config
    (a tied "a+b" parameter from its first key). {} for a report outside a sweep."""
    sweep_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    csv = os.path.join(sweep_dir, "results.csv")
    if os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path)))) != "points" or not os.path.isfile(csv):
        return {}
    with open(csv) as f:
        header = [split_header(c)[0] for c in f.readline().strip().split(",")]
    if "seed" not in header:
        return {}
    rep = rep if rep is not None else report(path)
    out = {k: _config_value(rep.get("config", {}), k.split("+")[0]) for k in header[:header.index("seed")]}
    out["seed"] = rep.get("seed")
    return out


def layers(path):
    """layers.csv (or the `layers` list of a report.json) as a DataFrame."""
    pd = _pandas()
    if path.endswith(".json"):
        return pd.DataFrame(report(path).get("layers", []))
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ResultsError(f"{path}: cannot read as CSV: {e}")


# ---- units ---------------------------------------------------------------------------

_SCHEMA = None
# Units read from the files themselves (results.csv headers, report.json "units"): they win
# over the schema of whatever binary is found.
_KNOWN_UNITS = {}


def _sotsim_binary():
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.environ.get("SOTSIM"),
                 os.path.join(here, "..", "..", "..", "bin", "sotsim"),           # installed
                 os.path.join(here, "..", "build", "default", "platform", "sotsim"),  # build tree
                 shutil.which("sotsim")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def schema_units():
    """{config key or report figure: unit} from `sotsim info --keys`; empty when no sotsim
    binary is found."""
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = {}
        exe = _sotsim_binary()
        if exe:
            try:
                out = subprocess.run([exe, "info", "--keys"], capture_output=True, text=True, timeout=30).stdout
            except (OSError, subprocess.SubprocessError):
                out = ""
            for line in out.splitlines():
                parts = line.split("\t")
                if len(parts) >= 2:
                    _SCHEMA[parts[0]] = parts[1]
    return _SCHEMA


# layers.csv columns name their unit by suffix (latency_s, energy_J): the last resort.
_NAME_UNITS = [(r"_s$", "s"), (r"_J$", "J"), (r"_W$", "W")]


def unit(name):
    """Unit of a config key or a report figure ('' when dimensionless or unknown): from the
    files read so far, else `sotsim info --keys`, else a layers.csv column's suffix."""
    keys = [k for k in name.split("+")]          # tied parameters "device.sigma_p+device.sigma_ap"
    for table in (_KNOWN_UNITS, schema_units()):
        u = table.get(name, table.get(keys[0]))
        if u is not None:
            return u
    for pattern, un in _NAME_UNITS:
        if re.search(pattern, name):
            return un
    return ""


def is_accuracy(name):
    return name.startswith("accuracy.") and name != "accuracy.samples"


def label(name, scaled_unit=None):
    """Axis label: readable name and unit ('accuracy (hardware) [%]', 'device.r_p [Ohm]')."""
    if is_accuracy(name):
        return f"accuracy ({name.split('.', 1)[1].replace('_', ' ')}) [%]"
    u = scaled_unit if scaled_unit is not None else unit(name)
    text = name.replace("energy_J.", "energy ").replace("_", " ") if name.startswith("energy_J.") else name
    return f"{text} [{u}]" if u and u != "1" else text


# ---- quantities as written in sweep files and on the command line ----------------------

# The scale rules of platform/config/Units.cpp (what `--set` and sweep files accept), without
# its dimension check: a unit is factors joined by '*' or '/', each a symbol with an optional
# SI prefix and exponent (kOhm*um^2, MHz, fJ, %), or KiB/MiB/GiB/TiB.
_PREFIX = {"f": -15, "p": -12, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12}
_SYMBOLS = {"m", "s", "Hz", "J", "W", "V", "A", "Ohm", "ohm", "S", "F", "B"}
_QTY = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(.*)$")


def _factor_scale(f):
    base, _, exp = f.partition("^")
    if exp and not re.fullmatch(r"[-+]?\d+", exp):
        return None
    e = int(exp) if exp else 1
    if base == "%":
        s = 1e-2
    elif base in _SYMBOLS:
        s = 1.0
    elif len(base) == 3 and base[1:] == "iB" and base[0] in "KMGT":
        s = 1024.0 ** ("KMGT".index(base[0]) + 1)
    elif len(base) >= 2 and base[0] in _PREFIX and base[1:] in _SYMBOLS:
        s = 10.0 ** _PREFIX[base[0]]
    else:
        return None
    return s ** e


def parse_quantity(text):
    """'3.1 MOhm' -> 3.1e6, '5 %' -> 0.05, '2.5e+06' -> 2.5e6, '20 kOhm*um^2' -> 2e-8,
    'exact' -> None. Plain numbers are SI, as in a config."""
    t = text.replace("\u00b5", "u").replace("\u03bc", "u").replace("\u03a9", "Ohm").replace("\u2126", "Ohm")
    t = "".join(t.split())
    m = _QTY.match(t)
    if not m:
        return None
    v, rest = float(m.group(1)), m.group(2)
    if rest in ("", "1"):
        return v
    scale, sign = 1.0, 1
    for tok in re.split(r"([*/])", rest):
        if tok in ("*", "/"):
            sign = -1 if tok == "/" else 1
            continue
        f = _factor_scale(tok)
        if f is None:
            return None
        scale = scale * f if sign > 0 else scale / f
    return v * scale


def si_scale(values, unit_name):
    """(factor, prefixed unit) so the largest |value| * factor is in [1, 1000): an axis in
    nJ instead of J with a 1e-9 offset text."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if unit_name not in ("J", "s", "W", "Ohm", "Hz", "V", "A", "F") or not finite:
        return 1.0, unit_name
    big = max(finite)
    for p, f in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0), ("m", 1e-3), ("u", 1e-6),
                 ("n", 1e-9), ("p", 1e-12), ("f", 1e-15), ("a", 1e-18)):
        if big >= f * 0.9995:
            return 1.0 / f, p + unit_name
    return 1e18, "a" + unit_name
