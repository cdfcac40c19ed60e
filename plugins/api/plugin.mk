# api plugin: libcurl (easy + multi) for HTTP, jansson for JSON.
LIBS_api := $(shell pkg-config --libs libcurl jansson)
CFLAGS_api := $(shell pkg-config --cflags libcurl jansson)
