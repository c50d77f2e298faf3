/*
 * virtio-blk: a userspace driver for QEMU's virtio-blk-pci, legacy
 * interface (virtio 0.9.5: I/O BAR0; `disable-modern=on`; the register
 * block and the virtqueue are ../virtio/virtio.h's). It serves the block
 * protocol of aion/blk.h; docs/storage.md has the decisions.
 *
 * Started by init with, at fixed handles:
 *   AION_HANDLE(1, 1)  init's endpoint (every service's first capability)
 *   AION_HANDLE(2, 1)  I/O ports of its BAR0 (the legacy register block)
 *   AION_HANDLE(3, 1)  the endpoint to serve (RECV): init made it and keeps
 *                      it, and mints every client's region capability from
 *                      it, so clients keep theirs across driver restarts
 *   AION_HANDLE(4, 1)  the IRQ object of its PCI interrupt line, only when
 *                      irq=N: a line another device's driver owns is not
 *                      shared (the kernel gives a line one owner), so init
 *                      masks the disk's INTx and says irq=0: poll
 * and a startup record whose args are key=value words:
 *   bar=<port> irq=<line or 0> node=<n>     (decimal)
 *
 * One thread, one request at a time: a call is checked (vblk_pure.c), its
 * request put on the queue as one chain (header, the client's buffer
 * pages, status byte), and the reply sent when the device has used the
 * chain: woken by the interrupt, or polling the used ring (20 us doubling
 * to 1 ms) without one. A device that does not answer within
 * BLK_DEVICE_TIMEOUT_MS is reset (so it stops using our memory), the call
 * answered -AION_ETIMEDOUT and the driver exits; init starts it again.
 *
 * Log lines (the kernel prefixes "virtio-blk: "), one per event:
 *   ready blocks=<n> flush=yes|no irq=<line>|polling queue=<n>
 *   flush=no: writes cannot be made durable, BLK_FLUSH answers AION_EIO
 *   attached first=<block> blocks=<n> rw|ro slot=<i>
 *   error op=<read|write|flush> sector=<n> blocks=<n> status=<s> err=AION_EIO
 *   error op=<..> sector=<n> timed out after <ms> ms: resetting the device
 *   error WHAT err=NAME        (then the driver exits with 1)
 */
#include "common/cmdline.h"
#include "vblk_drv.h"

struct vblk_dev vb;

int vblk_fail(const char *what, int64_t err)
{
	aion_printf("error %s err=%s", what, aion_error_name(err));
	return 1;
}

static int64_t parse_args(const struct aion_startup *st)
{
	char v[16];

	if (st->magic != AION_STARTUP_MAGIC)
		return -AION_EMALFORMED;
	unsigned long long bar = cmdline_get(st->args, "bar", v, sizeof(v)) ? cmdline_decimal(v) : 0;
	unsigned long long irq = cmdline_get(st->args, "irq", v, sizeof(v)) ? cmdline_decimal(v) : 0;
	if (bar == 0 || bar > 0xffc0 || irq > 255)
		return -AION_EINVAL;
	vb.io = (uint16_t)bar;
	vb.irq_line = (unsigned)irq;
	return 0;
}

/* With an interrupt line: its signal comes as IRQ_BIT on our notification. */
static int64_t irq_setup(void)
{
	if (!vb.irq_line)
		return 0;
	int64_t n = aion_notify_create();
	if (n < 0)
		return n;
	vb.notify = (aion_handle_t)n;
	return aion_irq_set_notify(VB_HANDLE_IRQ, vb.notify, IRQ_BIT);
}

int64_t aion_main(uint64_t arg)
{
	int64_t err;

	if ((err = parse_args((const struct aion_startup *)arg)))
		return vblk_fail("args (want bar=PORT irq=LINE|0, decimal)", err);
	if ((err = aion_ioport_enable(VB_HANDLE_IO)))
		return vblk_fail("ioport enable", err);
	if ((err = irq_setup()))
		return vblk_fail("irq", err);
	if (device_init())
		return 1;
	if (vb.irq_line)
		aion_printf("ready blocks=%lu flush=%s irq=%u queue=%u", (unsigned long)vb.capacity,
			    vb.flush ? "yes" : "no", vb.irq_line, vb.q.num);
	else
		aion_printf("ready blocks=%lu flush=%s irq=polling queue=%u",
			    (unsigned long)vb.capacity, vb.flush ? "yes" : "no", vb.q.num);
	if (!vb.flush)
		aion_printf("flush=no: writes cannot be made durable, BLK_FLUSH answers AION_EIO");
	return serve_loop();
}
