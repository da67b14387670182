/* SPDX-License-Identifier: MIT */
/* Private declarations shared by the files of libcpufreqmap. */
#ifndef LIBCPUFREQMAP_INTERNAL_H
#define LIBCPUFREQMAP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpufreq-map/cpufreq-map.h"

/* Exported symbols; everything else is hidden by the build. */
#define CFM_EXPORT __attribute__((visibility("default")))

#define CFM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Largest property, config file or sysfs attribute we read. */
#define CFM_MAX_FILE (1u << 20)

/* error.c: record the reason for a failure; returns err (negative). */
int cfm_error(int err, const char *fmt, ...) CFM_PRINTF(2, 3);

/* A table with its rows in one allocation. */
struct cfm_table_buf {
	struct cfm_table t;
	unsigned int cap;
	struct cfm_entry *rows;
};

struct cfm_cpu_table {
	unsigned int cpu;
	struct cfm_table_buf *table;
};

struct cfm_map {
	char *origin;
	char *device;			/* devfreq name, or NULL */
	char *target_node;		/* DT path, or NULL */
	struct cfm_table_buf *common;
	struct cfm_cpu_table *cpu_tables;	/* ascending by cpu */
	unsigned int nr_cpu_tables;
	struct cfm_limits limits;
};

struct cfm_config {
	struct cfm_map **maps;
	unsigned int nr_maps;
};

/* model.c */
struct cfm_table_buf *cfm_table_buf_new(void);
void cfm_table_buf_free(struct cfm_table_buf *t);
int cfm_table_buf_append(struct cfm_table_buf *t, uint32_t cpu_khz,
			 uint64_t dev_freq);
struct cfm_map *cfm_map_new(const char *origin);
void cfm_map_free(struct cfm_map *m);
/* Takes ownership of t in every case. */
int cfm_map_add_cpu_table(struct cfm_map *m, unsigned int cpu,
			  struct cfm_table_buf *t);
const struct cfm_table *cfm_map_table_for(const struct cfm_map *m,
					  unsigned int cpu);
/* Takes ownership of m in every case. */
int cfm_config_add(struct cfm_config *cfg, struct cfm_map *m);
/* Moves every map of src to dst; src is left empty. */
int cfm_config_merge(struct cfm_config *dst, struct cfm_config *src);
void cfm_config_clear(struct cfm_config *cfg);

/* table.c: why row follows prev badly (prev may be NULL), or NULL. */
const char *cfm_row_problem(const struct cfm_entry *prev,
			    const struct cfm_entry *row);

/* file.c: small file helpers; messages name the path. */
int cfm_read_file(const char *path, char *buf, size_t size, size_t *len);
int cfm_read_str(const char *path, char *buf, size_t size);
int cfm_read_u64(const char *path, uint64_t *val);
int cfm_parse_u64(const char *path, const char *s, uint64_t *val);
int cfm_write_str(const char *path, const char *s);
int cfm_write_u64(const char *path, uint64_t val);
/* Whole file into a malloc()ed, NUL-terminated buffer. */
int cfm_slurp(const char *path, char **buf, size_t *len);
/* Strict decimal parse of [s, s+n) into *val (max is the type's limit). */
bool cfm_strtou64(const char *s, size_t n, uint64_t max, uint64_t *val);
/*
 * The lowest and highest of the blank-separated decimal numbers in s, each
 * at most max (*lo > *hi if there is none). NULL, or the first word that
 * is not such a number, *bad_len its length.
 */
const char *cfm_number_range(const char *s, uint64_t max, uint64_t *lo,
			     uint64_t *hi, size_t *bad_len);
/* A loader from memory, as cfm_config_load_fdt(): arg is its last argument. */
typedef int (*cfm_load_fn)(struct cfm_config *cfg, const char *name,
			   const void *buf, size_t len, const char *arg);
/* Read the file at path whole and load it, named path in messages. */
int cfm_load_path(struct cfm_config *cfg, const char *path, cfm_load_fn load,
		  const char *arg);
/* a + "/" + b into buf; -ENAMETOOLONG (message set) if it does not fit. */
int cfm_path_join(char *buf, size_t size, const char *a, const char *b);
/* Strip a trailing '/' so paths join as root + "/sys/...". */
char *cfm_root_prefix(const char *root);

/* policy.c: cpufreq policies */
struct cfm_policy_state {
	unsigned int id;		/* N of policyN */
	char *dir;
	char *related;			/* related_cpus as read */
	int cur_fd;			/* scaling_cur_freq, kept open for pread */
	uint64_t changes;
};

int cfm_policies_scan(const char *root, struct cfm_policy_state **pols,
		      struct cfm_policy **snap, unsigned int *nr);
void cfm_policies_free(struct cfm_policy_state *pols, unsigned int nr);
/* Re-read scaling_cur_freq; 1 if it changed, 0 if not. */
int cfm_policy_refresh(struct cfm_policy_state *p, struct cfm_policy *snap);

/* devfreq.c: devfreq devices */
struct cfm_devfreq {
	char *name;
	char *dir;
	const struct cfm_map *map;
	enum cfm_control control;
	char saved_governor[64];
	uint64_t saved_min, saved_max;
	uint64_t range_min, range_max;
	struct cfm_limits lim;		/* with the defaults filled in */
	bool switched;			/* we changed its governor */
	bool have_written;
	bool down_pending;		/* a lower target waits out hold-down */
	uint64_t down_since_ns;
	uint64_t last_write_ns;
	uint64_t target, written, transitions;
};

/* Name of the devfreq device whose device/of_node is node, or -ENOENT. */
int cfm_devfreq_by_node(const char *root, const char *node, char **name);
int cfm_devfreq_probe(const char *root, const char *name,
		      struct cfm_devfreq *d);
void cfm_devfreq_release(struct cfm_devfreq *d);
int cfm_devfreq_set_governor(struct cfm_devfreq *d, const char *gov);
int cfm_devfreq_write_target(struct cfm_devfreq *d, uint64_t freq);
int cfm_devfreq_restore_limits(struct cfm_devfreq *d);
int cfm_devfreq_attr_path(const struct cfm_devfreq *d, const char *attr,
			  char *buf, size_t size);

#endif /* LIBCPUFREQMAP_INTERNAL_H */
