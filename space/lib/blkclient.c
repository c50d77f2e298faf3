/* The block protocol's client (libaion/blkclient.h, aion/blk.h). */
#include "libaion/blkclient.h"

#define CALL_TRIES      3       /* the call, after ENOTCONN or a dead driver once each */

static int64_t attach(struct blkclient *c)
{
	struct aion_msg m = { .tag = AION_TAG(BLK_ATTACH, 0, 1) };

	c->ipc->caps[0] = c->mem;
	c->ipc->cap_rights[0] = AION_RIGHT_READ | AION_RIGHT_WRITE | AION_RIGHT_PHYS;
	int64_t err = aion_call(c->region, &m, BLKCLIENT_TIMEOUT_NS);
	return err ? err : (int64_t)m.w[0];
}

/* One call of the protocol (not ATTACH); the reply in *m. */
static int64_t call(struct blkclient *c, uint32_t label, uint64_t w0, uint64_t w1, uint64_t w2,
		    struct aion_msg *m)
{
	int64_t err = -AION_EDEAD;

	for (unsigned i = 0; i < CALL_TRIES; i++) {
		*m = (struct aion_msg){ .tag = AION_TAG(label, 0, 0), .w = { w0, w1, w2 } };
		err = aion_call(c->region, m, BLKCLIENT_TIMEOUT_NS);
		/* The driver died before (EDEAD) or while (EINDOUBT) serving
		 * it; its successor answers. A block call may run twice. */
		if (err == -AION_EDEAD || err == -AION_EINDOUBT)
			continue;
		if (err)
			return err;
		err = (int64_t)m->w[0];
		if (err != -AION_ENOTCONN)
			return err;
		if ((err = attach(c)))  /* a restarted driver forgot our buffer */
			return err;
		c->reattached++;
	}
	return err;
}

int64_t blkclient_info(struct blkclient *c, uint64_t *blocks, uint32_t *flags)
{
	struct aion_msg m;
	int64_t err = call(c, BLK_INFO, 0, 0, 0, &m);

	if (!err) {
		*blocks = m.w[1];
		*flags = (uint32_t)m.w[2];
	}
	return err;
}

int64_t blkclient_open(struct blkclient *c, aion_handle_t region, struct aion_ipc_buffer *ipc,
		       uint64_t va)
{
	*c = (struct blkclient){ .region = region, .ipc = ipc, .buf = (uint8_t *)va };
	int64_t mo = aion_memory_create(BLK_BUF_PAGES);
	if (mo < 0)
		return mo;
	c->mem = (aion_handle_t)mo;
	int64_t err = aion_memory_map(c->mem, AION_HANDLE_SELF, va,
				      AION_PROT_READ | AION_PROT_WRITE, 0);
	if (err) {
		aion_handle_close(c->mem);
		return err;
	}
	if ((err = attach(c)) || (err = blkclient_info(c, &c->blocks, &c->flags)))
		blkclient_close(c);
	return err;
}

void blkclient_close(struct blkclient *c)
{
	aion_memory_unmap(AION_HANDLE_SELF, (uint64_t)c->buf);
	aion_handle_close(c->mem);
	c->mem = 0;
}

/* READ or WRITE of blocks [block, block + count) in BLK_XFER_BLOCKS pieces. */
static int transfer(struct blkclient *c, uint32_t label, uint64_t block, uint8_t *data,
		    uint32_t count)
{
	struct aion_msg m;

	while (count) {
		uint32_t n = count < BLK_XFER_BLOCKS ? count : BLK_XFER_BLOCKS;
		if (label == BLK_WRITE)
			memcpy(c->buf, data, (size_t)n * BLK_SIZE);
		int64_t err = call(c, label, block, n, 0, &m);
		if (err)
			return (int)err;
		if (label == BLK_READ)
			memcpy(data, c->buf, (size_t)n * BLK_SIZE);
		block += n;
		data += (size_t)n * BLK_SIZE;
		count -= n;
	}
	return 0;
}

int blkclient_read(void *ctx, uint64_t block, void *buf, uint32_t count)
{
	return transfer(ctx, BLK_READ, block, buf, count);
}

int blkclient_write(void *ctx, uint64_t block, const void *buf, uint32_t count)
{
	/* transfer only reads from data on a write */
	return transfer(ctx, BLK_WRITE, block, (uint8_t *)(uintptr_t)buf, count);
}

int blkclient_flush(void *ctx)
{
	struct aion_msg m;
	return (int)call(ctx, BLK_FLUSH, 0, 0, 0, &m);
}
