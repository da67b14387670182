/* SPDX-License-Identifier: MIT */
/*
 * libcpufreqmap: map CPU frequencies to devfreq device frequencies.
 *
 * Error convention: a function returning int returns 0 (or a count) on
 * success and a negative errno on failure; cfm_last_error() then says why,
 * naming the file and the line, property or sysfs attribute at fault.
 * The library prints nothing. Frequencies: CPU in kHz, devices in Hz.
 */
#ifndef CPUFREQ_MAP_H
#define CPUFREQ_MAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CFM_VERSION_MAJOR 0
#define CFM_VERSION_MINOR 1
#define CFM_VERSION_PATCH 0

/* Library version as "MAJOR.MINOR.PATCH". */
const char *cfm_version(void);

/*
 * Description of the last failure in the calling thread ("" if none).
 * Read it right after the call that failed: the next call of this library
 * in the same thread may replace it, even one that succeeds.
 */
const char *cfm_last_error(void);

/* ---------------------------------------------------------------- tables */

/* One row: CPU frequency in kHz and the device frequency it maps to. */
struct cfm_entry {
	uint32_t cpu_khz;
	uint64_t dev_freq;
};

/* A mapping table: nr rows, strictly ascending by cpu_khz, no zeros. */
struct cfm_table {
	unsigned int nr;
	const struct cfm_entry *entries;
};

/*
 * Device frequency for CPU frequency cpu_khz: the first row whose CPU
 * frequency is >= cpu_khz; the last row above the table. 0 if t is empty.
 */
uint64_t cfm_table_lookup(const struct cfm_table *t, uint32_t cpu_khz);

/*
 * Interpolation for a device without a table:
 * dev_min + (dev_max - dev_min) * pct / 100, where
 * pct = (cur - cpu_min) * 100 / (cpu_max - cpu_min), truncated, with cur
 * clamped into [cpu_min, cpu_max]. cpu_max <= cpu_min counts as 100 percent;
 * dev_max < dev_min gives 0.
 */
uint64_t cfm_interpolate(uint32_t cur_khz, uint32_t cpu_min_khz,
			 uint32_t cpu_max_khz, uint64_t dev_min,
			 uint64_t dev_max);

/* A cpufreq policy as the mapping sees it; cur_khz 0: inactive. */
struct cfm_policy {
	unsigned int first_cpu;		/* lowest CPU in related_cpus */
	uint32_t cur_khz;		/* scaling_cur_freq */
	uint32_t min_khz;		/* cpuinfo_min_freq */
	uint32_t max_khz;		/* cpuinfo_max_freq */
};

/* ---------------------------------------------------- configuration model */

/* A set of device maps loaded from one or more sources. */
struct cfm_config;
/* The map of one device: its tables (or none: interpolation) and limits. */
struct cfm_map;

/* Allocate an empty configuration into *cfgp. Returns 0 or -ENOMEM. */
int cfm_config_new(struct cfm_config **cfgp);

/* Free a configuration and every map in it; NULL is allowed. */
void cfm_config_free(struct cfm_config *cfg);

/*
 * Load the text configuration file at path (format: cpufreq-map(8)).
 * Nothing is added to cfg unless the whole file is valid.
 */
int cfm_config_load_file(struct cfm_config *cfg, const char *path);

/* As cfm_config_load_file(), from memory; name is used in messages. */
int cfm_config_load_text(struct cfm_config *cfg, const char *name,
			 const char *text, size_t len);

/*
 * Load the devfreq-cpufreq-map binding from a flattened tree (.dtb or
 * .dtbo). live_dir, if not NULL, is a live tree whose __symbols__ resolve
 * an overlay's unresolved target-dev references.
 */
int cfm_config_load_dtb(struct cfm_config *cfg, const char *path,
			const char *live_dir);

/* As cfm_config_load_dtb(), from memory; name is used in messages. */
int cfm_config_load_fdt(struct cfm_config *cfg, const char *name,
			const void *blob, size_t len, const char *live_dir);

/* Load the binding from a live tree directory (/proc/device-tree layout). */
int cfm_config_load_live(struct cfm_config *cfg, const char *dir);

/* Number of device maps in cfg. */
unsigned int cfm_config_nr_maps(const struct cfm_config *cfg);

/* The i-th map in load order, or NULL if i is out of range. */
const struct cfm_map *cfm_config_get_map(const struct cfm_config *cfg,
					 unsigned int i);

/* devfreq device name the map names directly (text config), else NULL. */
const char *cfm_map_device_name(const struct cfm_map *m);

/* Device tree path of the map's target-dev node (DT sources), else NULL. */
const char *cfm_map_target_node(const struct cfm_map *m);

/* Where the map was defined: "FILE:LINE" or "FILE: /node/path". */
const char *cfm_map_origin(const struct cfm_map *m);

/* The table shared by all CPUs, or NULL. */
const struct cfm_table *cfm_map_common_table(const struct cfm_map *m);

/* Number of per-policy tables (0 with a common table or interpolation). */
unsigned int cfm_map_nr_cpu_tables(const struct cfm_map *m);

/*
 * The i-th per-policy table in ascending CPU order; *cpu receives the
 * first CPU of the policy it belongs to. NULL if i is out of range.
 */
const struct cfm_table *cfm_map_cpu_table(const struct cfm_map *m,
					  unsigned int i, unsigned int *cpu);

/* Limits unset in the configuration read as CFM_UNSET (times) or 0 (Hz). */
#define CFM_UNSET UINT32_MAX

/* Optional per-device behaviour beyond the plain mapping. */
struct cfm_limits {
	uint64_t min_freq;		/* clamp, Hz; 0: none */
	uint64_t max_freq;		/* clamp, Hz; 0: none */
	uint32_t hold_down_ms;		/* delay before stepping down */
	uint32_t min_interval_ms;	/* minimum time between writes */
};

/* Copy the map's limits into *lim. */
void cfm_map_get_limits(const struct cfm_map *m, struct cfm_limits *lim);

/*
 * Device target for the given policies, before limits: the maximum over
 * all policies of the common table, the policy's own table (keyed by its
 * first CPU; a policy without one contributes nothing) or, for a map with
 * no table, cfm_interpolate() over [dev_min, dev_max].
 */
uint64_t cfm_map_target(const struct cfm_map *m, const struct cfm_policy *pol,
			unsigned int nr, uint64_t dev_min, uint64_t dev_max);

/*
 * Write the map's tables in the kernel governor's freq_map format into buf
 * (NUL-terminated, truncated to size). Returns the length the whole text
 * needs, as snprintf() does.
 */
int cfm_map_format(const struct cfm_map *m, char *buf, size_t size);

/* ----------------------------------------------------- governor (sysfs) */

/* Decide and report, but write nothing to sysfs. */
#define CFM_GOV_DRY_RUN		(1u << 0)

struct cfm_gov_params {
	const char *sysfs_root;		/* "/" or a fake tree; NULL means "/" */
	uint32_t hold_down_ms;		/* default for maps that set none */
	uint32_t min_interval_ms;	/* default for maps that set none */
	unsigned int flags;		/* CFM_GOV_* */
};

/* How a device is driven. */
enum cfm_control {
	CFM_CONTROL_USERSPACE,		/* governor userspace, userspace/set_freq */
	CFM_CONTROL_MIN_FREQ,		/* current governor kept, min_freq raised */
};

/* The governor: configured devices bound to their sysfs directories. */
struct cfm_gov;

/*
 * Read every cpufreq policy and bind each map of cfg to its devfreq device
 * (by name, or by device/of_node for a target-dev node), checking that the
 * device can be driven. Reads only: no device is changed. cfg must
 * outlive the governor. params may be NULL: sysfs root "/", no limits.
 */
int cfm_gov_open(struct cfm_gov **govp, const struct cfm_config *cfg,
		 const struct cfm_gov_params *params);

/* Free the governor; does not restore (see cfm_gov_restore()). */
void cfm_gov_close(struct cfm_gov *gov);

/*
 * Switch each device driven through userspace to the userspace governor.
 * On failure, devices already switched are switched back.
 */
int cfm_gov_start(struct cfm_gov *gov);

/*
 * Re-read every policy's scaling_cur_freq. Returns the number of policies
 * whose frequency changed. A policy that cannot be read (offline) becomes
 * inactive.
 */
int cfm_gov_refresh(struct cfm_gov *gov);

/*
 * Decide every device's target from the last policy readings and write the
 * targets that changed, honouring clamps, hold-down and minimum interval.
 * now_ns is a CLOCK_MONOTONIC time; *next_ns (may be NULL) receives the
 * time of the next pending decision or UINT64_MAX. Returns the number of
 * devices written (or that would be, with CFM_GOV_DRY_RUN).
 */
int cfm_gov_evaluate(struct cfm_gov *gov, uint64_t now_ns, uint64_t *next_ns);

/*
 * Put back what cfm_gov_start() and the writes changed: the saved governor,
 * and min_freq/max_freq where they differ from the saved values. Goes on
 * after an error and returns the first one.
 */
int cfm_gov_restore(struct cfm_gov *gov);

/* Number of cpufreq policies found. */
unsigned int cfm_gov_nr_policies(const struct cfm_gov *gov);

struct cfm_policy_info {
	unsigned int id;		/* N of policyN */
	const char *related_cpus;	/* as read, e.g. "0 1 2 3" */
	struct cfm_policy policy;	/* last reading */
	uint64_t changes;		/* frequency changes seen since open */
};

/* Fill *info for policy i. Returns 0 or -ERANGE. */
int cfm_gov_policy_info(const struct cfm_gov *gov, unsigned int i,
			struct cfm_policy_info *info);

/* Number of devices bound. */
unsigned int cfm_gov_nr_devices(const struct cfm_gov *gov);

struct cfm_device_info {
	const char *name;		/* devfreq name */
	const char *path;		/* its sysfs directory */
	const char *origin;		/* cfm_map_origin() of its map */
	const struct cfm_map *map;
	enum cfm_control control;
	const char *saved_governor;	/* governor at open */
	uint64_t saved_min_freq;	/* min_freq at open */
	uint64_t saved_max_freq;	/* max_freq at open */
	uint64_t range_min;		/* interpolation range: lowest and */
	uint64_t range_max;		/* highest available frequency */
	uint64_t target;		/* last decision, 0 before the first */
	uint64_t written;		/* last value written, 0 if none */
	uint64_t transitions;		/* writes since open */
};

/* Fill *info for device i. Returns 0 or -ERANGE. */
int cfm_gov_device_info(const struct cfm_gov *gov, unsigned int i,
			struct cfm_device_info *info);

/* Read device i's cur_freq into *freq. */
int cfm_gov_device_cur_freq(const struct cfm_gov *gov, unsigned int i,
			    uint64_t *freq);

#ifdef __cplusplus
}
#endif

#endif /* CPUFREQ_MAP_H */
