"""Turn off everything Gradio and the Hugging Face hub would send over the network. Import before gradio.

Analytics, version checks and telemetry are forced off whatever the environment
says; hub downloads are off unless someone deliberately set HF_HUB_OFFLINE=0.
"""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["OTEL_SDK_DISABLED"] = "true"  # FastAPI's OpenTelemetry hooks: no exporters
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
