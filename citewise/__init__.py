"""citewise: ask questions of your own documents and get answers that cite the exact paragraphs."""
import os

# No network at run time: never let a library wait on a hub or an analytics endpoint.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# transformers' "Loading weights" bar (the torch encoder, the local LLM) is noise on a local load,
# and it printed even under `ingest.py --quiet`; citewise's own progress bars are unaffected.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# OpenMP threads that spin while waiting for each other turn a 20 ms question encoding into a
# second when the cores are busy with other work (measured: 1.2 s against 48 ms on 2 busy cores);
# waiting passively costs nothing measurable on an idle machine. Read when torch first loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
