#!/usr/bin/env python3
"""Checks the Promela model of Raft (raft*.pml, next to this file) with spin.

Default: an exhaustive search for each bound in CHECKS; fails unless pan
reports 0 errors over a complete search (no depth, memory or other
truncation). --variants: each variant in VARIANTS breaks one rule (or asks
for a witness state); fails unless pan finds an error in every one.
--show NAME prints the shortest counterexample of one variant (spin -t).

Every run works in a temporary folder that is removed afterwards.
docs/raft-model.md has the bounds, the figures and why.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = 'raft.pml'      # includes the other raft_*.pml files next to it


def bounds(terms, log, slots):
    """spin -D options: highest term, longest log, messages in flight."""
    return [f'-DMAXTERM={terms}', f'-DMAXLOG={log}', f'-DNETSLOTS={slots}']


# Exhaustive checks, 3 servers each. The 4-term one reaches Figure 8 of
# the paper, which 3 terms cannot with 3 servers (docs/raft-model.md).
CHECKS = [
    ('3 terms, logs of 2, 2 messages in flight', bounds(3, 2, 2)),
    ('2 terms, logs of 2, 3 messages in flight', bounds(2, 2, 3)),
    ('4 terms, logs of 1, 2 messages in flight', bounds(4, 1, 2)),
]

# Variants in which spin must find an error, with the bounds they need.
VARIANTS = [
    ('BUG_VOTE_TWICE', bounds(2, 2, 2)),
    ('BUG_VOLATILE_VOTE', bounds(2, 2, 2)),
    ('BUG_NO_UPTODATE_CHECK', bounds(2, 2, 2)),
    ('BUG_COMMIT_PAST_NEW', bounds(2, 2, 2)),
    ('BUG_TRUNCATE_MATCHING', bounds(2, 2, 2)),
    ('BUG_COMMIT_OLD_TERM', bounds(4, 1, 2)),
    ('WITNESS_TRUNCATE', bounds(2, 2, 2)),
    ('WITNESS_ALL_COMMITTED', bounds(3, 2, 2)),
]

# Exhaustive: no -DBITSTATE or -DHC (lossy), no -DCOLLAPSE (lossless but
# about 5x slower here); -DSAFETY: assertions and end states only; -w:
# gcc's warnings on spin's generated code are not ours to fix.
PAN_CFLAGS = ['-O2', '-w', '-DSAFETY', '-DMEMLIM=3072']
# -m: far above the deepest path (about 1,000: 3 per model step);
# -w25: a hash table of 32 Mi slots, for up to about 10 M states.
PAN_ARGS = ['-m20000', '-w25']

# pan's words for a search that did not cover the whole state space.
INCOMPLETE = ['max search depth too small', 'search not completed',
              'reached -dmemlim bound', 'out of memory']


def run(argv, cwd):
    """Runs argv in cwd; returns its stdout and stderr together."""
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0 and argv[0] != './pan':
        raise RuntimeError(f'{" ".join(argv)} failed:\n{proc.stdout}')
    return proc.stdout


def build_pan(defines, cwd, cflags=()):
    """Generates pan.c for the model with these -D options and compiles it."""
    for name in os.listdir(HERE):
        if name.endswith('.pml'):
            shutil.copy(os.path.join(HERE, name), cwd)
    run(['spin'] + defines + ['-a', MODEL], cwd)
    run(['cc'] + PAN_CFLAGS + list(cflags) + ['-o', 'pan', 'pan.c'], cwd)


def figure(pattern, out, default='?'):
    found = re.search(pattern, out)
    return found.group(1) if found else default


def summary(out, seconds):
    stored = figure(r'([0-9.e+]+) states, stored', out)
    transitions = figure(r'([0-9.e+]+) transitions', out)
    depth = figure(r'depth reached (\d+)', out)
    memory = figure(r'([0-9.]+)\s+total actual memory', out)
    return (f'{stored} states, {transitions} transitions, depth {depth}, '
            f'{memory} MB, {seconds:.1f} s')


def pan(defines, extra_args=()):
    """Builds and runs pan in a temporary folder: (output, seconds)."""
    with tempfile.TemporaryDirectory(prefix='raft-model-') as tmp:
        build_pan(defines, tmp)
        start = time.monotonic()
        out = run(['./pan'] + PAN_ARGS + list(extra_args), tmp)
        return out, time.monotonic() - start


def check(name, defines):
    """Exhaustive search: True when complete and free of errors."""
    out, seconds = pan(defines)
    errors = figure(r'errors: (\d+)', out)
    cut = [w for w in INCOMPLETE if w in out.lower()]
    ok = errors == '0' and not cut and 'states, stored' in out
    print(f'{"ok  " if ok else "FAIL"} {name}: {errors} errors, '
          f'{summary(out, seconds)}{"; incomplete: " + ", ".join(cut) if cut else ""}')
    if not ok:
        print(out)
    return ok


def check_variant(name, defines):
    """A broken variant: True when pan reports an assertion violation."""
    out, seconds = pan(defines + [f'-D{name}'])
    found = figure(r'errors: (\d+)', out) not in ('0', '?') and \
        'assertion violated' in out
    depth = figure(r'\(at depth (\d+)\)', out)
    print(f'{"ok  " if found else "FAIL"} {name} {" ".join(defines)}: '
          f'{"violation found at depth " + depth if found else "NO violation found"}'
          f' ({seconds:.1f} s)')
    if not found:
        print(out)
    return found


def replay(defines, cwd):
    """Replays pan's trail with spin -t: (trace lines, number of steps)."""
    trace = run(['spin'] + defines + ['-t', MODEL], cwd)
    trace = trace.split('#processes')[0]          # not the final variables
    lines = [' '.join(line.split()) for line in trace.splitlines()]
    lines = [line if line.startswith(('STEP', 'spin')) else '  ' + line
             for line in lines]
    return lines, sum(1 for line in lines if line.startswith('STEP'))


def show(name):
    """Prints the shortest counterexample of one variant, step by step.

    pan -i shortens the first error path found until none is shorter
    (with -DREACH, exact); spin -t replays it, printing each step. Without
    the renaming of servers (-DNO_SYMMETRY), so names stay put."""
    defines = dict(VARIANTS)[name] + [f'-D{name}', '-DNO_SYMMETRY', '-DTRACE']
    with tempfile.TemporaryDirectory(prefix='raft-model-') as tmp:
        build_pan(defines, tmp, ['-DREACH'])
        out = run(['./pan'] + PAN_ARGS + ['-i'], tmp)
        if 'assertion violated' not in out:
            print(out)
            return 1
        cut = [w for w in INCOMPLETE if w in out.lower()]
        lines, steps = replay(defines, tmp)
    print('\n'.join(lines))
    print(f'{name}: {steps} steps, ' + (
        f'the shortest found before the search stopped ({", ".join(cut)})'
        if cut else 'the shortest'))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--variants', action='store_true',
                        help='check that spin finds each broken variant')
    parser.add_argument('--show', choices=[v for v, _ in VARIANTS],
                        help="print one variant's counterexample")
    args = parser.parse_args()
    if shutil.which('spin') is None:
        print('spin not found: run scripts/setup-host', file=sys.stderr)
        return 1
    if args.show:
        return show(args.show)
    todo = VARIANTS if args.variants else CHECKS
    step = check_variant if args.variants else check
    results = [step(name, defines) for name, defines in todo]
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
