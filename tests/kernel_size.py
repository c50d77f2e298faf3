#!/usr/bin/env python3
"""Fail when kernel/ reaches its size budget (cloc code lines, not blanks or
comments). Usage: kernel_size.py KERNEL_DIR. A missing cloc is a failure,
not a skip: the budget is a design rule (docs/architecture.md)."""
import csv
import io
import os
import shutil
import subprocess
import sys

BUDGET = 10000


def main(kernel_dir):
    if shutil.which("cloc") is None:
        print("kernel_size: cloc is not installed (run scripts/setup-host)")
        return 1
    if not os.path.isdir(kernel_dir):
        print(f"kernel_size: {kernel_dir} is not a directory")
        return 1
    out = subprocess.run(["cloc", "--quiet", "--csv", kernel_dir],
                         capture_output=True, text=True, check=True).stdout
    # CSV columns: files,language,blank,comment,code; the SUM row totals them.
    code = next((int(row[4]) for row in csv.reader(io.StringIO(out))
                 if len(row) > 4 and row[1] == "SUM"), 0)
    print(f"kernel/ code lines (cloc): {code} (budget {BUDGET})")
    if code >= BUDGET:
        print(f"kernel_size: kernel/ is over budget by {code - BUDGET + 1} lines")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
