/* One alignment's figures as JSON (vstress/callphase/alignjson.h). */
#include "vstress/callphase/alignjson.h"

void vs_align_json(json_t *o, const struct vs_align_result *a)
{
	json_object_set_new(o, "fraction", json_real(a->fraction));
	json_object_set_new(o, "removed_ms", json_integer(a->removed_ms));
	json_object_set_new(o, "dropouts", json_integer(a->dropouts));
	json_object_set_new(o, "longest_dropout_ms", json_integer(a->longest_dropout_ms));
	json_object_set_new(o, "inserted_ms", json_integer(a->inserted_ms));
	json_object_set_new(o, "gain_db", json_real(a->gain_db));
}
