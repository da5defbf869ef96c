"""Answer: the question and its Hits -> a checked Draft with [n] citations, or a refusal.

Takes in: the standalone question (`FollowUp` from `rag.retrieve.followup`), the Hits, the history.
Gives out: `Draft` (text, citations, the citation check's report).
Files: `support` (how much of a question evidence covers), `candidates` (score sentences),
`extractive` (the offline answerer), `prompting` (grounded prompts), `generated` (an LLM's
answer, checked), `check` (figures bound to the passages they cite), `answerers` (pick one).
Must never import: gradio, faiss, or the retrievers; torch only inside an LLM backend.
"""
