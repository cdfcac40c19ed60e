LIBS_llm_openai = -ljansson
