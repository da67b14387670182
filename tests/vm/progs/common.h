/* SPDX-License-Identifier: MIT */
/* Helpers shared by the VM test programs. */
#ifndef UBLKVM_PROGS_COMMON_H
#define UBLKVM_PROGS_COMMON_H

#include <stdbool.h>
#include <stdint.h>

/* The program's name, for messages. */
extern const char *prog_name;

/* Print "NAME: message" on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "NAME: message: strerror(-err)" on stderr. */
void msg_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);

/* This process's VmRSS in KiB, or -1. */
long vmrss_kib(void);

/* KiB of this process's anonymous memory in transparent huge pages, or -1. */
long anon_huge_kib(void);

/* Threads of this process: all of them, and io_uring's workers (iou-wrk-*). */
struct task_count {
	int total;
	int io_workers;
};
int count_tasks(struct task_count *tc);

/* Wait up to @timeout_ms for neither /dev/ublkbID nor /dev/ublkcID to exist. */
bool wait_nodes_gone(int id, unsigned int timeout_ms);

/* Parse a decimal in [min, max]; false if it is not one. */
bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
