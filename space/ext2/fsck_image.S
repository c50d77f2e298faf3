/* The e2fsck ELF that ext2d runs at mount (ext2d_fsck.c), carried in
 * ext2d's read-only data; meson.build names the file (EXT2_FSCK_ELF). */
	.section .rodata
	.balign 16
	.global ext2_fsck_image
	.global ext2_fsck_image_end
ext2_fsck_image:
	.incbin EXT2_FSCK_ELF
ext2_fsck_image_end:
	.section .note.GNU-stack, "", @progbits
