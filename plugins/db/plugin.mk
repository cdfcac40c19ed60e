# db plugin: libpq for PostgreSQL, jansson for the attached data, lib/ini
# (inih) for the expected-schema file.
LIBS_db := $(UTIL_LIB) $(shell pkg-config --libs libpq jansson inih)
CFLAGS_db := $(shell pkg-config --cflags libpq)
