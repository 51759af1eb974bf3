/* SPDX-License-Identifier: MIT */
/* libvirt's domain XML and memory statistics, as vmreclaim reads them.
 * A small tag scanner, not an XML library: libvirt writes its XML in one
 * regular shape, and what is read here is a handful of attributes. */
#include "host/lvxml.h"

#include "common/channel.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

#define DEPTH_MAX 32
#define ELEM_NAME_MAX 32

struct tag {
	char name[ELEM_NAME_MAX];
	bool closing;     /* </name> */
	bool self_closed; /* <name .../> */
	const char *attrs, *attrs_end;
};

/* The value of attribute @key in [@p, @end) decoded into @buf.  Returns
 * 1 found, 0 not there, -EINVAL malformed or too long. */
static int attr(const char *p, const char *end, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	while (p < end) {
		const char *name, *val;
		char q;
		size_t nlen, o = 0;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end)
			break;
		name = p;
		while (p < end && *p != '=' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		nlen = (size_t)(p - name);
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p != '=')
			return -EINVAL;
		p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || (*p != '\'' && *p != '"'))
			return -EINVAL;
		q = *p++;
		val = p;
		while (p < end && *p != q)
			p++;
		if (p >= end)
			return -EINVAL;
		p++;
		if (nlen != klen || memcmp(name, key, klen) != 0)
			continue;
		for (; *val != q; val++) {
			static const struct {
				const char *ent;
				char ch;
			} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				     { "&quot;", '"' }, { "&apos;", '\'' } };
			char ch = *val;

			if (ch == '&') {
				size_t i;

				for (i = 0; i < VR_ARRAY_SIZE(ents); i++)
					if (strncmp(val, ents[i].ent, strlen(ents[i].ent)) == 0)
						break;
				if (i == VR_ARRAY_SIZE(ents))
					return -EINVAL;
				ch = ents[i].ch;
				val += strlen(ents[i].ent) - 1;
			}
			if (o + 1 >= size)
				return -EINVAL;
			buf[o++] = ch;
		}
		buf[o] = '\0';
		return 1;
	}
	return 0;
}

/* The next tag at or after *pp (comments, <?...?> and <!...> skipped).
 * Returns 1 with *t filled, 0 at the end, -EINVAL malformed. */
static int next_tag(const char **pp, struct tag *t)
{
	const char *p = *pp, *end;
	size_t n;

	for (;;) {
		p = strchr(p, '<');
		if (!p)
			return 0;
		if (strncmp(p, "<!--", 4) == 0) {
			const char *e = strstr(p + 4, "-->");

			if (!e)
				return -EINVAL;
			p = e + 3;
			continue;
		}
		if (p[1] == '?' || p[1] == '!') {
			const char *e = strchr(p, '>');

			if (!e)
				return -EINVAL;
			p = e + 1;
			continue;
		}
		break;
	}
	/* The tag ends at the first '>' outside a quoted value. */
	{
		char q = 0;

		for (end = p + 1; *end && (q || *end != '>'); end++) {
			if (q && *end == q)
				q = 0;
			else if (!q && (*end == '\'' || *end == '"'))
				q = *end;
		}
		if (!*end)
			return -EINVAL;
	}
	p++;
	t->closing = *p == '/';
	if (t->closing)
		p++;
	for (n = 0; p + n < end && p[n] != ' ' && p[n] != '/' && p[n] != '\t' && p[n] != '\n' &&
		    p[n] != '\r';
	     n++)
		;
	if (n == 0 || n >= sizeof(t->name))
		return -EINVAL;
	memcpy(t->name, p, n);
	t->name[n] = '\0';
	t->self_closed = end[-1] == '/';
	t->attrs = p + n;
	t->attrs_end = t->self_closed ? end - 1 : end;
	*pp = end + 1;
	return 1;
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

int vr_lvxml_parse(const char *xml, struct vr_lvxml *ret)
{
	char stack[DEPTH_MAX][ELEM_NAME_MAX];
	struct vr_lvxml x;
	/* What the <channel> being read holds: only a channel to our port
	 * counts, and its target may come after its source. */
	char ch_type[16] = "", ch_path[VR_PATH_MAX] = "", ch_state[16] = "";
	bool ch_ours = false, seen_domain = false;
	/* The same for the first <serial>: its type, source and log. */
	char se_type[16] = "", se_path[VR_PATH_MAX] = "", se_log[VR_PATH_MAX] = "";
	bool se_done = false;
	const char *p = xml;
	size_t depth = 0;
	struct tag t;
	int r;

	memset(&x, 0, sizeof(x));
	while ((r = next_tag(&p, &t)) > 0) {
		char v[64];

		if (t.closing) {
			if (depth == 0 || !is(stack[depth - 1], t.name))
				return -EINVAL;
			depth--;
			if (depth == 2 && is(t.name, "channel") && ch_ours && !x.channel) {
				x.channel = true;
				x.channel_unix = is(ch_type, "unix");
				vr_strlcpy(x.channel_path, ch_path, sizeof(x.channel_path));
				vr_strlcpy(x.channel_state, ch_state, sizeof(x.channel_state));
			}
			if (depth == 2 && is(stack[1], "devices") && is(t.name, "serial") && !se_done) {
				se_done = true;
				vr_strlcpy(x.console_path, is(se_type, "file") && se_path[0] ? se_path : se_log,
					   sizeof(x.console_path));
			}
			continue;
		}
		if (depth == 0) {
			if (!is(t.name, "domain"))
				return -EINVAL;
			seen_domain = true;
		}
		/* Directly under <domain><devices>. */
		if (depth == 2 && is(stack[1], "devices")) {
			if (is(t.name, "memballoon") && !x.balloon_model[0]) {
				if (attr(t.attrs, t.attrs_end, "model", x.balloon_model,
					 sizeof(x.balloon_model)) < 0)
					return -EINVAL;
				x.balloon = is(x.balloon_model, "virtio") ||
					    is(x.balloon_model, "virtio-transitional") ||
					    is(x.balloon_model, "virtio-non-transitional");
				r = attr(t.attrs, t.attrs_end, "freePageReporting", v, sizeof(v));
				if (r < 0)
					return -EINVAL;
				x.reporting = x.balloon && r == 1 && is(v, "on");
			} else if (is(t.name, "serial") && !se_done) {
				se_path[0] = se_log[0] = se_type[0] = '\0';
				if (attr(t.attrs, t.attrs_end, "type", se_type, sizeof(se_type)) < 0)
					return -EINVAL;
				if (t.self_closed)
					se_done = true;
			} else if (is(t.name, "channel")) {
				ch_ours = false;
				ch_path[0] = ch_state[0] = ch_type[0] = '\0';
				if (attr(t.attrs, t.attrs_end, "type", ch_type, sizeof(ch_type)) < 0)
					return -EINVAL;
			}
		}
		if (depth == 2 && is(stack[1], "features") && is(t.name, "acpi"))
			x.acpi = true;
		if (depth == 3 && is(stack[1], "devices") && is(stack[2], "memballoon") &&
		    is(t.name, "stats") && x.balloon) {
			uint64_t period;

			r = attr(t.attrs, t.attrs_end, "period", v, sizeof(v));
			if (r < 0 || (r == 1 && (vr_parse_u64(v, NULL, &period) < 0 || period > UINT32_MAX)))
				return -EINVAL;
			if (r == 1)
				x.stats_period = (unsigned)period;
		}
		if (depth == 3 && is(stack[1], "devices") && is(stack[2], "serial") && !se_done) {
			if (is(t.name, "source") &&
			    attr(t.attrs, t.attrs_end, "path", se_path, sizeof(se_path)) < 0)
				return -EINVAL;
			if (is(t.name, "log") && attr(t.attrs, t.attrs_end, "file", se_log, sizeof(se_log)) < 0)
				return -EINVAL;
		}
		if (depth == 3 && is(stack[1], "devices") && is(stack[2], "channel")) {
			if (is(t.name, "source")) {
				if (attr(t.attrs, t.attrs_end, "path", ch_path, sizeof(ch_path)) < 0)
					return -EINVAL;
			} else if (is(t.name, "target")) {
				char type[16], name[64];

				if (attr(t.attrs, t.attrs_end, "type", type, sizeof(type)) == 1 &&
				    is(type, "virtio") &&
				    attr(t.attrs, t.attrs_end, "name", name, sizeof(name)) == 1 &&
				    is(name, VR_CHAN_PORT_NAME)) {
					ch_ours = true;
					if (attr(t.attrs, t.attrs_end, "state", ch_state, sizeof(ch_state)) < 0)
						return -EINVAL;
				}
			}
		}
		if (!t.self_closed) {
			if (depth == DEPTH_MAX)
				return -EINVAL;
			memcpy(stack[depth++], t.name, sizeof(t.name));
		}
	}
	if (r < 0 || !seen_domain || depth != 0)
		return -EINVAL;
	*ret = x;
	return 0;
}

/* KiB to bytes, saturating at just below VR_QMP_STAT_NONE. */
static uint64_t kib(unsigned long long v)
{
	return v >= (VR_QMP_STAT_NONE - 1) / 1024 ? VR_QMP_STAT_NONE - 1 : (uint64_t)v * 1024;
}

int vr_lvstats_map(const virDomainMemoryStatStruct *st, size_t n, struct vr_guest_stats *ret,
		   uint64_t *ret_rss_bytes)
{
	struct vr_guest_stats g = { 0, VR_QMP_STAT_NONE, VR_QMP_STAT_NONE, VR_QMP_STAT_NONE,
				    VR_QMP_STAT_NONE };
	uint64_t rss = VR_QMP_STAT_NONE;
	size_t i;

	for (i = 0; i < n; i++) {
		switch (st[i].tag) {
		/* libvirt's names: "available" is what the guest sees in
		 * all (MemTotal), "usable" is MemAvailable, "unused" is
		 * MemFree. */
		case VIR_DOMAIN_MEMORY_STAT_AVAILABLE:
			g.total_bytes = kib(st[i].val);
			break;
		case VIR_DOMAIN_MEMORY_STAT_UNUSED:
			g.free_bytes = kib(st[i].val);
			break;
		case VIR_DOMAIN_MEMORY_STAT_USABLE:
			g.available_bytes = kib(st[i].val);
			break;
		case VIR_DOMAIN_MEMORY_STAT_DISK_CACHES:
			g.cache_bytes = kib(st[i].val);
			break;
		case VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE:
			/* seconds; past INT64_MAX is not a time */
			g.last_update = st[i].val > INT64_MAX ? 0 : (int64_t)st[i].val;
			break;
		case VIR_DOMAIN_MEMORY_STAT_RSS:
			rss = kib(st[i].val);
			break;
		default:
			break;
		}
	}
	*ret_rss_bytes = rss;
	if (g.total_bytes == VR_QMP_STAT_NONE || g.free_bytes == VR_QMP_STAT_NONE ||
	    g.free_bytes > g.total_bytes)
		return -ENODATA;
	if (g.available_bytes != VR_QMP_STAT_NONE && g.available_bytes > g.total_bytes)
		g.available_bytes = VR_QMP_STAT_NONE;
	*ret = g;
	return 0;
}
