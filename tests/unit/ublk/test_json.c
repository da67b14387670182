// SPDX-License-Identifier: MIT
/* Description: the JSON writer emits exact, valid, escaped JSON. */
#include <stdlib.h>

#include "t_assert.h"
#include "ublk_tool.h"

int main(void)
{
	char *text = NULL;
	size_t len = 0;
	struct json j = { 0 };

	j.f = open_memstream(&text, &len);
	json_begin_array(&j, NULL);
	json_begin_object(&j);
	json_key_int(&j, "id", 3);
	json_key_string(&j, "s", "a\"b\\c\n\x01");
	json_key_string(&j, "none", NULL);
	json_key_bool(&j, "t", true);
	json_begin_array(&j, "flags");
	json_string(&j, "X");
	json_string(&j, "Y");
	json_end_array(&j);
	json_key_int(&j, "neg", -1);
	json_end_object(&j);
	json_begin_object(&j);
	json_end_object(&j);
	json_end_array(&j);
	fclose(j.f);

	T_CHECK_STR(text, "[{\"id\":3,\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"none\":null,"
			  "\"t\":true,\"flags\":[\"X\",\"Y\"],\"neg\":-1},{}]");
	T_CHECK(j.depth == 0);
	free(text);
	return T_EXIT();
}
