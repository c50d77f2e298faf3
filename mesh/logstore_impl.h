/*
 * What the log store's files (mesh/logstore*.c) share and nobody else
 * needs: device access that records failures, the metadata codec, and
 * the recovery steps ls_open runs in order.
 */
#ifndef MESH_LOGSTORE_IMPL_H
#define MESH_LOGSTORE_IMPL_H

#include "mesh/logstore.h"

/* Device calls. Writes and flushes mark the store failed on an error
 * (its state on disk is then unknown); reads only return the error. */
int ls_dev_read(struct ls *ls, uint64_t block, void *buf, uint32_t count);
int ls_dev_write(struct ls *ls, uint64_t block, const void *buf, uint32_t count);
int ls_dev_flush(struct ls *ls);

/* Metadata (logstore_meta.c). */
enum ls_meta_state { LS_META_EMPTY, LS_META_BAD, LS_META_OK };
void ls_meta_encode(const struct ls_meta *m, uint8_t *blk);
enum ls_meta_state ls_meta_decode(const uint8_t *blk, struct ls_meta *m);
int ls_meta_load(struct ls *ls);
int ls_meta_write(struct ls *ls);
void ls_meta_touch(struct ls *ls);

/* Log recovery and cuts (logstore_log.c). */
int ls_log_scan(struct ls *ls);
int ls_log_cut(struct ls *ls, uint64_t from);

/* Snapshot recovery (logstore_snap.c). */
int ls_snap_load(struct ls *ls);

#endif /* MESH_LOGSTORE_IMPL_H */
