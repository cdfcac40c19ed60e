# sentry: vs_httpc (lib/net) on libcurl, jansson, zlib (compressed bodies).
LIBS_sentry = $(UTIL_LIB) $(shell pkg-config --libs libcurl jansson zlib)
