/* SPDX-License-Identifier: MIT */
/*
 * The kernel ublk ABI we rely on (include/uapi/linux/ublk_cmd.h).
 *
 * Constants and struct layouts are facts of the kernel ABI. A system
 * <linux/ublk_cmd.h> from Linux 6.5 or newer wins; with an older one (its
 * structs lack fields we use) or none, the definitions below stand in, and
 * they only fill in what the system header lacks.
 */
#ifndef LIBUBLK_ABI_H
#define LIBUBLK_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/version.h>

#if defined(__has_include)
#if __has_include(<linux/ublk_cmd.h>) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <linux/ublk_cmd.h>
#endif
#endif

#ifndef USER_BLK_DRV_CMD_INC_H
/* No system header: the structures as of Linux 6.0 .. 7.x. */
struct ublksrv_ctrl_cmd {
	__u32 dev_id;
	__u16 queue_id;
	__u16 len;
	__u64 addr;
	__u64 data[1];
	__u16 dev_path_len;
	__u16 pad;
	__u32 reserved;
};

struct ublksrv_ctrl_dev_info {
	__u16 nr_hw_queues;
	__u16 queue_depth;
	__u16 state;
	__u16 pad0;
	__u32 max_io_buf_bytes;
	__u32 dev_id;
	__s32 ublksrv_pid;
	__u32 pad1;
	__u64 flags;
	__u64 ublksrv_flags;
	__u32 owner_uid;
	__u32 owner_gid;
	__u64 reserved1;
	__u64 reserved2;
};

struct ublksrv_io_desc {
	__u32 op_flags;
	__u32 nr_sectors;
	__u64 start_sector;
	__u64 addr;
};

struct ublksrv_io_cmd {
	__u16 q_id;
	__u16 tag;
	__s32 result;
	__u64 addr;
};

struct ublk_param_basic {
	__u32 attrs;
	__u8 logical_bs_shift;
	__u8 physical_bs_shift;
	__u8 io_opt_shift;
	__u8 io_min_shift;
	__u32 max_sectors;
	__u32 chunk_sectors;
	__u64 dev_sectors;
	__u64 virt_boundary_mask;
};

struct ublk_param_discard {
	__u32 discard_alignment;
	__u32 discard_granularity;
	__u32 max_discard_sectors;
	__u32 max_write_zeroes_sectors;
	__u16 max_discard_segments;
	__u16 reserved0;
};

struct ublk_param_devt {
	__u32 char_major;
	__u32 char_minor;
	__u32 disk_major;
	__u32 disk_minor;
};

struct ublk_param_zoned {
	__u32 max_open_zones;
	__u32 max_active_zones;
	__u32 max_zone_append_sectors;
	__u8 reserved[20];
};

struct ublk_params {
	__u32 len;
	__u32 types;
	struct ublk_param_basic basic;
	struct ublk_param_discard discard;
	struct ublk_param_devt devt;
	struct ublk_param_zoned zoned;
};
#endif /* !USER_BLK_DRV_CMD_INC_H */

/* Control commands: legacy numbers and their ioctl encodings. */
#ifndef UBLK_CMD_GET_QUEUE_AFFINITY
#define UBLK_CMD_GET_QUEUE_AFFINITY 0x01
#define UBLK_CMD_GET_DEV_INFO 0x02
#define UBLK_CMD_ADD_DEV 0x04
#define UBLK_CMD_DEL_DEV 0x05
#define UBLK_CMD_START_DEV 0x06
#define UBLK_CMD_STOP_DEV 0x07
#define UBLK_CMD_SET_PARAMS 0x08
#define UBLK_CMD_GET_PARAMS 0x09
#endif
#ifndef UBLK_CMD_START_USER_RECOVERY
#define UBLK_CMD_START_USER_RECOVERY 0x10
#define UBLK_CMD_END_USER_RECOVERY 0x11
#endif
#ifndef UBLK_CMD_GET_DEV_INFO2
#define UBLK_CMD_GET_DEV_INFO2 0x12
#endif
#ifndef UBLK_U_CMD_GET_QUEUE_AFFINITY
#define UBLK_U_CMD_GET_QUEUE_AFFINITY _IOR('u', UBLK_CMD_GET_QUEUE_AFFINITY, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_GET_DEV_INFO _IOR('u', UBLK_CMD_GET_DEV_INFO, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_ADD_DEV _IOWR('u', UBLK_CMD_ADD_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_DEL_DEV _IOWR('u', UBLK_CMD_DEL_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_START_DEV _IOWR('u', UBLK_CMD_START_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_STOP_DEV _IOWR('u', UBLK_CMD_STOP_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_SET_PARAMS _IOWR('u', UBLK_CMD_SET_PARAMS, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_GET_PARAMS _IOR('u', UBLK_CMD_GET_PARAMS, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_START_USER_RECOVERY
#define UBLK_U_CMD_START_USER_RECOVERY _IOWR('u', UBLK_CMD_START_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_END_USER_RECOVERY _IOWR('u', UBLK_CMD_END_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_GET_DEV_INFO2
#define UBLK_U_CMD_GET_DEV_INFO2 _IOR('u', UBLK_CMD_GET_DEV_INFO2, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_GET_FEATURES
#define UBLK_U_CMD_GET_FEATURES _IOR('u', 0x13, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_DEL_DEV_ASYNC
#define UBLK_U_CMD_DEL_DEV_ASYNC _IOR('u', 0x14, struct ublksrv_ctrl_cmd)
#endif

/* IO commands on /dev/ublkcN. */
#ifndef UBLK_IO_FETCH_REQ
#define UBLK_IO_FETCH_REQ 0x20
#define UBLK_IO_COMMIT_AND_FETCH_REQ 0x21
#endif
#ifndef UBLK_IO_NEED_GET_DATA
#define UBLK_IO_NEED_GET_DATA 0x22
#endif
#ifndef UBLK_U_IO_FETCH_REQ
#define UBLK_U_IO_FETCH_REQ _IOWR('u', UBLK_IO_FETCH_REQ, struct ublksrv_io_cmd)
#define UBLK_U_IO_COMMIT_AND_FETCH_REQ _IOWR('u', UBLK_IO_COMMIT_AND_FETCH_REQ, struct ublksrv_io_cmd)
#endif
#ifndef UBLK_U_IO_NEED_GET_DATA
#define UBLK_U_IO_NEED_GET_DATA _IOWR('u', UBLK_IO_NEED_GET_DATA, struct ublksrv_io_cmd)
#endif

#ifndef UBLK_IO_RES_OK
#define UBLK_IO_RES_OK 0
#define UBLK_IO_RES_NEED_GET_DATA 1
#define UBLK_IO_RES_ABORT (-ENODEV)
#endif

#ifndef UBLKSRV_CMD_BUF_OFFSET
#define UBLKSRV_CMD_BUF_OFFSET 0
#define UBLKSRV_IO_BUF_OFFSET 0x80000000
#endif
#ifndef UBLK_MAX_QUEUE_DEPTH
#define UBLK_MAX_QUEUE_DEPTH 4096
#endif
#ifndef UBLK_MAX_NR_QUEUES
#define UBLK_MAX_NR_QUEUES 4096
#endif
/* USER_COPY: the offset on /dev/ublkcN that addresses one request's data. */
#ifndef UBLK_IO_BUF_BITS
#define UBLK_IO_BUF_BITS 25
#define UBLK_TAG_OFF UBLK_IO_BUF_BITS
#define UBLK_QID_OFF (UBLK_TAG_OFF + 16)
#endif

#ifndef UBLK_F_SUPPORT_ZERO_COPY
#define UBLK_F_SUPPORT_ZERO_COPY (1ULL << 0)
#define UBLK_F_URING_CMD_COMP_IN_TASK (1ULL << 1)
#define UBLK_F_NEED_GET_DATA (1ULL << 2)
#endif
#ifndef UBLK_F_USER_RECOVERY
#define UBLK_F_USER_RECOVERY (1ULL << 3)
#define UBLK_F_USER_RECOVERY_REISSUE (1ULL << 4)
#endif
#ifndef UBLK_F_UNPRIVILEGED_DEV
#define UBLK_F_UNPRIVILEGED_DEV (1ULL << 5)
#endif
#ifndef UBLK_F_CMD_IOCTL_ENCODE
#define UBLK_F_CMD_IOCTL_ENCODE (1ULL << 6)
#endif
#ifndef UBLK_F_USER_COPY
#define UBLK_F_USER_COPY (1ULL << 7)
#endif
#ifndef UBLK_F_ZONED
#define UBLK_F_ZONED (1ULL << 8)
#endif
#ifndef UBLK_F_USER_RECOVERY_FAIL_IO
#define UBLK_F_USER_RECOVERY_FAIL_IO (1ULL << 9)
#endif

/* Linux 6.16: the kernel registers each request's buffer (zero copy). */
#ifndef UBLK_F_AUTO_BUF_REG
#define UBLK_F_AUTO_BUF_REG (1ULL << 11)
#endif
#ifndef UBLK_IO_F_NEED_REG_BUF
#define UBLK_IO_F_NEED_REG_BUF (1U << 17)
#endif
/*
 * FETCH and COMMIT_AND_FETCH carry the buffer table index for the tag's
 * next request in sqe->addr (struct ublk_auto_buf_reg): bits 0-15 the
 * index, bits 16-23 flags, the rest zero.
 */
#ifndef UBLK_AUTO_BUF_REG_FALLBACK
#define UBLK_AUTO_BUF_REG_FALLBACK (1 << 0)
#endif

#ifndef UBLK_S_DEV_DEAD
#define UBLK_S_DEV_DEAD 0
#define UBLK_S_DEV_LIVE 1
#define UBLK_S_DEV_QUIESCED 2
#endif
#ifndef UBLK_S_DEV_FAIL_IO
#define UBLK_S_DEV_FAIL_IO 3
#endif

#ifndef UBLK_ATTR_READ_ONLY
#define UBLK_ATTR_READ_ONLY (1 << 0)
#define UBLK_ATTR_ROTATIONAL (1 << 1)
#define UBLK_ATTR_VOLATILE_CACHE (1 << 2)
#define UBLK_ATTR_FUA (1 << 3)
#endif

#ifndef UBLK_PARAM_TYPE_BASIC
#define UBLK_PARAM_TYPE_BASIC (1 << 0)
#define UBLK_PARAM_TYPE_DISCARD (1 << 1)
#define UBLK_PARAM_TYPE_DEVT (1 << 2)
#endif

#endif /* LIBUBLK_ABI_H */
