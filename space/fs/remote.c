/*
 * Remote mounts (docs/fs.md "Remote mounts" and "/net"): directories of
 * ours that another server's tree covers. A path call whose walk reaches
 * one is answered -AION_EREDIRECT with a copy of that server's directory
 * capability and w1 = the bytes of the path it consumed; the caller sends
 * the rest there (the POSIX layer does, vfsclient.c).
 *
 * - /data: the node disk's server, the root it registered in init's name
 *   service, looked up at each redirect (the server may start after us,
 *   or never: a node without a disk has no "fs.data", and /data is then
 *   ENOENT; or be restarted by init with a new root).
 * - /net/N: node N's vfsd root, found through meshd under "vfs@N" (each
 *   vfsd registers its roots with its own meshd, vfs_mesh_tick below). The
 *   proxy meshd gives is kept: a named proxy finds its name again when
 *   node N comes back, and fails (EHOSTDOWN) while it is away.
 *
 * Rights go with the redirect: a record without VFS_RIGHT_WRITE is handed
 * the server's read-only root (VFS_DATA_RO_NAME, VFS_RO_NAME), so what it
 * opens there is read-only too, on this node or another.
 */
#include "aion/initproto.h"
#include "common/cmdline.h"
#include "common/format.h"
#include "common/string.h"
#include "common/time.h"
#include "libaion/initclient.h"
#include "libaion/meshclient.h"
#include "vfsd.h"

#define REMOTE_SYNC_NS  (30000ull * MS)
#define MESH_RETRY_MIN  (100ull * MS)
#define MESH_RETRY_MAX  (10000ull * MS)
#define NET_CACHE       16

static struct aion_ipc_buffer *buf;

static struct remote_mount {
	const char *point;              /* a name in the root */
	const char *name, *ro_name;     /* its server's, in init's name service */
	aion_handle_t cap, ro_cap;      /* the last found, 0 until then */
	struct rnode *node;             /* the point; its remote is 0 while detached */
} remotes[] = {
	{ VFS_DATA_POINT, VFS_DATA_NAME, VFS_DATA_RO_NAME, 0, 0, NULL },
};
static char data_point[VFS_POINT_MAX];
#define REMOTES         (sizeof(remotes) / sizeof(remotes[0]))
#define REMOTE_NET      (REMOTES + 1)   /* /net's number (rnode.remote_below) */

/* /net/N's proxies, by node and rights. */
static struct net_root {
	unsigned node;                  /* 0: free */
	bool ro;
	aion_handle_t cap;
} net[NET_CACHE];
static unsigned net_next;

static struct {
	aion_handle_t ep;               /* meshd's, once found */
	bool registered;
	uint64_t retry_at, step;
} mesh;

static struct rnode *mounts_file;    /* VFS_MOUNTS_PATH */

/* A name in dir: found (of the type mode says) or made. */
static struct rnode *made(struct rnode *dir, const char *name, uint32_t mode)
{
	struct rnode *n = ramfs_lookup(dir, name, strlen(name));
	int err = n ? ((n->mode & VFS_S_IFMT) == (mode & VFS_S_IFMT) ? 0 : -AION_EEXIST)
		    : ramfs_create(&vfs_root_fs, dir, name, strlen(name), mode, &n);
	if (err)
		aion_printf("vfsd: cannot make name=%s err=%s", name, aion_error_name(err));
	return err ? NULL : n;
}

/* aion.data=NAME (init passes it as data=NAME): /data's place. */
static void data_point_from(const char *args)
{
	size_t n = 0;
	if (!args || !cmdline_get(args, "data", data_point, sizeof(data_point)))
		return;
	while (data_point[n] && data_point[n] != '/')
		n++;
	if (!n || data_point[n] || !strcmp(data_point, "net") || !strcmp(data_point, "proc") ||
	    !strcmp(data_point, ".") || !strcmp(data_point, "..")) {
		aion_printf("vfsd: data point refused point=%s err=%s", data_point,
			    aion_error_name(-AION_EINVAL));
		return;
	}
	remotes[0].point = data_point;
}

void vfs_remote_points(struct aion_ipc_buffer *ipc, const char *args)
{
	buf = ipc;
	data_point_from(args);
	for (unsigned i = 0; i < REMOTES; i++)
		if ((remotes[i].node = made(vfs_root_fs.root, remotes[i].point, VFS_S_IFDIR | 0755)))
			remotes[i].node->remote = i + 1;
	struct rnode *n = made(vfs_root_fs.root, "net", VFS_S_IFDIR | 0755);
	if (n)
		n->remote_below = REMOTE_NET;
	if ((n = made(vfs_root_fs.root, "proc", VFS_S_IFDIR | 0555)))
		mounts_file = made(n, "mounts", VFS_S_IFREG | 0444);
	mesh.step = MESH_RETRY_MIN;
}

/* Registers our roots with meshd once it is there: 0 when done, else the
 * time until the next try (meshd starts after us, and not on every node). */
uint64_t vfs_mesh_tick(aion_handle_t root, aion_handle_t ro_root)
{
	if (mesh.registered)
		return AION_FOREVER;
	uint64_t now = aion_clock_ns();
	if (now < mesh.retry_at)
		return mesh.retry_at - now;
	int64_t err = mesh.ep ? 0 : mesh_connect(buf, 0, &mesh.ep);
	if (!err && !(err = mesh_register(mesh.ep, buf, VFS_NAME, root, VFS_OBJECT_RIGHTS)))
		err = mesh_register(mesh.ep, buf, VFS_RO_NAME, ro_root, VFS_OBJECT_RIGHTS);
	if (!err) {
		mesh.registered = true;
		aion_printf("vfsd: mesh names registered names=%s,%s", VFS_NAME, VFS_RO_NAME);
		return AION_FOREVER;
	}
	if (err != -AION_ENOENT && err != -AION_ETIMEDOUT)
		aion_printf("vfsd: mesh register failed err=%s", aion_error_name(err));
	mesh.retry_at = now + mesh.step;
	mesh.step = mesh.step * 2 < MESH_RETRY_MAX ? mesh.step * 2 : MESH_RETRY_MAX;
	return mesh.retry_at - now;
}

/* The node number a /net name gives (a mesh node id, 1..65534), or 0. */
static unsigned node_of(const char *name, size_t len)
{
	unsigned n = 0;
	if (!len || len > 5 || name[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		n = n * 10 + (unsigned)(name[i] - '0');
	}
	return n < 0xffff ? n : 0;
}

/* The last name of path[0, at): the /net/N the walk stopped at. */
static unsigned net_node(const char *path, size_t at)
{
	size_t s = at;
	while (s && path[s - 1] != '/')
		s--;
	return node_of(path + s, at - s);
}

static int64_t net_root(unsigned node, bool ro, aion_handle_t *out)
{
	for (unsigned i = 0; i < NET_CACHE; i++)
		if (net[i].node == node && net[i].ro == ro) {
			*out = net[i].cap;
			return 0;
		}
	if (!mesh.ep)
		return -AION_ENOENT;    /* no meshd (yet): no other node either */
	char name[MESH_NAME_MAX];
	aion_handle_t cap;
	fmt_snprintf(name, sizeof(name), "%s@%u", ro ? VFS_RO_NAME : VFS_NAME, node);
	/* Blocks this server for one lookup: a few ms, at most meshd's
	 * LOOKUP_NS when node is alive and silent (docs/fs.md "/net"). */
	int64_t err = mesh_lookup(mesh.ep, buf, name, &cap, NULL);
	if (err)
		return err == -AION_ETIMEDOUT || err == -AION_EHOSTDOWN ? -AION_ENOENT : err;
	struct net_root *e = &net[net_next++ % NET_CACHE];
	if (e->node)
		aion_handle_close(e->cap);
	*e = (struct net_root){ node, ro, cap };
	aion_printf("vfsd: net root node=%u rights=%s", node, ro ? "r" : "rw");
	*out = cap;
	return 0;
}

/* The server's root for mount m, looked up now (a restart makes a new one). */
static int64_t server_root(struct remote_mount *m, bool ro, aion_handle_t *out)
{
	aion_handle_t *kept = ro ? &m->ro_cap : &m->cap;
	int64_t h = init_lookup(SVC_INIT_EP, buf, ro ? m->ro_name : m->name, 0);
	if (h < 0)
		return h == -AION_ENOENT || h == -AION_ETIMEDOUT ? -AION_ENOENT : h;
	if (!m->cap && !m->ro_cap)
		aion_printf("vfsd: remote mount point=/%s server=%s", m->point, m->name);
	if (*kept)
		aion_handle_close(*kept);
	*out = *kept = (aion_handle_t)h;
	return 0;
}

int64_t vfs_redirect(struct aion_serve_req *r)
{
	bool ro = !(vfs_req_open(r)->rights & VFS_RIGHT_WRITE);
	aion_handle_t cap;

	if (AION_TAG_ACCEPTED(r->msg.tag) < 1)
		return -AION_EXDEV;     /* a caller that cannot take the capability */
	if (vfs_redirected.remote == REMOTE_NET) {
		unsigned node = net_node((const char *)r->data, vfs_redirected.at);
		int64_t err = node ? net_root(node, ro, &cap) : -AION_ENOENT;
		if (err)
			return err;
	} else {
		/* Looked up again at every redirect, not kept: a server init
		 * restarted registered a new root, and the old one's capability
		 * is dead (EDEAD). One call to init more per path call that
		 * crosses the mount. */
		int64_t err = server_root(&remotes[vfs_redirected.remote - 1], ro, &cap);
		if (err)
			return err;
	}
	aion_serve_give(r, cap, VFS_OBJECT_RIGHTS);
	r->reply.w[1] = vfs_redirected.at;
	return -AION_EREDIRECT;
}

/* One call without payload on m's server: w0, or the call's error. */
static int64_t server_call(struct remote_mount *m, uint32_t label, uint64_t wait_ns,
			   struct vfs_statfs *st)
{
	aion_handle_t cap;
	int64_t err = server_root(m, false, &cap);
	struct aion_msg msg = { .tag = AION_TAG(label, 0, 0) };
	if (err || (err = aion_call(cap, &msg, wait_ns)))
		return err;
	if (st && (int64_t)msg.w[0] == 0) {
		if (AION_TAG_LEN(msg.tag) < sizeof(*st))
			return -AION_EMALFORMED;
		memcpy(st, buf->payload, sizeof(*st));
	}
	return (int64_t)msg.w[0];
}

/*
 * /proc/mounts, in getmntent's format, written again each time it is
 * opened: the ramfs root and each attached remote mount whose server
 * answers VFS_STATFS within MOUNTS_STATFS_NS (its type and ro or rw).
 */
#define MOUNTS_STATFS_NS        (1000ull * MS)

void vfs_mounts_refresh(struct rnode *n)
{
	char text[512];
	int len;

	if (!n || n != mounts_file)
		return;
	len = fmt_snprintf(text, sizeof(text), "aion-root / ramfs rw 0 0\n");
	for (unsigned i = 0; i < REMOTES; i++) {
		struct remote_mount *m = &remotes[i];
		struct vfs_statfs st;
		if (!m->node || !m->node->remote ||
		    server_call(m, VFS_STATFS, MOUNTS_STATFS_NS, &st) != 0)
			continue;
		st.type[sizeof(st.type) - 1] = '\0';
		len += fmt_snprintf(text + len, sizeof(text) - (size_t)len, "aion-%s /%s %s %s 0 0\n",
				    m->name + 3 /* "fs." */, m->point, st.type[0] ? st.type : "unknown",
				    st.flags & VFS_STATFS_RDONLY ? "ro" : "rw");
	}
	ramfs_truncate(n, 0);
	ramfs_write(n, 0, text, (uint64_t)len);
}

/* The remote mount a path names ("/data", "data/", "//data"), or NULL. */
static struct remote_mount *named_point(struct aion_serve_req *r)
{
	const char *p = (const char *)r->data;
	size_t s = 0, e = r->len;
	while (s < e && p[s] == '/')
		s++;
	while (e > s && p[e - 1] == '/')
		e--;
	for (unsigned i = 0; i < REMOTES; i++)
		if (remotes[i].node && strlen(remotes[i].point) == e - s &&
		    !memcmp(remotes[i].point, p + s, e - s))
			return &remotes[i];
	return NULL;
}

#define UMOUNT_SYNC_NS  REMOTE_SYNC_NS

/* The point a VFS_UMOUNT or VFS_MOUNT names: on our root record only. */
static int64_t mount_point(struct aion_serve_req *r, struct remote_mount **m)
{
	if (vfs_open_index(vfs_req_open(r)) != 0)
		return -AION_EPERM;
	*m = named_point(r);
	return *m ? 0 : -AION_EINVAL;
}

/*
 * umount(2) of a remote mount: refused while the server has records open
 * besides its two roots (EBUSY, as Linux refuses a busy file system);
 * else its file system is written back and marked clean (VFS_SYNC) and
 * the point detached. The server goes on running: mount(2) attaches it
 * again. Only on vfsd's own root record (EPERM).
 */
int64_t vfs_on_umount(struct aion_serve_req *r)
{
	struct remote_mount *m;
	int64_t err = mount_point(r, &m);
	if (err)
		return err;
	if (!m->node->remote)
		return -AION_EINVAL;    /* not mounted, as Linux says */
	int64_t opens = server_call(m, VFS_OPENS, MOUNTS_STATFS_NS, NULL);
	if (opens < 0)
		return opens == -AION_ENOENT ? -AION_EINVAL : opens;
	if (opens > VFS_ROOT_RECORDS)
		return -AION_EBUSY;
	err = server_call(m, VFS_SYNC, UMOUNT_SYNC_NS, NULL);
	aion_printf("vfsd: umount point=/%s err=%s", m->point, aion_error_name(err));
	if (err)
		return err;
	m->node->remote = 0;
	return 0;
}

int64_t vfs_on_mount(struct aion_serve_req *r)
{
	struct remote_mount *m;
	int64_t err = mount_point(r, &m);
	if (err)
		return err;
	if (m->node->remote)
		return -AION_EBUSY;
	m->node->remote = (unsigned)(m - remotes) + 1;
	aion_printf("vfsd: mount point=/%s server=%s", m->point, m->name);
	return 0;
}

/* sync(2): the call waits for each server's (ext2d writes its file system
 * back and flushes the device), which is why only the root's sync does.
 * Other nodes' trees are theirs to sync. */
int64_t vfs_sync_remotes(void)
{
	int64_t first = 0;
	for (unsigned i = 0; i < REMOTES; i++) {
		struct aion_msg m = { .tag = AION_TAG(VFS_SYNC, 0, 0) };
		aion_handle_t cap = remotes[i].cap ? remotes[i].cap : remotes[i].ro_cap;
		if (!cap)
			continue;
		int64_t err = aion_call(cap, &m, REMOTE_SYNC_NS);
		if (!err)
			err = (int64_t)m.w[0];
		if (err && !first)
			first = err;
	}
	return first;
}
