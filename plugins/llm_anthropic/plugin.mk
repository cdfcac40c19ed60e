# llm_anthropic: the shared LLM probe (libvsutil.a: llm_*.c, sse.c) on libcurl
# and jansson; libpq for the agent's own system prompt (agent_prompt_sql).
LIBS_llm_anthropic = $(UTIL_LIB) $(shell pkg-config --libs libcurl jansson inih) -lpq -lpthread
CFLAGS_llm_anthropic = $(shell pkg-config --cflags libcurl jansson libpq 2>/dev/null)
