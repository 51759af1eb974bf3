/* SPDX-License-Identifier: MIT */
#include "guest/orderstate.h"
#include "guest/statefile.h"
#include "procfs/buddyinfo.h"

int vr_order_state_save(const struct vr_sys *s, unsigned base_order)
{
	return vr_state_file_save(s, VR_ORDER_STATE_PATH, base_order);
}

int vr_order_state_clear(const struct vr_sys *s)
{
	return vr_state_file_clear(s, VR_ORDER_STATE_PATH);
}

int vr_order_state_load(const struct vr_sys *s, unsigned *ret)
{
	uint64_t v;
	int r = vr_state_file_load(s, VR_ORDER_STATE_PATH, VR_BUDDY_ORDERS_MAX - 1, &v);

	if (r > 0)
		*ret = (unsigned)v;
	return r;
}
