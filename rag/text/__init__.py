"""Text: pure functions on Chinese text that several stages share.

Takes in: strings. Gives out: tokens (`tokenize`), word kinds (`lexicon`), numbers and
quantities (`numbers`), sentences with offsets (`sentences`), folding and the curated word
lists in `data/` (`wordlists`).
Must never import: torch, faiss, gradio, sentence_transformers, scipy, or anything else under
`rag` except `rag.types` and `rag.errors`.
"""
