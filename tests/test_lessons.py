"""Lessons are data: every lessons/*.md is checked against the models and knobs that exist (a
teacher's mistake is named by file and step), and turned into the page's small JSON."""
import json
import textwrap

import pytest

from playground.lessons import LESSONS, LessonError, load, page_data, parse
from playground.view import TABS

TOPICS = {"latent-space", "temperature", "conditional", "gans", "likelihood", "evaluation",
          "diffusion"}


@pytest.fixture(scope="module")
def models(backend):
    return {m.id: m for m in backend.models()}


def test_every_shipped_lesson_is_valid_against_the_registry(models):
    lessons = load(models)                       # raises LessonError naming file and step
    assert TOPICS <= {lesson.id for lesson in lessons}
    for lesson in lessons:
        assert 4 <= len(lesson.steps) <= 8, lesson.id
        assert any(s.question for s in lesson.steps), f"{lesson.id} asks nothing"
        for step in lesson.steps:
            if step.view and step.view.model:    # the model is one its tab lists
                assert TABS[step.view.tab].models(models[step.view.model])
    data = page_data(lessons)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    assert len(text.encode()) < 40_000          # the static folder carries it (deflated)
    assert "<script" not in text                 # Markdown's raw HTML is escaped, not rendered
    assert json.dumps(page_data(load(models)), sort_keys=True, ensure_ascii=False) == text


GOOD_STEP = """## Look

Some text.

```view
model: vae-mnist-2d
z: [0, 1]
```
"""


def lesson_file(tmp_path, body: str, name="bad-lesson", front="title: T\nsummary: S\norder: 1"):
    path = tmp_path / f"{name}.md"
    path.write_text(f"---\n{front}\n---\n{textwrap.dedent(body)}")
    return path


@pytest.mark.parametrize("step, message", [
    ("## S\nText.\n```view\nmodel: vae-mnist-99d\n```\n", "step 4 (S): unknown model"),
    ("## S\nText.\n```view\ntab: train-live\nknobs: {preset: fix it}\n```\n",
     "step 4 (S): preset must be one of"),
    ("## S\nText.\n```view\nmodel: vae-mnist-2d\nknobs: {guidance: 2}\n```\n",
     "'guidance' is not a knob of vae-mnist-2d"),
    ("## S\nText.\n```question\nkind: choice\nprompt: P\noptions: [a, b]\nanswer: c\n"
     "explanation: E\n```\n", "step 4 (S): the answer 'c' is not one of the options"),
    ("## S\nText.\n```question\nkind: number\nprompt: P\nanswer: .nan\nexplanation: E\n```\n",
     "answer must be a finite number"),
    ("## S\nText.\n```question\nkind: number\nprompt: P: x\nanswer: 1\nexplanation: E\n```\n",
     "step 4 (S): its question block is not YAML"),
    ("## S\n```view\nmodel: vae-mnist-2d\n```\n", "a step needs text"),
])
def test_a_bad_step_is_named_by_file_and_step(tmp_path, models, step, message):
    path = lesson_file(tmp_path, GOOD_STEP * 3 + step)
    with pytest.raises(LessonError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        parse(path, models)
    assert str(err.value).startswith("lesson bad-lesson.md")


def test_a_bad_lesson_file_is_named(tmp_path, models):
    with pytest.raises(LessonError, match="bad-lesson.md: a lesson has 4 to 8 steps"):
        parse(lesson_file(tmp_path, GOOD_STEP * 2), models)
    with pytest.raises(LessonError, match="front matter has title, summary and order only"):
        parse(lesson_file(tmp_path, GOOD_STEP * 4, front="title: T\nsummary: S\nauthor: me"), models)
    with pytest.raises(LessonError, match="file name is the lesson id"):
        parse(lesson_file(tmp_path, GOOD_STEP * 4, name="Bad Name"), models)
    # a page keeps its other lessons and says which file it left out
    lesson_file(tmp_path, GOOD_STEP * 4, name="fine")
    errors = []
    assert [lesson.id for lesson in load(models, tmp_path, errors)] == ["fine"]
    assert any("bad-lesson.md" in e for e in errors) and any("Bad Name.md" in e for e in errors)
    assert page_data([], errors)["errors"] == errors
    assert LESSONS.is_dir()
