"""The web chat and Gradio API (`rag serve`).

Importing this package turns off everything Gradio and the Hugging Face hub would
send over the network (analytics, version checks, telemetry, hub downloads) before
`gradio` itself is imported, so `ui.app` never phones home.
"""
from __future__ import annotations

import os

# Forced, not defaulted: the server must send nothing anywhere whatever the environment says.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
# Defaulted: someone who deliberately sets HF_HUB_OFFLINE=0 has opted in to model downloads.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
