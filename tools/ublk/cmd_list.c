// SPDX-License-Identifier: MIT
/* `ublk list [-n ID] [--json]`: what the kernel and the run directory say. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ublk_tool.h"

struct dev_view {
	struct ublk_dev_info info;
	struct ublk_dev_params params;
	bool have_params;
	struct dev_record rec;
	bool have_rec;
};

static int dev_view_read(struct ublk_ctrl *ctrl, uint32_t id, struct dev_view *v)
{
	int ret;

	memset(v, 0, sizeof(*v));
	ret = ublk_ctrl_get_info(ctrl, id, &v->info);
	if (ret < 0)
		return ret;
	v->have_params = !ublk_ctrl_get_params(ctrl, id, &v->params) && v->params.size;
	v->have_rec = !record_read(id, &v->rec);
	return 0;
}

static void print_json(struct json *j, const struct dev_view *v)
{
	char path[32];

	json_begin_object(j);
	json_key_int(j, "id", v->info.id);
	json_key_string(j, "state", ublk_state_name(v->info.state));
	json_key_int(j, "nr_queues", v->info.nr_queues);
	json_key_int(j, "queue_depth", v->info.queue_depth);
	json_key_int(j, "size", v->have_params ? (long long)v->params.size : 0);
	json_key_int(j, "logical_block_size",
		     v->have_params ? 1LL << v->params.logical_block_shift : 0);
	json_key_int(j, "physical_block_size",
		     v->have_params ? 1LL << v->params.physical_block_shift : 0);
	json_key_int(j, "max_io_bytes", v->info.max_io_bytes);
	json_key_bool(j, "read_only", v->have_params && v->params.read_only);
	json_key_string(j, "target", v->have_rec ? v->rec.target : NULL);
	json_key_int(j, "daemon_pid", v->info.daemon_pid);
	json_key_string(j, "backing_file",
			v->have_rec && v->rec.file[0] ? v->rec.file : NULL);
	json_key_string(j, "uri", v->have_rec && v->rec.uri[0] ? v->rec.uri : NULL);
	snprintf(path, sizeof(path), "/dev/ublkb%u", v->info.id);
	json_key_string(j, "block_device", path);
	snprintf(path, sizeof(path), "/dev/ublkc%u", v->info.id);
	json_key_string(j, "char_device", path);
	json_begin_array(j, "flags");
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name = ublk_feature_name(bit);

		if ((v->info.flags >> bit) & 1)
			json_string(j, name ? name : "UNKNOWN");
	}
	json_end_array(j);
	json_end_object(j);
}

static void print_header(void)
{
	printf("%-4s %-8s %6s %6s %15s %5s %-6s %8s %s\n", "ID", "STATE", "QUEUES",
	       "DEPTH", "SIZE", "BS", "TARGET", "PID", "BACKING");
}

static void print_row(const struct dev_view *v)
{
	printf("%-4u %-8s %6u %6u %15llu %5u %-6s %8d %s\n", v->info.id,
	       ublk_state_name(v->info.state), v->info.nr_queues, v->info.queue_depth,
	       v->have_params ? (unsigned long long)v->params.size : 0ULL,
	       v->have_params ? 1U << v->params.logical_block_shift : 0U,
	       v->have_rec ? v->rec.target : "-", v->info.daemon_pid,
	       v->have_rec && v->rec.file[0] ? v->rec.file
	       : v->have_rec && v->rec.uri[0] ? v->rec.uri
						   : "-");
}

static const struct option list_options[] = {
	{ "number", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Print devices @ids[0..n-1]. Of all devices, those deleted meanwhile are
 * left out; a device asked for by id (@one) that went is an error.
 */
static int print_devices(struct ublk_ctrl *ctrl, const uint32_t *ids, int n, bool one,
			 bool json)
{
	struct json j = { .f = stdout };
	bool header = false;
	int ret = 0;

	if (json)
		json_begin_array(&j, NULL);
	for (int i = 0; i < n; i++) {
		struct dev_view v;
		int err = dev_view_read(ctrl, ids[i], &v);

		if ((err == -ENOENT || err == -ENODEV) && !one)
			continue; /* deleted meanwhile */
		if (err < 0) {
			log_dev_error(ids[i], err);
			ret = 1;
			continue;
		}
		if (json) {
			print_json(&j, &v);
		} else {
			if (!header)
				print_header();
			header = true;
			print_row(&v);
		}
	}
	if (json) {
		json_end_array(&j);
		putchar('\n');
	}
	return ret;
}

int cmd_list(int argc, char **argv)
{
	struct dev_cmd_opts o;
	struct ublk_ctrl *ctrl;
	uint32_t *ids = NULL, one;
	int n, ret;

	if (parse_dev_cmd("list", argc, argv, ":n:", list_options, &o) || open_control(&ctrl) < 0)
		return 1;
	if (o.id >= 0) {
		struct dev_view v;

		n = 1;
		one = (uint32_t)o.id;
		ids = &one;
		/* A device that is not there fails before anything is printed. */
		ret = dev_view_read(ctrl, one, &v);
		if (ret < 0) {
			log_dev_error(one, ret);
			ublk_ctrl_close(ctrl);
			return 1;
		}
	} else {
		n = list_device_ids(&ids);
		if (n < 0) {
			log_err("list devices: %s", strerror(-n));
			ublk_ctrl_close(ctrl);
			return 1;
		}
	}
	ret = print_devices(ctrl, ids, n, o.id >= 0, o.json);
	if (ids != &one)
		free(ids);
	ublk_ctrl_close(ctrl);
	return ret;
}
