/*
 * The VFS protocol (space/fs/vfsd, docs/fs.md): files and directories as
 * capabilities. Two families of calls, kept apart on purpose:
 *
 * Open-object calls (labels 32..63) work on any open-object capability:
 * a file today; pipes, ttys and sockets are to speak the same calls, so a
 * POSIX read() or close() never needs to know what it holds.
 * Path calls (labels 1..31) work on a directory capability: a path
 * relative to that directory, which the path can never leave (".." at it
 * stays there), so a unit reaches only the files its capabilities name.
 *
 * Every object capability is the server's endpoint minted with a badge
 * that names one open record (VFS_BADGE): its kind, its open mode, the
 * offset shared by every copy of the capability (dup, and later fork,
 * share it as POSIX's open file description does). A call with a badge
 * whose record is closed or was reused gets -AION_EBADF; the server
 * revokes a record's capability when it closes, so a kept copy gets
 * -AION_ECAP from the kernel. The capability carries VFS_OBJECT_RIGHTS;
 * what the record's open mode refuses (write on a read-only file) is
 * -AION_EBADF.
 *
 * Replies carry w0 = a count (>= 0) or -AION_E... .
 *
 * Path calls: payload = the path (no NUL, 1..VFS_PATH_MAX bytes; names of
 * at most VFS_NAME_MAX bytes; "." and ".." and repeated slashes allowed; a
 * leading "/" means the capability's own directory):
 *   VFS_OPEN    w1 = VFS_O_* flags, w2 = mode bits (with VFS_O_CREAT)
 *               reply caps[0]: the new object (the call must accept one,
 *               AION_TAG_ACCEPT(1)); w1 = its VFS_S_IF* type
 *   VFS_MKDIR   w2 = mode bits
 *   VFS_UNLINK  not a directory (-AION_EISDIR)
 *   VFS_RMDIR   an empty directory (-AION_ENOTEMPTY), never the
 *               capability's own directory (-AION_EBUSY); "." EINVAL,
 *               ".." ENOTEMPTY, as Linux
 *   VFS_RENAME  payload: old path, one NUL, new path; both relative to
 *               the same directory capability (-AION_EXDEV otherwise)
 *   VFS_LINK    (53) payload as VFS_RENAME: a second name for a file
 *               (link(2)); EPERM for a directory, EEXIST
 *   VFS_STAT    reply payload: struct vfs_stat
 *   VFS_CHMOD   w2 = the new permission bits (07777)
 * Errors of path calls: ENOENT, ENOTDIR, EEXIST, EISDIR, ENAMETOOLONG,
 * ENOTEMPTY, EMALFORMED (no path, a NUL in it), ENOMEM, ENOSPC, EROFS.
 * A path that reaches another server's directory mounted in this tree
 * (a remote mount, docs/fs.md) is answered EREDIRECT, with reply caps[0]
 * that server's directory and w1 = the bytes of the path up to and
 * including the mount point's name: the caller sends the call again
 * there, with the rest of the path ("/" when none is left; for RENAME
 * and LINK both paths lose those bytes, which both must share, else
 * EXDEV). A call that accepts no capability gets EXDEV instead.
 *
 * Open-object calls:
 *   VFS_READ    w1 = most bytes (<= VFS_IO_MAX), w2 = offset or
 *               VFS_AT_POS (the record's offset, which then advances)
 *               reply payload: the bytes; w0 = how many (0: end of file)
 *   VFS_WRITE   payload: the bytes, w2 = offset or VFS_AT_POS (with
 *               VFS_O_APPEND: always the end); w0 = bytes written
 *   VFS_SEEK    w1 = offset (int64), w2 = VFS_SEEK_SET/CUR/END; w0 = the
 *               new offset (EINVAL when negative)
 *   VFS_FSTAT   reply payload: struct vfs_stat
 *   VFS_TRUNC   w1 = the new size (EFBIG over VFS_FILE_MAX; EINVAL when
 *               not open for writing, as Linux's ftruncate)
 *   VFS_SYNC    nothing to do for a ramfs: 0 (a disk file system
 *               flushes); EINVAL for a pipe or FIFO
 *   VFS_GETDENTS  w1 = most payload bytes; reply payload: struct
 *               vfs_dirent records from the record's position (an entry
 *               index), which advances; w0 = bytes (0: no more), w1 = the
 *               position after them
 *   VFS_LOCK    w1 = VFS_LOCK_GET/SET/SETW, w2 = the owner (0: the open
 *               record itself, OFD locks; else a token the caller chose
 *               for its process, bit 63 clear, POSIX fcntl locks; a read
 *               lock needs VFS_O_READ, a write lock VFS_O_WRITE: EBADF),
 *               payload: struct
 *               vfs_flock. GET: reply payload: the first conflicting lock
 *               (type VFS_LOCK_UN when none). SET: EAGAIN on a conflict.
 *               SETW: answered once the lock is granted.
 *   VFS_GETFL   w0 = the record's VFS_O_* flags
 *   VFS_SETFL   w1 = flags: only VFS_O_APPEND and VFS_O_NONBLOCK change
 *   VFS_FCHMOD  w1 = the new permission bits (07777) of the object
 *   VFS_RETAIN  one more holder of the record: a process that gave a
 *               copy of the capability to another (fork, exec's kept fds)
 *               retains first, so each holder closes its own; at most
 *               VFS_HOLDERS_MAX (-AION_ERANGE); w0 = the holders now
 *   VFS_CLOSE   one holder less; the last ends the record (and revokes
 *               its capability); w2 = the owner token whose POSIX locks
 *               on the file go at once (POSIX: any close of a file drops
 *               its process's locks on it); w0 = 0
 * Open-object errors: EBADF (badge, mode), EISDIR (read/write/truncate a
 * directory), ENOTDIR (getdents on a file), EINVAL, EFBIG.
 *
 * Pipes (docs/fs.md "Pipes"): an object of the server with two kinds of
 * records, the read end (VFS_O_READ) and the write end (VFS_O_WRITE),
 * speaking the open-object calls above; FSTAT says VFS_S_IFIFO.
 *   VFS_PIPE    on any record of the server: w1 = VFS_O_NONBLOCK or 0
 *               (both ends' status flags); the call must accept two
 *               capabilities: reply caps[0] the read end, caps[1] the
 *               write end
 *   VFS_READ    w1 = most bytes, w2 no offset but VFS_PIPE_NOWAIT or
 *               not: what the buffer holds, up to w1; an empty pipe waits
 *               (saved reply) while a write end is open, or -AION_EAGAIN
 *               with VFS_O_NONBLOCK or w2 = VFS_PIPE_NOWAIT (the POSIX
 *               layer waits in its own process, where a signal can cut
 *               the wait, docs/posix.md "Signals"); 0 (end of file) once
 *               every write end has closed
 *   VFS_WRITE   payload: the bytes, all of them at once, never
 *               interleaved with another write: the call waits until
 *               they fit (VFS_PIPE_SIZE holds any payload), or
 *               -AION_EAGAIN with VFS_O_NONBLOCK; -AION_EPIPE once every
 *               read end has closed (a waiting writer gets it too).
 *               Waiting writers go in arrival order.
 *               A write of several payloads that must not interleave
 *               (POSIX's PIPE_BUF: at most VFS_PIPE_ATOMIC bytes): its
 *               first call says w1 = the whole size (more than its
 *               payload), waits until that many bytes fit, writes its
 *               payload and keeps the room for the rest; reply w1 = a
 *               token. Its later calls say w2 = that token and always
 *               fit; no other write goes in meanwhile. The reservation
 *               ends when filled, when its record closes, or when a
 *               second passes without its next call (then a call with
 *               its token gets -AION_ETIMEDOUT). w1 = 0 and w2 = 0: a
 *               write of one payload.
 *   VFS_SEEK, VFS_TRUNC, VFS_GETDENTS on a pipe: -AION_EINVAL.
 * A waiting call ends with its answer, or -AION_EBADF when its own record
 * closes; at most VFS_PIPE_WAITERS wait at once in the server
 * (-AION_EAGAIN beyond).
 *
 * Readiness, for poll and select (docs/posix.md "poll and select"): any
 * server of open objects (files, pipes; ttys and sockets later) answers
 *   VFS_ARM     w1 = the VFS_POLL_* events wanted, w2 = notification bits;
 *               with one capability (a notification, SEND): the server
 *               signals those bits on it once one of the events holds,
 *               then forgets it (one-shot). Without a capability: only a
 *               check. w0 = the VFS_POLL_* events that hold now (an
 *               event that already holds arms nothing). A server keeps a
 *               bounded number of arms: a new one beyond replaces the
 *               oldest, which is signalled (its poller wakes, checks again
 *               and re-arms). A record that closes signals its arms.
 * Files are always ready (VFS_POLL_IN | VFS_POLL_OUT). As Linux's pipes:
 * a read end is IN while it holds data, and HUP once every write end has
 * closed; a write end is OUT while VFS_IO_MAX bytes fit, and ERR once
 * every read end has closed.
 */
#ifndef AION_VFS_H
#define AION_VFS_H

#include <stdint.h>
#include "aion/object.h"

#define VFS_NAME                "vfs"
/* The node disk's file system server (space/ext2/ext2d.c): its root
 * directory, which vfsd's /data redirects to (docs/fs.md "Remote mounts"). */
#define VFS_DATA_NAME           "fs.data"
/* The same roots with VFS_RIGHT_READ only (VFS_RESTRICT): what a redirect
 * hands a caller whose directory record may read but not change. vfsd
 * registers both of its roots with meshd (VFS_NAME, VFS_RO_NAME), which
 * is how another node's /net/N reaches them (docs/fs.md "/net"). */
#define VFS_DATA_RO_NAME        "fs.data.ro"
/* Where vfsd mounts it: "data" (/data), or the name the boot word
 * aion.data=NAME gives (a name in the root, fewer than VFS_POINT_MAX
 * bytes, no "/"; "net" and "proc" are taken). */
#define VFS_DATA_POINT          "data"
#define VFS_POINT_MAX           32
#define VFS_RO_NAME             "vfs.ro"

/* Path calls, on a directory capability. */
#define VFS_OPEN                1
#define VFS_MKDIR               2
#define VFS_UNLINK              3
#define VFS_RMDIR               4
#define VFS_RENAME              5
#define VFS_STAT                6
#define VFS_CHMOD               7
/* Open-object calls, on any object capability. */
#define VFS_READ                32
#define VFS_WRITE               33
#define VFS_SEEK                34
#define VFS_FSTAT               35
#define VFS_TRUNC               36
#define VFS_SYNC                37
#define VFS_GETDENTS            38
#define VFS_LOCK                39
#define VFS_GETFL               40
#define VFS_SETFL               41
#define VFS_CLOSE               42
#define VFS_FCHMOD              43
#define VFS_RETAIN              44
#define VFS_PIPE                45
#define VFS_ARM                 46
/* Requests of a device: terminals (aion/tty.h); vfsd's files answer
 * -AION_ENOSYS, which the POSIX layer reports as ENOTTY. */
#define VFS_IOCTL               47
/* VFS_ARM's undo: w2 = notification bits; the record's arms with exactly
 * those bits are forgotten, their notifications closed unsignalled.
 * -> how many. (A pipe reader's wait that a signal cut, docs/posix.md
 * "Signals": its arm would otherwise keep the reader's notification,
 * and its frame, alive in the server after the reader ends.) */
#define VFS_DISARM              48
/*
 * Records of ended processes (docs/fs.md "Records of ended processes").
 * A record whose capability no unit holds any more (the kernel's
 * AION_CAP_COPIED on the server's own copy: every copy was closed, or
 * went with the unit that held it) can never be used or closed again,
 * so the server ends it as if its last holder had closed it.
 *   VFS_REAP    only through the capability the server registers as
 *               VFS_REAP_NAME (badge VFS_BADGE_REAP; the process server
 *               is given it, never a process): every such record ends.
 *               -> w0 how many ended, w1 the open records left. On a
 *               record's capability: -AION_EPERM (a process can end no
 *               record by it; one it holds it closes with VFS_CLOSE).
 *               A record held by a live unit is never ended, whoever
 *               asks: the kernel's count of copies decides, not a caller.
 *   VFS_OPENS   on any record: w0 = the server's open records now (a
 *               test's and a debugger's count, docs/fs.md)
 */
#define VFS_REAP                49
#define VFS_OPENS               50
#define VFS_REAP_NAME           "vfsreap"
/* VFS_BADGE_VALID is false for it: it names no record. */
#define VFS_BADGE_REAP          (2ull << 40)
/* A shared mapping of a file (docs/fs.md "Shared mappings"): w1 = the
 * pages wanted from the file's start (the mapping's end), w2 =
 * VFS_MAP_WRITE or 0. Reply: one capability to the file's window, a
 * memory object whose page i is the file's page i (READ, plus WRITE for
 * VFS_MAP_WRITE), and w0 = its pages. The window is made at the first
 * call and never grows: -AION_ENOMEM past it (or past 512 pages);
 * -AION_EACCES for a record not open for reading (or for writing, with
 * VFS_MAP_WRITE); -AION_ETYPE for anything but a regular file. */
#define VFS_MAP                 52
#define VFS_MAP_WRITE           1u
/* A path call (above), numbered after the reserved open-object ones. */
#define VFS_LINK                53
/*
 * Bulk reads and writes of a regular file (docs/fs.md "Bulk transfers"):
 * as VFS_READ and VFS_WRITE, but the bytes are at the start of a memory
 * object the call carries (caps[0]: READ for a write, READ and WRITE for
 * a read), w1 = how many (1..VFS_BULK_MAX), w2 = offset or VFS_AT_POS.
 * The server maps the pages it needs for the call only and unmaps them
 * before it answers. w0 = bytes read (0: end of file) or written;
 * -AION_EINVAL for a count out of range, -AION_ERANGE for an object
 * smaller than it, -AION_ERIGHTS for a capability without the rights;
 * a server without them answers -AION_ENOSYS and the client goes on with
 * VFS_IO_MAX-byte calls.
 */
#define VFS_READ_BULK           54
#define VFS_WRITE_BULK          55
#define VFS_BULK_MAX            (64u * 1024u)

/*
 * Rights of a record over the tree below it (docs/fs.md "Rights"), kept
 * by every record opened through it and by a redirect's capability:
 * VFS_RIGHT_READ looks up, stats, lists and opens for reading;
 * VFS_RIGHT_WRITE creates, removes, renames, changes modes and opens for
 * writing. A call the record's rights do not cover is -AION_EACCES.
 *   VFS_RESTRICT  on a directory record: w1 = the rights to keep; reply
 *                 caps[0] = a new record of the same directory with the
 *                 rights it had and w1 has (never more); ENOTDIR on a file.
 */
#define VFS_RESTRICT            56
/* Records 0 and 1 of vfsd and ext2d: the root and the read-only root,
 * never closed (EPERM) nor reaped. */
#define VFS_ROOT_RECORDS        2
/*
 * VFS_STATFS (57) on any record: reply payload struct vfs_statfs, the file
 * system the record is on (statfs(2)); needs VFS_RIGHT_READ.
 * VFS_UMOUNT (8) and VFS_MOUNT (9), path calls on vfsd's root record
 * only (EPERM elsewhere): the path names a remote mount point (/data;
 * EINVAL otherwise). UMOUNT: EBUSY while the server has records open
 * besides its roots, else its file system is synced (VFS_SYNC) and the
 * point detached: walks see an empty directory. MOUNT: attaches it again
 * (EBUSY when attached). docs/fs.md "Mount table".
 */
#define VFS_STATFS              57
#define VFS_UMOUNT              8
#define VFS_MOUNT               9
#define VFS_STATFS_RDONLY       1u
#define VFS_MOUNTS_PATH         "/proc/mounts"  /* vfsd writes it at each open */

struct vfs_statfs {
	uint64_t blocks, bfree, bavail;         /* in bsize units */
	uint64_t files, ffree;                  /* inodes; 0: not counted */
	uint32_t bsize, namemax;
	uint32_t magic;                         /* Linux's f_type */
	uint32_t flags;                         /* VFS_STATFS_RDONLY */
	char type[8];                           /* "ramfs", "ext4", ...: NUL-padded */
};
#define VFS_RIGHT_READ          (1u << 0)
#define VFS_RIGHT_WRITE         (1u << 1)
#define VFS_RIGHTS_ALL          (VFS_RIGHT_READ | VFS_RIGHT_WRITE)

#define VFS_HOLDERS_MAX         4096

/* An object capability's rights: SEND, and GRANT so that VFS_ARM can
 * carry its notification (a call on any other label that carries one is
 * -AION_EINVAL). */
#define VFS_OBJECT_RIGHTS       (AION_RIGHT_SEND | AION_RIGHT_GRANT)

/* Open flags (w1 of VFS_OPEN). */
#define VFS_O_READ              (1u << 0)
#define VFS_O_WRITE             (1u << 1)
#define VFS_O_CREAT             (1u << 2)
#define VFS_O_EXCL              (1u << 3)
#define VFS_O_TRUNC             (1u << 4)
#define VFS_O_APPEND            (1u << 5)
#define VFS_O_DIRECTORY         (1u << 6)
#define VFS_O_NONBLOCK          (1u << 7)
#define VFS_O_ALL               0xffu

/* The rights a call on a record needs (flags: VFS_OPEN's w1). Object
 * calls other than these are governed by the record's open mode. */
static inline uint32_t vfs_rights_needed(uint32_t label, uint64_t flags)
{
	switch (label) {
	case VFS_OPEN:
		return VFS_RIGHT_READ | (flags & (VFS_O_WRITE | VFS_O_CREAT | VFS_O_TRUNC) ?
					 VFS_RIGHT_WRITE : 0);
	case VFS_STAT: case VFS_GETDENTS: case VFS_RESTRICT: case VFS_STATFS:
		return VFS_RIGHT_READ;
	case VFS_UMOUNT: case VFS_MOUNT:
		return VFS_RIGHTS_ALL;
	case VFS_MKDIR: case VFS_UNLINK: case VFS_RMDIR: case VFS_RENAME: case VFS_LINK:
	case VFS_CHMOD:
		return VFS_RIGHT_READ | VFS_RIGHT_WRITE;
	case VFS_FCHMOD:
		return VFS_RIGHT_WRITE;
	default:
		return 0;
	}
}

/* Types in vfs_stat.mode: the traditional Unix values. */
#define VFS_S_IFMT              0170000u
#define VFS_S_IFDIR             0040000u
#define VFS_S_IFREG             0100000u
#define VFS_S_IFIFO             0010000u
#define VFS_S_IFCHR             0020000u
#define VFS_S_PERM              07777u

#define VFS_SEEK_SET            0
#define VFS_SEEK_CUR            1
#define VFS_SEEK_END            2

#define VFS_AT_POS              UINT64_MAX

#define VFS_NAME_MAX            255
#define VFS_PATH_MAX            512     /* the whole payload */
#define VFS_IO_MAX              512     /* bytes of one READ or WRITE */
/* A pipe's buffer: eight payloads; writes up to ATOMIC never interleave. */
#define VFS_PIPE_SIZE           4096
#define VFS_PIPE_ATOMIC         VFS_PIPE_SIZE
#define VFS_PIPE_WAITERS        48
#define VFS_PIPE_NOWAIT         (UINT64_MAX - 1)        /* VFS_READ's w2 on a pipe */

/* VFS_ARM's events: Linux's poll bits, so the POSIX layer passes them on. */
#define VFS_POLL_IN             0x001u
#define VFS_POLL_OUT            0x004u
#define VFS_POLL_ERR            0x008u
#define VFS_POLL_HUP            0x010u

/* Largest ramfs file: 64 MiB (its page table stays one small block). */
#define VFS_FILE_MAX            (64ull << 20)

/* Object capabilities' badges: the record's index and generation. */
#define VFS_BADGE(index, gen)   ((1ull << 40) | ((uint64_t)(gen) << 16) | (index))
#define VFS_BADGE_INDEX(b)      ((unsigned)((b) & 0xffff))
#define VFS_BADGE_GEN(b)        ((uint32_t)(((b) >> 16) & 0xffffff))
#define VFS_BADGE_VALID(b)      (((b) >> 40) == 1)

struct vfs_stat {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;                /* 512-byte units held */
	uint64_t mtime_ns, ctime_ns;    /* monotonic clock: no wall clock yet */
	uint32_t mode;                  /* VFS_S_IF* | permission bits */
	uint32_t nlink;
	uint32_t uid, gid;              /* 0: no users yet */
	uint32_t dev;                   /* the mount's number */
	uint32_t pad;
};

/* One directory entry in VFS_GETDENTS' payload; records are 8-aligned. */
struct vfs_dirent {
	uint64_t ino;
	uint16_t reclen;                /* this record, name and padding */
	uint8_t type;                   /* VFS_S_IF* >> 12 */
	uint8_t namelen;
	char name[];                    /* namelen bytes, then a NUL */
};

#define VFS_LOCK_GET            0
#define VFS_LOCK_SET            1
#define VFS_LOCK_SETW           2

#define VFS_LOCK_RD             0
#define VFS_LOCK_WR             1
#define VFS_LOCK_UN             2

/* A byte range [start, start + len), len 0: to the end of every file. */
struct vfs_flock {
	uint32_t type;                  /* VFS_LOCK_RD/WR/UN */
	uint32_t whence;                /* VFS_SEEK_*: start is relative to it */
	int64_t start;
	int64_t len;                    /* negative: the bytes before start */
	uint64_t owner;                 /* GET's reply: the holder's owner token */
};

#endif /* AION_VFS_H */
