"""Ingest: files on disk -> Documents -> Chunks.

Takes in: paths (files or folders) given by the user.
Gives out: `Document` (cleaned text, sections, metadata) and `Chunk` (a passage with exact
offsets into its document), both from `rag.types`, plus the list of skipped files.
Files: `loader` (walk folders, read bytes, guess the encoding), `seedformat` and `clean`
(the seed article format and scraped-body repair), `documents` (fields -> Document),
`formats/` (one reader per file format: PDF, DOCX, PPTX, XLSX, CSV, EML, text, HTML),
`corpus` (a folder -> every Document, unchanged files taken from the previous build),
`location` (a section -> where it is: page, slide, rows), `chunking` (sentences packed into chunks).
Must never import: torch, faiss, gradio, sentence_transformers, or anything under
`rag.index`, `rag.retrieve`, `rag.answer`, `rag.llm` (it may use `rag.text`).
"""
