/* SPDX-License-Identifier: MIT */
/* What vmreclaim needs from a libvirt domain's XML and memory statistics,
 * parsed from text and arrays: no libvirt connection here, so that the
 * unit tests take hostile input. */
#ifndef VR_LVXML_H
#define VR_LVXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "common/config.h"
#include "host/qmp.h"

struct vr_lvxml {
	bool balloon;            /* <devices><memballoon model='virtio'...> */
	char balloon_model[32];  /* its model, "" when there is no memballoon */
	bool reporting;          /* freePageReporting='on' on it */
	unsigned stats_period;   /* <stats period='N'/> in it; 0 when none */
	bool channel;            /* a <channel> whose target is virtio org.vmreclaim.0 */
	bool channel_unix;       /* ... of type='unix' */
	char channel_path[VR_PATH_MAX]; /* its <source path=...>, "" when none */
	char channel_state[16];  /* its target's state= (live XML), "" when none */
	bool acpi;               /* <domain><features><acpi/>: a shutdown can be asked */
	/* The file QEMU writes the guest's first serial port to: <serial
	 * type='file'> with its <source path=...>, else the serial's <log
	 * file=...>; "" when none.  top reads the guest's events there. */
	char console_path[VR_PATH_MAX];
};

/* Parse a domain's XML (virDomainGetXMLDesc) for the balloon and the
 * guest channel; entities in attribute values are decoded (&amp; &lt;
 * &gt; &quot; &apos;).  Only elements directly under <domain><devices>
 * count.  Returns 0 and fills *ret, or -EINVAL for text that is not such
 * XML (an unterminated tag or comment, no <domain>, nesting past 32
 * levels, a value too long for its field). */
int vr_lvxml_parse(const char *xml, struct vr_lvxml *ret);

/* Map @n memory statistics of virDomainMemoryStats() (KiB) into @ret
 * (bytes; VR_QMP_STAT_NONE for what is not there; last_update 0 when the
 * guest has not reported) and the QEMU process's RSS into *ret_rss_bytes
 * (VR_QMP_STAT_NONE when not there).  Returns 0, or -ENODATA when the
 * guest figures (total and free) are not there: the statistics period is
 * off or the guest has no balloon driver. */
int vr_lvstats_map(const virDomainMemoryStatStruct *st, size_t n, struct vr_guest_stats *ret,
		   uint64_t *ret_rss_bytes);

#endif
