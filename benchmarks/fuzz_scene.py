"""Fuzz the scene reader: mutated scenes through `load_scene`, counted by outcome.

    python benchmarks/fuzz_scene.py            # 200 cases
    python benchmarks/fuzz_scene.py --long     # 2,000 cases (issue #13's bar)
    python benchmarks/fuzz_scene.py -n 5000 --seed 7 --bound 60

Each case is a real scene (scenes/*.yaml, the tests' scenes) with one to three mutations
(tests/scene_fuzz.py), composed with the real library in this process (its index read once,
part geometry from the disk cache), under an address-space limit of 4 GiB and a per-case time
bound.  The promise: a scene or one clear `LdsceneError` line; anything else (another
exception, a message that is not one printable line, a hang) is a finding, listed at the end
with the case that caused it (saved under --keep).  Exit status 1 when there were findings.
"""

from __future__ import annotations

import argparse
import collections
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from scene_fuzz import case_folder, run_case, scene_cases, seed_scenes  # noqa: E402

from ldscene.ldraw.library import find_library  # noqa: E402
from ldscene.scene.compose import load_scene  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--long", action="store_true", help="2,000 cases")
    parser.add_argument("-n", type=int, default=None, help="number of cases")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed")
    parser.add_argument("--bound", type=float, default=60.0, help="seconds per case")
    parser.add_argument("--memory-gib", type=float, default=4.0, help="address-space limit")
    parser.add_argument("--keep", type=Path, default=None, help="save findings' cases here")
    args = parser.parse_args()
    count = args.n or (2000 if args.long else 200)

    limit = int(args.memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    library = find_library(None)
    folder = case_folder(Path(tempfile.mkdtemp(prefix="scene-fuzz-")))
    seeds = seed_scenes(compose_in=folder, library=library)
    kinds: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    findings: list[tuple[str, str, bytes]] = []
    slowest: list[tuple[float, str]] = []
    start = time.perf_counter()

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # every case counts; no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(data=scene_cases(seeds))
    def one(data: bytes) -> None:
        path = folder / "case.yaml"
        path.write_bytes(data)
        outcome = run_case(lambda p: load_scene(p, library), path, args.bound)
        kinds[outcome.kind] += 1
        slowest.append((outcome.seconds, f"{outcome.kind}: {_gist(outcome.detail)[:70]}"))
        if outcome.kind == "error":
            errors[_gist(outcome.detail)] += 1
        elif outcome.kind != "ok":
            findings.append((outcome.kind, outcome.detail, data))
        done = sum(kinds.values())
        if done % 100 == 0:
            print(f"{done:6d} cases, {time.perf_counter() - start:7.1f} s: {dict(kinds)}")

    from hypothesis import seed as hypothesis_seed

    hypothesis_seed(args.seed)(one)()
    total = sum(kinds.values())
    seconds = time.perf_counter() - start
    print(f"\n{total:,} cases in {seconds:.0f} s ({seeds.__len__()} seed scenes): {dict(kinds)}")
    slowest.sort(reverse=True)
    print("slowest cases:")
    for seconds_taken, what in slowest[:5]:
        print(f"  {seconds_taken:5.1f} s  {what}")
    print("most common errors:")
    for gist, n in errors.most_common(15):
        print(f"  {n:5d}  {gist}")
    for i, (kind, detail, data) in enumerate(findings):
        print(f"FINDING {i}: {kind}: {detail}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"finding-{i}.yaml").write_bytes(data)
    return 1 if findings else 0


def _gist(message: str) -> str:
    """An error message without its file, position and quoted values, for counting kinds."""
    import re

    text = message.split(": ", 1)[1] if ".yaml" in message.split(": ", 1)[0] else message
    text = re.sub(r"'[^']*'", "'…'", text)
    return re.sub(r"\d[\d,.e+]*", "N", text)[:110]


if __name__ == "__main__":
    sys.exit(main())
