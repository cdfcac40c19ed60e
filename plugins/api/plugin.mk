# api plugin: libcurl (easy + multi) for HTTP, jansson for JSON.
# The call during the paced run: the call engine (lws, flite, inih).
# libpq: whether the target's database is scratch (lib/callphase/scratch.c).
LIBS_api := $(UTIL_LIB) $(FLITE_LIBS) $(shell pkg-config --libs libcurl jansson libpq) \
	-lwebsockets -linih -lssl -lcrypto -lpthread
CFLAGS_api := $(shell pkg-config --cflags libcurl jansson libpq)
