/*
 * libaion's serving helper (libaion/serve.h): one call from its copy to
 * its reply. Which op takes it is serve_find.c's pure rule.
 */
#include "libaion/lib.h"
#include "libaion/serve.h"

void aion_serve_begin(struct aion_serve_req *r, struct aion_ipc_buffer *buf,
		      const struct aion_msg *m, uint32_t reply_label)
{
	r->msg = *m;
	r->label = AION_TAG_LABEL(m->tag);
	r->len = AION_TAG_LEN(m->tag);
	r->ncaps = AION_TAG_CAPS(m->tag);
	if (r->len > AION_IPC_PAYLOAD_MAX)
		r->len = AION_IPC_PAYLOAD_MAX;
	if (r->ncaps > AION_IPC_CAPS_MAX)
		r->ncaps = AION_IPC_CAPS_MAX;
	memcpy(r->data, buf->payload, r->len);
	for (unsigned i = 0; i < r->ncaps; i++)
		r->caps[i] = buf->caps[i];
	r->kept = 0;
	r->buf = buf;
	r->ctx = 0;
	r->reply = (struct aion_msg){ .tag = AION_TAG(reply_label, 0, 0) };
	r->reply_len = 0;
	r->reply_ncaps = 0;
	r->answered = false;
}

int64_t aion_serve_dispatch(const struct aion_serve_table *t, struct aion_serve_req *r)
{
	int64_t status;
	const struct aion_serve_op *op = aion_serve_find(t, r->label, r->msg.badge, r->ncaps,
							 &status);
	return op ? op->fn(r) : status;
}

static void close_unkept(struct aion_serve_req *r)
{
	for (unsigned i = 0; i < r->ncaps; i++)
		if (!(r->kept & (1u << i)) && r->caps[i])
			aion_handle_close(r->caps[i]);
	r->kept = (1u << AION_IPC_CAPS_MAX) - 1;        /* closed: never twice */
}

int64_t aion_serve_end(struct aion_serve_req *r, int64_t status)
{
	close_unkept(r);
	return r->answered ? 0 : aion_serve_reply(r, status);
}

int64_t aion_serve(const struct aion_serve_table *t, struct aion_ipc_buffer *buf,
		   const struct aion_msg *m, uint32_t reply_label)
{
	struct aion_serve_req r;
	aion_serve_begin(&r, buf, m, reply_label);
	return aion_serve_end(&r, aion_serve_dispatch(t, &r));
}

void aion_serve_string(const struct aion_serve_req *r, char *out, unsigned size)
{
	unsigned len = r->len < size - 1 ? r->len : size - 1;
	memcpy(out, r->data, len);
	out[len] = '\0';
}

aion_handle_t aion_serve_keep(struct aion_serve_req *r, unsigned i)
{
	r->kept |= 1u << i;
	return r->caps[i];
}

void aion_serve_put(struct aion_serve_req *r, const void *data, unsigned len)
{
	if (len > AION_IPC_PAYLOAD_MAX)
		len = AION_IPC_PAYLOAD_MAX;
	memcpy(r->buf->payload, data, len);
	r->reply_len = len;
}

void aion_serve_put_text(struct aion_serve_req *r, const char *text)
{
	aion_serve_put(r, text, (unsigned)strlen(text));
}

void aion_serve_give(struct aion_serve_req *r, aion_handle_t cap, uint32_t rights)
{
	if (r->reply_ncaps >= AION_IPC_CAPS_MAX)
		return;
	r->buf->caps[r->reply_ncaps] = cap;
	r->buf->cap_rights[r->reply_ncaps] = rights;
	r->reply_ncaps++;
}

/* The call accepted fewer capabilities than m carries (AION_TAG_ACCEPT):
 * the caller, still waiting, learns why it gets none. */
static struct aion_msg refused(const struct aion_msg *m)
{
	return (struct aion_msg){ .tag = AION_TAG(AION_TAG_LABEL(m->tag), 0, 0),
				  .w = { (uint64_t)-AION_ERIGHTS } };
}

int64_t aion_serve_reply(struct aion_serve_req *r, int64_t status)
{
	struct aion_msg m = r->reply;
	m.tag = AION_TAG(AION_TAG_LABEL(r->reply.tag), r->reply_len, r->reply_ncaps);
	m.w[0] = (uint64_t)status;
	int64_t err = aion_serve_reply_msg(r, &m);
	if (err == -AION_ERIGHTS && r->reply_ncaps) {
		m = refused(&m);
		err = aion_reply(&m);
	}
	return err;
}

int64_t aion_serve_reply_msg(struct aion_serve_req *r, const struct aion_msg *m)
{
	r->answered = true;
	return aion_reply(m);
}

int64_t aion_serve_save(struct aion_serve_req *r)
{
	int64_t saved = aion_reply_save();
	if (saved >= 0)
		r->answered = true;
	return saved;
}

int64_t aion_serve_answer(aion_handle_t saved, const struct aion_msg *m)
{
	int64_t err = aion_reply_to(saved, m);
	if (err == -AION_ERIGHTS && AION_TAG_CAPS(m->tag)) {
		struct aion_msg r = refused(m);
		err = aion_reply_to(saved, &r);
	}
	if (err)
		aion_handle_close(saved);
	return err;
}

int64_t aion_serve_answer_status(aion_handle_t saved, uint32_t label, int64_t status)
{
	struct aion_msg m = { .tag = AION_TAG(label, 0, 0), .w = { (uint64_t)status } };
	return aion_serve_answer(saved, &m);
}
