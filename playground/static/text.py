"""The Names tab's export: a text model's network (playground/webgpt.py's spec, which
assets/webgpt.js runs), its weights stored like the decoders' (int16 steps of one scale per
tensor, the coarsest step that passes), judged by what the page shows and samples from: the
next-letter probabilities at T = 1, within TOLERANCE of PyTorch's on random sequences. The logits'
error is measured too and recorded beside it (in the model file and the build report).

Why not float32: the 0.34 M weights of the shipped character GPT deflate to 1.6 MB of base64, over
what the 25 MB folder has left; as int16 steps they take ~0.7 MB."""
from __future__ import annotations

from playground import webgpt
import playground.static.folder as F
import playground.static.weights as W

TOLERANCE = W.TOLERANCE   # max |p_page - p_torch| of a next-letter probability: one level of
                          # the 8-bit colour scale the page paints letters with
CHECK_SEQUENCES = 256     # random sequences per measurement: 256 x 16 positions x 27 letters (the
                          # max of fewer is luck: a step chosen on 64 came within 15 % of the bound
                          # on other sequences)
SEARCH_SEED, CHECK_SEED = 1, 2   # the step is chosen on one set, the reported error is another's


def export_text(model, info, pool: W.Pool) -> F.Extra | None:
    """The spec of a text model for its Names tab (tensors as blob references), with its measured
    errors; None when its family offers no network for the page. Raises NotExportable when the
    export differs from torch (as the decoders' do), or when even float32 weights miss the
    tolerance."""
    try:
        webgpt.module_path(model)
    except webgpt.NotExportable:
        return None      # by design: a network the page cannot run keeps the server's tab
    spec = webgpt.export(model, info.id)
    search = lambda s: webgpt.check_errors(model, s, n=CHECK_SEQUENCES, seed=SEARCH_SEED)[1]  # noqa: E731
    page, inline, report = W.shrink(model, spec, pool, tolerance=TOLERANCE, check_error=search)
    logits, probs = webgpt.check_errors(model, inline, n=CHECK_SEQUENCES, seed=CHECK_SEED)
    if not probs <= TOLERANCE:
        raise webgpt.NotExportable(f"its letter probabilities differ from torch by {probs:.2g} on "
                                   f"sequences the step was not chosen on")
    report.error, report.measures = probs, "the next-letter probabilities at T = 1"
    report.also = {"logit_error": logits}
    page.update(error=float(f"{probs:.3g}"), logit_error=float(f"{logits:.3g}"),
                tolerance=TOLERANCE)
    return F.Extra(page, [report])


F.EXPORTERS["text"] = export_text
