"""The joblib.Memory peer of the "chain" benchmark section (chain_bench.ts).

N iterations x 6 cached calls, each a function of the previous state (25 floats)
and a small config, keyed like cairn's steps by state, config and iteration; the
float operations match chain_bench.ts's `advance`, so both end on the same state.

usage: chain_joblib.py cold|cached <cache dir> <iterations>
prints JSON: us_per_call, own_us_per_call (the plain function), calls, state.
"""

import json
import shutil
import sys
import time

from joblib import Memory

STEPS = 6
WIDTH = 25


def advance(state, config):
    return [
        (x * config["scale"] + config["shift"] + j) % config["modulus"]
        for j, x in enumerate(state)
    ]


def config_of(k):
    return {"scale": 1 + (k + 1) / 64, "shift": k + 0.25, "modulus": 997}


# One function per step, as cairn has one step per stage (joblib keys by function).
def s0(state, config, iteration):
    return advance(state, config)


def s1(state, config, iteration):
    return advance(state, config)


def s2(state, config, iteration):
    return advance(state, config)


def s3(state, config, iteration):
    return advance(state, config)


def s4(state, config, iteration):
    return advance(state, config)


def s5(state, config, iteration):
    return advance(state, config)


def chain(stages, iters):
    state = [j * 1.5 for j in range(WIDTH)]
    configs = [config_of(k) for k in range(STEPS)]
    for i in range(iters):
        for k in range(STEPS):
            state = stages[k](state, configs[k], i)
    return state


def main():
    phase, location, iters = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if phase == "cold":
        shutil.rmtree(location, ignore_errors=True)
    memory = Memory(location=location, verbose=0)
    stages = [memory.cache(f) for f in (s0, s1, s2, s3, s4, s5)]
    start = time.perf_counter()
    state = chain(stages, iters)
    elapsed = time.perf_counter() - start
    calls = iters * STEPS
    chain([s0, s1, s2, s3, s4, s5], iters)  # warm-up
    own_start = time.perf_counter()
    chain([s0, s1, s2, s3, s4, s5], iters)
    own = time.perf_counter() - own_start
    print(
        json.dumps(
            {
                "us_per_call": elapsed * 1e6 / calls,
                "own_us_per_call": own * 1e6 / calls,
                "calls": calls,
                "state": state,
            }
        )
    )


if __name__ == "__main__":
    main()
