/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "common/util.h"
#include "guest/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int parse(const char *s, struct vr_ctl_request *r, char *err)
{
	return vr_ctl_parse(s, strlen(s), r, err, 256);
}

static void test_parse_good(void **state)
{
	struct vr_ctl_request r;
	char err[256];

	(void)state;
	assert_int_equal(parse("status\n", &r, err), 0);
	assert_int_equal(r.verb, VR_CTL_STATUS);
	assert_false(r.json);
	assert_int_equal(parse("status json", &r, err), 0);
	assert_true(r.json);
	assert_int_equal(parse("compact\n", &r, err), 0);
	assert_int_equal(r.verb, VR_CTL_COMPACT);
	assert_int_equal(parse("dropcache", &r, err), 0);
	assert_int_equal(r.verb, VR_CTL_DROPCACHE);
	assert_int_equal(parse("reload\n", &r, err), 0);
	assert_int_equal(r.verb, VR_CTL_RELOAD);
	assert_int_equal(parse("reclaim 512MB\n", &r, err), 0);
	assert_int_equal(r.verb, VR_CTL_RECLAIM);
	assert_int_equal(r.bytes, 512 * VR_MIB);
	assert_false(r.all);
	assert_int_equal(parse("reclaim all", &r, err), 0);
	assert_true(r.all);
}

static void test_parse_hostile(void **state)
{
	static const struct {
		const char *in;
		const char *expect;
	} cases[] = {
		{ "", "empty request" },
		{ "\n", "empty request" },
		{ "halt", "unknown request 'halt'" },
		{ "STATUS", "unknown request" },
		{ "status xml", "takes no argument" },
		{ "compact now", "takes no argument" },
		{ "reclaim", "needs a size" },
		{ "reclaim ", "needs a size" },
		{ "reclaim 0", "not a size" },
		{ "reclaim -5MB", "not a size" },
		{ "reclaim 99999999999999TB", "not a size" },
		{ "reclaim 1GB;reboot", "not a size" },
		{ "status\tjson", "control or non-ASCII" },
		{ "status\r\n", "control or non-ASCII" },
		{ "st\xc3\xa4tus", "control or non-ASCII" },
	};
	struct vr_ctl_request r;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(cases[i].in, &r, err), -EINVAL);
		if (!strstr(err, cases[i].expect))
			fail_msg("'%s': got '%s', want '%s'", cases[i].in, err, cases[i].expect);
	}
}

static void test_parse_bounds(void **state)
{
	struct vr_ctl_request r;
	char buf[VR_CTL_REQUEST_MAX * 2], err[256];

	(void)state;
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(vr_ctl_parse(buf, sizeof(buf), &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	/* An embedded NUL is a control byte. */
	assert_int_equal(vr_ctl_parse("status\0json", 11, &r, err, sizeof(err)), -EINVAL);
	/* Exactly the longest allowed line. */
	memcpy(buf, "reclaim ", 8);
	memset(buf + 8, '1', VR_CTL_REQUEST_MAX - 1 - 8);
	assert_int_equal(vr_ctl_parse(buf, VR_CTL_REQUEST_MAX - 1, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a size"));
}

static void test_format_round_trip(void **state)
{
	const struct vr_ctl_request reqs[] = {
		{ .verb = VR_CTL_STATUS },
		{ .verb = VR_CTL_STATUS, .json = true },
		{ .verb = VR_CTL_COMPACT },
		{ .verb = VR_CTL_DROPCACHE },
		{ .verb = VR_CTL_RELOAD },
		{ .verb = VR_CTL_RECLAIM, .bytes = 123456789 },
		{ .verb = VR_CTL_RECLAIM, .all = true },
	};
	char buf[VR_CTL_REQUEST_MAX], err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct vr_ctl_request back;
		int n = vr_ctl_format(&reqs[i], buf, sizeof(buf));

		assert_true(n > 0);
		assert_int_equal(buf[n - 1], '\n');
		assert_int_equal(vr_ctl_parse(buf, (size_t)n, &back, err, sizeof(err)), 0);
		assert_memory_equal(&back, &reqs[i], sizeof(back));
	}
	assert_int_equal(vr_ctl_format(&reqs[0], buf, 4), -ENOSPC);
}

static void test_listen_and_call(void **state)
{
	char dir[] = "/tmp/vmreclaim-sock-XXXXXX", path[128], reply[256];
	struct vr_ctl_request req = { .verb = VR_CTL_RECLAIM, .bytes = 4096 };
	struct stat st;
	pid_t pid;
	int fd, status;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	fd = vr_ctl_listen(path);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[VR_CTL_REQUEST_MAX];
		int c;
		ssize_t n;

		for (;;) {
			c = accept(fd, NULL, NULL);
			if (c >= 0 || errno != EAGAIN)
				break;
			usleep(1000);
		}
		n = recv(c, buf, sizeof(buf), 0);
		if (n == 13 && memcmp(buf, "reclaim 4096\n", 13) == 0 && vr_ctl_peer_allowed(c))
			send(c, "ok\nreclaimed\n", 13, 0);
		else
			send(c, "error: bad\n", 11, 0);
		close(c);
		_exit(0);
	}
	assert_int_equal(vr_ctl_call(path, &req, reply, sizeof(reply), 5000), 0);
	assert_string_equal(reply, "ok\nreclaimed\n");
	waitpid(pid, &status, 0);
	/* A second daemon on the same live socket is refused. */
	assert_int_equal(vr_ctl_listen(path), -EADDRINUSE);
	close(fd);

	/* The listener is gone but the socket file stays: stale, replaced. */
	fd = vr_ctl_listen(path);
	assert_true(fd >= 0);
	/* Nobody answers: the call times out rather than hanging. */
	assert_int_equal(vr_ctl_call(path, &req, reply, sizeof(reply), 200), -ETIMEDOUT);
	close(fd);
	unlink(path);
	assert_int_equal(vr_ctl_call(path, &req, reply, sizeof(reply), 200), -ENOENT);
	rmdir(dir);
}

static void test_peer_allowed_self(void **state)
{
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_true(vr_ctl_peer_allowed(sv[0]));
	close(sv[0]);
	close(sv[1]);
	/* Not a socket: refused, not a crash. */
	assert_false(vr_ctl_peer_allowed(0 > 1 ? 0 : -1));
}

static void test_listen_path_too_long(void **state)
{
	char path[200];

	(void)state;
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(vr_ctl_listen(path), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_listen_and_call),
		cmocka_unit_test(test_peer_allowed_self),
		cmocka_unit_test(test_listen_path_too_long),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
