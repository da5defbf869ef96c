"""The web chat and Gradio API (`rag serve`): `ui.app.create_app()`, `ui.app.launch()`.

Importing the package first turns off Gradio's and the Hugging Face hub's network
traffic (see ui/offline.py), before anything imports gradio.
"""
from . import offline  # noqa: F401
