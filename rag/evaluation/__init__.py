"""`rag eval`: run the Chinese gold set in `eval/` through the pipeline and score it.

data.py     the gold set as frozen dataclasses (questions, conversations)
judge.py    normalization, key-fact matching, evidence chunks, citation and refusal scores
baseline.py a deliberately naive answerer (bigram BM25, top chunk, first sentence)
runner.py   asks every question in one mode, one judged record per answer
records.py  a judged answer, and why a wrong one is wrong
metrics.py  records -> one row of the table per mode
thresholds.py  --min-answer and friends
report.py   report.md, report.json, answers.jsonl, failures.jsonl
chart.py    modes.png
cli.py      arguments, index, thresholds, exit codes
"""
