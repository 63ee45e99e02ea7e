"""The optional LLM planner: any OpenAI-compatible chat API through LangChain, working only through
read-only tools over the semantic layer. It produces intents, never SQL or code that runs."""
