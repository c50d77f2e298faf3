/*
 * libaion: the client side of meshd's protocol (aion/mesh.h): cluster-wide
 * names. The thread's IPC buffer must be registered (aion_ipc_buffer).
 */
#ifndef AION_MESHCLIENT_H
#define AION_MESHCLIENT_H

#include "aion/mesh.h"
#include "libaion/sys.h"

/* meshd's endpoint through init's name service, waiting up to wait_ns. */
int64_t mesh_connect(struct aion_ipc_buffer *buf, uint64_t wait_ns, aion_handle_t *mesh);
/* Registers ep (copied with rights) under name cluster-wide. */
int64_t mesh_register(aion_handle_t mesh, struct aion_ipc_buffer *buf, const char *name,
		      aion_handle_t ep, uint32_t rights);
/* Looks name up on every live node: *cap (and *node, may be NULL). */
int64_t mesh_lookup(aion_handle_t mesh, struct aion_ipc_buffer *buf, const char *name,
		    aion_handle_t *cap, unsigned *node);
/* A text request (label, payload = text) -> the reply's text in out (NUL-terminated). */
int64_t mesh_text_call(aion_handle_t ep, struct aion_ipc_buffer *buf, uint32_t label,
		       uint64_t w1, const char *text, char *out, size_t size, uint64_t *w1_out);


/* ---- jobs: units the cluster scheduler places (aion/mesh.h) ---- */

struct mesh_job {
	unsigned node;
	unsigned role;                  /* MESH_ROLE_* */
	uint64_t epoch;
	char name[MESH_NAME_MAX];       /* the job, "" when not given */
};

/* Reads "node=N job=NAME role=ROLE epoch=E": 0, or -AION_EINVAL without node=. */
int64_t mesh_job_args(const char *args, struct mesh_job *job);
/*
 * MESHD_JOB_WAIT on the job's meshd endpoint (JOB_MESH_EP): waits until
 * the placement differs from (*epoch, *role) and updates them. Returns 0,
 * -AION_EDEAD when the instance is no longer placed, or another error.
 * Needs no IPC buffer.
 */
int64_t mesh_job_wait(aion_handle_t mesh, uint64_t *epoch, unsigned *role);

/* ---- kv (aion/kv.h) ---- */

/*
 * One call to the kv service: fields f[0..n) as the payload, w1 = client,
 * w2 = seq. The reply's value (NUL-terminated, cut to size) in out, also
 * when the answer is an error (ECONFLICT carries the current value), and
 * the epoch of the instance that answered (the reply's w2) in *epoch (may
 * be NULL). Returns the call's error or the reply's w0.
 */
int64_t mesh_kv_call(aion_handle_t kv, struct aion_ipc_buffer *buf, uint32_t label,
		     uint64_t client, uint64_t seq, const char *const *f, unsigned n,
		     char *out, size_t size, uint64_t *epoch);

/* Errors after which a kv write is retried with the same seq (aion/kv.h). */
static inline int mesh_kv_retry(int64_t err)
{
	return err == -AION_EINDOUBT || err == -AION_EHOSTDOWN || err == -AION_EAGAIN ||
	       err == -AION_ETIMEDOUT || err == -AION_EBUSY;
}

#endif /* AION_MESHCLIENT_H */
