// SPDX-License-Identifier: MIT
/* Description: numbers, sizes and `ublk add` options parse strictly; each target refuses, in one line, the options it does not take. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "t_assert.h"
#include "ublk_tool.h"

static int parse_args(struct add_opts *o, const char *a0, const char *a1,
		      const char *a2, const char *a3, const char *a4)
{
	const char *in[] = { "add", a0, a1, a2, a3, a4 };
	char *argv[7] = { 0 };
	int argc = 0;

	for (size_t i = 0; i < 6 && in[i]; i++)
		argv[argc++] = (char *)in[i];
	return parse_add_opts(argc, argv, o);
}

static void test_u32(void)
{
	uint32_t v = 7;

	T_CHECK(parse_u32("0", 0, 10, &v) == 0 && v == 0);
	T_CHECK(parse_u32("4096", 1, 4096, &v) == 0 && v == 4096);
	T_CHECK(parse_u32("4097", 1, 4096, &v) == -ERANGE);
	T_CHECK(parse_u32("0", 1, 4096, &v) == -ERANGE);
	T_CHECK(parse_u32("-1", 0, 10, &v) == -EINVAL);
	T_CHECK(parse_u32("12x", 0, 100, &v) == -EINVAL);
	T_CHECK(parse_u32("", 0, 100, &v) == -EINVAL);
	T_CHECK(parse_u32(" 5", 0, 100, &v) == -EINVAL);
	T_CHECK(parse_u32("99999999999999999999999", 0, UINT32_MAX, &v) == -ERANGE);
	T_CHECK(parse_u32("4294967296", 0, UINT32_MAX, &v) == -ERANGE);
}

static void test_size(void)
{
	uint64_t v = 0;

	T_CHECK(parse_size("512", &v) == 0 && v == 512);
	T_CHECK(parse_size("1K", &v) == 0 && v == 1024);
	T_CHECK(parse_size("64M", &v) == 0 && v == 64ULL << 20);
	T_CHECK(parse_size("250G", &v) == 0 && v == 250ULL << 30);
	T_CHECK(parse_size("2T", &v) == 0 && v == 2ULL << 40);
	T_CHECK(parse_size("1GiB", &v) == 0 && v == 1ULL << 30);
	T_CHECK(parse_size("100", &v) == -EINVAL);      /* not a multiple of 512 */
	T_CHECK(parse_size("0", &v) == -EINVAL);
	T_CHECK(parse_size("1X", &v) == -EINVAL);
	T_CHECK(parse_size("1Gx", &v) == -EINVAL);
	T_CHECK(parse_size("-1G", &v) == -EINVAL);
	T_CHECK(parse_size("99999999999T", &v) == -ERANGE);
	T_CHECK(parse_size("18446744073709551616", &v) == -ERANGE);
	/* Up to what a block device's signed 64-bit size holds. */
	T_CHECK(parse_size("9223372036854775296", &v) == 0 && v == MAX_DEV_SIZE);
	T_CHECK(parse_size("8388607T", &v) == 0 && v == 8388607ULL << 40);
	T_CHECK(parse_size("9223372036854775808", &v) == -ERANGE);
	T_CHECK(parse_size("8388608T", &v) == -ERANGE);
	T_CHECK(parse_size("18446744073709551104", &v) == -ERANGE);
}

static void test_dev_id(void)
{
	uint32_t v = 7;

	T_CHECK(parse_dev_id("0", &v) == 0 && v == 0);
	T_CHECK(parse_dev_id("1048575", &v) == 0 && v == MAX_DEV_ID);
	T_CHECK(parse_dev_id("1048576", &v) == -EINVAL);
	T_CHECK(parse_dev_id("0x10", &v) == -EINVAL);
	T_CHECK(parse_dev_id("-1", &v) == -EINVAL);
	T_CHECK(parse_dev_id("", &v) == -EINVAL);
}

static void test_add_opts(void)
{
	struct add_opts o;

	T_CHECK(parse_args(&o, "-t", "null", NULL, NULL, NULL) == 0);
	T_CHECK_STR(o.target, "null");
	T_CHECK(o.id == -1 && o.nr_queues == DEFAULT_QUEUES && o.depth == DEFAULT_DEPTH);
	T_CHECK(o.size == 0 && !o.file && !o.buffered && !o.foreground);

	T_CHECK(parse_args(&o, "-t", "nbd", "--uri", "nbd://h/x", NULL) == 0);
	T_CHECK_STR(o.uri, "nbd://h/x");
	T_CHECK(!o.file);
	T_CHECK(parse_args(&o, "-t", "nbd", "--uri=nbd://h/", "-q", "2") == 0);
	T_CHECK_STR(o.uri, "nbd://h/");
	T_CHECK(o.nr_queues == 2);

	T_CHECK(parse_args(&o, "-t", "loop", "-f", "/tmp/x", "--buffered") == 0);
	T_CHECK(!o.uri);
	T_CHECK_STR(o.file, "/tmp/x");
	T_CHECK(o.buffered);

	T_CHECK(parse_args(&o, "--type=null", "-q", "2", "-d", "64") == 0);
	T_CHECK(o.nr_queues == 2 && o.depth == 64);
	T_CHECK(parse_args(&o, "-t", "null", "-n", "7", "--foreground") == 0);
	T_CHECK(o.id == 7 && o.foreground);
	T_CHECK(parse_args(&o, "-t", "null", "-s", "1G", NULL) == 0);
	T_CHECK(o.size == 1ULL << 30);

	/* Recovery: -r enables it, -i and -e refine it. */
	T_CHECK(parse_args(&o, "-t", "null", NULL, NULL, NULL) == 0);
	T_CHECK(!o.user_recovery && recovery_flags(&o) == 0);
	T_CHECK(parse_args(&o, "-t", "null", "-r", "1", NULL) == 0);
	T_CHECK(o.user_recovery && !o.reissue && !o.fail_io);
	T_CHECK(recovery_flags(&o) == UBLK_FEAT_USER_RECOVERY);
	T_CHECK(parse_args(&o, "-t", "null", "-r", "0", NULL) == 0 && !o.user_recovery);
	T_CHECK(parse_args(&o, "-r", "1", "-i", "1", "-tnull") == 0);
	T_CHECK(recovery_flags(&o) == (UBLK_FEAT_USER_RECOVERY | UBLK_FEAT_USER_RECOVERY_REISSUE));
	T_CHECK(parse_args(&o, "-r", "1", "--recovery-fail-io=1", "-tnull", NULL) == 0);
	T_CHECK(recovery_flags(&o) == (UBLK_FEAT_USER_RECOVERY | UBLK_FEAT_USER_RECOVERY_FAIL_IO));
	T_CHECK(parse_args(&o, "-t", "null", "-r", "2", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-r", "yes", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-i", "1", NULL) == -EINVAL); /* needs -r 1 */
	T_CHECK(parse_args(&o, "-r", "0", "-e", "1", "-tnull") == -EINVAL);
	{
		char *argv[] = { "add", "-tnull", "-r1", "-i1", "-e1", NULL };

		T_CHECK(parse_add_opts(5, argv, &o) == -EINVAL); /* -i and -e exclude each other */
	}

	/* Bad input is refused. */
	T_CHECK(parse_args(&o, "-t", "null", "-q", "0", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-q", "5000", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-d", "0", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-d", "100000", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-n", "-3", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-s", "12345", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-s", "8388608T", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "-n", "1048576", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "loop", "-f", "", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "nbd", "--uri", "", NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "nbd", "--uri", NULL, NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "--bogus", NULL, NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", "null", "extra", NULL, NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-t", NULL, NULL, NULL, NULL) == -EINVAL);
	T_CHECK(parse_args(&o, "-q", "1", NULL, NULL, NULL) == -EINVAL); /* no target */
}

/*
 * What target_check_opts() says of `add -t @target a0 a1 a2 a3` (up to the
 * first NULL): "" if the target takes them, else its error line.
 */
static const char *check_opts(const char *target, const char *a0, const char *a1,
			      const char *a2, const char *a3)
{
	const char *in[] = { "add", "-t", target, a0, a1, a2, a3 };
	static char line[256];
	char *argv[8] = { 0 };
	struct add_opts o;
	FILE *f = tmpfile();
	int argc = 0, saved = dup(STDERR_FILENO), ret;

	for (size_t i = 0; i < 7 && in[i]; i++)
		argv[argc++] = (char *)in[i];
	T_CHECK(f && saved >= 0);
	T_CHECK(parse_add_opts(argc, argv, &o) == 0);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	ret = target_check_opts(target_find(target), &o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	fclose(f);
	T_CHECK((ret == 0) == !line[0]);
	return line;
}

static void test_target_opts(void)
{
	/* What each target takes. */
	T_CHECK_STR(check_opts("null", NULL, NULL, NULL, NULL), "");
	T_CHECK_STR(check_opts("null", "-s", "1G", "--buffered", NULL), "");
	T_CHECK_STR(check_opts("loop", "-f", "/x", "-s", "1M"), "");
	T_CHECK_STR(check_opts("loop", "-f", "/x", "--buffered", NULL), "");
	T_CHECK_STR(check_opts("nbd", "--uri", "nbd://h/", NULL, NULL), "");

	/* One line for every option a target does not take... */
	T_CHECK_STR(check_opts("null", "-f", "/x", NULL, NULL),
		    "ublk: target null takes no backing file (-f)");
	T_CHECK_STR(check_opts("null", "--uri", "nbd://h/", NULL, NULL),
		    "ublk: target null takes no NBD URI (--uri)");
	T_CHECK_STR(check_opts("loop", "-f", "/x", "--uri", "nbd://h/"),
		    "ublk: target loop takes no NBD URI (--uri)");
	T_CHECK_STR(check_opts("nbd", "--uri", "nbd://h/", "-f", "/x"),
		    "ublk: target nbd takes no backing file (-f)");
	T_CHECK_STR(check_opts("nbd", "--uri", "nbd://h/", "-s", "64M"),
		    "ublk: target nbd takes no size (-s)");
	T_CHECK_STR(check_opts("nbd", "--uri", "nbd://h/", "--buffered", NULL),
		    "ublk: target nbd takes no buffered IO (--buffered)");
	/* ... before one it needs. */
	T_CHECK_STR(check_opts("nbd", "-f", "/x", NULL, NULL),
		    "ublk: target nbd takes no backing file (-f)");
	T_CHECK_STR(check_opts("loop", NULL, NULL, NULL, NULL),
		    "ublk: target loop needs a backing file: -f FILE");
	T_CHECK_STR(check_opts("nbd", NULL, NULL, NULL, NULL),
		    "ublk: target nbd needs the server: --uri URI");
}

static void test_targets(void)
{
	T_CHECK(target_find("null") == &null_target);
	T_CHECK(target_find("loop") == &loop_target);
	T_CHECK(target_find("nbd") == &nbd_target);
	T_CHECK(target_find("nope") == NULL);
}

int main(void)
{
	test_u32();
	test_size();
	test_dev_id();
	test_add_opts();
	test_targets();
	test_target_opts();
	return T_EXIT();
}
