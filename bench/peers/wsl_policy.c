/* SPDX-License-Identifier: MIT */
#include "wsl_policy.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

#define WSL_IDLE_PERMILLE 5 /* 0.5% */
#define WSL_19013_IDLE_PERMILLE 10 /* idleThreshold default 1 (%) */
#define WSL_FLOOR_BYTES (128 * VR_MIB)

int peer_kind_parse(const char *s, enum peer_kind *ret)
{
	static const struct {
		const char *name;
		enum peer_kind kind;
	} names[] = {
		{ "wsl-dropcache", PEER_WSL_DROPCACHE },
		{ "wsl-gradual", PEER_WSL_GRADUAL },
		{ "wsl-19013", PEER_WSL_19013 },
		{ "cron", PEER_CRON },
	};
	size_t i;

	for (i = 0; i < VR_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].kind;
			return 0;
		}
	return -EINVAL;
}

void peer_init(struct peer *p, enum peer_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
}

/* Busy at most (or, @strict, below) permille/1000 of the CPU time between
 * samples @a and @b. */
static bool quiet(const struct vr_cpustat *a, const struct vr_cpustat *b, unsigned permille,
		  bool strict)
{
	uint64_t dt = vr_sat_sub(b->total, a->total), db = vr_sat_sub(b->busy, a->busy);

	return dt > 0 && (strict ? db * 1000 < dt * permille : db * 1000 <= dt * permille);
}

static uint64_t wsl_step_bytes(uint64_t mem_total)
{
	uint64_t step = mem_total / 32;

	return step < 256 * VR_MIB ? 256 * VR_MIB : step > VR_GIB ? VR_GIB : step;
}

void peer_step(struct peer *p, const struct peer_input *in, struct peer_output *out)
{
	bool was_idle = p->idle, entered;

	memset(out, 0, sizeof(*out));
	p->ticks++;
	if (p->kind == PEER_CRON) {
		out->sync = true;
		out->drop_value = 3;
		out->compact = true;
		return;
	}
	/* Keep the last 13 cumulative samples: 12 intervals. */
	if (p->n == PEER_WSL_WINDOW + 1) {
		memmove(p->hist, p->hist + 1, PEER_WSL_WINDOW * sizeof(p->hist[0]));
		p->n--;
	}
	p->hist[p->n++] = in->cpu;
	if (p->n < 2) {
		p->idle = false;
		return;
	}
	if (p->kind == PEER_WSL_19013) {
		p->idle = quiet(&p->hist[p->n - 2], &p->hist[p->n - 1], WSL_19013_IDLE_PERMILLE, true);
		out->compact = p->idle && !was_idle;
		return;
	}
	/* Current WSL: quiet over the last 10 s and over the last 2 min. */
	p->idle = p->n == PEER_WSL_WINDOW + 1 &&
		  quiet(&p->hist[p->n - 2], &p->hist[p->n - 1], WSL_IDLE_PERMILLE, false) &&
		  quiet(&p->hist[0], &p->hist[p->n - 1], WSL_IDLE_PERMILLE, false);
	entered = p->idle && !was_idle;
	if (!p->idle) {
		p->dropped = false;
		return;
	}
	if (entered)
		out->compact = true;
	if (p->kind == PEER_WSL_DROPCACHE && !p->dropped) {
		out->drop_value = 3;
		out->compact = true;
		p->dropped = true;
	} else if (p->kind == PEER_WSL_GRADUAL && in->have_mem && in->file_cache_bytes > WSL_FLOOR_BYTES) {
		uint64_t excess = in->file_cache_bytes - WSL_FLOOR_BYTES, step = wsl_step_bytes(in->mem_total_bytes);

		out->reclaim_bytes = excess < step ? excess : step;
		out->compact = true;
	}
}
