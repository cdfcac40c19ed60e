# setup plugin: libpq (parse + connect), libcurl (target health), jansson,
# lib/crypto base64 (the Telnyx public key).
LIBS_setup := $(UTIL_LIB) $(shell pkg-config --libs libpq libcurl jansson)
CFLAGS_setup := $(shell pkg-config --cflags libpq libcurl jansson)
