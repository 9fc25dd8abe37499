#!/usr/bin/python3
"""Run the command blocks of the documentation, so a doc example that breaks fails CI.

A fenced block is runnable when its info string carries the word `runnable`:

    ```sh runnable                 run with bash -eo pipefail (also: bash, console)
    ```python runnable             run with /usr/bin/python3
    ```yaml runnable file=PATH     not run: written to PATH, for the blocks after it

(GitHub and other renderers take the first word as the language and ignore the rest.)
The blocks of one Markdown file run in order, in one scratch directory that looks like a
checkout: every top-level entry of the source tree is a symlink, except `build/default`
(the build under test) and `out/` (real, empty), so examples write their outputs where a
user's would go and nothing lands in the source tree. `sotsim` is on PATH (the binary under
test), HOME is a scratch directory too.

Sample counts: the environment variable SOTSIM_MAX_SAMPLES, when set, caps every `sotsim
run` and sweep point (the binary says so on stderr); ctest sets it so the whole set runs in
a few minutes, the `long` variant runs the documented counts.

    run_doc_commands.py --source SRC --build BUILD [--list] [FILE.md ...]
      (default files: SRC/README.md and SRC/docs/*.md)

Exit status 0 when every block succeeded, 1 otherwise (each failure names FILE:LINE and
shows the end of the block's output), 2 for usage errors (a runnable block without a
language it can run, a file= block with an unsafe path).
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(.*)$")
SHELLS = {"sh", "bash", "console", "shell"}


class DocError(Exception):
    pass


class Block:
    def __init__(self, path, line, lang, flags, text):
        self.path, self.line, self.lang, self.flags, self.text = path, line, lang, flags, text

    @property
    def file(self):
        return self.flags.get("file")

    def where(self):
        return f"{self.path}:{self.line}"


def blocks_of(path):
    """Every fenced block of a Markdown file marked `runnable`, in file order."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(2), m.group(3).split()
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        if "runnable" in info:
            lang = info[0] if info and info[0] != "runnable" else ""
            flags = dict(w.split("=", 1) for w in info[1:] if "=" in w)
            b = Block(os.path.relpath(path), i + 1, lang, flags, "\n".join(lines[start:j]) + "\n")
            if b.file is None and lang not in SHELLS and lang != "python":
                raise DocError(f"{b.where()}: runnable block in '{lang or 'no language'}': "
                               f"use sh, bash or python, or file=PATH to write it")
            if b.file is not None and (os.path.isabs(b.file) or ".." in b.file.split("/")):
                raise DocError(f"{b.where()}: file={b.file}: must be a relative path inside the checkout")
            out.append(b)
        i = j + 1
    return out


def make_checkout(src, build, scratch):
    """A directory that looks like the repository root: sources linked, outputs real."""
    root = os.path.join(scratch, "repo")
    os.makedirs(os.path.join(root, "build"))
    for name in os.listdir(src):
        if name in ("build", "out", ".git"):
            continue
        os.symlink(os.path.join(src, name), os.path.join(root, name))
    os.symlink(os.path.abspath(build), os.path.join(root, "build", "default"))
    os.makedirs(os.path.join(root, "out"))
    bindir = os.path.join(scratch, "bin")
    os.makedirs(bindir)
    os.symlink(os.path.join(os.path.abspath(build), "platform", "sotsim"), os.path.join(bindir, "sotsim"))
    home = os.path.join(scratch, "home")
    os.makedirs(home)
    return root, bindir, home


def write_file(root, b):
    """file= blocks: written inside the checkout, never through a symlink into the sources."""
    target = os.path.join(root, b.file)
    parent = os.path.dirname(target)
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(parent)
    if real_parent != real_root and not real_parent.startswith(real_root + os.sep):
        raise DocError(f"{b.where()}: file={b.file}: would write into the source tree; "
                       f"put example files at the top level or under out/")
    os.makedirs(parent, exist_ok=True)
    with open(target, "w") as f:
        f.write(b.text)


def run_block(b, root, env, timeout):
    if b.lang == "python":
        cmd = ["/usr/bin/python3", "-c", b.text]
    else:
        cmd = ["bash", "-eo", "pipefail", "-c", b.text]
    try:
        p = subprocess.run(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return f"timeout after {timeout} s", (e.stdout or b"").decode(errors="replace")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True, help="source tree (the repository root)")
    ap.add_argument("--build", required=True, help="build directory whose platform/sotsim is tested")
    ap.add_argument("--list", action="store_true", help="list the runnable blocks, run nothing")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("DOC_BLOCK_TIMEOUT", "900")),
                    help="seconds per block (default 900, or $DOC_BLOCK_TIMEOUT)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument("files", nargs="*", help="Markdown files (default: README.md and docs/*.md)")
    args = ap.parse_args(argv)
    src = os.path.abspath(args.source)
    files = args.files or [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md")))
    try:
        per_file = [(f, blocks_of(f)) for f in files]
    except (DocError, OSError) as e:
        print(f"run_doc_commands: error: {e}", file=sys.stderr)
        return 2
    total = sum(len(bs) for _, bs in per_file)
    if args.list:
        for _, bs in per_file:
            for b in bs:
                print(f"{b.where()}: {b.lang}" + (f" file={b.file}" if b.file else ""))
        return 0
    if total == 0:
        print("run_doc_commands: error: no runnable block in " + ", ".join(files), file=sys.stderr)
        return 2
    cap = os.environ.get("SOTSIM_MAX_SAMPLES")
    print(f"{total} runnable blocks in {len([1 for _, bs in per_file if bs])} files"
          + (f", SOTSIM_MAX_SAMPLES={cap}" if cap else ", documented sample counts"), flush=True)
    failures = []
    for path, bs in per_file:
        if not bs:
            continue
        scratch = tempfile.mkdtemp(prefix="sotsim-doc-")
        try:
            root, bindir, home = make_checkout(src, args.build, scratch)
            env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), HOME=home)
            for b in bs:
                if b.file:
                    write_file(root, b)
                    print(f"{b.where()}: wrote {b.file}", flush=True)
                    continue
                rc, out = run_block(b, root, env, args.timeout)
                if rc == 0:
                    print(f"{b.where()}: ok", flush=True)
                else:
                    failures.append(b.where())
                    tail = "\n".join(out.rstrip().split("\n")[-30:])
                    print(f"{b.where()}: FAILED ({'exit ' + str(rc) if isinstance(rc, int) else rc})\n"
                          f"--- block ---\n{b.text}--- output (last 30 lines) ---\n{tail}\n---", flush=True)
        except DocError as e:
            print(f"run_doc_commands: error: {e}", file=sys.stderr)
            return 2
        finally:
            if args.keep:
                print(f"kept {scratch}")
            else:
                shutil.rmtree(scratch, ignore_errors=True)
    if failures:
        print(f"{len(failures)} of {total} blocks failed: {', '.join(failures)}")
        return 1
    print(f"all {total} blocks ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
