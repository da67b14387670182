/* SPDX-License-Identifier: MIT */
/* Helpers for the cpufreq-map host tests: exact checks and fake trees. */
#ifndef T_CFM_H
#define T_CFM_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

extern int t_failures;

#define T_EQ_U64(got, want)                                                    \
	do {                                                                   \
		uint64_t g_ = (got), w_ = (want);                              \
		if (g_ != w_) {                                                \
			fprintf(stderr, "%s:%d: %s = %" PRIu64 ", want %" PRIu64 "\n", \
				__FILE__, __LINE__, #got, g_, w_);             \
			t_failures++;                                          \
		}                                                              \
	} while (0)

#define T_EQ_INT(got, want)                                                    \
	do {                                                                   \
		long g_ = (got), w_ = (want);                                  \
		if (g_ != w_) {                                                \
			fprintf(stderr, "%s:%d: %s = %ld, want %ld\n",        \
				__FILE__, __LINE__, #got, g_, w_);             \
			t_failures++;                                          \
		}                                                              \
	} while (0)

#define T_EQ_STR(got, want)                                                    \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (!g_ || strcmp(g_, w_)) {                                   \
			fprintf(stderr, "%s:%d: %s =\n\"%s\"\nwant\n\"%s\"\n", \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)",  \
				w_);                                           \
			t_failures++;                                          \
		}                                                              \
	} while (0)

#define T_EXIT() (t_failures ? T_EXIT_FAIL : T_EXIT_PASS)

/* A temporary directory for a fake sysfs tree; removed by t_tree_free(). */
char *t_tree_new(void);
void t_tree_free(char *root);
/* Write root/rel (creating directories) with O_TRUNC, as sysfs would. */
void t_write(const char *root, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with len bytes of val, which may hold NULs. */
void t_write_bytes(const char *root, const char *rel, const void *val,
		   size_t len);
/* Contents of root/rel without the trailing newline ("" if unreadable). */
const char *t_read(const char *root, const char *rel);
void t_chmod(const char *root, const char *rel, unsigned int mode);

/* A policy: policy<id> with related_cpus, cpuinfo range and current kHz. */
void t_policy(const char *root, unsigned int id, const char *cpus,
	      uint32_t min, uint32_t max, uint32_t cur);
void t_set_cur(const char *root, unsigned int id, uint32_t cur);
/* A devfreq device; freqs may be NULL (no available_frequencies). */
void t_devfreq(const char *root, const char *name, const char *governors,
	       const char *freqs, uint64_t min, uint64_t max);

#endif /* T_CFM_H */
