"""Retrieve: a question (and the conversation) -> ranked Hits.

Takes in: a `LoadedIndex` from `rag.index`, the question and its history.
Gives out: the standalone question (`followup`: by rule, or `rewrite`: by an LLM) and
`list[Hit]` from a `Retriever.search(query, k)` (`retrievers`: lexical, dense, hybrid,
reranked; `fusion`: score fusion; `rerank`: an optional cross-encoder).
Must never import: gradio, or anything under `rag.answer`.
"""
