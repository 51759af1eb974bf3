/* SPDX-License-Identifier: MIT */
/* The libvirt backend of the hypervisor seam (hv.h): libvirt's running
 * domains, over its C API.  libvirt owns QEMU's monitor, so the guest
 * figures come from its balloon statistics (virDomainMemoryStats) and the
 * guest channel from the domain's <channel> socket.  What is read from
 * the domain XML is parsed in lvxml.c. */
#include "host/hv.h"

#include "common/util.h"
#include "host/lvxml.h"
#include "procfs/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* A domain that does not shut down cleanly within this long is destroyed
 * (pulled off like a power cord): "stop" must end. */
#define STOP_WAIT_USEC (10 * VR_USEC_PER_SEC)

/* What the backend keeps of a domain (vr_hv_vm.priv): its handle, and its
 * XML as read when it was listed or looked up, fetched and parsed once
 * for every use (the channel, the statistics period, ACPI, check). */
struct lv_dom {
	virDomainPtr dom;
	struct vr_lvxml x;
};

static virDomainPtr dom_of(const struct vr_hv_vm *vm)
{
	return ((const struct lv_dom *)vm->priv)->dom;
}

static const struct vr_lvxml *xml_of(const struct vr_hv_vm *vm)
{
	return &((const struct lv_dom *)vm->priv)->x;
}

/* libvirt prints every error on stderr by default; ours say them once,
 * with the VM's name. */
static void quiet_errors(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static void last_error(char *err, size_t size, const char *what)
{
	const char *m = virGetLastErrorMessage();

	snprintf(err, size, "%s: %s", what, m ? m : "unknown error");
}

int vr_hv_lv_connect(struct vr_hv *hv)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet_errors);
	/* Read-write to set the statistics period and stop domains; a user
	 * who may only read still sees them. */
	c = virConnectOpen(hv->uri);
	if (!c)
		c = virConnectOpenReadOnly(hv->uri);
	if (!c) {
		last_error(hv->lv_err, sizeof(hv->lv_err), "cannot connect");
		return -ECONNREFUSED;
	}
	/* libvirt writes to its daemon's socket without MSG_NOSIGNAL: a
	 * daemon that goes away (restarted, stopped) would kill us with
	 * SIGPIPE mid-sample (tests/e2e/libvirt.sh saw it).  Ignored, a
	 * write to a closed pipe is EPIPE, which the commands check. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	hv->lv = c;
	return 0;
}

void vr_hv_lv_disconnect(struct vr_hv *hv)
{
	if (hv->lv)
		virConnectClose(hv->lv);
	hv->lv = NULL;
}

/* A daemon that went away is tried again after 1 s, then after twice the
 * wait each time, up to this: a restart takes seconds, a daemon stopped
 * for good should not cost a connection attempt every second. */
#define RETRY_MAX_SEC 30

int vr_hv_lv_check(struct vr_hv *hv)
{
	uint64_t now = vr_now_usec();

	if (!hv->lv_lost) {
		if (!hv->lv)
			return -ENOTCONN;
		if (virConnectIsAlive(hv->lv) == 1)
			return 0;
		fprintf(stderr,
			"vmreclaim %s: libvirt %s: connection lost (libvirtd stopped?); "
			"going on with what /proc shows, connecting again\n",
			hv->cmd, hv->uri);
		vr_hv_lv_disconnect(hv);
		hv->lv_lost = true;
		hv->lv_backoff_sec = 1;
		hv->lv_retry_usec = now + VR_USEC_PER_SEC;
		return -ENOTCONN;
	}
	if (now < hv->lv_retry_usec)
		return -ENOTCONN;
	if (vr_hv_lv_connect(hv) < 0) {
		hv->lv_backoff_sec = hv->lv_backoff_sec * 2 > RETRY_MAX_SEC ? RETRY_MAX_SEC
									: hv->lv_backoff_sec * 2;
		hv->lv_retry_usec = now + (uint64_t)hv->lv_backoff_sec * VR_USEC_PER_SEC;
		return -ENOTCONN;
	}
	hv->lv_lost = false;
	fprintf(stderr, "vmreclaim %s: libvirt %s: connected again\n", hv->cmd, hv->uri);
	return 1;
}

int vr_hv_lv_rebind(struct vr_hv *hv, struct vr_hv_vm *vm)
{
	virDomainPtr dom;

	if (!hv->lv)
		return -ENOTCONN;
	dom = virDomainLookupByName(hv->lv, vm->name);
	if (!dom) {
		virErrorPtr e = virGetLastError();

		return e && e->code == VIR_ERR_NO_DOMAIN ? 0 : -EIO;
	}
	if (virDomainIsActive(dom) != 1) {
		virDomainFree(dom);
		return 0;
	}
	virDomainFree(dom_of(vm));
	((struct lv_dom *)vm->priv)->dom = dom;
	return 1;
}

/* The QEMU processes of the @n domains with @uuids into @pids, in one
 * pass over /proc: libvirt starts each with "-uuid UUID", which no other
 * domain shares.  0 for one not found (libvirt on another host, or not
 * allowed to read its command line). */
static void find_qemus(char (*uuids)[VIR_UUID_STRING_BUFLEN], pid_t *pids, size_t n)
{
	DIR *d;
	struct dirent *e;
	size_t found = 0, k;

	for (k = 0; k < n; k++)
		pids[k] = 0;
	if (n == 0 || !(d = opendir("/proc")))
		return;
	while (found < n && (e = readdir(d))) {
		char path[300], buf[8192];
		uint64_t pid;
		size_t len, i;

		if (!isdigit((unsigned char)e->d_name[0]) || vr_parse_u64(e->d_name, NULL, &pid) < 0 ||
		    pid > INT32_MAX)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		/* Zeroed: the argument after "-uuid" is read even when the
		 * read ended there. */
		memset(buf, 0, sizeof(buf));
		/* QEMU's command line under libvirt is long; -uuid comes
		 * early, in its first few kilobytes. */
		if (vr_read_head(path, buf, sizeof(buf)) < 0)
			continue;
		len = sizeof(buf) - 1;
		for (i = 0; i < len && buf[i]; i += strlen(buf + i) + 1) {
			if (strcmp(buf + i, "-uuid") == 0) {
				const char *next = buf + i + 6;

				for (k = 0; i + 6 < len && k < n; k++) {
					if (!pids[k] && strcmp(next, uuids[k]) == 0) {
						pids[k] = (pid_t)pid;
						found++;
						break;
					}
				}
				break;
			}
		}
	}
	closedir(d);
}

static char *domain_xml(virDomainPtr dom, char *err, size_t err_size)
{
	char *xml = virDomainGetXMLDesc(dom, 0);

	if (!xml)
		last_error(err, err_size, "domain XML");
	return xml;
}

/* Fill @ret for @dom (taken, once this succeeds: released with @ret); its
 * process is found by the caller (find_qemus()).  Returns 0 or -errno;
 * @dom is then the caller's again. */
static int wrap(virDomainPtr dom, struct vr_hv_vm *ret, char *err, size_t err_size)
{
	const char *name = virDomainGetName(dom);
	struct lv_dom *ld;
	char *xml;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!name || !vr_strlcpy(ret->name, name, sizeof(ret->name))) {
		snprintf(err, err_size, "a domain name longer than %d characters", VR_HV_NAME_MAX);
		return -ENAMETOOLONG;
	}
	ld = calloc(1, sizeof(*ld));
	if (!ld) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	xml = domain_xml(dom, err, err_size);
	if (!xml) {
		free(ld);
		return -EIO;
	}
	r = vr_lvxml_parse(xml, &ld->x);
	free(xml);
	if (r < 0) {
		free(ld);
		snprintf(err, err_size, "%s: domain XML not understood", ret->name);
		return r;
	}
	ld->dom = dom;
	ret->ops = &vr_hv_libvirt_ops;
	ret->priv = ld;
	if (ld->x.channel && ld->x.channel_unix)
		vr_strlcpy(ret->guest, ld->x.channel_path, sizeof(ret->guest));
	/* Where top reads the guest's events, as for our own VMs. */
	vr_strlcpy(ret->own.console, ld->x.console_path, sizeof(ret->own.console));
	return 0;
}

/* The QEMU processes of the @n domains of @vms, in one pass over /proc. */
static int find_pids(struct vr_hv_vm *vms, size_t n)
{
	char (*uuids)[VIR_UUID_STRING_BUFLEN] = calloc(n ? n : 1, sizeof(*uuids));
	pid_t *pids = calloc(n ? n : 1, sizeof(*pids));
	size_t i;

	if (!uuids || !pids) {
		free(uuids);
		free(pids);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		/* "" matches no -uuid argument. */
		if (virDomainGetUUIDString(dom_of(&vms[i]), uuids[i]) < 0)
			uuids[i][0] = '\0';
	}
	find_qemus(uuids, pids, n);
	for (i = 0; i < n; i++)
		vms[i].pid = uuids[i][0] ? pids[i] : 0;
	free(uuids);
	free(pids);
	return 0;
}

int vr_hv_lv_list(struct vr_hv *hv, struct vr_hv_vm **vms, size_t *n, size_t *cap)
{
	virDomainPtr *doms = NULL;
	size_t first = *n;
	int k, i;

	k = virConnectListAllDomains(hv->lv, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (k < 0) {
		last_error(hv->lv_err, sizeof(hv->lv_err), "listing domains");
		return -EIO;
	}
	for (i = 0; i < k; i++) {
		char err[256];

		if (*n == *cap) {
			size_t new_cap = *cap * 2 + 4;
			struct vr_hv_vm *more = realloc(*vms, new_cap * sizeof(**vms));

			if (!more) {
				for (; i < k; i++)
					virDomainFree(doms[i]);
				free(doms);
				snprintf(hv->lv_err, sizeof(hv->lv_err), "out of memory");
				return -ENOMEM;
			}
			*vms = more;
			*cap = new_cap;
		}
		if (wrap(doms[i], &(*vms)[*n], err, sizeof(err)) < 0) {
			fprintf(stderr, "vmreclaim %s: libvirt: %s\n", hv->cmd, err);
			virDomainFree(doms[i]);
			continue;
		}
		(*n)++;
	}
	free(doms);
	if (find_pids(*vms + first, *n - first) < 0) {
		snprintf(hv->lv_err, sizeof(hv->lv_err), "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void lv_release(struct vr_hv_vm *vm);

int vr_hv_lv_lookup(struct vr_hv *hv, const char *name, struct vr_hv_vm *ret, char *err,
		    size_t err_size)
{
	virDomainPtr dom = virDomainLookupByName(hv->lv, name);
	int r;

	if (!dom) {
		virErrorPtr e = virGetLastError();

		if (e && e->code == VIR_ERR_NO_DOMAIN)
			return 0;
		last_error(err, err_size, "looking it up");
		return -EIO;
	}
	if (virDomainIsActive(dom) != 1) {
		virDomainFree(dom);
		return 0;
	}
	r = wrap(dom, ret, err, err_size);
	if (r < 0) {
		virDomainFree(dom);
		memset(ret, 0, sizeof(*ret));
		return r;
	}
	if (find_pids(ret, 1) < 0) {
		lv_release(ret);
		memset(ret, 0, sizeof(*ret));
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	return 1;
}

static int lv_rss(struct vr_hv_vm *vm, uint64_t *ret_bytes)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	struct vr_guest_stats g;
	uint64_t rss;
	int k, r;

	if (vm->pid > 0) {
		r = vr_proc_rss(vm->pid, ret_bytes);
		if (r != -ESRCH)
			return r;
		/* The process went: gone with its domain, or started again
		 * (another pid) by libvirt. */
		if (virDomainIsActive(dom_of(vm)) != 1)
			return -ESRCH;
		vm->pid = 0;
	}
	/* No process of ours to read: libvirt reads it (on its host). */
	k = virDomainMemoryStats(dom_of(vm), st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	if (k < 0)
		return virDomainIsActive(dom_of(vm)) == 1 ? -EIO : -ESRCH;
	(void)vr_lvstats_map(st, (size_t)k, &g, &rss);
	if (rss == VR_QMP_STAT_NONE)
		return -ENODATA;
	*ret_bytes = rss;
	return 0;
}

static int lv_guest_stats(struct vr_hv_vm *vm, unsigned period_sec, struct vr_guest_stats *ret,
			  char *err, size_t err_size)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	uint64_t rss;
	int k, r;

	if (!vm->stats_checked) {
		/* Without a period the balloon sends no statistics; set it
		 * for this run of the domain only (its configuration stays
		 * as the user wrote it), and say so, once. */
		const struct vr_lvxml *x = xml_of(vm);

		if (!x->balloon) {
			snprintf(err, err_size, "no virtio balloon (<memballoon model='virtio'>)");
			return -ENODEV;
		}
		if (x->stats_period == 0) {
			if (virDomainSetMemoryStatsPeriod(dom_of(vm), (int)period_sec,
							  VIR_DOMAIN_AFFECT_LIVE) < 0) {
				last_error(err, err_size, "balloon statistics are off and could not be set");
				return -EIO;
			}
			fprintf(stderr,
				"vmreclaim: %s: balloon statistics were off; now every %u s while the domain runs "
				"(<stats period='%u'/> in <memballoon> keeps them on)\n",
				vm->name, period_sec, period_sec);
		}
		vm->stats_checked = true;
	}
	k = virDomainMemoryStats(dom_of(vm), st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	if (k < 0) {
		last_error(err, err_size, "memory statistics");
		return -EIO;
	}
	r = vr_lvstats_map(st, (size_t)k, ret, &rss);
	if (r < 0)
		snprintf(err, err_size, "the guest reports no memory statistics yet (balloon driver?)");
	return r;
}

static int lv_stop(struct vr_hv_vm *vm, char *err, size_t err_size)
{
	uint64_t until = vr_now_usec() + STOP_WAIT_USEC;
	virDomainPtr dom = dom_of(vm);
	char why[256] = "";
	bool asked = false;

	/* Without ACPI the guest never sees the power button: libvirt takes
	 * the request all the same, and the wait would be for nothing. */
	if (!xml_of(vm)->acpi)
		snprintf(why, sizeof(why), "the guest cannot be asked to shut down (no ACPI)");
	else if (virDomainShutdown(dom) < 0)
		last_error(why, sizeof(why), "shutdown refused");
	else
		asked = true;

	while (asked && vr_now_usec() < until) {
		if (virDomainIsActive(dom) == 0)
			return 0;
		usleep(100 * 1000);
	}
	if (virDomainIsActive(dom) == 0)
		return 0;
	if (virDomainDestroy(dom) < 0) {
		last_error(err, err_size, "destroy");
		return -EIO;
	}
	if (asked)
		fprintf(stderr, "vmreclaim stop: %s: no clean shutdown within %llu s; destroyed\n",
			vm->name, (unsigned long long)(STOP_WAIT_USEC / VR_USEC_PER_SEC));
	else
		fprintf(stderr, "vmreclaim stop: %s: %s; destroyed\n", vm->name, why);
	return 0;
}

/* The XML read again: check lists every domain, then asks each in turn
 * (a channel call may take seconds), and the channel's state= is live. */
static int lv_setup(struct vr_hv_vm *vm, struct vr_hv_setup *ret, char *err, size_t err_size)
{
	struct lv_dom *ld = vm->priv;
	const struct vr_lvxml *x = &ld->x;
	struct vr_lvxml fresh;
	char *xml = domain_xml(ld->dom, err, err_size);
	int r;

	if (!xml)
		return -EIO;
	r = vr_lvxml_parse(xml, &fresh);
	free(xml);
	if (r < 0) {
		snprintf(err, err_size, "domain XML not understood");
		return r;
	}
	ld->x = fresh;
	memset(ret, 0, sizeof(*ret));
	ret->balloon = x->balloon;
	ret->reporting = x->reporting;
	ret->channel = x->channel && x->channel_unix;
	ret->channel_connected_known = x->channel_state[0] != '\0';
	ret->channel_connected = strcmp(x->channel_state, "connected") == 0;
	return 0;
}

static void lv_advice(const struct vr_hv_vm *vm, const struct vr_hv_setup *s, FILE *f)
{
	fprintf(f, "    add to <devices> (virsh edit %s; it takes effect when the domain next starts):\n",
		vm->name);
	if (!s->balloon || !s->reporting)
		fprintf(f, "      <memballoon model='virtio' freePageReporting='on'/>\n");
	if (!s->channel)
		fprintf(f,
			"      <channel type='unix'>\n"
			"        <target type='virtio' name='org.vmreclaim.0'/>\n"
			"      </channel>\n");
}

static void lv_gone(struct vr_hv_vm *vm, char *msg, size_t size)
{
	(void)vm;
	snprintf(msg, size, "the domain is no longer running");
}

static void lv_release(struct vr_hv_vm *vm)
{
	if (vm->priv) {
		virDomainFree(dom_of(vm));
		free(vm->priv);
	}
	vm->priv = NULL;
}

const struct vr_hv_ops vr_hv_libvirt_ops = {
	.name = "libvirt",
	.rss = lv_rss,
	.guest_stats = lv_guest_stats,
	.stop = lv_stop,
	.setup = lv_setup,
	.advice = lv_advice,
	.gone = lv_gone,
	.release = lv_release,
};
