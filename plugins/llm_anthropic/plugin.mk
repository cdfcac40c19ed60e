LIBS_llm_anthropic = -ljansson
