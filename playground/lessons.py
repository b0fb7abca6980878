"""Lessons: one Markdown file per lesson under lessons/, checked against the models that exist and
turned into the small JSON the page's lesson panel renders (assets/lessons.js, in the app and in
the static folder). Pure: no Gradio; the models' facts come in as a mapping id → ModelInfo.

A lesson file (lessons/<id>.md; a teacher adds one without Python):

    ---
    title: What a latent space is          # ≤ 80 characters
    summary: One line for the lesson list   # ≤ 200 characters
    order: 1                               # the list's order
    ---
    ## A step's title
    What to do and what to notice, in Markdown (no raw HTML).

    ```view                                # optional: what "Show me" sets (playground/view.py)
    model: vae-mnist-2d
    z: [0, 0]
    ```

    ```question                            # optional: predict, then reveal
    kind: choice                           # or: number (answer, tolerance, unit)
    prompt: Which digit sits at the origin?
    options: ["0", "6", "8"]
    answer: "6"
    explanation: Why, shown once answered.
    ```

Each `## ` heading starts a step; a lesson has MIN_STEPS to MAX_STEPS of them.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from playground.errors import PlaygroundError
from playground.view import LESSON_ID, TABS, View

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
MIN_STEPS, MAX_STEPS = 4, 8
FRONT = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
BLOCK = re.compile(r"^```(view|question)[ \t]*\n(.*?)^```[ \t]*$\n?", re.S | re.M)
QUESTION_KEYS = {"kind", "prompt", "options", "answer", "tolerance", "unit", "explanation"}


class LessonError(PlaygroundError):
    """A lesson file that cannot be shown: the message names the file and the step."""


@dataclass(frozen=True)
class Question:
    kind: str                    # "choice" | "number"
    prompt: str                  # Markdown
    answer: str | float          # the right option's text, or the number
    explanation: str             # Markdown, shown once answered
    options: tuple[str, ...] = ()
    tolerance: float = 0.0       # a number within this of the answer is right
    unit: str = ""


@dataclass(frozen=True)
class Step:
    title: str
    text: str                    # Markdown: what to do and what to notice
    view: View | None = None
    question: Question | None = None


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    order: int
    steps: tuple[Step, ...]


def _short(value, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise PlaygroundError(f"{name} must be text of 1 to {limit} characters")
    return value.strip()


def _question(raw) -> Question:
    if not isinstance(raw, dict):
        raise PlaygroundError("a question is a YAML mapping")
    unknown = set(raw) - QUESTION_KEYS
    if unknown:
        raise PlaygroundError(f"a question has no field {sorted(unknown)[0]!r}")
    kind = raw.get("kind")
    prompt = _short(raw.get("prompt"), "the question's prompt", 600)
    explanation = _short(raw.get("explanation"), "the question's explanation", 1500)
    if kind == "choice":
        options = raw.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= 6:
            raise PlaygroundError("a choice question has 2 to 6 options")
        options = tuple(_short(str(o), "an option", 120) for o in options)
        if len(set(options)) != len(options):
            raise PlaygroundError("a choice question's options must differ")
        answer = str(raw.get("answer"))
        if answer not in options:
            raise PlaygroundError(f"the answer {answer[:40]!r} is not one of the options")
        return Question(kind, prompt, answer, explanation, options=options)
    if kind == "number":
        answer, tolerance = raw.get("answer"), raw.get("tolerance", 0)
        for name, v in (("answer", answer), ("tolerance", tolerance)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise PlaygroundError(f"a number question's {name} must be a finite number")
        if tolerance < 0:
            raise PlaygroundError("a number question's tolerance must be 0 or more")
        if "options" in raw:
            raise PlaygroundError("a number question has no options")
        unit = raw.get("unit", "")
        return Question(kind, prompt, float(answer), explanation, tolerance=float(tolerance),
                        unit=_short(unit, "unit", 20) if unit else "")
    raise PlaygroundError("a question's kind must be choice or number")


def _step(chunk: str, models: Mapping) -> Step:
    title, _, body = chunk.partition("\n")
    blocks: dict[str, object] = {}
    for kind, text in BLOCK.findall(body):
        if kind in blocks:
            raise PlaygroundError(f"a step has one {kind} block at most")
        try:
            blocks[kind] = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise PlaygroundError(f"its {kind} block is not YAML: {str(err)[:200]}") from None
    text = BLOCK.sub("", body).strip()
    if not text:
        raise PlaygroundError("a step needs text: what to do and what to notice")
    view = None
    if "view" in blocks:
        view = View.from_dict(blocks["view"] or {}, models)
        if view.lesson is not None:
            raise PlaygroundError("a step's view names no lesson: the step is its own")
    question = _question(blocks["question"]) if "question" in blocks else None
    return Step(_short(title, "a step's title", 80), text, view, question)


def parse(path: Path, models: Mapping) -> Lesson:
    """One lesson file, checked; LessonError names the file and the step when it is wrong."""
    lesson_id = path.stem
    where = path.name
    try:
        if not LESSON_ID.fullmatch(lesson_id):
            raise PlaygroundError("the file name is the lesson id: lower-case letters, digits, "
                                  "dashes (e.g. latent-space.md)")
        m = FRONT.match(path.read_text(encoding="utf-8").replace("\r\n", "\n"))
        if not m:
            raise PlaygroundError("it must start with YAML front matter between --- lines")
        front = yaml.safe_load(m.group(1))
        if not isinstance(front, dict) or set(front) - {"title", "summary", "order"}:
            raise PlaygroundError("its front matter has title, summary and order only")
        order = front.get("order", 100)
        if isinstance(order, bool) or not isinstance(order, int):
            raise PlaygroundError("order must be a whole number")
        head, *chunks = re.split(r"^## ", m.group(2), flags=re.M)
        if head.strip():
            raise PlaygroundError("text before the first '## ' step heading belongs in a step")
        if not MIN_STEPS <= len(chunks) <= MAX_STEPS:
            raise PlaygroundError(f"a lesson has {MIN_STEPS} to {MAX_STEPS} steps ('## ' "
                                  f"headings), this one {len(chunks)}")
        steps = []
        for k, chunk in enumerate(chunks, 1):
            where = f"{path.name}, step {k} ({chunk.partition(chr(10))[0].strip()[:40]})"
            steps.append(_step(chunk, models))
        where = path.name
        return Lesson(lesson_id, _short(front.get("title"), "title", 80),
                      _short(front.get("summary"), "summary", 200), order, tuple(steps))
    except (PlaygroundError, OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise LessonError(f"lesson {where}: {err}") from None


def load(models: Mapping, folder: Path = LESSONS, errors: list | None = None) -> list[Lesson]:
    """Every lessons/*.md, checked, in their order (then id). With an `errors` list, a bad file
    is left out and its message appended (a page keeps its other lessons); else it raises."""
    lessons = []
    for path in sorted(Path(folder).glob("*.md")):
        try:
            lessons.append(parse(path, models))
        except LessonError as err:
            if errors is None:
                raise
            errors.append(str(err))
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.id))


def _markdown():
    from markdown_it import MarkdownIt  # Gradio's own Markdown parser, installed with it
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def page_data(lessons: list[Lesson], errors: list[str] = ()) -> dict:
    """What the page's lesson panel renders: Markdown as HTML (made here, the same bytes on every
    build), each step's view in to_dict's shape with its tab's title and the line the static page
    shows instead of "Show me" where a step needs the full app."""
    md = _markdown()
    html = lambda text: md.render(text).strip()  # noqa: E731

    def step(s: Step) -> dict:
        out = {"title": s.title, "html": html(s.text)}
        if s.view is not None:
            out["view"] = s.view.to_dict()
            spec = TABS.get(s.view.tab)
            if spec is not None:
                out["tab"], out["full_app"] = spec.title, spec.full_app
        if s.question is not None:
            q = s.question
            out["question"] = {"kind": q.kind, "prompt": html(q.prompt), "answer": q.answer,
                               "explanation": html(q.explanation), "options": list(q.options),
                               "tolerance": q.tolerance, "unit": q.unit}
        return out

    return {"lessons": [{"id": lesson.id, "title": lesson.title, "summary": lesson.summary,
                         "steps": [step(s) for s in lesson.steps]} for lesson in lessons],
            "errors": list(errors)}
