"""Fuzz the LDraw reader: mutated LDraw files through `load_model`, counted by outcome.

    python benchmarks/fuzz_ldraw.py            # 500 cases
    python benchmarks/fuzz_ldraw.py --long     # 10,000 cases (issue #13's bar)
    python benchmarks/fuzz_ldraw.py -n 20000 --seed 7 --bound 60 --keep findings/

Each case is a real file (library parts, sub-parts, primitives, stickers, small OMR models)
with one to four mutations (tests/ldraw_fuzz.py), loaded with the real library in this process
(its index read once, part geometry from a fresh disk cache) and summarised as `info --json`
does (strict JSON), under an address-space limit of 4 GiB and a per-case time bound.  The
promise: a model or one clear `LdsceneError` line; anything else (another exception, a message
that is not one printable line, a hang) is a finding, listed at the end with the case that
caused it (saved under --keep).  Exit status 1 when there were findings.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from ldraw_fuzz import ldraw_cases, read_model, seed_files  # noqa: E402
from scene_fuzz import run_case  # noqa: E402

from ldscene.ldraw.library import find_library  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--long", action="store_true", help="10,000 cases")
    parser.add_argument("-n", type=int, default=None, help="number of cases")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed")
    parser.add_argument("--bound", type=float, default=30.0, help="seconds per case")
    parser.add_argument("--memory-gib", type=float, default=4.0, help="address-space limit")
    parser.add_argument("--keep", type=Path, default=None, help="save findings' cases here")
    args = parser.parse_args()
    count = args.n or (10_000 if args.long else 500)

    limit = int(args.memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="ldraw-fuzz-cache-")
    library = find_library(None)
    folder = Path(tempfile.mkdtemp(prefix="ldraw-fuzz-"))
    seeds = seed_files(library)
    read = read_model(library)
    kinds: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    findings: list[tuple[str, str, str, bytes]] = []
    slowest: list[tuple[float, str]] = []
    start = time.perf_counter()

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # every case counts; no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(case=ldraw_cases(seeds))
    def one(case: tuple[str, bytes]) -> None:
        suffix, data = case
        path = folder / f"case{suffix}"
        path.write_bytes(data)
        outcome = run_case(read, path, args.bound)
        kinds[outcome.kind] += 1
        slowest.append((outcome.seconds, outcome.kind))
        if outcome.kind == "error":
            errors[_gist(outcome.detail)] += 1
        elif outcome.kind != "ok":
            findings.append((outcome.kind, outcome.detail, suffix, data))
        done = sum(kinds.values())
        if done % 500 == 0:
            print(
                f"{done:6d} cases, {time.perf_counter() - start:7.1f} s: {dict(kinds)}", flush=True
            )

    hypothesis_seed(args.seed)(one)()
    total = sum(kinds.values())
    seconds = time.perf_counter() - start
    print(f"\n{total:,} cases in {seconds:.0f} s ({len(seeds)} seed files): {dict(kinds)}")
    slowest.sort(reverse=True)
    print("slowest cases: " + ", ".join(f"{s:.1f} s ({k})" for s, k in slowest[:5]))
    print("most common errors:")
    for gist, n in errors.most_common(15):
        print(f"  {n:5d}  {gist}")
    for i, (kind, detail, suffix, data) in enumerate(findings):
        print(f"FINDING {i}: {kind}: {detail}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"finding-{i}{suffix}").write_bytes(data)
    return 1 if findings else 0


def _gist(message: str) -> str:
    """An error message without its file, position and quoted values, for counting kinds."""
    text = re.sub(r"^\S*/case\.\w+(:\d+)?: ", "", message)
    text = re.sub(r"'[^']*'", "'…'", text)
    return re.sub(r"\d[\d,.e+]*", "N", text)[:110]


if __name__ == "__main__":
    sys.exit(main())
