"""Fitted weights of the answer selector (selector.json), rebuilt by `python -m rag.evaluation.fit_selector`."""
