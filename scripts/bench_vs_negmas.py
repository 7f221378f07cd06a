#!/usr/bin/env python3
"""Time NegMAS 0.16.0 and Accord on the same GENIUS domains, in one run.

Run through `scripts/bench-vs-negmas`, which makes the venv holding negmas and
builds the `accord` binary. This driver parses each GENIUS domain itself under
the utility rules of `../shared/domains/README.md`, builds the NegMAS issues
and utility functions, checks them against the oracle's sample utilities (to
1e-9) and frontier size, then times:

  NegMAS  `pareto_frontier(ufuns, issues=issues)`: enumerates and evaluates
          every outcome in Python, as the oracle's timings did;
          `nash_points(ufuns, frontier, ranges=ranges)` plus the `minmax`
          calls that give it `ranges` (NegMAS's Nash needs the utility ranges
          for its disagreement point, so that is part of its Nash step);
  Accord  `accord analyze DIR --json --solution frontier` and `--solution nash`:
          the in-process `timings_ms.frontier` / `timings_ms.nash`, and the
          wall-clock time of each whole process (start, parse, compile,
          compute, print JSON, exit).

The frontier point counts are compared after rounding NegMAS's raw frontier to
9 decimals (it keeps points one ulp apart), and the Nash product Π(u_i − rv_i)
is compared: NegMAS's best over its frontier against Accord's objective. The
exit status is 1 when they disagree or an `accord analyze` fails; a ratio below
the 1000x goal is reported, not an error.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

# Domains whose oracle `pareto_frontier` time exceeds this are left out of a
# default run (NegMAS alone would take minutes); `--all` includes them.
SLOW_NEGMAS_SECONDS = 60.0
# A NegMAS run shorter than this is repeated (median of 3); longer ones run once.
REPEAT_NEGMAS_BELOW_SECONDS = 10.0
SAMPLE_TOLERANCE = 1e-9
ROUND_DIGITS = 9


# ---------------------------------------------------------------------------
# GENIUS XML, under the README rules


@dataclass
class Issue:
    name: str
    xml_index: str | None
    kind: str  # "discrete" or "integer"
    values: list  # strings for discrete issues, ints for integer ones


@dataclass
class Profile:
    file: str
    weights: list[float]
    value_maps: list[dict]  # per issue: value -> normalised evaluation e(v)
    reservation: float


@dataclass
class Domain:
    name: str
    path: Path
    issues: list[Issue]
    profiles: list[Profile] = field(default_factory=list)

    @property
    def n_outcomes(self) -> int:
        return math.prod(len(i.values) for i in self.issues)


def issue_kind(element: ET.Element) -> str:
    kind = element.get("type") or element.get("etype") or element.get("vtype") or "discrete"
    if kind not in ("discrete", "integer"):
        raise ValueError(f"issue {element.get('name')!r}: type {kind!r} is not supported")
    return kind


def parse_domain_issues(root: ET.Element) -> list[Issue]:
    issues = []
    for element in root.iter("issue"):
        kind = issue_kind(element)
        if kind == "integer":
            values = list(range(int(element.get("lowerbound")), int(element.get("upperbound")) + 1))
        else:
            values = [item.get("value") for item in element.iter("item")]
        issues.append(Issue(element.get("name"), element.get("index"), kind, values))
    return issues


def profile_issue_elements(root: ET.Element, issues: list[Issue]) -> list[ET.Element | None]:
    """The profile's element for each domain issue: by `index` attribute, else by name."""
    by_index = {e.get("index"): e for e in root.iter("issue") if e.get("index") is not None}
    by_name = {e.get("name"): e for e in root.iter("issue")}
    found = []
    for issue in issues:
        element = by_index.get(issue.xml_index) if issue.xml_index is not None else None
        if element is None or element.get("name") != issue.name:
            element = by_name.get(issue.name, element)
        found.append(element)
    return found


def discrete_evaluations(element: ET.Element | None, issue: Issue) -> dict:
    if element is None:
        return {v: 0.0 for v in issue.values}
    raw = {item.get("value"): float(item.get("evaluation", "0")) for item in element.iter("item")}
    top = max(raw.values(), default=0.0)
    if top < 1e-5:
        return {v: 0.0 for v in issue.values}
    # A value missing from the profile evaluates to 0.
    return {v: (raw[v] / top if v in raw else 0.0) for v in issue.values}


def integer_evaluations(element: ET.Element | None, issue: Issue) -> dict:
    if element is None:
        return {x: 0.0 for x in issue.values}
    evaluator = element.find("evaluator")
    if evaluator is None:
        raise ValueError(f"integer issue {issue.name!r} has no evaluator")
    if evaluator.get("ftype", "linear") != "linear":
        raise ValueError(f"integer issue {issue.name!r}: evaluator {evaluator.get('ftype')!r} is not supported")
    offset = float(evaluator.get("offset", "0"))
    slope = float(evaluator.get("slope", "0"))
    # The README's rule 4: the lower bound comes from the profile's own issue element.
    lower = int(element.get("lowerbound", str(issue.values[0])))
    return {x: min(max(offset + slope * (x - lower), 0.0), 1.0) for x in issue.values}


def parse_profile(path: Path, issues: list[Issue]) -> Profile:
    root = ET.parse(path).getroot()
    elements = profile_issue_elements(root, issues)
    value_maps = [
        integer_evaluations(e, issue) if issue.kind == "integer" else discrete_evaluations(e, issue)
        for e, issue in zip(elements, issues)
    ]
    # Weights belong to the issue whose `index` attribute matches, not by position.
    weight_by_index = {w.get("index"): float(w.get("value")) for w in root.iter("weight")}
    weights = [weight_by_index.get(e.get("index"), 0.0) if e is not None else 0.0 for e in elements]
    reservation = root.find(".//reservation")
    rv = float(reservation.get("value")) if reservation is not None and reservation.get("value") else 0.0
    return Profile(path.name, weights, value_maps, rv)


def load_domain(path: Path) -> Domain:
    domain_files, profile_files = [], []
    for f in sorted(path.glob("*.xml")):
        tag = ET.parse(f).getroot().tag
        if tag == "negotiation_template":
            domain_files.append(f)
        elif tag == "utility_space":
            profile_files.append(f)
    if len(domain_files) != 1:
        raise ValueError(f"{path}: expected one domain XML, found {[f.name for f in domain_files]}")
    issues = parse_domain_issues(ET.parse(domain_files[0]).getroot())
    domain = Domain(path.name, path, issues)
    # Profiles in file-name order, as the oracle and Accord order the parties.
    domain.profiles = [parse_profile(f, issues) for f in sorted(profile_files, key=lambda f: f.name)]
    return domain


def genius_utility(profile: Profile, outcome) -> float:
    u = 0.0
    for w, e, v in zip(profile.weights, profile.value_maps, outcome):
        u += w * e[v]
    return u


# ---------------------------------------------------------------------------
# NegMAS side


def negmas_objects(domain: Domain):
    from negmas import make_issue
    from negmas.preferences import LinearAdditiveUtilityFunction

    issues = [
        make_issue((i.values[0], i.values[-1]), name=i.name) if i.kind == "integer" else make_issue(i.values, name=i.name)
        for i in domain.issues
    ]
    # NegMAS's linear-additive eval is `u = bias; u += w * e(v)` in issue order,
    # which is rule 6's left-to-right sum from 0.0.
    ufuns = [
        LinearAdditiveUtilityFunction(
            values=[dict(m) for m in p.value_maps],
            weights=list(p.weights),
            bias=0.0,
            issues=issues,
            reserved_value=p.reservation,
            name=p.file,
        )
        for p in domain.profiles
    ]
    return issues, ufuns


def check_samples(domain: Domain, ufuns, oracle: dict | None) -> str:
    """Both our own parse and the NegMAS ufuns must give the oracle's sample utilities."""
    if oracle is None:
        return "no oracle file: samples not checked"
    samples = oracle.get("sample_outcomes", [])
    if len(oracle["profiles"]) != len(domain.profiles):
        raise AssertionError(f"{domain.name}: {len(domain.profiles)} profiles, oracle has {len(oracle['profiles'])}")
    worst = 0.0
    for s in samples:
        outcome = tuple(s["outcome"])
        for k, expected in enumerate(s["utilities_genius"]):
            ours = genius_utility(domain.profiles[k], outcome)
            theirs = float(ufuns[k](outcome))
            worst = max(worst, abs(ours - expected), abs(theirs - expected))
    if worst > SAMPLE_TOLERANCE:
        raise AssertionError(f"{domain.name}: utilities differ from the oracle's samples by {worst:.3g}")
    return f"{len(samples)} oracle samples agree (max diff {worst:.1g})"


@dataclass
class NegmasRun:
    frontier_s: float
    frontier_cpu_s: float  # CPU time: what a busy machine inflates least
    minmax_s: float
    nash_s: float
    frontier: tuple
    nash: tuple


def run_negmas_once(domain: Domain) -> NegmasRun:
    from negmas.preferences import nash_points, pareto_frontier

    issues, ufuns = negmas_objects(domain)
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    frontier, _indices = pareto_frontier(ufuns, issues=issues)
    t1, c1 = time.perf_counter(), time.process_time()
    ranges = [u.minmax(issues=issues, above_reserve=False) for u in ufuns]
    t2 = time.perf_counter()
    nash = nash_points(ufuns, frontier, ranges=ranges, issues=issues)
    t3 = time.perf_counter()
    return NegmasRun(t1 - t0, c1 - c0, t2 - t1, t3 - t2, frontier, nash)


def run_negmas(domain: Domain) -> tuple[NegmasRun, int]:
    first = run_negmas_once(domain)
    if first.frontier_s >= REPEAT_NEGMAS_BELOW_SECONDS:
        return first, 1
    runs = [first] + [run_negmas_once(domain) for _ in range(2)]
    med = lambda key: statistics.median(getattr(r, key) for r in runs)  # noqa: E731
    return NegmasRun(med("frontier_s"), med("frontier_cpu_s"), med("minmax_s"), med("nash_s"), first.frontier, first.nash), len(runs)


# ---------------------------------------------------------------------------
# Accord side


@dataclass
class AccordRun:
    frontier_ms: float
    nash_ms: float
    wall_frontier_s: float
    wall_nash_s: float
    frontier: list | dict | None
    nash: dict | None
    errors: dict[str, str]  # solution -> why `accord analyze` failed


def run_accord_process(accord: Path, domain: Domain, solution: str) -> tuple[dict, float]:
    cmd = [str(accord), "analyze", str(domain.path), "--json", "--solution", solution]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"`accord analyze --solution {solution}` exited {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout), wall


def run_accord(accord: Path, domain: Domain, runs: int) -> AccordRun:
    timings: dict[str, list[float]] = {"frontier": [], "nash": []}
    walls: dict[str, list[float]] = {"frontier": [], "nash": []}
    last: dict[str, object] = {}
    errors: dict[str, str] = {}
    for _ in range(runs):
        for solution in ("frontier", "nash"):
            if solution in errors:
                continue
            try:
                out, wall = run_accord_process(accord, domain, solution)
            except RuntimeError as e:
                # One failing analysis should not hide the other's numbers.
                errors[solution] = str(e)
                continue
            timings[solution].append(out["timings_ms"][solution])
            walls[solution].append(wall)
            last[solution] = out.get(solution)
    med = lambda xs: statistics.median(xs) if xs else float("nan")  # noqa: E731
    return AccordRun(
        med(timings["frontier"]),
        med(timings["nash"]),
        med(walls["frontier"]),
        med(walls["nash"]),
        last.get("frontier"),
        last.get("nash"),
        errors,
    )


# ---------------------------------------------------------------------------
# Agreement checks


def rounded_skyline(points) -> set[tuple]:
    """Distinct non-dominated points after rounding to ROUND_DIGITS decimals."""
    rounded = {tuple(round(float(u), ROUND_DIGITS) for u in p) for p in points}
    return {
        p
        for p in rounded
        if not any(q != p and all(qi >= pi for qi, pi in zip(q, p)) for q in rounded)
    }


def nash_product(point, reservations) -> float:
    return math.prod(float(u) - r for u, r in zip(point, reservations))


def agreement(domain: Domain, negmas_frontier, accord: AccordRun) -> tuple[str, str, list[str]]:
    """(NegMAS points, Accord points, warnings); `negmas_frontier` is a list of utility vectors."""
    warnings = [f"Accord failed: {e}" for e in accord.errors.values()]
    ours = rounded_skyline(negmas_frontier)
    if "frontier" in accord.errors:
        accord_points = "-"
    elif isinstance(accord.frontier, list):
        theirs = rounded_skyline(p["utilities"] for p in accord.frontier)
        if len(ours) != len(theirs):
            warnings.append(f"frontier size {len(ours)} (NegMAS) != {len(theirs)} (Accord)")
        elif ours != theirs:
            warnings.append("frontier sizes agree but the points differ")
        accord_points = str(len(theirs))
    else:
        reason = accord.frontier.get("omitted") if isinstance(accord.frontier, dict) else "missing"
        warnings.append(f"Accord frontier not listed: {reason}")
        accord_points = "-"
    reservations = [p.reservation for p in domain.profiles]
    if "nash" in accord.errors:
        return str(len(ours)), accord_points, warnings
    negmas_best = max((nash_product(p, reservations) for p in negmas_frontier), default=None)
    accord_best = accord.nash["objective"] if accord.nash else None
    if (negmas_best is None) != (accord_best is None):
        warnings.append(f"Nash: NegMAS {negmas_best}, Accord {accord_best}")
    elif negmas_best is not None and not math.isclose(negmas_best, accord_best, rel_tol=1e-9, abs_tol=1e-12):
        warnings.append(f"Nash product {negmas_best:.12g} (NegMAS frontier) != {accord_best:.12g} (Accord)")
    return str(len(ours)), accord_points, warnings


# ---------------------------------------------------------------------------
# Report


def short_check(warnings: list[str]) -> str:
    """The table's check cell; the full warnings are printed above the table."""
    return "; ".join(w if len(w) <= 60 else w[:57] + "..." for w in warnings) if warnings else "ok"


def fmt_ms(x: float) -> str:
    return f"{x:.2f}" if math.isfinite(x) else "-"


def fmt_ratio(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:,.0f}x" if x >= 10 else f"{x:.2f}x"


def render_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def safe_div(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("domains", nargs="*", help="domain directory names (default: every domain with >= 10^4 outcomes)")
    parser.add_argument("--shared", type=Path, required=True, help="the shared/ directory (domains/ and oracle/)")
    parser.add_argument("--accord", type=Path, help="the accord binary (omit with --negmas-only)")
    parser.add_argument("--all", action="store_true", help=f"include domains where NegMAS takes > {SLOW_NEGMAS_SECONDS:.0f} s")
    parser.add_argument("--runs", type=int, default=5, help="Accord runs per measurement (median)")
    parser.add_argument("--min-outcomes", type=int, default=10_000)
    parser.add_argument("--negmas-only", action="store_true", help="time NegMAS only (no Accord binary needed)")
    args = parser.parse_args()
    if not args.negmas_only and args.accord is None:
        parser.error("--accord is required unless --negmas-only")

    import negmas

    domains_dir = args.shared / "domains"
    oracle_dir = args.shared / "oracle"

    def oracle_of(name: str) -> dict | None:
        f = oracle_dir / f"{name}.json"
        return json.loads(f.read_text()) if f.exists() else None

    if args.domains:
        names, explicit = args.domains, True
    else:
        names, explicit = sorted(p.name for p in domains_dir.iterdir() if p.is_dir()), False

    print(f"NegMAS {negmas.__version__} on Python {sys.version.split()[0]}; accord: {args.accord or '(not run)'}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (this machine has {os.cpu_count()} cores; other work inflates both sides)")
    rows, skipped_rows, failures, disagreements = [], [], [], []
    for name in names:
        domain = load_domain(domains_dir / name)
        if not explicit and domain.n_outcomes < args.min_outcomes:
            continue
        oracle = oracle_of(name)
        oracle_frontier_s = oracle["genius"]["timings_s"]["pareto_frontier"] if oracle else None
        oracle_nash_s = oracle["genius"]["timings_s"]["nash"] + oracle["genius"]["timings_s"]["minmax"] if oracle else None
        slow = oracle_frontier_s is not None and oracle_frontier_s > SLOW_NEGMAS_SECONDS
        if slow and not args.all and not explicit:
            print(
                f"\n{name}: {domain.n_outcomes:,} outcomes, NegMAS skipped: the oracle's pareto_frontier took "
                f"{oracle_frontier_s:.0f} s (> {SLOW_NEGMAS_SECONDS:.0f} s); run with --all to time it here",
                flush=True,
            )
            if args.negmas_only:
                continue
            accord = run_accord(args.accord, domain, args.runs)
            print(
                f"  Accord (median of {args.runs}): frontier {accord.frontier_ms:.3f} ms, nash {accord.nash_ms:.3f} ms",
                flush=True,
            )
            # Checked against the oracle's frontier (rounded to 9 decimals), not a NegMAS run.
            oracle_frontier = oracle["genius"]["pareto_rounded_1e-9"]["utilities"] if oracle else []
            negmas_points, accord_points, warnings = agreement(domain, oracle_frontier, accord)
            for w in warnings:
                print(f"  WARNING: {w}", flush=True)
            disagreements += [f"{name}: {w}" for w in warnings if not w.startswith("Accord frontier not listed")]
            skipped_rows.append(
                [
                    name,
                    f"{domain.n_outcomes:,}",
                    "not run",
                    "-",
                    f"{oracle_frontier_s:.1f}",
                    fmt_ms(accord.frontier_ms),
                    fmt_ratio(safe_div(oracle_frontier_s * 1e3, accord.frontier_ms)),
                    fmt_ratio(safe_div(oracle_frontier_s * 1e3, accord.frontier_ms)),
                    f"{oracle_nash_s:.4f}",
                    fmt_ms(accord.nash_ms),
                    fmt_ratio(safe_div(oracle_nash_s * 1e3, accord.nash_ms)),
                    fmt_ratio(safe_div(oracle_frontier_s + oracle_nash_s, accord.wall_frontier_s + accord.wall_nash_s)),
                    negmas_points,
                    accord_points,
                    short_check(warnings),
                ]
            )
            continue

        print(f"\n{name}: {domain.n_outcomes:,} outcomes, {len(domain.profiles)} parties", flush=True)
        _, ufuns = negmas_objects(domain)
        print(f"  {check_samples(domain, ufuns, oracle)}", flush=True)
        del ufuns
        negmas_run, negmas_count = run_negmas(domain)
        gc.collect()
        negmas_nash_s = negmas_run.minmax_s + negmas_run.nash_s
        print(
            f"  NegMAS ({'median of ' + str(negmas_count) if negmas_count > 1 else 'one run'}): "
            f"pareto_frontier {negmas_run.frontier_s:.3f} s (CPU {negmas_run.frontier_cpu_s:.3f} s), minmax {negmas_run.minmax_s * 1e3:.2f} ms, "
            f"nash_points {negmas_run.nash_s * 1e3:.2f} ms, {len(negmas_run.frontier)} raw frontier points"
            + (f" (oracle: pareto_frontier {oracle_frontier_s:.3f} s)" if oracle_frontier_s is not None else ""),
            flush=True,
        )
        oracle_points = oracle["genius"]["pareto_rounded_1e-9"]["n_points"] if oracle else None
        own_points = len(rounded_skyline(negmas_run.frontier))
        if oracle_points is not None and own_points != oracle_points:
            raise AssertionError(f"{name}: NegMAS frontier has {own_points} points here, {oracle_points} in the oracle")
        if args.negmas_only:
            rows.append(
                [name, f"{domain.n_outcomes:,}", f"{negmas_run.frontier_s:.3f}", f"{negmas_run.frontier_cpu_s:.3f}"]
                + [f"{oracle_frontier_s:.3f}" if oracle_frontier_s is not None else "-", "-", "-", "-"]
                + [f"{negmas_nash_s:.4f}"]
                + ["-"] * 3
                + [str(len(rounded_skyline(negmas_run.frontier))), "-", ""]
            )
            continue
        accord = run_accord(args.accord, domain, args.runs)
        print(
            f"  Accord (median of {args.runs}): frontier {accord.frontier_ms:.3f} ms, nash {accord.nash_ms:.3f} ms, "
            f"wall {accord.wall_frontier_s * 1e3:.1f} ms + {accord.wall_nash_s * 1e3:.1f} ms",
            flush=True,
        )
        negmas_points, accord_points, warnings = agreement(domain, negmas_run.frontier, accord)
        for w in warnings:
            print(f"  WARNING: {w}", flush=True)
        disagreements += [f"{name}: {w}" for w in warnings if not w.startswith("Accord frontier not listed")]
        frontier_ratio = safe_div(negmas_run.frontier_s * 1e3, accord.frontier_ms)
        oracle_ratio = safe_div(oracle_frontier_s * 1e3, accord.frontier_ms) if oracle_frontier_s else float("nan")
        # A loaded machine slows NegMAS more than Accord's milliseconds, so the
        # goal is judged on the less flattering of the two ratios.
        worst_ratio = min(r for r in (frontier_ratio, oracle_ratio) if math.isfinite(r)) if accord.frontier_ms > 0 else 0
        if domain.n_outcomes >= 10_000 and worst_ratio < 1000:
            failures.append(f"{name}: frontier ratio {fmt_ratio(worst_ratio)} < 1000x")
        rows.append(
            [
                name,
                f"{domain.n_outcomes:,}",
                f"{negmas_run.frontier_s:.3f}",
                f"{negmas_run.frontier_cpu_s:.3f}",
                f"{oracle_frontier_s:.3f}" if oracle_frontier_s is not None else "-",
                fmt_ms(accord.frontier_ms),
                fmt_ratio(frontier_ratio),
                fmt_ratio(oracle_ratio),
                f"{negmas_nash_s:.4f}",
                fmt_ms(accord.nash_ms),
                fmt_ratio(safe_div(negmas_nash_s * 1e3, accord.nash_ms)),
                fmt_ratio(safe_div(negmas_run.frontier_s + negmas_nash_s, accord.wall_frontier_s + accord.wall_nash_s)),
                negmas_points,
                accord_points,
                short_check(warnings),
            ]
        )

    header = [
        "domain",
        "outcomes",
        "NegMAS frontier s",
        "(cpu s)",
        "(oracle s)",
        "Accord frontier ms",
        "ratio",
        "(vs oracle)",
        "NegMAS nash s",
        "Accord nash ms",
        "ratio",
        "NegMAS f+n / Accord wall",
        "NegMAS pts",
        "Accord pts",
        "check",
    ]
    print()
    if rows:
        print(render_table(header, rows))
    if skipped_rows:
        print("\nNegMAS not run (use --all); NegMAS times FROM THE ORACLE FILES (same machine, earlier run), Accord measured now:")
        print(render_table(header, skipped_rows))
    print(
        "\nNegMAS frontier: pareto_frontier(ufuns, issues=...), enumeration and Python evaluation included."
        "\nNegMAS nash: the ufuns' minmax (its disagreement point needs the ranges) + nash_points on that frontier;"
        "\n  it scans the frontier, so NegMAS's time to a Nash point is really frontier + nash."
        "\nAccord frontier/nash: in-process timings_ms of `accord analyze --solution frontier|nash`, each computed"
        "\n  from the domain alone (Accord's nash does not start from a frontier), median of the runs."
        "\nLast ratio: NegMAS (frontier + nash) over the wall-clock time of both Accord processes"
        "\n  (--solution frontier, then --solution nash), each start to exit, JSON printed."
        "\n(cpu s): the CPU time of that NegMAS call; far below its wall time means the machine was busy."
        "\n(oracle s): NegMAS's pareto_frontier time recorded in ../shared/oracle (an earlier, quieter run), for reference;"
        "\n  ratios use the time measured in this run, except in the not-run table, where they use the oracle's;"
        "\n  (vs oracle) is the frontier ratio with the oracle's NegMAS time, less inflated by a busy machine."
        "\nPoints: distinct frontier points after rounding to 9 decimals."
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if failures:
        print("\nFrontier ratio below the 1000x goal (domains of >= 10^4 outcomes): " + "; ".join(failures))
    if disagreements:
        print("\nNegMAS and Accord DISAGREE: " + "; ".join(disagreements))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
