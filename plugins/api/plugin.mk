# api plugin: libcurl (easy + multi) for HTTP, jansson for JSON.
# libpq: whether the target's database is scratch (lib/callphase/scratch.c).
LIBS_api := $(UTIL_LIB) $(shell pkg-config --libs libcurl jansson libpq)
CFLAGS_api := $(shell pkg-config --cflags libcurl jansson libpq)
