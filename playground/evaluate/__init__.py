"""Quality/diversity curves against temperature, the likelihood table, and the shipped curves.

    python -m playground.evaluate --all                 # (re)compute pretrained/<id>/evaluation.json
    python -m playground.evaluate --model pixelcnn-mnist
    python -m playground.evaluate --table               # the T=1 table of every shipped file

A curve scores `samples` samples per temperature (and, for a model with a guidance knob, per
guidance scale at T = 1) with the metrics of playground/metrics.py: for
image models of the judge's data set on the judge classifier's features (Fréchet distance, IS
analogue, precision/recall, diversity, SSIM, class histogram); for 2-D point models on the raw
coordinates. Each temperature draws from its own generator seeded with `seed`, so a point does not
depend on which other temperatures were asked for, and same seed + knobs → identical numbers.

Shipped curves (pretrained/<id>/evaluation.json) record the sha256 of the model's and the judge's
weights; a file whose hashes no longer match (a retrained model) is ignored until recomputed.
Curves recomputed on request are kept in memory, one computation at a time per process.

scores.py measures (metrics, real data, curves); service.py is the Evaluator the tab and the CLI
use; cli.py is `python -m playground.evaluate`.
"""
from playground.errors import MAX_TEMPERATURE  # noqa: F401  (the tab's slider bound)
from playground.evaluate.cli import asked_cell, classes_cell, likelihood_cell, main, table_at  # noqa: F401
from playground.evaluate.scores import (GUIDANCES, IMAGE_METRICS, K,  # noqa: F401
                                        MAX_TEMPERATURES, MIN_TEMPERATURE, POINT_METRICS, SAMPLES, SEED, SPACES,
                                        TEMPERATURES, Curve, Real, temperature_grid)
from playground.evaluate.service import (FILE, FORMAT_VERSION, MAX_SAMPLES,  # noqa: F401
                                         MAX_SAMPLING_SECONDS, MIN_SAMPLES, SLOW_SAMPLES, Evaluator)
