/*
 * fw_cfg's legacy port interface (fwcfg.h): write a 16-bit selector key to
 * 0x510, then read the item's bytes one at a time from 0x511, each read
 * advancing an offset that a new selection resets. Key 0 is the signature
 * "QEMU"; key 0x19 the file directory, all big-endian: be32 count, then
 * count entries { be32 size; be16 select; be16 reserved; char name[56]; }.
 */
#include "libaion/fwcfg.h"
#include "libaion/lib.h"

#define FWCFG_DATA              (FWCFG_PORT + 1)
#define FWCFG_KEY_SIGNATURE     0x0000
#define FWCFG_KEY_FILE_DIR      0x0019

static void select_key(uint16_t key)
{
	aion_outw(FWCFG_PORT, key);
}

static void read_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = aion_inb(FWCFG_DATA);
}

static uint32_t read_be(unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | aion_inb(FWCFG_DATA);
	return v;
}

int64_t fwcfg_read_file(aion_handle_t io, const char *name, void *buf, size_t cap)
{
	char sig[4];
	int64_t err = aion_ioport_enable(io);

	if (err)
		return err;
	select_key(FWCFG_KEY_SIGNATURE);
	read_bytes(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", sizeof(sig)) != 0)
		return -AION_ENOENT;            /* no fw_cfg: the ports float (0xff) */

	select_key(FWCFG_KEY_FILE_DIR);
	uint32_t count = read_be(4);
	for (uint32_t i = 0; i < count && i < FWCFG_FILES_MAX; i++) {
		char entry[FWCFG_NAME_MAX];
		uint32_t size = read_be(4);
		uint16_t key = (uint16_t)read_be(2);
		read_be(2);                     /* reserved */
		read_bytes(entry, sizeof(entry));
		entry[FWCFG_NAME_MAX - 1] = '\0';
		if (strcmp(entry, name) != 0)
			continue;
		select_key(key);
		read_bytes(buf, size < cap ? size : cap);
		return size > cap ? -AION_ENOSPC : (int64_t)size;
	}
	return -AION_ENOENT;
}
