# llm_anthropic: the shared LLM probe (libvsutil.a: llm_*.c, sse.c) on libcurl
# and jansson.
LIBS_llm_anthropic = $(UTIL_LIB) $(shell pkg-config --libs libcurl jansson inih) -lpthread
CFLAGS_llm_anthropic = $(shell pkg-config --cflags libcurl jansson)
