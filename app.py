"""Latent Space Playground: `python app.py` serves every model under pretrained/ on localhost.
Hugging Face Spaces runs this file too (it sets GRADIO_SERVER_NAME itself)."""
from playground.ui import build_demo, launch_kwargs

# Run as a server: warm up UMAP in the background (never when imported, e.g. by tests).
demo = build_demo(warm_up=__name__ == "__main__")

if __name__ == "__main__":
    demo.launch(**launch_kwargs())
