"""A synthetic Chinese corpus in the seed format, with planted facts to find at any size.

Words come from jieba's own dictionary: the everyday words (its most frequent
20,000) by their corpus frequency, so function words and common verbs occur at
realistic rates and have realistically long posting lists; the content words from
the document's topic, a few hundred nouns used with a Zipf law, so rarer words are
topical as in real text (and documents on one topic resemble each other, which is
what an approximate vector index relies on). Documents have sections with the
duplicated headings of scraped articles, keywords and a byline. Into some
documents one sentence states a fact about a unique, made-up organisation:

    青禾智联研究院的研发投入达到37.6亿元。   <- in the document
    青禾智联研究院的研发投入是多少？          <- the question; the answer must quote 37.6亿元

Generation is deterministic for a seed and takes seconds for a million chunks.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

KEYWORD_POOL = 60
COMMON_WORDS = 20_000
TOPIC_WORDS = 300
TOPIC_SHARE = 0.35
_TOPIC_CDF = np.cumsum(1 / (np.arange(TOPIC_WORDS) + 10)) / np.sum(1 / (np.arange(TOPIC_WORDS) + 10))
_TOPIC_CDF[-1] = 1.0
CHARS_PER_CHUNK = 136  # a 240/80 chunking of these documents advances ~136 body characters a chunk
FORMAT_VERSION = 3
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_TOPIC_TAGS = {"n", "nz", "vn", "nt", "ns"}
_NAME_TAGS = {"n", "nz", "ns", "nr"}
_ATTRIBUTES = (("年营收", "亿元", 1), ("研发投入", "亿元", 1), ("员工总数", "人", 0), ("门店数量", "家", 0),
               ("专利数量", "项", 0), ("市场份额", "%", 1), ("出口额", "亿美元", 1), ("用户规模", "万人", 0),
               ("净利润", "亿元", 2), ("订单量", "万单", 0))
_SUFFIXES = ("科技", "集团", "研究院", "实验室", "股份公司", "控股", "电子", "物流")
_TEMPLATES = ("{e}的{a}达到{v}。", "据统计，{e}的{a}为{v}。", "{e}此前公布，其{a}为{v}。")
_SOURCES = ("经济日报", "新华社", "人民网", "科技日报", "第一财经", "中国新闻网")
_INDUSTRIES = ("电商", "零售", "制造", "金融", "物流", "医疗", "教育", "能源", "汽车", "文旅", "农业", "通信")


@dataclass(frozen=True)
class PlantedFact:
    question: str
    value: str  # the figure the answer must contain
    sentence: str  # the sentence that states it, verbatim in one document
    path: str  # the file it is in


@dataclass(frozen=True)
class SyntheticCorpus:
    folder: Path  # holds docs/ and facts.jsonl
    documents: int
    chars: int
    facts: tuple[PlantedFact, ...]

    @property
    def docs(self) -> Path:
        return self.folder / "docs"

    def topics(self) -> list[list[str]]:
        """Each topic's nouns (what the synthetic embedder clusters on)."""
        return json.loads((self.folder / "topics.json").read_text(encoding="utf-8"))


class Vocabulary:
    """jieba's dictionary as sampling tables: all words by frequency, and topic nouns."""

    def __init__(self) -> None:
        import jieba

        words, freqs, tags = [], [], []
        with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and _CJK.match(parts[0]):
                    words.append(parts[0])
                    freqs.append(int(parts[1]))
                    tags.append(parts[2])
        self.words = np.array(words, dtype=object)
        freq = np.asarray(freqs, dtype=np.float64)
        lens = np.fromiter(map(len, words), dtype=np.int64)
        self.common = np.argsort(-freq, kind="stable")[:COMMON_WORDS]
        p = freq[self.common] / freq[self.common].sum()
        self.cdf = np.cumsum(p)
        self.mean_len = float(p @ lens[self.common])
        tag = np.array(tags, dtype=object)
        is_topic = np.isin(tag, list(_TOPIC_TAGS)) & (lens >= 2) & (lens <= 4) & (freq >= 20)
        self.topic_pool = np.flatnonzero(is_topic)
        # Rare two-character nouns make unique organisation names.
        self.name_pool = np.flatnonzero(np.isin(tag, list(_NAME_TAGS)) & (lens == 2) & (freq >= 3) & (freq <= 60))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Ids of n everyday words, by frequency."""
        return self.common[np.minimum(np.searchsorted(self.cdf, rng.random(n)), len(self.cdf) - 1)]


def generate(folder: Path, n_chunks: int, n_facts: int = 300, seed: int = 0) -> SyntheticCorpus:
    """Write about `n_chunks` chunks' worth of documents under folder/docs (reused when already there)."""
    folder = Path(folder)
    meta_path = folder / "corpus.json"
    want = {"format": FORMAT_VERSION, "n_chunks": n_chunks, "n_facts": n_facts, "seed": seed,
            "chars_per_chunk": CHARS_PER_CHUNK}
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("params") == want:
            return _load(folder, meta)
    vocab = Vocabulary()
    rng = np.random.default_rng(seed)
    n_docs = max(1, round(n_chunks * CHARS_PER_CHUNK / 2900))
    lengths = np.clip(rng.lognormal(np.log(2600), 0.45, n_docs), 300, 12000)
    lengths *= n_chunks * CHARS_PER_CHUNK / lengths.sum()  # hit the chunk target on average
    topics = _topics(vocab, rng, max(8, min(400, n_docs // 20)))
    # Keywords become protected tokenizer words, whose cost grows with their number:
    # draw them from a small pool, as a corpus with a controlled keyword list would.
    pool = vocab.words[rng.choice(vocab.topic_pool, KEYWORD_POOL, replace=False)].tolist()
    keywords = [f"{pool[t % KEYWORD_POOL]}，{pool[(7 * t + 3) % KEYWORD_POOL]}" for t in range(len(topics))]
    doc_topic = rng.integers(len(topics), size=n_docs)
    fact_docs = set(rng.choice(n_docs, min(n_facts, n_docs), replace=False).tolist())
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    planted: list[PlantedFact] = []
    seen: set[str] = set()
    chars = 0
    for i in range(n_docs):
        path = docs / f"{i // 1000:04d}" / f"doc{i:07d}.txt"
        if i % 1000 == 0:
            path.parent.mkdir(exist_ok=True)
        t = int(doc_topic[i])
        fact = _fact(vocab, rng, topics[t], seen) if i in fact_docs else None
        text = _document(vocab, rng, topics[t], int(lengths[i]), i, fact and fact.sentence, keywords[t])
        path.write_text(text, encoding="utf-8")
        chars += len(text)
        if fact:
            planted.append(PlantedFact(fact.question, fact.value, fact.sentence, str(path)))
    (folder / "topics.json").write_text(json.dumps([vocab.words[t].tolist() for t in topics], ensure_ascii=False),
                                        encoding="utf-8")
    with open(folder / "facts.jsonl", "w", encoding="utf-8") as f:
        for p in planted:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    meta = {"params": want, "documents": n_docs, "chars": chars}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return _load(folder, meta)


def _load(folder: Path, meta: dict) -> SyntheticCorpus:
    with open(folder / "facts.jsonl", encoding="utf-8") as f:
        facts = tuple(PlantedFact(**json.loads(line)) for line in f if line.strip())
    return SyntheticCorpus(folder, meta["documents"], meta["chars"], facts)


def _topics(vocab: Vocabulary, rng: np.random.Generator, n: int) -> list[np.ndarray]:
    return [rng.choice(vocab.topic_pool, TOPIC_WORDS, replace=False) for _ in range(n)]


def _fact(vocab: Vocabulary, rng: np.random.Generator, topic: np.ndarray, seen: set[str]) -> PlantedFact:
    """A figure about an organisation with a unique name (a topic noun + a rare noun + a suffix)."""
    while True:
        entity = (vocab.words[topic[int(rng.integers(30))]] + vocab.words[rng.choice(vocab.name_pool)]
                  + _SUFFIXES[int(rng.integers(len(_SUFFIXES)))])
        if entity not in seen:
            seen.add(entity)
            break
    attr, unit, decimals = _ATTRIBUTES[int(rng.integers(len(_ATTRIBUTES)))]
    number = rng.uniform(1, 100) if unit == "%" else rng.uniform(2, 9000)
    value = f"{number:.{decimals}f}{unit}"
    sentence = _TEMPLATES[int(rng.integers(len(_TEMPLATES)))].format(e=entity, a=attr, v=value)
    return PlantedFact(f"{entity}的{attr}是多少？", value, sentence, "")


def _sentences(vocab: Vocabulary, rng: np.random.Generator, topic: np.ndarray, n_chars: int) -> Iterator[str]:
    """Sentences of ~10-30 words, a third of them topic nouns, with commas; about n_chars in all."""
    n_words = max(8, int(n_chars / (vocab.mean_len * (1 - TOPIC_SHARE) + 2.4 * TOPIC_SHARE)))
    ids = vocab.sample(rng, n_words)
    is_topic = rng.random(n_words) < TOPIC_SHARE
    ids[is_topic] = topic[np.searchsorted(_TOPIC_CDF, rng.random(int(is_topic.sum())))]
    words = vocab.words[ids].tolist()
    cuts = np.cumsum(rng.integers(10, 30, size=n_words // 10 + 2))
    start = 0
    for end in cuts:
        if start >= n_words:
            break
        part = words[start:int(end)]
        comma = int(rng.integers(4, 9))
        yield "，".join("".join(part[j:j + comma]) for j in range(0, len(part), comma)) + "。"
        start = int(end)


def _document(vocab: Vocabulary, rng: np.random.Generator, topic: np.ndarray, n_chars: int, i: int,
              fact: str | None, keywords: str) -> str:
    n_sections = int(rng.integers(2, 6))
    share = rng.dirichlet(np.ones(n_sections + 1)) * n_chars
    parts: list[str] = []
    for s in range(n_sections + 1):
        sents = list(_sentences(vocab, rng, topic, int(share[s])))
        if s:
            heading = "".join(vocab.words[rng.choice(topic, 3, replace=False)])
            sents[0] = heading + heading + sents[0]  # the scraped-article heading artefact
        parts.extend(sents)
    if fact:
        parts.insert(int(rng.integers(1, len(parts))), fact)
    title = "".join(vocab.words[rng.choice(topic, 4, replace=False)])
    body = "".join(parts) + f"来源：{_SOURCES[i % len(_SOURCES)]}"
    return (f"标题: {title}\n链接: https://bench.example/doc/{i}\n总结: {body}\n"
            f"关键词: {keywords}\n行业: {_INDUSTRIES[i % len(_INDUSTRIES)]}\n")
