// SPDX-License-Identifier: MIT
/*
 * `ublk recover -n ID`: serve again a device added with -r 1 whose daemon
 * died. The target and its options come from the device's record in the
 * run directory, the queues and parameters from the kernel; a new daemon
 * takes the device over and its held IO resumes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ublk_tool.h"

/*
 * Whether process @pid still runs. A zombie does not: a daemon just killed
 * stays one until its supervisor reaps it, while the kernel may still show
 * its device LIVE.
 */
static bool pid_running(pid_t pid)
{
	char path[32], buf[512], *state;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT && (kill(pid, 0) == 0 || errno == EPERM);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "pid (comm) S ...": the comm may hold anything, the state follows its last ')'. */
	state = strrchr(buf, ')');
	return state && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

/* Whether device @id can be recovered now; one error line if not. */
static int check_device(struct ublk_ctrl *ctrl, uint32_t id, struct ublk_dev_info *info,
			struct ublk_dev_params *params)
{
	int ret = ublk_ctrl_get_info(ctrl, id, info);

	if (ret < 0) {
		log_dev_error(id, ret);
		return ret;
	}
	if (!(info->flags & UBLK_FEAT_USER_RECOVERY)) {
		log_err("device %u was added without user recovery (-r 1): it cannot be recovered", id);
		return -EINVAL;
	}
	if (info->state == UBLK_STATE_DEAD) {
		log_err("device %u is not started: nothing to recover", id);
		return -EINVAL;
	}
	if (info->state == UBLK_STATE_LIVE && pid_running(info->daemon_pid)) {
		log_err("device %u is served by process %d: nothing to recover", id, info->daemon_pid);
		return -EBUSY;
	}
	ret = ublk_ctrl_get_params(ctrl, id, params);
	if (ret < 0)
		log_err("device %u: get parameters: %s", id, strerror(-ret));
	return ret;
}

static const struct option recover_options[] = {
	{ "number", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

/*
 * The options device @id was added with, from its record (@rec, which @o
 * points into) and from the kernel (@info); one error line if unknown.
 */
static int opts_of_device(uint32_t id, const struct ublk_dev_info *info,
			  struct dev_record *rec, struct add_opts *o)
{
	int ret = record_read(id, rec);

	if (ret < 0) {
		log_err("device %u: no usable record in %s/%u.json (%s): its target is unknown",
			id, record_dir(), id, strerror(-ret));
		return ret;
	}
	if (!target_find(rec->target)) {
		log_err("device %u: unknown target '%s' in %s/%u.json", id, rec->target,
			record_dir(), id);
		return -EINVAL;
	}
	*o = (struct add_opts){
		.target = rec->target,
		.id = (int32_t)id,
		.nr_queues = info->nr_queues,
		.depth = info->queue_depth,
		.size = rec->size,
		.file = rec->file[0] ? rec->file : NULL,
		.uri = rec->uri[0] ? rec->uri : NULL,
		.buffered = rec->buffered,
		.user_recovery = true,
		.take_over = true,
	};
	return 0;
}

int cmd_recover(int argc, char **argv)
{
	struct ublk_dev_params kparams, params = { 0 };
	struct target t = { 0 };
	struct ublk_dev_info info;
	struct ublk_ctrl *ctrl;
	struct dev_record rec;
	struct add_opts o;
	struct dev_cmd_opts co;
	uint32_t id;
	int ret;

	if (parse_dev_cmd("recover", argc, argv, ":n:", recover_options, &co))
		return 1;
	if (co.id < 0) {
		log_err("recover needs -n ID");
		return 1;
	}
	id = (uint32_t)co.id;
	if (open_control(&ctrl) < 0)
		return 1;
	ret = check_device(ctrl, id, &info, &kparams);
	ublk_ctrl_close(ctrl);
	if (ret < 0 || opts_of_device(id, &info, &rec, &o) < 0)
		return 1;
	t.ops = target_find(o.target);
	if (target_init(&t, &o, &params))
		return 1;
	/* The kernel keeps the old geometry: the target must still match it. */
	if (params.size != kparams.size) {
		log_err("device %u: its target now has %llu bytes, the device %llu", id,
			(unsigned long long)params.size, (unsigned long long)kparams.size);
		target_cleanup(&t);
		return 1;
	}
	ret = spawn_daemon(&t, &o, &params);
	target_cleanup(&t);
	return ret;
}
