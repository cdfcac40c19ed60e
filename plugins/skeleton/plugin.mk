# skeleton: vs_httpc from the shared libraries (lib/net) on libcurl, jansson.
LIBS_skeleton = $(UTIL_LIB) $(shell pkg-config --libs libcurl jansson)
