"""What the nemesis clients ask (docs/nemesis.md "Workload"): register
keys r0, r1, ... (get, put of a value no one else writes, cas from the
value this client last saw) and counter keys c0, c1, ... (get, add 1, cas
from the number last seen to a larger one). Every value written is
unique, so a read tells which write it saw; counters only grow, so a
read below an acknowledged add shows the add missing (tests/lincheck/
lost.py). Each client draws from its own random generator, seeded from
the run's seed and its number, so a seed gives the same calls."""
import random

REGISTER_MIX = (("get", 40), ("put", 35), ("cas", 25))
COUNTER_MIX = (("get", 30), ("add", 60), ("cas", 10))
# A cas on a counter jumps this far above the number it expects.
COUNTER_CAS_STEP = 100


def keys(registers, counters):
    return [f"r{i}" for i in range(registers)] + [f"c{i}" for i in range(counters)]


def is_counter(key):
    return key.startswith("c")


class Calls:
    """One client's calls: next() gives (f, key, args); saw() tells it the
    value a call found (for its next cas on that key)."""

    def __init__(self, client, key_list, seed):
        self.client, self.keys = client, list(key_list)
        self.rng = random.Random(f"{seed}/client{client}")
        self.seen, self.count = {}, 0

    def next(self):
        key = self.rng.choice(self.keys)
        mix = COUNTER_MIX if is_counter(key) else REGISTER_MIX
        f = self.rng.choices([m[0] for m in mix], [m[1] for m in mix])[0]
        last = self.seen.get(key)
        if f == "get":
            return f, key, []
        if f == "add":
            return f, key, [1]
        if is_counter(key):
            return f, key, [last or "", str(int(last or 0) + COUNTER_CAS_STEP)]
        return f, key, ([self._value()] if f == "put" else [last or "", self._value()])

    def _value(self):
        """A value no other write has: client and count, never a number."""
        self.count += 1
        return f"{self.client}x{self.count}"

    def saw(self, key, value):
        """value: what a call found (None: absent)."""
        self.seen[key] = value
