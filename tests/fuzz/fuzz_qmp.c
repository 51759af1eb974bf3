/* SPDX-License-Identifier: MIT */
/* A QMP session against whatever the input says QEMU sends: the input is
 * what arrives on the socket (newline-delimited JSON: the greeting, then
 * the replies and events), then the connection closes.  The client does
 * what `vmreclaim run` and `top` do: the handshake, qom-set, qom-get
 * guest-stats, query-balloon, a command with its reply as text, quit.
 * Every call must end (the peer has closed: no waiting) with 0 or an
 * error and a message. */
#include "fuzz.h"
#include "host/qmp.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bounded by the socket's buffer: the whole input is written before the
 * client reads. */
#define QMP_FUZZ_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_guest_stats st;
	struct vr_qmp *q = NULL;
	char err[256], *json = NULL;
	uint64_t actual;
	int sv[2], r, sndbuf = 2 * QMP_FUZZ_MAX;
	size_t done = 0;

	if (size > QMP_FUZZ_MAX)
		return 0;
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (done < size) {
		ssize_t n = write(sv[1], data + done, size - done);

		FUZZ_CHECK(n > 0);
		done += (size_t)n;
	}
	/* QEMU's end stays open for what the client sends; it only stops
	 * sending. */
	shutdown(sv[1], SHUT_WR);

	err[0] = '\0';
	r = vr_qmp_connect_fd(sv[0], 1000, &q, err, sizeof(err));
	if (r < 0) {
		FUZZ_CHECK(err[0] != '\0');
		close(sv[0]);
		goto out;
	}
	r = vr_qmp_set_stats_interval(q, "/machine/peripheral/balloon0", 2, err, sizeof(err));
	FUZZ_CHECK(r <= 0);
	r = vr_qmp_guest_stats(q, "/machine/peripheral/balloon0", &st, err, sizeof(err));
	if (r == 0)
		FUZZ_CHECK(st.last_update >= 0);
	r = vr_qmp_query_balloon(q, &actual, err, sizeof(err));
	FUZZ_CHECK(r <= 0);
	r = vr_qmp_command(q, "query-status", NULL, &json, err, sizeof(err));
	if (r == 0) {
		FUZZ_CHECK(json != NULL);
		free(json);
	}
	r = vr_qmp_quit(q, err, sizeof(err));
	FUZZ_CHECK(r <= 0);
	vr_qmp_close(q);
out:
	close(sv[1]);
	return 0;
}
