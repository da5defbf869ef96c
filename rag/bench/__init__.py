"""`rag bench`: speed and scale, measured.

cli.py       the command: one process per size, then the report
scale.py     one size end to end: generate, build, load, query, recall, baseline
corpus.py    the synthetic Chinese corpus with planted facts
hashing.py   synthetic dense vectors (a stand-in embedder for the index stages)
baseline.py  the naive baseline: rank_bm25 and an exact FAISS scan
seed.py      the seed corpus: warm answers and a cold `rag ask`
embedding.py embedding throughput of the default model's shape, by precision
coldstart.py fresh-process timings
measure.py   latency percentiles, peak memory, sizes
report.py    bench.json -> bench.md and latency.png
"""
