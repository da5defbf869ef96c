"""Index: Chunks -> an index on disk, and back.

Takes in: the Documents and Chunks from `rag.ingest` and the settings.
Gives out: a committed build folder (manifest with checksums, BM25 arrays, embeddings, a
FAISS index, chunk rows) and, when opened, a `LoadedIndex` the retrievers search.
Files: `build` (the indexing pipeline), `store` (manifest, lock, atomic `CURRENT` switch),
`bm25`/`bm25_builder`/`vocab`/`parallel` (lexical), `embedder`/`vectors`/`npyfile` (dense),
`rows` (chunks read lazily), `loaded` (open and verify a build).
Must never import: gradio, or anything under `rag.retrieve`, `rag.answer`, `rag.llm`;
torch and sentence_transformers only inside the functions that embed.
"""
