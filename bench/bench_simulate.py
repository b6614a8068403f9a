"""Simulation speed on scenarios/japan-platform-standby.yaml.

Prints the median time of one perturbed simulation run (shock applied, in-memory store, events
folded in-process, requirements and invariants checked, camp statistics collected) next to the
median time of a plain in-memory replay of the same file (`replay_scenario(..., "memory:")`,
with its views and checks), and their ratio (target: at most 2x). Then the time of 1,000
sampled runs (target: under 2 minutes on the 2-core machine), and of the whole
`planner simulate --runs 1000` (samples plus the search for each requirement's minimal shock).
Wall-clock and CPU seconds are both printed: other processes may share the machine.

    python bench/bench_simulate.py [--repeat 15] [--runs 1000] [--no-full]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.replay import replay_scenario
from planner.scenario import load_scenario
from planner.simulation import Simulator, simulate_scenario, validate_simulate

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "japan-platform-standby.yaml"


def timed(action: object, repeat: int) -> list[float]:
    """Wall-clock seconds of `repeat` calls of action(i)."""
    times = []
    for index in range(repeat):
        started = time.perf_counter()
        action(index)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per median")
    parser.add_argument("--runs", type=int, default=1000, help="sampled runs to time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-full", action="store_true", help="skip the end-to-end simulate")
    args = parser.parse_args()

    scenario = load_scenario(SCENARIO)  # parsed once, reused by every run
    spec = validate_simulate(scenario)
    assert spec is not None, "the scenario has no simulate: section"
    simulator = Simulator(scenario, spec)
    rng = random.Random(args.seed)
    shocks = [simulator.space.shock(simulator.space.sample(rng)) for _ in range(args.repeat)]

    # warm up both paths (imports, caches)
    replay_scenario(scenario, "memory:")
    simulator.run(shocks[0], stats=True)

    replay = statistics.median(timed(lambda i: replay_scenario(scenario, "memory:"), args.repeat))
    perturbed = statistics.median(
        timed(lambda i: simulator.run(shocks[i], stats=True), args.repeat)
    )
    print(
        f"scenario: {SCENARIO.name} ({len(scenario.steps)} steps, "
        f"{len(spec.requirements)} requirements, shocks: {', '.join(spec.shock_kinds)})"
    )
    print(
        f"in-memory replay (replay_scenario, memory:), median of {args.repeat}: "
        f"{replay * 1000:8.1f} ms"
    )
    print(
        f"one perturbed simulation run,                median of {args.repeat}: "
        f"{perturbed * 1000:8.1f} ms"
    )
    print(f"ratio perturbed run / replay: {perturbed / replay:.2f}x (target <= 2x)")

    sample_rng = random.Random(args.seed)
    sampled = [simulator.space.shock(simulator.space.sample(sample_rng)) for _ in range(args.runs)]
    wall, cpu = time.perf_counter(), time.process_time()
    for shock in sampled:
        simulator.run(shock, stats=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{args.runs} sampled runs: {wall:.1f} s wall, {cpu:.1f} s CPU "
        f"({wall / args.runs * 1000:.1f} ms a run; target < 120 s for 1,000)"
    )

    if not args.no_full:
        wall, cpu = time.perf_counter(), time.process_time()
        report = simulate_scenario(scenario, runs=args.runs, seed=args.seed, spec=spec)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"planner simulate --runs {args.runs} end to end: {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"({report.total_runs} runs: baseline, {report.runs} samples, "
            f"{report.total_runs - report.runs - 1} in the searches)"
        )


if __name__ == "__main__":
    main()
