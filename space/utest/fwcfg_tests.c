/* fw_cfg files through libaion (fwcfg.h); tests/boot/boot_fwcfg.py boots
 * with and without `-fw_cfg name=opt/aion/cluster-key,string=...`. */
#include "libaion/fwcfg.h"
#include "utest.h"

#define KEY_MAX         128

void test_fwcfg(void)
{
	char key[KEY_MAX + 1] = { 0 }, small[4];
	int64_t io = aion_ioport_create(UTEST_PLATFORM, FWCFG_PORT, FWCFG_PORTS);
	if (io < 0) {
		utest_fail("fwcfg", "ioport_create err=%s", aion_error_name(io));
		return;
	}
	int64_t size = fwcfg_read_file((aion_handle_t)io, FWCFG_CLUSTER_KEY, key, KEY_MAX);
	int64_t cut = fwcfg_read_file((aion_handle_t)io, FWCFG_CLUSTER_KEY, small, sizeof(small));
	int64_t missing = fwcfg_read_file((aion_handle_t)io, "opt/aion/no-such-file", key + KEY_MAX, 0);
	int64_t e820 = fwcfg_read_file((aion_handle_t)io, "etc/e820", NULL, 0);
	int64_t bad = fwcfg_read_file(AION_HANDLE_SELF, FWCFG_CLUSTER_KEY, small, sizeof(small));
	aion_handle_close((aion_handle_t)io);

	bool present = size >= 0;
	if (present ? size > KEY_MAX || (size > (int64_t)sizeof(small) && cut != -AION_ENOSPC)
		    : size != -AION_ENOENT || cut != -AION_ENOENT) {
		utest_fail("fwcfg", "size=%ld cut=%s", (long)size, aion_error_name(cut));
		return;
	}
	if (missing != -AION_ENOENT || e820 != -AION_ENOSPC || bad >= 0) {
		utest_fail("fwcfg", "missing=%s e820=%s badcap=%s", aion_error_name(missing),
			   aion_error_name(e820), aion_error_name(bad));
		return;
	}
	key[present ? size : 0] = '\0';
	utest_ok("fwcfg", "result=%s size=%ld key=%s cut=%s missing=%s e820=%s badcap=%s",
		 present ? "AION_OK" : aion_error_name(size), (long)size, present ? key : "-",
		 cut >= 0 ? "fits" : aion_error_name(cut), aion_error_name(missing),
		 aion_error_name(e820), aion_error_name(bad));
}
