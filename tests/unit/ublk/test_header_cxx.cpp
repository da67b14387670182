// SPDX-License-Identifier: MIT
/* Description: the public header is usable from C++ (extern "C", no C-only syntax). */
#include <ublk/ublk.h>

#include <cstring>

int main()
{
	ublk_dev_params p{};
	p.size = 1 << 20;
	return std::strcmp(ublk_state_name(UBLK_STATE_QUIESCED), "QUIESCED") == 0 &&
			       std::strcmp(ublk_feature_name(3), "USER_RECOVERY") == 0 &&
			       p.size == (1u << 20)
		       ? 0
		       : 1;
}
