#!/usr/bin/env python3
"""Build and run the AionMesh packet-decoder fuzzer (meson test
fuzz-mesh-decode).

The project's native compiler is gcc, which has no libFuzzer, so this
script compiles tests/fuzz/fuzz_mesh_decode.c and the mesh sources with
clang -fsanitize=fuzzer,address,undefined into the build directory,
writes a seed corpus of well-formed packets (header + membership payload,
without MAC: the target appends the correct one itself), and runs the
fuzzer for a fixed time. Any crash, sanitizer report or leak fails the
test; a missing clang or libFuzzer runtime fails it too (never a skip).

Usage: run_fuzz.py SOURCE_ROOT BUILD_DIR [--time SECONDS] [--runs N]
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys

CLUSTER = 0xC1A55E01
NODE_NONE = 0xFFFF
# Packet types (mesh/include/mesh/wire.h) and message subtypes
# (mesh/include/mesh/member.h).
PING, PING_REQ, ACK = 1, 2, 3
MSG_PING, MSG_ACK, MSG_PING_REQ, MSG_INDIRECT_ACK = 1, 2, 3, 4
PACKET_TYPE = {MSG_PING: PING, MSG_ACK: ACK, MSG_PING_REQ: PING_REQ,
               MSG_INDIRECT_ACK: ACK}


def fail(msg):
    print('fuzz-mesh-decode: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def find_clang():
    for name in (os.environ.get('CLANG'), 'clang', 'clang-14'):
        if name and shutil.which(name):
            return shutil.which(name)
    fail('clang not found (apt-get install clang libclang-rt-14-dev, '
         'or scripts/setup-host); the fuzzer cannot be built')
    return None


def packet(ptype, src, dst, payload, cluster=CLUSTER, flags=0, seq=1, ack=0):
    """Header + payload of one packet, MAC left off."""
    return (b'AM' + struct.pack('>BBBIHHIIH', 1, ptype, flags, cluster,
                                src, dst, seq, ack, len(payload)) + payload)


def msg_payload(sub, target, seq, gossip):
    body = struct.pack('>BHIB', sub, target, seq, len(gossip))
    for node, state, inc in gossip:
        body += struct.pack('>HBI', node, state, inc)
    return body


# The Raft core's files (mesh/meson.build, mesh_raft_sources).
RAFT_SOURCES = ('raft.c', 'raft_log.c', 'raft_conf.c', 'raft_msg.c',
                'raft_elect.c', 'raft_repl.c', 'raft_snap.c', 'raft_read.c')
# Bulk transfers' files (mesh/meson.build, mesh_bulk_sources).
BULK_SOURCES = ('bulk_codec.c', 'bulk_tx.c', 'bulk_rx.c')
# Raft message types (mesh/include/mesh/raft.h).
RAFT_VOTE, RAFT_APPEND, RAFT_APPEND_RESP, RAFT_SNAP = 3, 5, 6, 7


def raft_seeds():
    """Well-formed Raft messages (layout: mesh/raft_msg.c) from server 2."""
    hdr = lambda t, flags, term: struct.pack('>BBQQQ', t, flags, 2, 1, term)
    vote = hdr(RAFT_VOTE, 0, 4) + struct.pack('>QQ', 3, 3)
    append = (hdr(RAFT_APPEND, 0, 3) + struct.pack('>QQQQH', 2, 2, 3, 1, 2)
              + struct.pack('>QBH', 3, 1, 3) + b'abc'
              + struct.pack('>QBH', 3, 3, 0))
    resp = hdr(RAFT_APPEND_RESP, 0, 3) + struct.pack('>QQQ', 1, 0, 1)
    conf = struct.pack('>B', 2) + struct.pack('>QHB', 1, 1, 1) + \
        struct.pack('>QHB', 2, 2, 1)
    snap = (hdr(RAFT_SNAP, 2, 3) + struct.pack('>QQI', 9, 3, 0) + conf
            + struct.pack('>H', 4) + b'snap')
    return [vote, append, resp, snap]


def seeds():
    gossip = [(1, 1, 0), (2, 2, 7), (3, 3, 0xFFFFFFFF), (4, 1, 1)]
    out = []
    for sub in (MSG_PING, MSG_ACK, MSG_PING_REQ, MSG_INDIRECT_ACK):
        for n in (0, 1, len(gossip)):
            target = NODE_NONE if sub == MSG_PING else 3
            pl = msg_payload(sub, target, 0x1000 + n, gossip[:n])
            out.append(packet(PACKET_TYPE[sub], 2, 1, pl, seq=n))
    # Non-membership packet types: short junk, an empty CALL/REPLY body
    # (mesh/rpc.h: 47 fixed bytes, no caps, no data; one with a cap and
    # data) and a CALL_ACK/ERROR status (12 bytes).
    call = bytes(range(1, 45)) + b'\0' + b'\0\0'
    call1 = (bytes(range(1, 45)) + b'\1' + bytes(range(14)) + b'\0\3abc')
    for ptype in range(4, 9):
        out.append(packet(ptype, 2, 1, bytes(range(ptype))))
    for ptype in (5, 6):
        out.append(packet(ptype, 2, 1, call))
        out.append(packet(ptype, 2, 1, call1))
    for ptype in (7, 8):
        out.append(packet(ptype, 2, 1, bytes(range(8)) + b'\xff\xff\xff\xfe'))
    return out + raft_seeds() + bulk_seeds()


def bulk_seeds():
    """Bulk transfer payloads (layout: mesh/include/mesh/bulk.h): the last
    DATA of a 1000-byte message in 400-byte pieces, an empty message, an
    ACK with a bitmap and a DONE."""
    data = struct.pack('>IIHH', 9, 1000, 400, 2) + bytes(range(200))
    empty = struct.pack('>IIHH', 1, 0, 400, 0)
    ack = struct.pack('>IiBH', 9, 0, 0, 3) + b'\x05'
    done = struct.pack('>IiBH', 9, 0, 1, 0)
    return [data, empty, ack, done]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('source_root')
    ap.add_argument('build_dir')
    ap.add_argument('--time', type=int, default=60)
    ap.add_argument('--runs', type=int, default=-1)
    args = ap.parse_args()

    src = os.path.abspath(args.source_root)
    out = os.path.abspath(args.build_dir)
    os.makedirs(out, exist_ok=True)
    clang = find_clang()

    exe = os.path.join(out, 'fuzz_mesh_decode')
    sources = [os.path.join(src, 'tests/fuzz/fuzz_mesh_decode.c'),
               os.path.join(src, 'mesh/wire.c'),
               os.path.join(src, 'mesh/replay.c'),
               os.path.join(src, 'mesh/member.c')]
    cmd = [clang, '-g', '-O1', '-std=c11', '-Wall', '-Wextra', '-Werror',
           '-fsanitize=fuzzer,address,undefined',
           '-fno-sanitize-recover=all', '-fno-omit-frame-pointer',
           '-I' + os.path.join(src, 'include'),
           '-I' + os.path.join(src, 'mesh/include'),
           '-I' + os.path.join(src, 'common/include')]
    rpc_c = os.path.join(src, 'mesh/rpc.c')
    if (os.path.exists(os.path.join(src, 'mesh/include/mesh/rpc.h'))
            and os.path.exists(rpc_c)):
        cmd.append('-DMESH_FUZZ_RPC')
        sources.append(rpc_c)
        print('fuzz-mesh-decode: including the RPC decoder (mesh/rpc.c)')
    if os.path.exists(os.path.join(src, 'mesh/raft.c')):
        cmd.append('-DMESH_FUZZ_RAFT')
        sources += [os.path.join(src, 'mesh', f) for f in RAFT_SOURCES]
        print('fuzz-mesh-decode: including the Raft core (mesh/raft*.c)')
    if os.path.exists(os.path.join(src, 'mesh/bulk_codec.c')):
        cmd.append('-DMESH_FUZZ_BULK')
        sources += [os.path.join(src, 'mesh', f) for f in BULK_SOURCES]
        print('fuzz-mesh-decode: including bulk transfers (mesh/bulk*.c)')
    cmd += sources + ['-o', exe]
    print(' '.join(cmd))
    r = subprocess.run(cmd)
    if r.returncode != 0:
        fail('compiling the fuzzer failed (is libclang-rt-14-dev, the '
             'libFuzzer runtime, installed?)')

    seed_dir = os.path.join(out, 'fuzz-mesh-decode-seeds')
    corpus = os.path.join(out, 'fuzz-mesh-decode-corpus')
    for d in (seed_dir, corpus):
        os.makedirs(d, exist_ok=True)
    for i, s in enumerate(seeds()):
        with open(os.path.join(seed_dir, 'seed-%02d' % i), 'wb') as f:
            f.write(s)

    run = [exe, '-max_total_time=%d' % args.time, '-timeout=10',
           '-max_len=1300', '-print_final_stats=1',
           '-artifact_prefix=' + os.path.join(out, 'fuzz-mesh-decode-'),
           corpus, seed_dir]
    if args.runs >= 0:
        run.insert(1, '-runs=%d' % args.runs)
    print(' '.join(run), flush=True)
    r = subprocess.run(run, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    sys.stdout.write(r.stdout)
    m = re.search(r'stat::number_of_executed_units:\s*(\d+)', r.stdout)
    execs = int(m.group(1)) if m else 0
    if r.returncode != 0:
        fail('fuzzer exited with %d after %d executions (crash input in %s)'
             % (r.returncode, execs, out))
    if not m or execs == 0:
        fail('fuzzer ran no inputs')
    print('fuzz-mesh-decode: OK, %d executions' % execs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
