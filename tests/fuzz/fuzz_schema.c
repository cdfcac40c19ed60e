/* The db plugin's expected-schema reader (plugins/db/db_schema_file.c,
 * conf.d/schema/NAME.ini): the input is a schema file; on success every
 * column type is canonicalised as the checker does. */
#include "fuzz.h"

#include "db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schema_spec *s = NULL;
	char path[64], err[512];
	int fd;

	fd = fz_memfile(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	err[0] = '\0';
	if (schema_file_load(path, &s, err, sizeof err) == 0) {
		if (!s)
			abort();
		for (size_t i = 0; i < s->ntables; i++) {
			if (!s->tables[i].name)
				abort();
			for (size_t k = 0; k < s->tables[i].ncols; k++) {
				const char *ty = s->tables[i].cols[k].type;
				char *t = ty ? schema_canon_type(ty) : NULL;
				if (ty && (!t || strcmp(t, ty)))
					abort(); /* canonical types are a fixed point */
				free(t);
			}
		}
		schema_spec_free(s);
	} else if (!err[0] || s) {
		abort();
	}
	close(fd);
	return 0;
}
