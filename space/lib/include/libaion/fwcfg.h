/*
 * libaion: QEMU's firmware configuration device (fw_cfg) through its I/O
 * ports: selector FWCFG_PORT (16-bit write), data FWCFG_PORT + 1 (byte
 * reads). The host passes a named file with
 *   qemu-system-x86_64 ... -fw_cfg name=opt/aion/NAME,string=TEXT
 * (names under "opt/" are the user's; QEMU warns for others). A service
 * gets the port capability from init with SVC_NEED_FWCFG (initproto.h).
 */
#ifndef AION_FWCFG_H
#define AION_FWCFG_H

#include <stddef.h>
#include <stdint.h>
#include "aion/object.h"

#define FWCFG_PORT              0x510   /* selector; data at 0x511 */
#define FWCFG_PORTS             2       /* the count of the capability */
#define FWCFG_NAME_MAX          56      /* a directory entry's name, with its NUL */
#define FWCFG_FILES_MAX         1024    /* directory entries looked at, at most */

/* The cluster key meshd reads (hex digits; the image has a default). */
#define FWCFG_CLUSTER_KEY       "opt/aion/cluster-key"

/*
 * Reads fw_cfg file `name` into buf. io: an I/O port capability for
 * FWCFG_PORT, FWCFG_PORTS (enabled here, aion_ioport_enable). Returns the
 * file's size when it fits in cap bytes; -AION_ENOSPC when it is larger
 * (buf then holds its first cap bytes); -AION_ENOENT when there is no such
 * file or no fw_cfg device (no "QEMU" signature); the error of
 * aion_ioport_enable (e.g. -AION_ECAP) when io is not such a capability.
 * No NUL is added. Every loop is bounded.
 */
int64_t fwcfg_read_file(aion_handle_t io, const char *name, void *buf, size_t cap);

#endif /* AION_FWCFG_H */
