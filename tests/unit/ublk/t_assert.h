/* SPDX-License-Identifier: MIT */
/* Minimal assertions for host tests: report the line, count failures. */
#ifndef T_ASSERT_H
#define T_ASSERT_H

#include <stdio.h>
#include <string.h>

static int t_failures;

#define T_CHECK(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			t_failures++;                                          \
		}                                                              \
	} while (0)

#define T_CHECK_STR(got, want)                                                 \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (!g_ || strcmp(g_, w_)) {                                   \
			fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n",     \
				__FILE__, __LINE__, g_ ? g_ : "(null)", w_);   \
			t_failures++;                                          \
		}                                                              \
	} while (0)

#define T_EXIT() (t_failures ? 1 : 0)

#endif
