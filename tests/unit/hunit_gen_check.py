#!/usr/bin/env python3
"""hunit-gen: the hostile-unit fuzzer's generator (space/utest/hunit_gen.c,
built for the host) writes valid x86-64 code. For several seeds, sequences
that are not meant to end their unit must disassemble (objdump) without a
single undecodable byte and end with the jump back (one per sequence); the
ones meant to end it must contain the instructions chosen for that.
Usage: hunit_gen_check.py DUMP_EXE"""
import re
import subprocess
import sys
import tempfile

SEEDS = (1, 7, 12345, 2**40 + 3, 987654321)
COUNT = 300


def disassemble(dump, seed, terminal):
    code = subprocess.run([dump, str(seed), str(COUNT), str(terminal)],
                          capture_output=True, check=True).stdout
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(code)
        f.flush()
        out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", f.name],
                             capture_output=True, text=True, check=True).stdout
    return [l.split("\t")[-1].strip() for l in out.splitlines() if re.match(r"\s+[0-9a-f]+:\t", l)]


def main():
    dump = sys.argv[1]
    privileged = 0
    for seed in SEEDS:
        ins = disassemble(dump, seed, 0)
        bad = [i for i in ins if "(bad)" in i]
        ends = sum(1 for i in ins if re.fullmatch(r"jmp\s+\*%r[ab]x", i))
        print(f"seed {seed}: {COUNT} sequences, {len(ins)} instructions, {len(bad)} undecodable, "
              f"{ends} jumps back")
        if bad or ends != COUNT:
            sys.exit(f"FAIL: seed {seed}: non-terminal sequences must decode and end once each")
        ins = disassemble(dump, seed, 1)
        privileged += sum(1 for i in ins if re.match(r"(hlt|cli|sti|lgdt|lidt|wrmsr|rdmsr|"
                                                      r"swapgs|sysret|ltr|lldt|invd|wbinvd|"
                                                      r"int\s|int3|iret|lret|ud2)", i))
    print(f"terminal sequences: {privileged} privileged, trapping or far-return instructions")
    if privileged < len(SEEDS) * COUNT // 10:
        sys.exit("FAIL: the terminal operations hardly ever appear")


if __name__ == "__main__":
    main()
