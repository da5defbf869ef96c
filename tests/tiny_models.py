"""Tiny models built by the tests themselves: random weights, a vocabulary of Chinese characters.

Nothing is downloaded; the real loading code (SentenceTransformer(path)) reads them.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

EXTRA = "０１２３４５６７８９0123456789.%abcdefghijklmnopqrstuvwxyz"


def char_vocab(text: str) -> dict[str, int]:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted({ch for ch in text + EXTRA if not ch.isspace()})
    return {tok: i for i, tok in enumerate(specials + chars)}


def make_tiny_sentence_transformer(folder: Path, text: str, dim: int = 32, seed: int = 0) -> Path:
    """Save a 2-layer random BERT + mean pooling + normalization as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(seed)
    base = folder / "hf"
    tok = BertTokenizerFast(vocab=char_vocab(text), do_lower_case=True, tokenize_chinese_chars=True)
    config = BertConfig(vocab_size=len(tok.get_vocab()), hidden_size=dim, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=2 * dim, max_position_embeddings=512)
    BertModel(config).save_pretrained(base)
    tok.save_pretrained(base)
    word = models.Transformer(str(base), max_seq_length=256)
    get_dim = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    pool = models.Pooling(get_dim(), pooling_mode="mean")
    st = SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")
    out = folder / "st"
    st.save(str(out))
    return out


SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "[UNK]"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def chat_vocab(text: str = "") -> dict[str, int]:
    """Character vocabulary: ASCII, 300 CJK characters, every character of the prompt templates,
    the refusal phrases and `text`, so decoded prompts can be checked as text."""
    from rag.answer.prompting import REFUSALS
    from rag.prompts import PROMPTS_DIR

    chars = {chr(c) for c in range(32, 127)} | {"\n", "＜", "＞", "＂"}
    chars |= {chr(c) for c in range(0x4E00, 0x4E00 + 300)}
    for path in sorted(PROMPTS_DIR.glob("*.txt")):
        chars |= set(path.read_text(encoding="utf-8"))
    chars |= set(text + "".join(REFUSALS.values()))
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for ch in sorted(chars):
        vocab.setdefault(ch, len(vocab))
    return vocab


def make_tiny_chat_model(folder: Path, text: str = "", chat_template: str | None = CHAT_TEMPLATE,
                         seed: int = 0, script: Sequence[str] = ()) -> Path:
    """Save a tiny random Llama chat model (character tokenizer with a ChatML template, weights,
    a Qwen-like generation config with sampling defaults) to `folder`.

    With a `script` (distinct strings), the weights are set by hand so that greedy decoding
    writes exactly "".join(script) after any prompt: see `_rig`."""
    import torch
    import transformers
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    vocab = chat_vocab(text)
    for piece in script:  # whole pieces as tokens: generated and decoded, never produced by encoding
        vocab.setdefault(piece, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(SPECIALS)
    hf_tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token="[UNK]")
    if chat_template:
        hf_tok.chat_template = chat_template
    hf_tok.save_pretrained(folder)
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
        bos_token_id=None, eos_token_id=vocab["<|im_end|>"], pad_token_id=vocab["<|endoftext|>"],
        tie_word_embeddings=False)
    model = transformers.LlamaForCausalLM(config)
    if script:
        _rig(model, [vocab["\n"], *(vocab[p] for p in script), vocab["<|im_end|>"]])
    # Like Qwen's own: sampling defaults that greedy decoding must override without warnings.
    model.generation_config = transformers.GenerationConfig(
        do_sample=True, temperature=0.7, top_p=0.8,
        eos_token_id=[vocab["<|im_end|>"], vocab["<|endoftext|>"]], pad_token_id=vocab["<|endoftext|>"])
    model.save_pretrained(folder)
    return folder


def _rig(model: Any, chain: list[int]) -> None:
    """Make `model` follow `chain`: after token chain[i] it predicts chain[i + 1].

    Every layer's output projections are zero, so the last hidden state is the current
    token's embedding; token chain[i] embeds as the basis vector e_i, and the output
    layer maps e_i to chain[i + 1] only. The prompt ends with "assistant\\n", so
    generation starts at chain[0] == "\\n" and ends with the end-of-turn token."""
    import torch

    if len(set(chain[:-1])) != len(chain) - 1 or len(chain) > model.config.hidden_size:
        raise ValueError("a script needs distinct pieces, fewer than the hidden size, and no newline")
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.lm_head.weight.zero_()
        for i, (token, following) in enumerate(pairwise(chain)):
            model.model.embed_tokens.weight[token] = 0.0
            model.model.embed_tokens.weight[token, i] = 1.0
            model.lm_head.weight[following, i] = 10.0
