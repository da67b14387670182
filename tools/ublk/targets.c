// SPDX-License-Identifier: MIT
/* The targets the runner knows, by name, and what is the same for all of them. */
#include <errno.h>
#include <string.h>

#include "ublk_tool.h"

static const struct target_ops *const targets[] = {
	&null_target,
	&loop_target,
	&nbd_target,
};

/* The options some targets take, as a refusal and as a need names them. */
static const struct {
	unsigned int opt;
	const char *name; /* "target T takes no NAME" */
	const char *need; /* "target T needs NEED" */
} target_opts[] = {
	{ TARGET_OPT_FILE, "backing file (-f)", "a backing file: -f FILE" },
	{ TARGET_OPT_URI, "NBD URI (--uri)", "the server: --uri URI" },
	{ TARGET_OPT_SIZE, "size (-s)", "a size: -s SIZE" },
	{ TARGET_OPT_BUFFERED, "buffered IO (--buffered)", "--buffered" },
};

const struct target_ops *target_find(const char *name)
{
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (!strcmp(targets[i]->name, name))
			return targets[i];
	return NULL;
}

static unsigned int opts_given(const struct add_opts *o)
{
	return (o->file ? TARGET_OPT_FILE : 0) | (o->uri ? TARGET_OPT_URI : 0) |
	       (o->size ? TARGET_OPT_SIZE : 0) | (o->buffered ? TARGET_OPT_BUFFERED : 0);
}

int target_check_opts(const struct target_ops *ops, const struct add_opts *o)
{
	unsigned int given = opts_given(o);
	size_t i;

	for (i = 0; i < sizeof(target_opts) / sizeof(target_opts[0]); i++) {
		if ((given & target_opts[i].opt) && !(ops->accepts & target_opts[i].opt)) {
			log_err("target %s takes no %s", ops->name, target_opts[i].name);
			return -EINVAL;
		}
	}
	for (i = 0; i < sizeof(target_opts) / sizeof(target_opts[0]); i++) {
		if (!(given & target_opts[i].opt) && (ops->needs & target_opts[i].opt)) {
			log_err("target %s needs %s", ops->name, target_opts[i].need);
			return -EINVAL;
		}
	}
	return 0;
}

int target_init(struct target *t, const struct add_opts *o, struct ublk_dev_params *p)
{
	int ret = t->ops->probe ? t->ops->probe(t, o) : 0;

	if (ret < 0)
		return ret;
	ret = t->ops->fill_params(t, o, p);
	if (ret < 0)
		target_cleanup(t);
	return ret;
}

void target_cleanup(struct target *t)
{
	if (t->ops->cleanup)
		t->ops->cleanup(t);
	t->priv = NULL;
}
