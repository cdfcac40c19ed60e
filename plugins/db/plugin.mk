# db plugin: libpq for PostgreSQL, jansson for the attached data.
LIBS_db := $(shell pkg-config --libs libpq jansson)
CFLAGS_db := $(shell pkg-config --cflags libpq)
