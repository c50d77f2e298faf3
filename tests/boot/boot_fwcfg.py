#!/usr/bin/env python3
"""boot-fwcfg: fw_cfg files reach user mode (space/lib/fwcfg.c). Two boots
with aion.test=fwcfg: one with `-fw_cfg name=opt/aion/cluster-key,string=KEY`
(utest reads KEY back; a 4-byte buffer gets AION_ENOSPC), one without (the
same read answers AION_ENOENT). Both times a missing name answers AION_ENOENT,
QEMU's own etc/e820 is found (too big for an empty buffer: AION_ENOSPC) and a
handle that is no I/O port capability is refused.
Usage: boot_fwcfg.py ISO"""
import bootlib
from bootlib import ac, check, fields, line_at

KEY = "00112233445566778899aabbccddeeff"
UTEST_TIMEOUT_S = 60
VERDICT_RE = r"utest: test fwcfg (?P<word>ok|FAIL)\b.*(?=\n)"
COMMON = {"missing": "AION_ENOENT", "e820": "AION_ENOSPC", "badcap": "AION_ETYPE"}


def boot(iso, fw_cfg, **want):
    with bootlib.booted(iso, cmdline_extra="aion.test=fwcfg", fw_cfg=fw_cfg) as node:
        verdict = node.wait_for(VERDICT_RE, UTEST_TIMEOUT_S)
        line = line_at(node.text, verdict)
        print(("with" if fw_cfg else "without") + f" -fw_cfg: {line}")
        values = fields(line)
        for key, value in {**COMMON, **want}.items():
            check(values.get(key) == value, f"{key}={values.get(key)}, expected {value}, in: {line}")
        check(verdict.group("word") == "ok", f"utest's verdict is not ok: {line}")


def test(iso):
    boot(iso, {ac.CLUSTER_KEY_FWCFG: KEY},
         result="AION_OK", size=str(len(KEY)), key=KEY, cut="AION_ENOSPC")
    boot(iso, {}, result="AION_ENOENT", key="-", cut="AION_ENOENT")


if __name__ == "__main__":
    bootlib.main(test)
