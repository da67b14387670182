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

int cmd_recover(int argc, char **argv)
{
	struct ublk_dev_params kparams, params = { 0 };
	struct target t = { 0 };
	struct ublk_dev_info info;
	struct ublk_ctrl *ctrl;
	struct dev_record rec;
	struct add_opts o = { .take_over = true, .user_recovery = true };
	struct dev_cmd_opts co;
	int64_t id;
	int ret;

	if (parse_dev_cmd("recover", argc, argv, ":n:", recover_options, &co))
		return 1;
	id = co.id;
	if (id < 0) {
		log_err("recover needs -n ID");
		return 1;
	}
	if (open_control(&ctrl) < 0)
		return 1;
	ret = check_device(ctrl, (uint32_t)id, &info, &kparams);
	ublk_ctrl_close(ctrl);
	if (ret < 0)
		return 1;

	ret = record_read((uint32_t)id, &rec);
	if (ret < 0) {
		log_err("device %lld: no usable record in %s/%lld.json (%s): its target is unknown",
			(long long)id, record_dir(), (long long)id, strerror(-ret));
		return 1;
	}
	t.ops = target_find(rec.target);
	if (!t.ops) {
		log_err("device %lld: unknown target '%s' in %s/%lld.json", (long long)id,
			rec.target, record_dir(), (long long)id);
		return 1;
	}
	o.target = t.ops->name;
	o.id = (int32_t)id;
	o.nr_queues = info.nr_queues;
	o.depth = info.queue_depth;
	o.size = rec.size;
	o.file = rec.file[0] ? rec.file : NULL;
	o.uri = rec.uri[0] ? rec.uri : NULL;
	o.buffered = rec.buffered;
	if (target_init(&t, &o, &params))
		return 1;
	/* The kernel keeps the old geometry: the target must still match it. */
	if (params.size != kparams.size) {
		log_err("device %lld: its target now has %llu bytes, the device %llu",
			(long long)id, (unsigned long long)params.size,
			(unsigned long long)kparams.size);
		target_cleanup(&t);
		return 1;
	}
	ret = spawn_daemon(&t, &o, &params);
	target_cleanup(&t);
	return ret;
}
