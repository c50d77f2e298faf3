/*
 * The kv protocol: a linearizable key-value store (space/kv/, docs/kv.md).
 * Its keys, values and client sessions are part of the cluster state the
 * Raft log replicates (mesh/cstate.h); kv's instances, a job of the
 * cluster scheduler (spawn kv --replicas 2), check each request and hand
 * it to their node's meshd (aion/mesh.h MESHD_KV). The primary serves
 * clients under the cluster-wide name "kv"; the backup stands by to take
 * the name over.
 *
 * Payloads are fields, each one length byte then the bytes (no NUL):
 *   key     1..KV_KEY_MAX bytes, printable, no space (0x21..0x7e)
 *   value   1..KV_VALUE_MAX bytes, printable (0x20..0x7e); no value is
 *           empty, so an empty field means "absent" where one is allowed
 *   number  a decimal int64, optional '-' (ADD)
 *
 * Client calls (label, words, payload -> reply). A reply's payload is the
 * key's value after the call, plain bytes (empty when absent or on errors
 * other than ECONFLICT):
 *   KV_GET  payload: key -> w0 = 0; ENOENT. Linearizable: answered after
 *           the leader confirmed its lead (read index)
 *   KV_PUT  payload: key, value -> w0 = 0
 *   KV_CAS  payload: key, expected, new -> w0 = 0 when the value was
 *           `expected` (an empty `expected`: the key must be absent) and is
 *           now `new`; ECONFLICT otherwise (payload: the current value)
 *   KV_ADD  payload: key, number -> w0 = 0, w1 = the new value (int64):
 *           the value read as a decimal integer (absent: 0) plus number.
 *           EINVAL when the stored value is no decimal integer, ERANGE on
 *           overflow (nothing changes)
 * A write (PUT, CAS, ADD) is answered once the cluster's log committed it
 * (on a majority of the voters' disks) and it was applied. Every write
 * carries w1 = the client's id (random, nonzero, chosen once) and w2 = its
 * sequence number. The store keeps for the last KV_CLIENTS_MAX clients
 * (least recently used goes first) the last seq and its result, in the
 * replicated state: a write whose seq equals the remembered one is not
 * applied again but answered with the remembered result; a lower seq gets
 * ERANGE. So a client that retries the SAME seq after EINDOUBT, EHOSTDOWN,
 * EAGAIN or a timeout gets its write applied exactly once.
 * Every reply has w2 = the instance's epoch. Errors of every call:
 *   EMALFORMED  fields do not add up, or one is longer than allowed
 *   EINVAL      a field breaks the rules above, or client id 0
 *   EAGAIN      not applied: no leader now, or leadership changed before
 *               the write was committed; retry (the same seq)
 *   EINDOUBT    not acknowledged, but it may be applied (the leader was
 *   ETIMEDOUT   lost meanwhile): retry the same seq to learn the result
 *   ENOQUORUM   this node sees no majority of the cluster's voters
 *   ENOSPC      KV_KEYS_MAX keys exist already
 */
#ifndef AION_KV_H
#define AION_KV_H

#define KV_NAME                 "kv"

#define KV_GET                  64
#define KV_PUT                  65
#define KV_CAS                  66
#define KV_ADD                  67

#define KV_KEY_MAX              31
#define KV_VALUE_MAX            63
#define KV_KEYS_MAX             64
#define KV_CLIENTS_MAX          16

/* Most payload bytes of one request (fits a remote call). */
#define KV_CHUNK_MAX            352

#endif /* AION_KV_H */
