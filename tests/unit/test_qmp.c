/* SPDX-License-Identifier: MIT */
/* The QMP client against a scripted fake QEMU (a forked child on a
 * socketpair), the guest-stats parser on strings, and one run against a
 * real QEMU when qemu-system-x86_64 is installed. */
#include "helpers.h"
#include "common/util.h"
#include "host/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* What QEMU 7.2 sends, byte for byte. */
#define GREETING                                                                          \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define CAPS_OK "{\"return\": {}, \"id\": @ID@}\r\n"
#define EVENT                                                                        \
	"{\"timestamp\": {\"seconds\": 1795309869, \"microseconds\": 989478}, "       \
	"\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n"
#define U64_MAX_TEXT "18446744073709551615"

#define TIMEOUT_MS 5000
#define SHORT_MS 200

/* One step of the fake QEMU: read a request line that must contain
 * @expect (when set), send @send (when set; "@ID@" becomes the request's
 * id), then go on, close, or flood. */
enum step_then { NEXT, CLOSE, FLOOD, EVENTS_FOREVER };

struct step {
	const char *expect;
	const char *send;
	enum step_then then;
};

/* Child side: one line, byte by byte (simple, and tests are small). */
static ssize_t child_read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, 1);

		if (n <= 0)
			return -1;
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static void child_send(int fd, const char *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, data + done, len - done, MSG_NOSIGNAL);

		if (n <= 0)
			_exit(0); /* the client gave up on us: that is the test */
		done += (size_t)n;
	}
}

/* @send with "@ID@" replaced by the request's id (as JSON text). */
static void child_reply(int fd, const char *send_text, const char *request)
{
	const char *at = strstr(send_text, "@ID@");
	char id_text[64] = "null";

	if (at && request) {
		json_t *req = json_loads(request, 0, NULL);
		char *t = req ? json_dumps(json_object_get(req, "id"), JSON_ENCODE_ANY) : NULL;

		if (t)
			snprintf(id_text, sizeof(id_text), "%s", t);
		free(t);
		json_decref(req);
	}
	if (!at) {
		child_send(fd, send_text, strlen(send_text));
		return;
	}
	child_send(fd, send_text, (size_t)(at - send_text));
	child_send(fd, id_text, strlen(id_text));
	child_reply(fd, at + 4, request);
}

static void run_script(int fd, const struct step *steps, size_t n)
{
	static char big[64 * 1024];
	char line[4096];
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		const struct step *s = &steps[i];

		line[0] = '\0';
		if (s->expect) {
			if (child_read_line(fd, line, sizeof(line)) < 0) {
				fprintf(stderr, "fake qemu: step %zu: no request\n", i);
				_exit(3);
			}
			if (!strstr(line, s->expect)) {
				fprintf(stderr, "fake qemu: step %zu: got '%s', want '%s'\n", i,
					line, s->expect);
				bad = 1;
			}
		}
		if (s->send)
			child_reply(fd, s->send, line);
		if (s->then == CLOSE) {
			close(fd);
			_exit(bad);
		}
		if (s->then == FLOOD) {
			/* 2 MiB and no newline; blocks once the client stops
			 * reading, and ends when it closes. */
			size_t sent;

			memset(big, 'x', sizeof(big));
			big[0] = '{';
			for (sent = 0; sent < 2 * VR_MIB; sent += sizeof(big))
				child_send(fd, big, sizeof(big));
		}
		if (s->then == EVENTS_FOREVER) {
			for (;;) {
				child_send(fd, EVENT, strlen(EVENT));
				usleep(1000);
			}
		}
	}
	/* Stay until the client closes, so a missing request shows as a
	 * failed step rather than a surprise EOF on the client. */
	while (child_read_line(fd, line, sizeof(line)) >= 0)
		;
	_exit(bad);
}

/* A child keeps no other test's socket open: when an assertion ends a
 * test early, its fake QEMU still sees the client go. */
static void close_other_fds(int keep)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != keep)
			close(fd);
}

struct fake {
	pid_t pid;
	int fd; /* the client's end */
};

static void fake_start(struct fake *f, const struct step *steps, size_t n)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		close_other_fds(sv[1]);
		run_script(sv[1], steps, n);
	}
	close(sv[1]);
	f->fd = sv[0];
}

/* Wait for the fake QEMU; every request matched its step. */
static void fake_end(struct fake *f)
{
	int status;

	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define FAKE(f, steps) fake_start(f, steps, VR_ARRAY_SIZE(steps))

static void assert_contains(const char *s, const char *needle)
{
	if (!strstr(s, needle))
		fail_msg("'%s' does not contain '%s'", s, needle);
}

static uint64_t elapsed_ms(uint64_t start_usec)
{
	return (vr_now_usec() - start_usec) / VR_USEC_PER_MSEC;
}

/* --- a normal session ------------------------------------------------- */

static void test_session(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "{\"execute\":\"qmp_capabilities\",\"id\":1}", CAPS_OK, NEXT },
		{ "\"execute\":\"query-status\"",
		  "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, "
		  "\"id\": @ID@}\r\n",
		  NEXT },
		{ "\"arguments\":{\"path\":\"/machine\",\"property\":\"type\"}",
		  "{\"return\": \"pc-i440fx-7.2-machine\"}\r\n", NEXT },
		{ "\"execute\":\"query-balloon\"", "{\"return\": {\"actual\": 1073741824}}\r\n",
		  NEXT },
		{ "\"arguments\":{\"path\":\"/machine/peripheral/balloon0\","
		  "\"property\":\"guest-stats-polling-interval\",\"value\":5}",
		  "{\"return\": {}, \"id\": @ID@}\r\n", NEXT },
		{ "\"property\":\"guest-stats\"",
		  "{\"return\": {\"stats\": {\"stat-swap-in\": 0, \"stat-total-memory\": 2074116096, "
		  "\"stat-free-memory\": 1650180096, \"stat-available-memory\": 1802354688, "
		  "\"stat-disk-caches\": 152760320, \"stat-htlb-pgfail\": 0}, "
		  "\"last-update\": 1795309869}, \"id\": @ID@}\r\n",
		  NEXT },
		{ "\"execute\":\"quit\"", EVENT "{\"return\": {}, \"id\": @ID@}\r\n", CLOSE },
	};
	struct vr_guest_stats gs;
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "", *ret = NULL;
	uint64_t actual = 0;

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_non_null(q);

	assert_int_equal(vr_qmp_command(q, "query-status", NULL, &ret, err, sizeof(err)), 0);
	assert_string_equal(ret, "{\"status\":\"running\",\"singlestep\":false,\"running\":true}");
	free(ret);
	/* A "return" that is not an object, and arguments passed through. */
	assert_int_equal(vr_qmp_command(q, "qom-get",
					"{\"path\": \"/machine\", \"property\": \"type\"}", &ret,
					err, sizeof(err)),
			 0);
	assert_string_equal(ret, "\"pc-i440fx-7.2-machine\"");
	free(ret);

	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), 0);
	assert_int_equal(actual, VR_GIB);
	assert_int_equal(vr_qmp_set_stats_interval(q, "/machine/peripheral/balloon0", 5, err,
						   sizeof(err)),
			 0);
	assert_int_equal(vr_qmp_guest_stats(q, "/machine/peripheral/balloon0", &gs, err,
					    sizeof(err)),
			 0);
	assert_int_equal(gs.last_update, 1795309869);
	assert_int_equal(gs.total_bytes, 2074116096);
	assert_int_equal(gs.free_bytes, 1650180096);
	assert_int_equal(gs.available_bytes, 1802354688);
	assert_int_equal(gs.cache_bytes, 152760320);
	/* QEMU 7.2 sends the SHUTDOWN event before quit's reply. */
	assert_int_equal(vr_qmp_quit(q, err, sizeof(err)), 0);
	vr_qmp_close(q);
	fake_end(&f);
}

/* Bad arguments are refused before anything is sent, and leave the
 * connection usable. */
static void test_bad_arguments(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-version", "{\"return\": {}}\n", NEXT },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "", *ret = (char *)"untouched";

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "qom-get", "{\"path\":", &ret, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "not JSON");
	assert_int_equal(vr_qmp_command(q, "qom-get", "[1, 2]", &ret, err, sizeof(err)), -EINVAL);
	assert_contains(err, "not a JSON object");
	assert_int_equal(vr_qmp_command(q, "", NULL, &ret, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_qmp_command(q, "qom-\xff", NULL, &ret, err, sizeof(err)), -EINVAL);
	assert_contains(err, "UTF-8");
	/* jansson cannot hold 2^64 - 1: refused rather than sent rounded. */
	assert_int_equal(vr_qmp_command(q, "qom-set", "{\"value\": " U64_MAX_TEXT "}", &ret, err,
					sizeof(err)),
			 -EINVAL);
	assert_string_equal(ret, "untouched");
	/* NULL @ret_json and NULL @err are allowed. */
	assert_int_equal(vr_qmp_command(q, "query-version", NULL, NULL, NULL, 0), 0);
	vr_qmp_close(q);
	fake_end(&f);
}

/* --- events ------------------------------------------------------------- */

static void test_events_skipped(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		/* Events and a blank line before the handshake's reply. */
		{ "qmp_capabilities", EVENT EVENT "\r\n" CAPS_OK, NEXT },
		/* Many events and the reply in one write; bare "\n" ends. */
		{ "query-balloon",
		  EVENT EVENT EVENT EVENT EVENT "{\"return\": {\"actual\": 4096}, \"id\": @ID@}\n" EVENT,
		  NEXT },
		/* The trailing event of the last step comes first here. */
		{ "query-balloon", "{\"return\": {\"actual\": 8192}}\r\n", NEXT },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	uint64_t actual = 0;
	char err[256] = "";

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), 0);
	assert_int_equal(actual, 4096);
	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), 0);
	assert_int_equal(actual, 8192);
	vr_qmp_close(q);
	fake_end(&f);
}

/* A peer that sends events forever cannot hold a command past its
 * deadline. */
static void test_endless_events(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-status", NULL, EVENTS_FOREVER },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "";
	uint64_t start;

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, SHORT_MS, &q, err, sizeof(err)), 0);
	start = vr_now_usec();
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_true(elapsed_ms(start) >= SHORT_MS - 10 && elapsed_ms(start) < 2000);
	assert_contains(err, "200 ms");
	vr_qmp_close(q);
	fake_end(&f);
}

/* --- errors from QEMU ------------------------------------------------------ */

static void test_error_reply(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-balloon",
		  "{\"error\": {\"class\": \"DeviceNotActive\", \"desc\": \"No balloon device has been "
		  "activated\"}}\r\n",
		  NEXT },
		{ "guest-stats",
		  EVENT "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Device "
			"'/machine/peripheral/nope' not found\"}, \"id\": @ID@}\r\n",
		  NEXT },
		{ "frobnicate", "{\"error\": {\"class\": \"CommandNotFound\"}}\r\n", NEXT },
		/* Still usable after errors from QEMU. */
		{ "query-balloon", "{\"return\": {\"actual\": 1}}\r\n", NEXT },
	};
	struct vr_guest_stats gs = { .total_bytes = 42 };
	struct vr_qmp *q = NULL;
	struct fake f;
	uint64_t actual = 7;
	char err[256] = "";

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), -EREMOTEIO);
	assert_string_equal(err, "No balloon device has been activated");
	assert_int_equal(actual, 7);
	assert_int_equal(vr_qmp_guest_stats(q, "/machine/peripheral/nope", &gs, err, sizeof(err)),
			 -EREMOTEIO);
	assert_string_equal(err, "Device '/machine/peripheral/nope' not found");
	assert_int_equal(gs.total_bytes, 42);
	assert_int_equal(vr_qmp_command(q, "frobnicate", NULL, NULL, err, sizeof(err)),
			 -EREMOTEIO);
	assert_contains(err, "without description");
	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), 0);
	assert_int_equal(actual, 1);
	vr_qmp_close(q);
	fake_end(&f);
}

/* qmp_capabilities refused: QEMU's own message comes through. */
static void test_handshake_refused(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities",
		  "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities negotiation "
		  "is already complete, command ignored\"}}\r\n",
		  NEXT },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "";

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), -EREMOTEIO);
	assert_null(q);
	assert_contains(err, "already complete");
	close(f.fd);
	fake_end(&f);
}

/* --- hostile or broken peers -------------------------------------------- */

/* The connection fails with @expect and a message holding @needle. */
static void expect_connect_fails(const struct step *steps, size_t n, int timeout_ms, int expect,
				 const char *needle)
{
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "";
	int r;

	fake_start(&f, steps, n);
	r = vr_qmp_connect_fd(f.fd, timeout_ms, &q, err, sizeof(err));
	if (r != expect)
		fail_msg("got %d (%s), want %d", r, err, expect);
	assert_null(q);
	assert_contains(err, needle);
	close(f.fd);
	fake_end(&f);
}

static void test_not_qmp(void **state)
{
	static const struct step no_qmp[] = { { NULL, "{\"hello\": {\"version\": 1}}\r\n", NEXT } };
	static const struct step qmp_not_obj[] = { { NULL, "{\"QMP\": 1}\r\n", NEXT } };
	static const struct step ssh[] = { { NULL, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", NEXT } };
	static const struct step array[] = { { NULL, "[\"QMP\"]\r\n", NEXT } };
	static const struct step number[] = { { NULL, "42\n", NEXT } };
	static const struct step binary[] = { { NULL, "\x16\x03\x01\x02\xff\x01\n", NEXT } };
	static const struct step two[] = { { NULL, "{\"QMP\": {}} {\"QMP\": {}}\n", NEXT } };

	(void)state;
	expect_connect_fails(no_qmp, 1, TIMEOUT_MS, -EPROTO, "no \"QMP\" member");
	expect_connect_fails(qmp_not_obj, 1, TIMEOUT_MS, -EPROTO, "no \"QMP\" member");
	expect_connect_fails(ssh, 1, TIMEOUT_MS, -EPROTO, "not JSON");
	expect_connect_fails(ssh, 1, TIMEOUT_MS, -EPROTO, "'SSH-2.0-OpenSSH_9.2p1 Debian-2'");
	expect_connect_fails(array, 1, TIMEOUT_MS, -EPROTO, "not a JSON object");
	expect_connect_fails(number, 1, TIMEOUT_MS, -EPROTO, "not JSON");
	expect_connect_fails(binary, 1, TIMEOUT_MS, -EPROTO, "'?????");
	expect_connect_fails(two, 1, TIMEOUT_MS, -EPROTO, "not JSON");
}

static void test_garbage_reply(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-status", "{\"return\": {}\r\n", NEXT },
	};
	static const struct step neither[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-status", "{\"retrun\": {}}\r\n", NEXT },
	};
	static const struct step other_id[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-status", "{\"return\": {}, \"id\": 999}\r\n", NEXT },
	};
	static const struct step bad_actual[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-balloon", "{\"return\": {\"actual\": -4096}}\r\n", NEXT },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	uint64_t actual = 3;
	char err[256] = "";

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)), -EPROTO);
	assert_contains(err, "not JSON");
	/* Where the next reply starts is unknown now: no more commands. */
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)),
			 -ENOTCONN);
	assert_contains(err, "earlier error");
	vr_qmp_close(q);
	fake_end(&f);

	FAKE(&f, neither);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)), -EPROTO);
	assert_contains(err, "neither");
	vr_qmp_close(q);
	fake_end(&f);

	FAKE(&f, other_id);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)), -EPROTO);
	assert_contains(err, "another command");
	vr_qmp_close(q);
	fake_end(&f);

	FAKE(&f, bad_actual);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), -EPROTO);
	assert_int_equal(actual, 3);
	vr_qmp_close(q);
	fake_end(&f);
}

static void test_peer_closes(void **state)
{
	static const struct step at_once[] = { { NULL, NULL, CLOSE } };
	static const struct step mid_greeting[] = { { NULL, "{\"QMP\": {\"version\"", CLOSE } };
	static const struct step mid_reply[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-status", EVENT "{\"return\": {\"sta", CLOSE },
	};
	static const struct step no_reply[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-status", NULL, CLOSE },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "";

	(void)state;
	expect_connect_fails(at_once, 1, TIMEOUT_MS, -ECONNRESET, "closed the connection");
	expect_connect_fails(mid_greeting, 1, TIMEOUT_MS, -ECONNRESET, "middle of a message");

	FAKE(&f, mid_reply);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)),
			 -ECONNRESET);
	assert_contains(err, "middle of a message");
	vr_qmp_close(q);
	fake_end(&f);

	FAKE(&f, no_reply);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)),
			 -ECONNRESET);
	assert_string_equal(err, "QMP: QEMU closed the connection");
	vr_qmp_close(q);
	fake_end(&f);
}

/* Sending to a QEMU that has gone: -EPIPE, and no SIGPIPE. */
static void test_send_to_closed_peer(void **state)
{
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, CLOSE },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "";

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	fake_end(&f); /* the peer's end is closed for sure */
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)), -EPIPE);
	assert_string_equal(err, "QMP: QEMU closed the connection");
	vr_qmp_close(q);
}

static void test_timeout(void **state)
{
	static const struct step silent[] = { { NULL, NULL, NEXT } };
	static const struct step no_caps_reply[] = { { NULL, GREETING, NEXT } };
	static const struct step no_reply[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "";
	uint64_t start;

	(void)state;
	start = vr_now_usec();
	expect_connect_fails(silent, 1, SHORT_MS, -ETIMEDOUT, "within 200 ms");
	assert_true(elapsed_ms(start) >= SHORT_MS - 10 && elapsed_ms(start) < 2000);
	expect_connect_fails(no_caps_reply, 1, SHORT_MS, -ETIMEDOUT, "within 200 ms");

	FAKE(&f, no_reply);
	assert_int_equal(vr_qmp_connect_fd(f.fd, SHORT_MS, &q, err, sizeof(err)), 0);
	start = vr_now_usec();
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_true(elapsed_ms(start) >= SHORT_MS - 10 && elapsed_ms(start) < 2000);
	/* A late reply could still come: the connection is not reused. */
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)),
			 -ENOTCONN);
	vr_qmp_close(q);
	fake_end(&f);

	/* Without a deadline nothing would be safe: refused. */
	assert_int_equal(vr_qmp_connect_fd(0, 0, &q, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_qmp_connect("/nonexistent/qmp.sock", -1, &q, err, sizeof(err)),
			 -EINVAL);
}

static void test_flood(void **state)
{
	static const struct step greeting_flood[] = { { NULL, NULL, FLOOD } };
	static const struct step reply_flood[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-status", EVENT, FLOOD },
	};
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "";

	(void)state;
	expect_connect_fails(greeting_flood, 1, TIMEOUT_MS, -EMSGSIZE, "over 1048576 bytes");

	FAKE(&f, reply_flood);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, NULL, err, sizeof(err)),
			 -EMSGSIZE);
	vr_qmp_close(q);
	fake_end(&f);
}

/* A reply of exactly the limit (1 MiB with its "\r\n") is fine; one byte
 * more is not. */
static void large_reply(size_t size, int expect)
{
	static char reply[VR_MIB + 2];
	const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "query-qmp-schema", reply, NEXT },
	};
	const size_t head = strlen("{\"return\": \""), tail = strlen("\"}\r\n");
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "", *ret = NULL;

	assert_true(size < sizeof(reply));
	memset(reply, 'a', size);
	memcpy(reply, "{\"return\": \"", head);
	memcpy(reply + size - tail, "\"}\r\n", tail);
	reply[size] = '\0';
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_command(q, "query-qmp-schema", NULL, &ret, err, sizeof(err)),
			 expect);
	if (expect == 0) {
		assert_int_equal(strlen(ret), size - head - tail + 2);
		free(ret);
	}
	vr_qmp_close(q);
	fake_end(&f);
}

static void test_large_reply(void **state)
{
	(void)state;
	large_reply(VR_MIB, 0);
	large_reply(VR_MIB + 1, -EMSGSIZE);
}

/* --- guest-stats ------------------------------------------------------ */

static void test_stats_not_reported(void **state)
{
	/* What QEMU 7.2 answers before the guest has reported (captured). */
	static const struct step steps[] = {
		{ NULL, GREETING, NEXT },
		{ "qmp_capabilities", CAPS_OK, NEXT },
		{ "guest-stats",
		  "{\"return\": {\"stats\": {\"stat-htlb-pgalloc\": " U64_MAX_TEXT
		  ", \"stat-swap-out\": " U64_MAX_TEXT ", \"stat-available-memory\": " U64_MAX_TEXT
		  ", \"stat-htlb-pgfail\": " U64_MAX_TEXT ", \"stat-free-memory\": " U64_MAX_TEXT
		  ", \"stat-minor-faults\": " U64_MAX_TEXT ", \"stat-major-faults\": " U64_MAX_TEXT
		  ", \"stat-total-memory\": " U64_MAX_TEXT ", \"stat-swap-in\": " U64_MAX_TEXT
		  ", \"stat-disk-caches\": " U64_MAX_TEXT "}, \"last-update\": 0}, \"id\": @ID@}\r\n",
		  NEXT },
		/* Some reported, some -1, some missing. */
		{ "guest-stats",
		  "{\"return\": {\"stats\": {\"stat-total-memory\": 2074116096, "
		  "\"stat-free-memory\": -1, \"stat-available-memory\": " U64_MAX_TEXT "}, "
		  "\"last-update\": 1795309869}}\r\n",
		  NEXT },
	};
	struct vr_guest_stats gs;
	struct vr_qmp *q = NULL;
	struct fake f;
	char err[256] = "", *ret = NULL;

	(void)state;
	FAKE(&f, steps);
	assert_int_equal(vr_qmp_connect_fd(f.fd, TIMEOUT_MS, &q, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_guest_stats(q, "/machine/peripheral/balloon0", &gs, err,
					    sizeof(err)),
			 0);
	assert_int_equal(gs.last_update, 0);
	assert_true(gs.total_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.free_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.available_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.cache_bytes == VR_QMP_STAT_NONE);

	/* The same through the generic command and the text parser. */
	assert_int_equal(vr_qmp_command(q, "qom-get",
					"{\"path\": \"/machine/peripheral/balloon0\", "
					"\"property\": \"guest-stats\"}",
					&ret, err, sizeof(err)),
			 0);
	assert_int_equal(vr_qmp_parse_guest_stats(ret, &gs), 0);
	free(ret);
	assert_int_equal(gs.last_update, 1795309869);
	assert_int_equal(gs.total_bytes, 2074116096);
	assert_true(gs.free_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.available_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.cache_bytes == VR_QMP_STAT_NONE);
	vr_qmp_close(q);
	fake_end(&f);
}

static void test_parse_guest_stats(void **state)
{
	struct vr_guest_stats gs;

	(void)state;
	assert_int_equal(vr_qmp_parse_guest_stats(
				 "{\"stats\": {\"stat-total-memory\": 4294967296, "
				 "\"stat-free-memory\": 0, \"stat-available-memory\": 9223372036854775807, "
				 "\"stat-disk-caches\": 1}, \"last-update\": 12}",
				 &gs),
			 0);
	assert_int_equal(gs.last_update, 12);
	assert_int_equal(gs.total_bytes, 4 * VR_GIB);
	assert_int_equal(gs.free_bytes, 0);
	assert_int_equal(gs.available_bytes, INT64_MAX);
	assert_int_equal(gs.cache_bytes, 1);

	/* Nothing at all: never reported.  Unknown stats are ignored. */
	assert_int_equal(vr_qmp_parse_guest_stats("{\"stats\": {\"stat-new-thing\": 5}}", &gs), 0);
	assert_int_equal(gs.last_update, 0);
	assert_true(gs.total_bytes == VR_QMP_STAT_NONE && gs.free_bytes == VR_QMP_STAT_NONE &&
		    gs.available_bytes == VR_QMP_STAT_NONE && gs.cache_bytes == VR_QMP_STAT_NONE);

	/* One 2^64 - 1 makes jansson read every number as a double: the
	 * others must still come out exact. */
	assert_int_equal(vr_qmp_parse_guest_stats("{\"stats\": {\"stat-total-memory\": 2074116096, "
						  "\"stat-free-memory\": " U64_MAX_TEXT ", "
						  "\"stat-disk-caches\": 9007199254740992}, "
						  "\"last-update\": 1795309869}",
						  &gs),
			 0);
	assert_int_equal(gs.last_update, 1795309869);
	assert_int_equal(gs.total_bytes, 2074116096);
	assert_true(gs.free_bytes == VR_QMP_STAT_NONE);
	assert_int_equal(gs.cache_bytes, 9007199254740992); /* 2^53 */
	/* What vr_qmp_command gives back for such a reply: reals. */
	assert_int_equal(vr_qmp_parse_guest_stats("{\"stats\":{\"stat-total-memory\":2074116096.0,"
						  "\"stat-free-memory\":1.8446744073709552e+19},"
						  "\"last-update\":0.0}",
						  &gs),
			 0);
	assert_int_equal(gs.total_bytes, 2074116096);
	assert_true(gs.free_bytes == VR_QMP_STAT_NONE);
}

static void test_parse_guest_stats_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"null",
		"{}",
		"{\"stats\": []}",
		"{\"stats\": null}",
		"{\"stats\": {\"stat-total-memory\": -2}}",
		"{\"stats\": {\"stat-total-memory\": \"1024\"}}",
		"{\"stats\": {\"stat-total-memory\": 1.5}}",
		"{\"stats\": {\"stat-total-memory\": null}}",
		"{\"stats\": {\"stat-free-memory\": 1e30}}",
		"{\"stats\": {\"stat-free-memory\": -1e30}}",
		"{\"stats\": {}, \"last-update\": -5}",
		"{\"stats\": {}, \"last-update\": \"yesterday\"}",
		"{\"stats\": {}, \"last-update\": 1e300}",
		"{\"stats\": {\"stat-total-memory\": 1}} trailing",
		"{\"stats\": {\"stat-total-memory\": 99999999999999999999999}}",
	};
	struct vr_guest_stats gs = { .last_update = 77, .total_bytes = 77 };
	size_t i;

	(void)state;
	for (i = 0; i < VR_ARRAY_SIZE(bad); i++) {
		if (vr_qmp_parse_guest_stats(bad[i], &gs) != -EPROTO)
			fail_msg("accepted '%s'", bad[i]);
		/* Out-parameters are written only on success. */
		assert_int_equal(gs.last_update, 77);
		assert_int_equal(gs.total_bytes, 77);
	}
}

/* --- a real QEMU ---------------------------------------------------------- */

static bool find_in_path(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[4096], *dir, *save = NULL;

	if (!path || !vr_strlcpy(dirs, path, sizeof(dirs)))
		return false;
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		int n = snprintf(buf, size, "%s/%s", dir, name);

		if (n > 0 && (size_t)n < size && access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

struct real_qemu {
	char dir[64];
	char sock[128];
	pid_t pid; /* 0 once reaped */
};

static int real_qemu_setup(void **state)
{
	*state = calloc(1, sizeof(struct real_qemu));
	return *state ? 0 : -1;
}

/* Runs even when an assertion ended the test: no QEMU left behind. */
static int real_qemu_teardown(void **state)
{
	struct real_qemu *rq = *state;

	if (rq->pid > 0) {
		kill(rq->pid, SIGKILL);
		waitpid(rq->pid, NULL, 0);
	}
	if (rq->sock[0])
		unlink(rq->sock);
	if (rq->dir[0])
		rmdir(rq->dir);
	free(rq);
	return 0;
}

/* Start QEMU with @extra arguments (NULL-terminated, at most 8) and
 * connect to its QMP socket; skip() when QEMU is not installed. */
static struct vr_qmp *real_qemu_start(struct real_qemu *rq, const char *const *extra)
{
	char qemu[512], qmp_arg[192], err[256] = "";
	struct vr_qmp *q = NULL;
	uint64_t start;
	int r;

	if (!find_in_path("qemu-system-x86_64", qemu, sizeof(qemu)))
		skip();
	snprintf(rq->dir, sizeof(rq->dir), "/tmp/vmreclaim-qmp-XXXXXX");
	assert_non_null(mkdtemp(rq->dir));
	snprintf(rq->sock, sizeof(rq->sock), "%s/qmp.sock", rq->dir);
	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off", rq->sock);
	rq->pid = fork();
	assert_true(rq->pid >= 0);
	if (rq->pid == 0) {
		const char *argv[24] = { qemu,   "-nodefaults", "-display", "none",
					 "-qmp", qmp_arg,       NULL };
		size_t n = 6, i;
		int null = open("/dev/null", O_RDWR);

		/* Dies with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_other_fds(null);

		for (i = 0; extra[i] && n < VR_ARRAY_SIZE(argv) - 1; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execv(qemu, (char *const *)argv);
		_exit(127);
	}
	/* QEMU creates the socket a moment after it starts. */
	start = vr_now_usec();
	for (;;) {
		r = vr_qmp_connect(rq->sock, TIMEOUT_MS, &q, err, sizeof(err));
		if (r == 0)
			break;
		if ((r != -ENOENT && r != -ECONNREFUSED) || elapsed_ms(start) > 10000)
			fail_msg("connecting to QEMU: %d %s", r, err); /* teardown kills it */
		usleep(20000);
	}
	return q;
}

/* After quit, QEMU exits on its own, promptly. */
static void real_qemu_wait(struct real_qemu *rq)
{
	uint64_t start = vr_now_usec();
	int status;
	pid_t p;

	while ((p = waitpid(rq->pid, &status, WNOHANG)) == 0 && elapsed_ms(start) < 10000)
		usleep(10000);
	if (p == 0)
		fail_msg("QEMU did not exit after quit");
	assert_int_equal(p, rq->pid);
	rq->pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_real_qemu(void **state)
{
	static const char *const extra[] = { "-machine", "none", NULL };
	struct real_qemu *rq = *state;
	struct vr_qmp *q;
	char err[256] = "", *ret = NULL;
	uint64_t actual;

	q = real_qemu_start(rq, extra);
	assert_int_equal(vr_qmp_command(q, "query-version", NULL, &ret, err, sizeof(err)), 0);
	assert_contains(ret, "\"qemu\":{");
	free(ret);
	assert_int_equal(vr_qmp_command(q, "query-status", NULL, &ret, err, sizeof(err)), 0);
	assert_contains(ret, "\"status\":");
	free(ret);
	/* A real error from QEMU: -machine none has no balloon. */
	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), -EREMOTEIO);
	assert_contains(err, "balloon");
	assert_int_equal(vr_qmp_command(q, "no-such-command", NULL, NULL, err, sizeof(err)),
			 -EREMOTEIO);
	assert_int_equal(vr_qmp_quit(q, err, sizeof(err)), 0);
	vr_qmp_close(q);
	real_qemu_wait(rq);
}

/* A balloon on a machine that never runs (-S): the guest never reports,
 * so QEMU sends its 2^64 - 1 sentinel for every statistic. */
static void test_real_qemu_balloon(void **state)
{
	static const char *const extra[] = { "-machine", "pc",   "-S",
					     "-m",       "128",  "-device",
					     "virtio-balloon-pci,id=balloon0", NULL };
	static const char balloon[] = "/machine/peripheral/balloon0";
	struct vr_guest_stats gs;
	struct real_qemu *rq = *state;
	struct vr_qmp *q;
	char err[256] = "";
	uint64_t actual = 0;

	q = real_qemu_start(rq, extra);
	assert_int_equal(vr_qmp_query_balloon(q, &actual, err, sizeof(err)), 0);
	assert_int_equal(actual, 128 * VR_MIB);
	assert_int_equal(vr_qmp_set_stats_interval(q, balloon, 2, err, sizeof(err)), 0);
	assert_int_equal(vr_qmp_guest_stats(q, balloon, &gs, err, sizeof(err)), 0);
	assert_int_equal(gs.last_update, 0);
	assert_true(gs.total_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.free_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.available_bytes == VR_QMP_STAT_NONE);
	assert_true(gs.cache_bytes == VR_QMP_STAT_NONE);
	assert_int_equal(vr_qmp_guest_stats(q, "/machine/peripheral/nope", &gs, err, sizeof(err)),
			 -EREMOTEIO);
	assert_int_equal(vr_qmp_quit(q, err, sizeof(err)), 0);
	vr_qmp_close(q);
	real_qemu_wait(rq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_events_skipped),
		cmocka_unit_test(test_endless_events),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_handshake_refused),
		cmocka_unit_test(test_not_qmp),
		cmocka_unit_test(test_garbage_reply),
		cmocka_unit_test(test_peer_closes),
		cmocka_unit_test(test_send_to_closed_peer),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_large_reply),
		cmocka_unit_test(test_stats_not_reported),
		cmocka_unit_test(test_parse_guest_stats),
		cmocka_unit_test(test_parse_guest_stats_hostile),
		cmocka_unit_test_setup_teardown(test_real_qemu, real_qemu_setup,
						real_qemu_teardown),
		cmocka_unit_test_setup_teardown(test_real_qemu_balloon, real_qemu_setup,
						real_qemu_teardown),
	};

	return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
