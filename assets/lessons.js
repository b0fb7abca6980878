/* The lesson panel: the same script in the Gradio page (playground/ui/lessons.py) and the static
 * folder (playground/static/folder.py). It renders what playground/lessons.py makes of lessons/*.md
 * (steps as HTML, views, questions), above the tabs, so a step stays in sight while "Show me"
 * sets the tabs below through window.latentWeb.applyView (playground/view.py has the contract).
 * A step's question is checked here, its explanation shown once answered. Progress (the open
 * lesson and step, the steps seen, the answers) lives in localStorage; ?lesson=<id>&step=<n>
 * opens a lesson at a step.
 *
 * latentLessons.mount(element, data)  render the panel (data: lessons.page_data's JSON)
 * latentLessons.open(id, step)        open a lesson at a step (1-based); false if there is none
 * latentLessons.current()             {lesson, step} of the open lesson, or null
 */
(function (root) {
  "use strict";
  const KEY = "latent-playground/lessons/v1";
  const CSS = `
.lessons { border: 1px solid #c7d2fe; background: #f5f7ff; border-radius: 8px; padding: 8px 12px; margin: 6px 0 10px; color: #1f2937; }
.lessons-bar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.lessons-bar strong { font-size: 1.05em; }
.lessons select { font: inherit; padding: 3px 6px; max-width: 100%; }
.lessons button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid #a5b4fc; background: #fff; cursor: pointer; }
.lessons button.primary { background: #4f46e5; border-color: #4f46e5; color: #fff; }
.lessons button:disabled { opacity: .45; cursor: default; }
.lesson-step h3 { margin: 10px 0 2px; font-size: 1.1em; }
.lesson-count, .lesson-progress, .lesson-note { color: #4b5563; font-size: .9em; }
.lesson-text p { margin: 6px 0; }
.lesson-text code { background: #e0e7ff; padding: 0 3px; border-radius: 3px; }
.lesson-row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
.lesson-question { border-top: 1px dashed #c7d2fe; margin-top: 8px; padding-top: 6px; }
.lesson-question label { display: block; margin: 3px 0; font-weight: normal; }
.lesson-question input[type=number] { width: 8em; font: inherit; padding: 2px 4px; }
.lesson-verdict.right { color: #047857; font-weight: 600; }
.lesson-verdict.wrong { color: #b45309; font-weight: 600; }
.lesson-explanation { background: #fff; border-left: 3px solid #818cf8; padding: 4px 10px; margin: 6px 0; }
.lesson-message { color: #b91c1c; font-weight: 500; margin: 6px 0; }
.lessons [hidden] { display: none !important; }`;

  const S = {data: null, el: null, lesson: null, step: 0};

  // ---- progress, in this browser only ----
  function load() {
    try { return JSON.parse(root.localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function save(p) { try { root.localStorage.setItem(KEY, JSON.stringify(p)); } catch (e) { /* private mode */ } }
  function progress(id) {
    const p = load();
    return (p.lessons && p.lessons[id]) || {seen: 0, answers: {}};
  }
  function record(change) {
    const p = load();
    p.lessons = p.lessons || {};
    change(p);
    save(p);
  }

  const $ = sel => S.el.querySelector(sel);
  const text = s => { const d = document.createElement("div"); d.textContent = s; return d.innerHTML.replace(/"/g, "&quot;"); };
  const byId = id => S.data.lessons.find(l => l.id === id) || null;

  function optionLabel(l) {
    const p = progress(l.id), n = l.steps.length;
    return `${p.seen >= n ? "✓ " : ""}${l.title}${p.seen && p.seen < n ? ` (${p.seen}/${n})` : ""}`;
  }

  function renderPicker() {
    const pick = $("#lesson-pick");
    pick.replaceChildren(new Option("Pick a lesson…", ""),
      ...S.data.lessons.map(l => new Option(optionLabel(l), l.id)));
    pick.value = S.lesson ? S.lesson.id : "";
    const done = S.data.lessons.filter(l => progress(l.id).seen >= l.steps.length).length;
    $("#lesson-progress").textContent = `${S.data.lessons.length} lessons, 4–8 steps each; `
      + `${done} finished in this browser.`;
  }

  function message(msg) {
    const m = $("#lesson-message");
    m.textContent = msg || "";
    m.hidden = !msg;
  }

  /** What "Show me" does here, or the line that says what the full app adds. */
  function showMe(step) {
    const btn = $("#lesson-show"), note = $("#lesson-server");
    btn.hidden = note.hidden = true;
    if (!step.view || !Object.keys(step.view).length) return;
    const web = root.latentWeb, ok = web && web.canApplyView ? web.canApplyView(step.view) : false;
    if (ok === true) { btn.hidden = false; return; }
    const model = step.view.model ? ` with ${step.view.model}` : "";
    note.textContent = `“Show me” needs the full app (python app.py): ${step.tab || "another tab"}`
      + `${model}. ${step.full_app || ""}`;
    note.hidden = false;
  }

  function renderQuestion(step, n) {
    const box = $("#lesson-question"), q = step.question;
    box.hidden = !q;
    if (!q) return;
    const answered = progress(S.lesson.id).answers[n];
    const name = `lesson-answer-${n}`;
    const field = q.kind === "choice"
      ? q.options.map((o, i) => `<label><input type="radio" name="${name}" value="${text(o)}" id="${name}-${i}"> ${text(o)}</label>`).join("")
      : `<label>Your answer <input type="number" step="any" id="${name}" name="${name}">${q.unit ? ` ${text(q.unit)}` : ""}</label>`;
    box.innerHTML = `<p class="lesson-note">Predict, then check:</p><div class="lesson-prompt">${q.prompt}</div>
      <div class="lesson-field">${field}</div>
      <div class="lesson-row"><button type="submit" class="primary" id="lesson-check">Check my answer</button>
      <span class="lesson-verdict" id="lesson-verdict" role="status"></span></div>
      <div class="lesson-explanation" id="lesson-explanation" hidden>${q.explanation}</div>`;
    if (answered) reveal(q, answered);
  }

  function reveal(q, a) {
    const verdict = $("#lesson-verdict");
    const right = q.kind === "choice" ? `${q.answer}` : `${q.answer}${q.unit ? ` ${q.unit}` : ""}`;
    verdict.textContent = a.right ? "Right!" : `Not quite: the answer is ${right}.`;
    verdict.className = `lesson-verdict ${a.right ? "right" : "wrong"}`;
    $("#lesson-explanation").hidden = false;
    for (const input of $("#lesson-question").querySelectorAll("input")) {
      input.disabled = true;
      if (input.type === "radio") input.checked = input.value === a.value;
      else input.value = a.value;
    }
    $("#lesson-check").disabled = true;
  }

  function check(event) {
    event.preventDefault();
    const q = S.lesson.steps[S.step - 1].question, n = S.step;
    let value, right;
    if (q.kind === "choice") {
      const picked = $("#lesson-question").querySelector("input:checked");
      if (!picked) { $("#lesson-verdict").textContent = "Pick an answer first."; return; }
      value = picked.value; right = value === q.answer;
    } else {
      const raw = $(`#lesson-answer-${n}`).value.trim(), v = Number(raw);
      if (raw === "" || !Number.isFinite(v)) { $("#lesson-verdict").textContent = "Type a number first."; return; }
      value = raw; right = Math.abs(v - q.answer) <= q.tolerance + 1e-9;
    }
    const a = {value, right};
    const id = S.lesson.id;
    record(p => { const l = p.lessons[id] = p.lessons[id] || {seen: 0, answers: {}}; l.answers[n] = a; });
    reveal(q, a);
  }

  function render() {
    const l = S.lesson;
    $("#lesson-body").hidden = !l;
    $("#lesson-close").hidden = !l;
    renderPicker();
    if (!l) return;
    const step = l.steps[S.step - 1], n = l.steps.length;
    $("#lesson-step-title").textContent = step.title;
    $("#lesson-count").textContent = `${l.title} · step ${S.step} of ${n}`;
    $("#lesson-text").innerHTML = step.html;
    showMe(step);
    renderQuestion(step, S.step);
    $("#lesson-back").disabled = S.step <= 1;
    $("#lesson-next").disabled = S.step >= n;
    $("#lesson-next").textContent = S.step >= n ? "Last step" : "Next →";
    const link = $("#lesson-link");
    link.href = `${root.location.pathname}?lesson=${encodeURIComponent(l.id)}&step=${S.step}`;
  }

  function go(lesson, step) {
    S.lesson = lesson;
    S.step = step;
    if (lesson) {
      record(p => {
        const e = p.lessons[lesson.id] = p.lessons[lesson.id] || {seen: 0, answers: {}};
        e.seen = Math.max(e.seen || 0, step);
        p.open = {lesson: lesson.id, step};
      });
    } else record(p => { p.open = null; });
    render();
  }

  const api = {
    /** Open lesson `id` at `step` (1-based); a clear message, not an exception, when either is
     * unknown. */
    open(id, step) {
      if (!S.data) return false;
      const l = byId(String(id));
      if (!l) {
        message(`There is no lesson “${String(id).slice(0, 40)}” here. Pick one from the list.`);
        return false;
      }
      const k = Number(step === undefined || step === null ? 1 : step);
      if (!Number.isInteger(k) || k < 1 || k > l.steps.length) {
        message(`“${l.title}” has steps 1 to ${l.steps.length}, not ${String(step).slice(0, 12)}: here is step 1.`);
        go(l, 1);
        return false;
      }
      message("");
      go(l, k);
      return true;
    },
    current() { return S.lesson ? {lesson: S.lesson.id, step: S.step} : null; },

    mount(el, data) {
      if (!el || !data || S.el === el) return;
      S.el = el; S.data = data;
      if (!document.getElementById("lessons-style")) {
        const style = document.createElement("style");
        style.id = "lessons-style"; style.textContent = CSS;
        document.head.appendChild(style);
      }
      el.innerHTML = `<section class="lessons" aria-label="Lessons">
        <div class="lessons-bar"><strong>Lessons</strong>
          <label for="lesson-pick" class="lesson-note">New here? Learn by doing:</label>
          <select id="lesson-pick"></select>
          <span class="lesson-progress" id="lesson-progress"></span>
          <button type="button" id="lesson-close" hidden>Close</button></div>
        <p class="lesson-message" id="lesson-message" role="alert" hidden></p>
        <div class="lesson-step" id="lesson-body" hidden>
          <h3 id="lesson-step-title"></h3><span class="lesson-count" id="lesson-count"></span>
          <div class="lesson-text" id="lesson-text"></div>
          <div class="lesson-row"><button type="button" class="primary" id="lesson-show">Show me</button>
            <span class="lesson-note" id="lesson-server" hidden></span></div>
          <form class="lesson-question" id="lesson-question" hidden></form>
          <div class="lesson-row"><button type="button" id="lesson-back">← Back</button>
            <button type="button" id="lesson-next">Next →</button>
            <a class="lesson-note" id="lesson-link" href="#">Link to this step</a></div>
        </div></section>`;
      if ((data.errors || []).length) message(data.errors.join(" "));  // a teacher's broken file
      $("#lesson-pick").addEventListener("change", e => {
        message("");
        const l = byId(e.target.value);
        go(l, l ? Math.min(Math.max(progress(l.id).seen, 1), l.steps.length) : 0);
      });
      $("#lesson-close").addEventListener("click", () => { message(""); go(null, 0); });
      $("#lesson-back").addEventListener("click", () => go(S.lesson, Math.max(1, S.step - 1)));
      $("#lesson-next").addEventListener("click", () => go(S.lesson, Math.min(S.lesson.steps.length, S.step + 1)));
      $("#lesson-show").addEventListener("click", () => {
        const step = S.lesson.steps[S.step - 1];
        if (step.view) root.latentWeb.applyView(step.view);
      });
      $("#lesson-question").addEventListener("submit", check);
      const q = new URLSearchParams(root.location.search), open = load().open;
      if (q.has("lesson")) api.open(q.get("lesson"), q.has("step") ? q.get("step") : 1);
      else if (open && byId(open.lesson)) api.open(open.lesson, open.step);
      else render();
    },
  };
  root.latentLessons = api;
})(typeof window !== "undefined" ? window : globalThis);
