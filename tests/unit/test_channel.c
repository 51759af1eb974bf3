/* SPDX-License-Identifier: MIT */
/* The guest channel: the protocol on strings (hostile ones too), the
 * guest's answers over a fake tree, and the host's choice of whom to ask
 * when it is short of memory. */
#include "helpers.h"
#include "common/channel.h"
#include "common/util.h"
#include "guest/guest.h"
#include "host/pressure.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SEC VR_USEC_PER_SEC
#define MIB VR_MIB

static void test_parse(void **state)
{
	struct vr_chan_request r = { .bytes = 7 };
	char err[128], big[200];

	(void)state;
	assert_int_equal(vr_chan_parse("status\n", 7, &r, err, sizeof(err)), 0);
	assert_int_equal(r.verb, VR_CHAN_STATUS);
	assert_int_equal(vr_chan_parse("counters\n", 9, &r, err, sizeof(err)), 0);
	assert_int_equal(r.verb, VR_CHAN_COUNTERS);
	assert_int_equal(vr_chan_parse("counters all", 12, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "counters takes no argument"));
	assert_int_equal(vr_chan_parse("give 1073741824", 15, &r, err, sizeof(err)), 0);
	assert_int_equal(r.verb, VR_CHAN_GIVE);
	assert_int_equal(r.bytes, VR_GIB);
	assert_int_equal(vr_chan_parse("give 512MB\r\n", 12, &r, err, sizeof(err)), 0);
	assert_int_equal(r.bytes, 512 * MIB);
	/* hostile or wrong */
	assert_int_equal(vr_chan_parse("", 0, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("\n", 1, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("give", 4, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("give -5", 7, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("give 99999999999999999999999", 28, &r, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(vr_chan_parse("give 4096", 9, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(vr_chan_parse("give 2PB", 8, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("status json", 11, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("reclaim 1GB", 11, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("drop_caches", 11, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("stat\0us", 7, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("give 1GB\x1b", 9, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(vr_chan_parse("st\xc3\xa4tus", 8, &r, err, sizeof(err)), -EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(vr_chan_parse(big, sizeof(big), &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	assert_int_equal(r.bytes, 512 * MIB); /* untouched by failures */
}

static void test_reply(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(vr_chan_reply_u64("ok released=5 reportable_gained=7", "released", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(vr_chan_reply_u64("ok released=5 reportable_gained=7\n", "reportable_gained", &v), 0);
	assert_int_equal(v, 7);
	/* whole keys only */
	assert_int_equal(vr_chan_reply_u64("ok released=5", "release", &v), -ENOENT);
	assert_int_equal(vr_chan_reply_u64("ok xreleased=5", "released", &v), -ENOENT);
	assert_int_equal(vr_chan_reply_u64("ok released=", "released", &v), -EINVAL);
	assert_int_equal(vr_chan_reply_u64("ok released=5x", "released", &v), -EINVAL);
	assert_int_equal(vr_chan_reply_u64("okay released=5", "released", &v), -EINVAL);
	assert_int_equal(vr_chan_reply_u64("refused released=5", "released", &v), -EINVAL);
	assert_int_equal(vr_chan_reply_u64("ok", "released", &v), -ENOENT);
	assert_int_equal(v, 7);
}

/* The counters reply on strings, as the host reads what a guest (any
 * guest) sent. */
static void test_counters_reply(void **state)
{
	struct vr_chan_counters c, keep;
	char buf[VR_CHAN_REPLY_MAX], line[VR_CHAN_REPLY_MAX + 64];
	unsigned i;

	(void)state;
	/* every key at its largest: within the line, and read back */
	memset(&c, 0, sizeof(c));
	for (i = 0; i < VR_CC_COUNT; i++)
		c.value[i] = UINT64_MAX;
	c.have = (1u << VR_CC_COUNT) - 1;
	assert_int_equal(vr_chan_counters_format(&c, buf, sizeof(buf)), 0);
	assert_true(strlen(buf) < VR_CHAN_REPLY_MAX - 1);
	assert_true(buf[strlen(buf) - 1] == '\n');
	memset(&keep, 0, sizeof(keep));
	assert_int_equal(vr_chan_counters_parse(buf, &keep), 0);
	assert_int_equal(keep.have, c.have);
	assert_memory_equal(keep.value, c.value, sizeof(c.value));
	assert_int_equal(vr_chan_counters_format(&c, buf, 100), -ENOSPC);

	/* missing keys are not had; unknown keys are skipped */
	assert_int_equal(vr_chan_counters_parse("ok reclaim_runs=3 reclaim_bytes=1048576 "
						"future_counter=9 slab_drops=2\n",
						&c),
			 0);
	assert_int_equal(c.have, (1u << VR_CC_RECLAIM_RUNS) | (1u << VR_CC_RECLAIM_BYTES) |
					 (1u << VR_CC_AUTO_SLAB_DROPS));
	assert_int_equal(c.value[VR_CC_RECLAIM_RUNS], 3);
	assert_int_equal(c.value[VR_CC_RECLAIM_BYTES], VR_MIB);
	assert_int_equal(c.value[VR_CC_AUTO_SLAB_DROPS], 2);
	/* "ok" alone: a reply with no counters */
	assert_int_equal(vr_chan_counters_parse("ok", &c), 0);
	assert_int_equal(c.have, 0);
	/* an older guest's answer (the host omits the counters) */
	keep = c;
	keep.have = 5;
	assert_int_equal(vr_chan_counters_parse("error: unknown request (status, give BYTES)", &keep),
			 -EINVAL);
	assert_int_equal(keep.have, 5); /* untouched */
	assert_int_equal(vr_chan_counters_parse("refused compact_runs=1", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("okay compact_runs=1", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("", &keep), -EINVAL);
	/* hostile values: past 64 bits, signs, fractions, hex, empty, words */
	assert_int_equal(vr_chan_counters_parse("ok compact_runs=18446744073709551616", &keep),
			 -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok compact_runs=99999999999999999999999999", &keep),
			 -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok pcp_drains=-1", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok pcp_drains=+1", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok reclaim_bytes=1.5e9", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok reclaim_bytes=0x10", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok reclaim_bytes=", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok reclaim_bytes=lots", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok reclaim_bytes=1MB", &keep), -EINVAL);
	assert_int_equal(vr_chan_counters_parse("ok reclaim_bytes=\x1b]0;pwned\x07", &keep), -EINVAL);
	/* one bad among good ones spoils the answer */
	assert_int_equal(vr_chan_counters_parse("ok compact_runs=1 idle_periods=x", &keep), -EINVAL);
	/* more failures than runs cannot be */
	assert_int_equal(vr_chan_counters_parse("ok reclaim_runs=2 reclaim_failures=3", &keep),
			 -EINVAL);
	assert_int_equal(keep.have, 5);
	assert_int_equal(vr_chan_counters_parse("ok reclaim_runs=3 reclaim_failures=3", &c), 0);
	/* 18446744073709551615 is the largest that fits */
	assert_int_equal(vr_chan_counters_parse("ok refaulted_bytes=18446744073709551615", &c), 0);
	assert_true(c.value[VR_CC_AUTO_REFAULTED_BYTES] == UINT64_MAX);
	/* a line longer than any reply: still bounded, its keys read */
	memset(line, 0, sizeof(line));
	strcpy(line, "ok");
	/* room for the last key and the NUL */
	while (strlen(line) + strlen(" junk=123456789") + strlen(" pcp_drains=7") < sizeof(line))
		strcat(line, " junk=123456789");
	assert_true(strlen(line) > VR_CHAN_REPLY_MAX);
	strcat(line, " pcp_drains=7");
	assert_int_equal(vr_chan_counters_parse(line, &c), 0);
	assert_int_equal(c.have, 1u << VR_CC_PCP_DRAINS);
}

/* A pty in raw mode, both ends non-blocking: a port that, unlike the
 * virtio-serial one, takes part of a write when nearly full. */
static bool pty_open(int *ret_master, int *ret_slave)
{
	struct termios t;
	int m, s;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (m < 0)
		return false;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || !ptsname(m) ||
	    (s = open(ptsname(m), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		close(m);
		return false;
	}
	assert_int_equal(tcgetattr(s, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(s, TCSANOW, &t), 0);
	*ret_master = m;
	*ret_slave = s;
	return true;
}

/* Replies on a port the host does not read: those sent arrive whole, the
 * rest not at all, never half of one joined to the next. */
static void test_out_whole_lines(void **state)
{
	struct vr_chan_out o = { 0 };
	char reply[100], buf[4096];
	size_t got = 0, sent = 0, dropped = 0, i;
	int m = -1, s = -1, r;

	(void)state;
	if (!pty_open(&m, &s))
		skip(); /* no /dev/ptmx here */
	memset(reply, 'x', sizeof(reply));
	reply[sizeof(reply) - 2] = '\n';
	reply[sizeof(reply) - 1] = '\0';
	/* 1 MB, far more than the pty holds */
	for (i = 0; i < 10000; i++) {
		r = vr_chan_out_send(&o, s, reply);
		if (r == -EAGAIN) {
			dropped++;
		} else {
			assert_int_equal(r, 0);
			sent++;
		}
	}
	assert_true(sent > 0);
	assert_true(dropped > 0);
	/* The host reads at last; the rest of a reply the pty took part of
	 * goes out as it makes room. */
	for (;;) {
		struct pollfd p = { .fd = m, .events = POLLIN };
		ssize_t n;

		assert_int_equal(vr_chan_out_flush(&o, s), 0);
		if (poll(&p, 1, 200) <= 0 && o.len == 0)
			break;
		while ((n = read(m, buf, sizeof(buf))) > 0) {
			for (i = 0; i < (size_t)n; i++, got++)
				assert_int_equal(buf[i], (got + 1) % (sizeof(reply) - 1) ? 'x' : '\n');
		}
	}
	assert_int_equal(got, sent * (sizeof(reply) - 1));
	/* And it goes on once the host has read. */
	assert_int_equal(vr_chan_out_send(&o, s, "ok\n"), 0);
	assert_int_equal(o.len, 0);
	assert_int_equal(read(m, buf, sizeof(buf)), 3);
	/* The host end closed: an error, and nothing kept for the next host. */
	assert_int_equal(vr_chan_out_send(&o, s, reply), 0);
	close(m);
	assert_int_equal(vr_chan_out_send(&o, s, reply), -EIO);
	assert_int_equal(o.len, 0);
	close(s);
}

static void test_pressure(void **state)
{
	struct vr_pressure_settings s = { .min_available_bytes = 2 * VR_GIB, .psi_some_pct = 10 };
	struct vr_host_mem m = { .total_bytes = 16 * VR_GIB, .available_bytes = 4 * VR_GIB };
	struct vr_guest_mem g[4] = {
		{ .name = "a", .known = true, .stranded_bytes = 100 * MIB },
		{ .name = "b", .known = false, .stranded_bytes = 0 },
		{ .name = "c", .known = true, .stranded_bytes = 900 * MIB },
		{ .name = "d", .known = true, .stranded_bytes = 300 * MIB },
	};
	uint64_t deficit = 1;
	char why[128];

	(void)state;
	assert_false(vr_pressure_short(&m, &s, &deficit, why, sizeof(why)));
	assert_int_equal(deficit, 0);
	m.available_bytes = 2 * VR_GIB - 10 * MIB;
	assert_true(vr_pressure_short(&m, &s, &deficit, why, sizeof(why)));
	assert_int_equal(deficit, VR_PRESSURE_DEFICIT_MIN);
	m.available_bytes = VR_GIB;
	assert_true(vr_pressure_short(&m, &s, &deficit, why, sizeof(why)));
	assert_int_equal(deficit, VR_GIB);
	assert_non_null(strstr(why, "MemAvailable 1 GiB below 2 GiB"));
	/* stalls with memory free */
	m.available_bytes = 8 * VR_GIB;
	m.have_psi = true;
	m.psi_some_avg10 = 12.5;
	assert_true(vr_pressure_short(&m, &s, &deficit, why, sizeof(why)));
	assert_int_equal(deficit, 256 * MIB);
	s.psi_some_pct = 0;
	assert_false(vr_pressure_short(&m, &s, &deficit, why, sizeof(why)));

	vr_pressure_rank(g, 4);
	assert_string_equal(g[0].name, "c");
	assert_string_equal(g[1].name, "d");
	assert_string_equal(g[2].name, "a");
	assert_string_equal(g[3].name, "b");
}

/* The guest's side, over a fake tree: status figures, a give that
 * reclaims cold cache, refusals under pressure and too soon, errors. */
struct fx {
	char *root;
	struct rec rec;
	struct vr_config cfg;
	struct vr_guest g;
	struct log_catch log;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = fake_tree_new();
	rec_init(&f->rec, f->root);
	vr_config_defaults(&f->cfg);
	fake_now_usec = 1000 * SEC;
	fake_put(f->root, "/proc/meminfo",
		 "MemTotal:        2030000 kB\nMemFree:          900000 kB\nMemAvailable:    1800000 kB\n"
		 "Active(file):     131072 kB\nInactive(file):   655360 kB\nSwapTotal:             0 kB\n"
		 "SwapFree:              0 kB\nDirty:                 0 kB\nSReclaimable:      8192 kB\n");
	log_catch_start(&f->log);
	assert_int_equal(vr_guest_init(&f->g, &f->cfg, f->root, &rec_ops, &f->rec, fake_clock), 0);
	rec_clear(&f->rec);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	log_catch_stop();
	fake_tree_free(f->root);
	free(f);
	return 0;
}

static void ask(struct fx *f, const char *req, char *reply, size_t size)
{
	vr_guest_channel(&f->g, req, strlen(req), reply, size);
	assert_non_null(strchr(reply, '\n'));
}

static void test_guest_answers(void **state)
{
	struct fx *f = *state;
	char reply[VR_CHAN_REPLY_MAX];
	uint64_t v;

	ask(f, "status\n", reply, sizeof(reply));
	assert_int_equal(vr_chan_reply_u64(reply, "total", &v), 0);
	assert_int_equal(v, 2030000ULL * 1024);
	assert_int_equal(vr_chan_reply_u64(reply, "available", &v), 0);
	assert_int_equal(vr_chan_reply_u64(reply, "order", &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(f->rec.n, 0); /* status writes nothing */

	/* cold cache down to the active list and an eighth: 640 - 144 MiB,
	 * but no more than asked */
	ask(f, "give 300MB\n", reply, sizeof(reply));
	assert_true(strncmp(reply, "ok released=", 12) == 0);
	assert_string_equal(f->rec.w[0].path, "/sys/fs/cgroup/memory.reclaim");
	assert_string_equal(f->rec.w[0].data, "268435456 swappiness=0");
	assert_string_equal(f->rec.w[1].data, "46137344 swappiness=0");
	assert_int_equal(f->g.history[f->g.history_count - 1].trigger, VR_TRIGGER_HOST);

	/* too soon */
	rec_clear(&f->rec);
	ask(f, "give 300MB", reply, sizeof(reply));
	assert_string_equal(reply, "refused too soon after the last request\n");
	assert_int_equal(f->rec.n, 0);
	/* the guest's own pressure comes first */
	fake_now_usec += 10 * SEC;
	vr_guest_pressure(&f->g);
	ask(f, "give 300MB", reply, sizeof(reply));
	assert_string_equal(reply, "refused the guest is under memory pressure\n");
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(f->g.host_refused, 2);
	/* malformed: an error line, nothing done */
	ask(f, "give everything", reply, sizeof(reply));
	assert_true(strncmp(reply, "error: ", 7) == 0);
	ask(f, "rm -rf /", reply, sizeof(reply));
	assert_true(strncmp(reply, "error: unknown request", 22) == 0);
	assert_int_equal(f->rec.n, 0);
}

/* dropcache mode: a give drops the page cache (bounded to what the
 * documented knob does). */
/* counters: what the service counted, the auto policy's in mode auto
 * only; nothing written. */
static void test_guest_counters(void **state)
{
	struct fx *f = *state;
	char reply[VR_CHAN_REPLY_MAX];
	struct vr_chan_counters c;

	f->cfg.mode = VR_MODE_GRADUAL;
	vr_guest_reconfigure(&f->g, &f->cfg);
	f->g.pcp.cpu_usec = 4242;
	ask(f, "counters\n", reply, sizeof(reply));
	assert_int_equal(vr_chan_counters_parse(reply, &c), 0);
	assert_int_equal(c.have, ((1u << (VR_CC_PCP_DRAINS + 1)) - 1) | (1u << VR_CC_PCP_CPU_USEC));
	assert_int_equal(c.value[VR_CC_RECLAIM_RUNS], 0);
	assert_int_equal(f->rec.n, 0);
	/* a give reclaims: its run and its bytes are counted */
	ask(f, "give 100MB", reply, sizeof(reply));
	assert_true(strncmp(reply, "ok released=", 12) == 0);
	rec_clear(&f->rec);
	ask(f, "counters", reply, sizeof(reply));
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(vr_chan_counters_parse(reply, &c), 0);
	assert_int_equal(c.value[VR_CC_RECLAIM_RUNS], f->g.totals[VR_ACTION_RECLAIM].runs);
	assert_true(c.value[VR_CC_RECLAIM_RUNS] >= 1);
	assert_int_equal(c.value[VR_CC_RECLAIM_BYTES], f->g.totals[VR_ACTION_RECLAIM].bytes);
	assert_int_equal(c.value[VR_CC_RECLAIM_CPU_USEC], f->g.totals[VR_ACTION_RECLAIM].cpu_usec);
	assert_int_equal(c.value[VR_CC_IDLE_PERIODS], f->g.idle.periods);
	assert_int_equal(c.value[VR_CC_PCP_CPU_USEC], 4242);
	/* auto: its own counters too */
	f->cfg.mode = VR_MODE_AUTO;
	vr_guest_reconfigure(&f->g, &f->cfg);
	f->g.autost.slab_drops = 3;
	f->g.autost.slab_returned_bytes = 5 * MIB;
	ask(f, "counters", reply, sizeof(reply));
	assert_int_equal(vr_chan_counters_parse(reply, &c), 0);
	assert_int_equal(c.have, (1u << VR_CC_COUNT) - 1);
	assert_int_equal(c.value[VR_CC_AUTO_SLAB_DROPS], 3);
	assert_int_equal(c.value[VR_CC_AUTO_SLAB_RETURNED_BYTES], 5 * MIB);
	/* the status reply stays within what older hosts read (511 bytes,
	 * newline included) */
	ask(f, "status", reply, sizeof(reply));
	assert_true(strlen(reply) <= 511);
}

static void test_guest_give_dropcache(void **state)
{
	struct fx *f = *state;
	char reply[VR_CHAN_REPLY_MAX];

	f->cfg.mode = VR_MODE_DROPCACHE;
	f->cfg.compaction = false;
	vr_guest_reconfigure(&f->g, &f->cfg);
	rec_fail_on(&f->rec, "/memory.reclaim", NULL, -EINVAL, -1);
	fake_rm(f->root, "/sys/fs/cgroup/memory.reclaim");
	fake_rm(f->root, "/sys/fs/cgroup/cgroup.controllers");
	vr_guest_init(&f->g, &f->cfg, f->root, &rec_ops, &f->rec, fake_clock);
	rec_clear(&f->rec);
	ask(f, "give 1GB", reply, sizeof(reply));
	assert_true(strncmp(reply, "ok released=", 12) == 0);
	assert_string_equal(f->rec.w[0].path, "/proc/sys/vm/drop_caches");
	assert_int_equal(f->rec.n, 1);
}

/* disabled: without memory.reclaim a give drops nothing (the policy's
 * host step, not dropcache's); gradual takes the cache down to its floor,
 * at most what was asked. */
static void test_guest_give_by_policy(void **state)
{
	struct fx *f = *state;
	char reply[VR_CHAN_REPLY_MAX];
	unsigned i;

	f->cfg.mode = VR_MODE_DISABLED;
	f->cfg.compaction = false;
	fake_rm(f->root, "/sys/fs/cgroup/memory.reclaim");
	fake_rm(f->root, "/sys/fs/cgroup/cgroup.controllers");
	vr_guest_init(&f->g, &f->cfg, f->root, &rec_ops, &f->rec, fake_clock);
	rec_clear(&f->rec);
	ask(f, "give 1GB", reply, sizeof(reply));
	assert_true(strncmp(reply, "ok released=", 12) == 0);
	for (i = 0; i < f->rec.n; i++)
		assert_null(strstr(f->rec.w[i].path, "drop_caches"));
	assert_int_equal(f->g.totals[VR_ACTION_DROPCACHE].runs, 0);
}

/* gradual: a give takes file cache + SReclaimable (776 MiB) down to
 * reclaimFloor (128 MiB), at most what was asked. */
static void test_guest_give_gradual_floor(void **state)
{
	struct fx *f = *state;
	char reply[VR_CHAN_REPLY_MAX];

	f->cfg.mode = VR_MODE_GRADUAL;
	f->cfg.compaction = false;
	vr_guest_reconfigure(&f->g, &f->cfg);
	ask(f, "give 100MB", reply, sizeof(reply));
	assert_true(strncmp(reply, "ok released=", 12) == 0);
	assert_int_equal(f->rec.n, 1);
	assert_string_equal(f->rec.w[0].data, "104857600 swappiness=0");
	fake_now_usec += 10 * SEC;
	rec_clear(&f->rec);
	ask(f, "give 4GB", reply, sizeof(reply));
	assert_true(strncmp(reply, "ok released=", 12) == 0);
	/* 648 MiB in chunks of 256 MiB */
	assert_int_equal(f->rec.n, 3);
	assert_string_equal(f->rec.w[2].data, "142606336 swappiness=0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_counters_reply),
		cmocka_unit_test(test_out_whole_lines),
		cmocka_unit_test(test_pressure),
		cmocka_unit_test_setup_teardown(test_guest_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_give_dropcache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_give_by_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_give_gradual_floor, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
