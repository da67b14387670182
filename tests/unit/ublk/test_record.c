// SPDX-License-Identifier: MIT
/* Description: device records in the run directory round-trip and bad ones are refused. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "t_assert.h"
#include "ublk_tool.h"

static void test_round_trip(void)
{
	char dir[] = "/tmp/ublk-record-XXXXXX";
	struct dev_record in = { .target = "loop", .size = 3ULL << 40, .buffered = true,
				.pid = 4242 }, out;
	char path[96];

	char sub[64];

	T_CHECK(mkdtemp(dir) != NULL);
	/* The run directory is created, parents included, on first write. */
	snprintf(sub, sizeof(sub), "%s/run/ublk", dir);
	setenv("UBLK_RUN_DIR", sub, 1);
	snprintf(in.file, sizeof(in.file), "/srv/disk \"one\".img");

	T_CHECK(record_write(17, &in) == 0);
	T_CHECK(record_read(17, &out) == 0);
	T_CHECK_STR(out.target, "loop");
	T_CHECK_STR(out.file, "/srv/disk \"one\".img");
	T_CHECK(out.size == 3ULL << 40 && out.buffered);
	T_CHECK(out.pid == 4242);
	T_CHECK_STR(out.uri, "");
	snprintf(in.uri, sizeof(in.uri), "nbds://alice@[::1]:10809/e%%20x?tls-psk-file=/k\\\"q");
	T_CHECK(record_write(17, &in) == 0);
	T_CHECK(record_read(17, &out) == 0);
	T_CHECK_STR(out.uri, in.uri);
	T_CHECK_STR(out.file, "/srv/disk \"one\".img");

	/* No temporary file is left behind by the atomic write. */
	snprintf(path, sizeof(path), "%s/17.json.tmp", sub);
	T_CHECK(access(path, F_OK) != 0);

	record_remove(17);
	T_CHECK(record_read(17, &out) == -ENOENT);
	T_CHECK(rmdir(sub) == 0);
	snprintf(path, sizeof(path), "%s/run", dir);
	T_CHECK(rmdir(path) == 0);
	T_CHECK(rmdir(dir) == 0);
}

static void test_parse(void)
{
	struct dev_record s;

	T_CHECK(record_parse("{\"id\":1,\"target\":\"null\",\"backing_file\":null,"
			    "\"daemon_pid\":99}\n", &s) == 0);
	T_CHECK_STR(s.target, "null");
	T_CHECK_STR(s.file, "");
	T_CHECK(s.pid == 99);
	T_CHECK_STR(s.uri, "");
	T_CHECK(record_parse("{\"target\":\"nbd\",\"uri\":\"nbd+unix:///?socket=\\/s\"}", &s) == 0);
	T_CHECK_STR(s.target, "nbd");
	T_CHECK_STR(s.uri, "nbd+unix:///?socket=/s");
	T_CHECK(record_parse("{\"uri\":null}", &s) == 0 && !s.uri[0]);

	T_CHECK(s.size == 0 && !s.buffered);
	T_CHECK(record_parse("{\"size\":1048576,\"buffered\":false,\"daemon_pid\":1}", &s) == 0);
	T_CHECK(s.size == 1048576 && !s.buffered && s.pid == 1);
	T_CHECK(record_parse("{\"buffered\":true}", &s) == 0 && s.buffered);
	T_CHECK(record_parse("{\"buffered\":tru}", &s) == -EINVAL);
	T_CHECK(record_parse(" { } ", &s) == 0 && s.pid == -1);
	T_CHECK(record_parse("{\"unknown\":\"x\",\"target\":\"loop\"}", &s) == 0);
	T_CHECK_STR(s.target, "loop");

	T_CHECK(record_parse("", &s) == -EINVAL);
	T_CHECK(record_parse("[", &s) == -EINVAL);
	T_CHECK(record_parse("{\"target\":\"null\"", &s) == -EINVAL);
	T_CHECK(record_parse("{\"target\" \"null\"}", &s) == -EINVAL);
	T_CHECK(record_parse("{\"daemon_pid\":x}", &s) == -EINVAL);
	T_CHECK(record_parse("{\"target\":\"a\\qb\"}", &s) == -EINVAL);
	/* A target name longer than the field is refused, not truncated. */
	T_CHECK(record_parse("{\"target\":\"aaaaaaaaaaaaaaaaaaaaaaaa\"}", &s) == -EINVAL);
}

int main(void)
{
	test_round_trip();
	test_parse();
	return T_EXIT();
}
