/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "common/util.h"
#include "guest/control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
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
	assert_int_equal(st.st_mode & 0777, 0666);
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

static void test_verb_allowed(void **state)
{
	char err[256];
	struct vr_ctl_request r;

	(void)state;
	assert_true(vr_ctl_verb_allowed(VR_CTL_STATUS, false));
	assert_false(vr_ctl_verb_allowed(VR_CTL_COMPACT, false));
	assert_false(vr_ctl_verb_allowed(VR_CTL_DROPCACHE, false));
	assert_false(vr_ctl_verb_allowed(VR_CTL_RECLAIM, false));
	assert_false(vr_ctl_verb_allowed(VR_CTL_RELOAD, false));
	assert_true(vr_ctl_verb_allowed(VR_CTL_RELOAD, true));
	/* 2^64-1 was the daemon's "all": a number never means all. */
	assert_int_equal(parse("reclaim 18446744073709551615", &r, err), -EINVAL);
	assert_non_null(strstr(err, "say 'all'"));
	assert_int_equal(parse("reclaim 18446744073709551614", &r, err), 0);
	assert_false(r.all);
}

struct served {
	int calls;
	enum vr_ctl_verb verb;
};

static void count_handler(void *ctx, int fd, const struct vr_ctl_request *req)
{
	struct served *sv = ctx;

	sv->calls++;
	sv->verb = req->verb;
	send(fd, "ok\n", 3, MSG_NOSIGNAL);
}

/* One round of the daemon's loop, at the fake time @now (no waiting). */
static void server_round(struct vr_ctl_server *s, uint64_t now, struct served *sv)
{
	struct pollfd p[1 + VR_CTL_CLIENTS_MAX];
	size_t n = vr_ctl_server_pollfds(s, p);

	assert_true(poll(p, (nfds_t)n, 100) >= 0);
	vr_ctl_server_events(s, p, n, now, count_handler, sv);
}

static int client_connect(const char *path)
{
	int fd = vr_unix_connect(path);

	assert_true(fd >= 0);
	return fd;
}

static size_t read_reply(int fd, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 1000) <= 0)
		return 0;
	n = recv(fd, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static size_t open_clients(const struct vr_ctl_server *s)
{
	size_t i, n = 0;

	for (i = 0; i < VR_CTL_CLIENTS_MAX; i++)
		n += s->client[i].fd >= 0;
	return n;
}

/* Silent clients cost the others nothing: the request that comes whole is
 * answered in the round it arrives, the silent ones wait their deadline,
 * one client too many is told "busy", and at the deadline the silent ones
 * are told why and closed. */
static void test_server_silent_clients(void **state)
{
	char dir[] = "/tmp/vmreclaim-srv-XXXXXX", path[128], buf[256];
	int silent[VR_CTL_CLIENTS_MAX], talker, extra, i;
	struct vr_ctl_server s;
	struct served sv = { 0 };
	const uint64_t t0 = 1000000, timeout = 2000000;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	vr_ctl_server_init(&s, vr_ctl_listen(path), timeout);
	assert_true(s.listen_fd >= 0);
	for (i = 0; i < 10; i++)
		silent[i] = client_connect(path);
	server_round(&s, t0, &sv);
	assert_int_equal(open_clients(&s), 10);
	assert_int_equal(vr_ctl_server_timeout_ms(&s, t0), 2000);

	talker = client_connect(path);
	server_round(&s, t0 + 1000, &sv); /* accepted */
	assert_int_equal(send(talker, "status\n", 7, 0), 7);
	server_round(&s, t0 + 2000, &sv); /* answered */
	assert_int_equal(sv.calls, 1);
	assert_int_equal(sv.verb, VR_CTL_STATUS);
	assert_true(read_reply(talker, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ok\n");
	close(talker);
	assert_int_equal(open_clients(&s), 10);

	/* Fill every slot; the next one is turned away at once. */
	for (i = 10; i < VR_CTL_CLIENTS_MAX; i++)
		silent[i] = client_connect(path);
	server_round(&s, t0 + 3000, &sv);
	assert_int_equal(open_clients(&s), VR_CTL_CLIENTS_MAX);
	extra = client_connect(path);
	server_round(&s, t0 + 4000, &sv);
	assert_true(read_reply(extra, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "error: busy"));
	close(extra);

	/* The deadline: each silent client hears why and is closed. */
	server_round(&s, t0 + timeout + 5000, &sv);
	assert_int_equal(open_clients(&s), 0);
	assert_true(read_reply(silent[0], buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "no whole request line in time"));
	for (i = 0; i < VR_CTL_CLIENTS_MAX; i++)
		close(silent[i]);
	assert_int_equal(sv.calls, 1);
	close(s.listen_fd);
	unlink(path);
	rmdir(dir);
}

/* A request sent in pieces is put together; one that arrived while the
 * loop was busy past its deadline is still answered. */
static void test_server_pieces_and_late_round(void **state)
{
	char dir[] = "/tmp/vmreclaim-srv-XXXXXX", path[128], buf[256];
	struct vr_ctl_server s;
	struct served sv = { 0 };
	int c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	vr_ctl_server_init(&s, vr_ctl_listen(path), 2000000);
	c = client_connect(path);
	server_round(&s, 10, &sv);
	assert_int_equal(send(c, "sta", 3, 0), 3);
	server_round(&s, 20, &sv);
	assert_int_equal(sv.calls, 0);
	assert_int_equal(send(c, "tus json\n", 9, 0), 9);
	/* The loop comes back only after the deadline (a long action). */
	server_round(&s, 5000000, &sv);
	assert_int_equal(sv.calls, 1);
	assert_true(read_reply(c, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "ok\n");
	close(c);
	close(s.listen_fd);
	unlink(path);
	rmdir(dir);
}

/* Other users may read the status and nothing more; they cannot take the
 * slots kept for root. */
static void test_server_unprivileged(void **state)
{
	char dir[] = "/tmp/vmreclaim-srv-XXXXXX", path[128];
	struct vr_ctl_server s;
	struct served sv = { 0 };
	int pipefd[2], i, status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip(); /* needs root to become another user */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	vr_ctl_server_init(&s, vr_ctl_listen(path), 2000000);
	assert_true(s.listen_fd >= 0);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[256], verdict = 'y';
		int fds[VR_CTL_UNPRIV_MAX + 1], c;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		/* compact: refused with the reason */
		c = vr_unix_connect(path);
		if (c < 0 || send(c, "compact\n", 8, 0) != 8 || !read_reply(c, buf, sizeof(buf)) ||
		    !strstr(buf, "permission denied"))
			verdict = 'a';
		close(c);
		/* status: answered */
		c = vr_unix_connect(path);
		if (c < 0 || send(c, "status\n", 7, 0) != 7 || !read_reply(c, buf, sizeof(buf)) ||
		    strcmp(buf, "ok\n") != 0)
			verdict = verdict == 'y' ? 'b' : verdict;
		close(c);
		/* VR_CTL_UNPRIV_MAX silent ones fit; one more is busy */
		for (i = 0; i <= VR_CTL_UNPRIV_MAX; i++)
			fds[i] = vr_unix_connect(path);
		if (!read_reply(fds[VR_CTL_UNPRIV_MAX], buf, sizeof(buf)) || !strstr(buf, "busy"))
			verdict = verdict == 'y' ? 'c' : verdict;
		if (write(pipefd[1], &verdict, 1) != 1)
			_exit(4);
		/* hold them until the parent has looked */
		if (read(pipefd[1], buf, 1) < 0)
			_exit(0);
		_exit(0);
	}
	close(pipefd[1]);
	for (i = 0; i < 200; i++) {
		struct pollfd w = { .fd = pipefd[0], .events = POLLIN };

		server_round(&s, 10, &sv);
		if (poll(&w, 1, 0) > 0)
			break;
	}
	{
		char verdict = 0;

		assert_int_equal(read(pipefd[0], &verdict, 1), 1);
		assert_int_equal(verdict, 'y');
	}
	/* Root still gets in beside the other user's clients. */
	{
		int c = client_connect(path);
		char buf[64];

		server_round(&s, 20, &sv);
		assert_int_equal(send(c, "compact\n", 8, 0), 8);
		server_round(&s, 30, &sv);
		assert_true(read_reply(c, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, "ok\n");
		assert_int_equal(sv.verb, VR_CTL_COMPACT);
		close(c);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	vr_ctl_server_close_clients(&s);
	close(s.listen_fd);
	unlink(path);
	rmdir(dir);
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
		cmocka_unit_test(test_verb_allowed),
		cmocka_unit_test(test_server_silent_clients),
		cmocka_unit_test(test_server_pieces_and_late_round),
		cmocka_unit_test(test_server_unprivileged),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
