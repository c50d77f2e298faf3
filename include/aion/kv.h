/*
 * The kv protocol: a replicated key-value store (space/kv/, docs/kv.md).
 * One primary serves clients under the cluster-wide name "kv"; one backup
 * holds a copy of everything the primary acknowledged. The instances are a
 * job of the cluster scheduler (spawn kv replicas=2): their roles and the
 * epoch come from meshd (aion/mesh.h, MESHD_JOB_WAIT).
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
 *   KV_GET  payload: key -> w0 = 0; ENOENT
 *   KV_PUT  payload: key, value -> w0 = 0
 *   KV_CAS  payload: key, expected, new -> w0 = 0 when the value was
 *           `expected` (an empty `expected`: the key must be absent) and is
 *           now `new`; ECONFLICT otherwise (payload: the current value)
 *   KV_ADD  payload: key, number -> w0 = 0, w1 = the new value (int64):
 *           the value read as a decimal integer (absent: 0) plus number.
 *           EINVAL when the stored value is no decimal integer, ERANGE on
 *           overflow (nothing changes)
 * A primary answers GET from its own table, even without a backup: a
 * primary cut off from the majority may answer with a value the new
 * primary has overwritten, until meshd stops it.
 * Every write (PUT, CAS, ADD) carries w1 = the client's id (random,
 * nonzero, chosen once) and w2 = its sequence number. The store keeps for
 * the last KV_CLIENTS_MAX clients (least recently used goes first) the last
 * seq and its result, replicated with the write: a write whose seq equals
 * the remembered one is not applied again but answered with the remembered
 * result; a lower seq gets ERANGE. So a client that retries the SAME seq
 * after EINDOUBT, EHOSTDOWN, EAGAIN or a timeout gets its write applied
 * exactly once.
 * Every reply has w2 = the instance's epoch. Errors of every call:
 *   EMALFORMED  fields do not add up, or one is longer than allowed
 *   EINVAL      a field breaks the rules above, or client id 0
 *   EAGAIN      not applied: this instance is no primary, or has no backup
 *               to copy the write to; retry (the same seq)
 *   EINDOUBT    not acknowledged, but the backup may have applied it:
 *               retry the same seq to learn the result
 *   ENOSPC      KV_KEYS_MAX keys exist already
 *
 * Calls between instances (only on the capability a backup gives in JOIN,
 * minted with its own badge, so clients cannot make them):
 *   KV_JOIN  backup -> primary, on "kv": w1 = the backup's epoch, w2 = its
 *            node, caps[0] = the backup's endpoint (SEND) -> w0 = 0, w1 = the
 *            primary's epoch; then the primary sends the snapshot (SNAP) and
 *            only after its last chunk counts the backup as joined. EPERM
 *            when the backup's epoch is higher (this primary is stale),
 *            EAGAIN when not primary, EBUSY when a live backup is joined
 *   KV_SNAP  primary -> backup: w1 = epoch, w2 = chunk index |
 *            KV_SNAP_LAST on the last; payload: records (store.h). Chunk 0
 *            empties the backup's tables first. -> w0 = 0; EPERM (epoch
 *            lower than the backup's), EINVAL (chunk out of order)
 *   KV_REPL  primary -> backup: w1 = epoch; payload: one write's effect and
 *            result (store.h: kv_rec) -> w0 = 0 once applied; EPERM (epoch
 *            lower than the backup's), EAGAIN (no snapshot received yet)
 *   KV_PING  primary -> backup: w1 = epoch -> w0 = 0 (is the backup alive)
 * An instance adopts a higher epoch it sees in JOIN's answer, SNAP or REPL.
 */
#ifndef AION_KV_H
#define AION_KV_H

#define KV_NAME                 "kv"

#define KV_GET                  64
#define KV_PUT                  65
#define KV_CAS                  66
#define KV_ADD                  67
#define KV_JOIN                 72
#define KV_SNAP                 73
#define KV_REPL                 74
#define KV_PING                 75

#define KV_KEY_MAX              31
#define KV_VALUE_MAX            63
#define KV_KEYS_MAX             64
#define KV_CLIENTS_MAX          16

#define KV_SNAP_LAST            (1ull << 63)
/* Most payload bytes of one SNAP chunk (fits a remote call). */
#define KV_CHUNK_MAX            352

#endif /* AION_KV_H */
