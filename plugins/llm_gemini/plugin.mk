LIBS_llm_gemini = -ljansson
