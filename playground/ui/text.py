"""Generate text: a kind of name, a prefix, temperature / top-k / top-p / greedy, and each generated
name coloured by the probability the model gave every letter, marked new or copied."""
from __future__ import annotations

import html

import gradio as gr

from playground.backend import Backend
from playground.errors import MAX_TEXTS
from playground.ui.common import card_markdown, default_model, first_look, user_errors
from playground.ui.view import Target, given
from playground.view import View


def letter_span(ch: str, p: float) -> str:
    # Confident letters dark green, surprising ones pale orange: the eye finds the model's guesses.
    hue = 30 + 90 * p
    return (f'<span class="letter" title="p = {p:.3f}" style="background:hsl({hue:.0f},70%,'
            f'{88 - 30 * p:.0f}%)">{html.escape(ch)}</span>')


def names_html(rows: list[dict]) -> str:
    if not rows:
        return ""
    novel = sum(r["novel"] for r in rows)
    items = []
    for r in rows:
        letters = "".join(letter_span(c, p) for c, p in zip(r["text"], r["probs"]))
        end = letter_span("⏎", r["probs"][len(r["text"])]) if len(r["probs"]) > len(r["text"]) else ""
        badge = ('<span class="badge new">new</span>' if r["novel"]
                 else '<span class="badge copied">in training data</span>')
        items.append(f'<li><span class="name">{letters}{end}</span> {badge}</li>')
    return (f'<p class="names-summary"><b>{novel} of {len(rows)}</b> are new (not among the '
            f'training names). Hover a letter for its probability; ⏎ is the end.</p>'
            f'<ol class="names">{"".join(items)}</ol>')


def create_text_tab(backend: Backend) -> Target | None:
    """The tab; returns what a view sets on it (None when no text model)."""
    models = backend.models("text")
    first = default_model(models)
    if first is None:
        return

    @user_errors
    def select_text_model(model_id):
        """Pick a text model: its card and its kinds."""
        info = backend.info(model_id)
        return card_markdown(info), gr.Radio(choices=list(info.class_names),
                                             value=(info.class_names or [None])[0],
                                             visible=info.has("condition"))

    @user_errors
    def generate_text(model_id, kind, prefix, temperature, top_k, top_p, count, seed):
        """`count` names of this kind starting with `prefix`. Temperature divides the logits
        (0 = greedy), top-k keeps the k likeliest letters (0 = all), top-p the smallest set with
        that much probability (1 = all)."""
        rows = backend.sample_text(model_id, count, temperature=temperature, seed=seed, label=kind,
                                   prompt=prefix, top_k=top_k, top_p=top_p)
        return names_html(rows), rows

    with gr.Tab("Generate names", id="text"):
        with gr.Row():
            with gr.Column(scale=4):
                model_dd = gr.Dropdown([m.id for m in models], value=first.id, label="Model",
                                       elem_id="text-model")
                card = gr.Markdown(card_markdown(first), label="Model card")
                kind = gr.Radio(list(first.class_names), value=(first.class_names or [None])[0],
                                label="Kind of name", visible=first.has("condition"),
                                elem_id="text-kind")
                prefix = gr.Textbox(label="Starts with", placeholder="e.g. ma", max_length=32,
                                    elem_id="text-prefix")
                temperature = gr.Slider(0.0, 3.0, value=1.0, step=0.05, label="Temperature T",
                                        info="0 = greedy (always the likeliest letter)",
                                        elem_id="text-temperature")
                with gr.Row():
                    top_k = gr.Number(0, precision=0, minimum=0, label="top-k (0 = off)",
                                      elem_id="text-top-k")
                    top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="top-p (1 = off)",
                                      elem_id="text-top-p")
                with gr.Row():
                    count = gr.Slider(1, MAX_TEXTS, value=20, step=1, label="How many")
                    seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                go = gr.Button("Generate", variant="primary", elem_id="text-generate")
            with gr.Column(scale=6):
                look = first_look(lambda: generate_text(
                    first.id, (first.class_names or [None])[0], "", 1.0, 0, 1.0, 20, 0), "names")
                out = gr.HTML(look[0] if look else None, elem_id="text-names")
                data = gr.JSON(look[1] if look else None, visible=False)
    model_dd.input(select_text_model, model_dd, [card, kind], api_name="select_text_model")
    go.click(generate_text, [model_dd, kind, prefix, temperature, top_k, top_p, count, seed], [out, data],
             api_name="generate_text")

    def apply(v: View):
        """A view's model (card, kinds), kind, prefix, temperature (0: greedy), top-k, top-p,
        count, seed."""
        info = backend.info(v.model) if v.model else None
        model = [info.id, card_markdown(info), gr.Radio(
            choices=list(info.class_names), value=v.label or (info.class_names or [None])[0],
            visible=info.has("condition"))] if info else [gr.skip()] * 3
        k = v.knobs
        return (*model, given(k.get("prefix")), given(v.t), given(k.get("top_k")),
                given(k.get("top_p")), given(k.get("count")), given(v.seed))

    return Target(("text",), [model_dd, card, kind, prefix, temperature, top_k, top_p, count, seed],
                  apply)
