/* The Classroom tab's page side (playground/ui/classroom.py): it talks to the room's HTTP API
 * (/classroom/, playground/classroom/http.py) itself, with fetch and an EventSource, never through
 * Gradio's queue. A teacher's room and a student's seat are kept in localStorage, so a page that
 * is reloaded, or a student who leaves and comes back, finds its room again.
 * Names and answers are always set as text (textContent), never as HTML. */
(function (root) {
  "use strict";
  const TEACHER = "latent-classroom-teacher", STUDENT = "latent-classroom-student";
  const $ = sel => document.querySelector(sel);
  const load = name => { try { return JSON.parse(localStorage.getItem(name)); } catch (e) { return null; } };
  const save = (name, v) => v ? localStorage.setItem(name, JSON.stringify(v)) : localStorage.removeItem(name);
  const base = () => window.location.pathname.replace(/[^/]*$/, "") + "classroom";

  async function api(method, path, key, body) {
    const headers = {"Content-Type": "application/json"};
    if (key) headers.Authorization = "Bearer " + key;
    const r = await fetch(base() + path, {method, headers,
                                          body: body === undefined ? undefined : JSON.stringify(body)});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.error || `${r.status} ${r.statusText}`);
    return data;
  }
  const say = (sel, text, bad) => {
    const el = $(sel);
    if (el) { el.textContent = text; el.classList.toggle("cr-error", Boolean(bad)); }
  };

  // ---- the view (playground/view.py; latentWeb.currentView/applyView: assets/view.js) -------
  // The teacher pushes from the Classroom tab, so the view pushed is the one the page showed when
  // the teacher last left another tab for this one (read just before the tab switches).
  let shownView = null;
  const web = () => root.latentWeb || {};
  const tabOf = el => el && el.closest && el.closest("button[data-tab-id]");

  function currentView() {
    const v = web().currentView ? web().currentView() : {};
    return v.tab && v.tab !== "classroom" ? v : shownView;
  }

  /** The full latent the Explore tab decodes (the dims beyond the sliders included), or null. */
  function currentLatent() {
    const page = web().page;
    const job = page && page.inputs && page.plan(...page.inputs);
    if (job) return {model: page.inputs[0], z: Array.from(job.z, v => Math.round(v * 1e4) / 1e4)};
    const v = currentView();
    return v && v.z && v.mode !== "principal" ? {model: v.model, z: v.z} : null;
  }

  function setRange(sel, value) {
    const el = $(sel);
    if (!el || value === undefined || value === null) return;
    el.value = value;
    el.dispatchEvent(new Event("input", {bubbles: true}));
    el.dispatchEvent(new Event("change", {bubbles: true}));
  }

  /** Follow a pushed view. A view that only moves Explore's sliders, temperature or seed on the
   * model the page shows is set here, in the page (no request: a push reaches a class of 100 at
   * once); anything else goes to latentWeb.applyView, whose server handler sets the tabs. */
  function applyView(view) {
    if (!view) return;
    const page = web().page, inputs = page && page.inputs;
    const same = inputs && view.tab === "explore" && view.model === inputs[0] && !view.knobs &&
      (view.mode === undefined || view.mode === inputs[1]) &&
      (view["class"] === undefined || String(view["class"]) === String(inputs[2])) &&
      (view.rest === undefined || Number(view.rest) === Number(inputs[3]));
    if (!same) return web().applyView && web().applyView(view);
    const tab = $('button[data-tab-id="explore"]');
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
    if (view.lesson && web().applyView) web().applyView({lesson: view.lesson, step: view.step});
    setRange("#temperature input[type=range]", view.t);
    for (let i = 0; i < 12 && $(`#slider-${i}`); i++) {
      const v = (view.z || [])[i] || 0;
      if (Number(inputs[6 + i]) !== v) setRange(`#slider-${i} input[type=range]`, v);
    }
    const seed = $("#seed input");
    if (seed && view.seed !== undefined && Number(seed.value) !== view.seed) {
      seed.value = view.seed;
      seed.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }

  // ---- the teacher ---------------------------------------------------------------------------
  function showRoom() {
    const t = load(TEACHER);
    if (!$("#cr-teacher-room")) return;
    $("#cr-teacher-room").hidden = !t;
    $("#cr-create").textContent = t ? "Start a new room" : "Create a room";
    if (!t) return;
    say("#cr-code-shown", t.code);
    // the board (a Gradio timer in classroom.py) reads the room from this hidden box
    const box = $("#cr-teacher textarea, #cr-teacher input");
    if (box && box.value !== JSON.stringify(t)) {
      box.value = JSON.stringify(t);
      box.dispatchEvent(new Event("input", {bubbles: true}));
    }
    const on = $("#cr-board-on");
    if (on) on.click();
  }

  async function createRoom() {
    try {
      const made = await api("POST", "/rooms");
      save(TEACHER, {code: made.code, key: made.teacher_key});
      showRoom();
      say("#cr-teacher-status", `Room ${made.code} is open: students join with this code.`);
    } catch (err) { say("#cr-teacher-status", err.message, true); }
  }

  async function teacherCall(method, path, body, done) {
    const t = load(TEACHER);
    if (!t) return say("#cr-teacher-status", "Create a room first.", true);
    try {
      const r = await api(method, `/rooms/${t.code}${path}`, t.key, body);
      say("#cr-teacher-status", done(r));
      return r;
    } catch (err) { say("#cr-teacher-status", err.message, true); }
  }

  function pushView() {
    const view = currentView();
    if (!view) return say("#cr-teacher-status", "Open the tab to show (Explore, say), set it up, "
                          + "then come back here and push it.", true);
    return teacherCall("PUT", "/view", view, r => `View pushed (version ${r.version}).`);
  }
  function ask() {
    const text = $("#cr-q-text").value.trim();
    const choices = $("#cr-q-choices").value.split(",").map(s => s.trim()).filter(Boolean);
    return teacherCall("PUT", "/question", text ? {text, ...(choices.length ? {choices} : {})} : null,
                       () => text ? "Question asked." : "Question cleared.");
  }
  /** A round's images come from the server (classroom.py's round_images); the page starts it. */
  function startRound(items) {
    if (!items || !items.length) return;
    return teacherCall("PUT", "/round", {items}, () => "Round started: the class votes now.");
  }
  const reveal = () => teacherCall("POST", "/round/reveal", undefined, () => "Answers revealed.");

  // ---- the student ---------------------------------------------------------------------------
  let source = null, version = -1, lastView = null, lastState = null;

  async function join() {
    const code = $("#cr-join-code").value, name = $("#cr-join-name").value;
    try {
      const r = await api("POST", `/rooms/${encodeURIComponent(code.trim())}/students`, null, {name});
      save(STUDENT, {code: code.trim().toUpperCase(), key: r.student_key, name: r.name});
      follow();
    } catch (err) { say("#cr-student-status", err.message, true); }
  }

  function leave() {
    if (source) source.close();
    source = null; version = -1; lastView = null; lastState = null; toApply = null;
    save(STUDENT, null);
    showSeat(null);
  }

  function showSeat(s) {
    if (!$("#cr-seat")) return;
    $("#cr-join").hidden = Boolean(s);
    $("#cr-seat").hidden = !s;
    if (s) say("#cr-seat-name", `${s.name} in room ${s.code}`);
    else say("#cr-student-status", "");
  }

  /** Follow the room: an EventSource reconnects by itself (and resumes from its last event). */
  function follow() {
    const s = load(STUDENT);
    showSeat(s);
    if (!s || source) return;
    source = new EventSource(`${base()}/rooms/${encodeURIComponent(s.code)}/events?key=${encodeURIComponent(s.key)}`);
    source.addEventListener("state", e => onState(JSON.parse(e.data)));
    source.addEventListener("closed", () => { say("#cr-student-status", "The teacher closed the room.", true); leave(); });
    source.onerror = async () => {
      // a refused key or a gone room closes the stream for good; a network blip retries
      if (source && source.readyState === EventSource.CLOSED) {
        try { await api("GET", `/rooms/${encodeURIComponent(s.code)}/view`, s.key); }
        catch (err) { say("#cr-student-status", err.message, true); leave(); return; }
        source = null; setTimeout(follow, 1000);
      }
    };
  }

  function onState(state, again) {
    if (state.version <= version && !again) return;
    version = state.version;
    lastState = state;
    const seat = $("#cr-seat");
    if (seat) seat.dataset.version = String(version);
    const view = JSON.stringify(state.view);
    if (state.view && view !== lastView) {
      lastView = view;
      toApply = state.view;
      applyWhenReady();
      const v = state.view;
      say("#cr-student-status", `Following the teacher: ${v.model || v.tab || ""}` +
          (v.lesson ? `, ${v.lesson}` : "") + (v.step !== undefined ? `, step ${v.step}` : "") +
          ` (view ${version})`);
      if (seat) seat.dataset.view = view;
    }
    showQuestion(state.question);
    showRound(state.round);
  }

  // A view that arrives while the page is still starting (a student coming back) waits until
  // Explore and the view handler are there (or 10 s have passed), then applies.
  let toApply = null;
  const started = Date.now();
  function applyWhenReady() {
    if (!toApply) return;
    const page = web().page;
    const ready = $("#apply-view") && page && page.inputs;
    if (!ready && Date.now() - started < 10000) return;
    if (applyView(toApply) !== false) toApply = null;
  }

  async function submit(body, what) {
    const s = load(STUDENT);
    if (!s) return;
    try {
      await api("POST", `/rooms/${encodeURIComponent(s.code)}/submissions`, s.key, body);
      say("#cr-sent", `${what} sent.`);
    } catch (err) { say("#cr-sent", err.message, true); }
  }

  function sendLatent() {
    const latent = currentLatent();
    if (!latent) return say("#cr-sent", "Switch Explore's sliders to latent axes to send a latent.", true);
    return submit({kind: "latent", ...latent}, "Your latent");
  }

  let questionId = null;
  function showQuestion(q) {
    const box = $("#cr-question");
    if (!box) return;
    if (!q) { box.hidden = true; questionId = null; return; }
    if (q.id === questionId) return;
    questionId = q.id;
    box.hidden = false;
    box.replaceChildren();
    const p = document.createElement("p");
    p.textContent = q.text;
    box.append(p);
    if (q.choices) {
      for (const c of q.choices) {
        const b = document.createElement("button");
        b.textContent = c;
        b.className = "cr-choice";
        b.onclick = () => submit({kind: "answer", value: c}, `Answer "${c}"`);
        box.append(b);
      }
    } else {
      const input = document.createElement("input");
      input.maxLength = 60;
      input.placeholder = "your answer";
      const b = document.createElement("button");
      b.textContent = "Answer";
      b.onclick = () => submit({kind: "answer", value: input.value}, "Your answer");
      box.append(input, b);
    }
  }

  function drawPixels(canvas, b64) {
    const bytes = atob(b64), ctx = canvas.getContext("2d"), img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = 255 - bytes.charCodeAt(i);  // ink is dark on paper
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }

  let roundKey = null;
  function showRound(r) {
    const box = $("#cr-round-items");
    if (!box) return;
    const key = r ? `${r.id}:${r.revealed}` : null;
    if (key === roundKey) return;
    roundKey = key;
    box.replaceChildren();
    box.hidden = !r;
    if (!r) return;
    const head = document.createElement("p");
    head.textContent = r.revealed
      ? `The answers. The class was right ${r.results.accuracy === null ? "–" : Math.round(r.results.accuracy * 100) + " %"} of the time.`
      : "Real digit or generated? Vote on each image.";
    box.append(head);
    r.items.forEach((item, i) => {
      const cell = document.createElement("div");
      cell.className = "cr-round-item";
      const c = document.createElement("canvas");
      c.width = c.height = 28;
      drawPixels(c, item.pixels);
      cell.append(c);
      if (r.revealed) {
        const t = document.createElement("span");
        t.textContent = item.real ? "real" : "generated";
        cell.append(t);
      } else {
        for (const [label, real] of [["Real", true], ["Generated", false]]) {
          const b = document.createElement("button");
          b.textContent = label;
          b.onclick = () => { submit({kind: "vote", item: i, real}, `Vote on image ${i + 1}`);
                              cell.dataset.voted = label; };
          cell.append(b);
        }
      }
      box.append(cell);
    });
  }

  // ---- the drawing pad: 28x28 pixels, drawn big -----------------------------------------------
  function clearPad(canvas) {
    if (!canvas) return;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    delete canvas.dataset.ink;
  }

  function dot(e) {
    const canvas = e.target, r = canvas.getBoundingClientRect(), ctx = canvas.getContext("2d");
    const x = (e.clientX - r.left) * canvas.width / r.width, y = (e.clientY - r.top) * canvas.height / r.height;
    ctx.fillStyle = "#000";
    ctx.beginPath();
    ctx.arc(x, y, canvas.width / 18, 0, 2 * Math.PI);
    ctx.fill();
    canvas.dataset.ink = "1";
  }

  /** The pad as 28x28 grey bytes (255 ink), base64: what the API takes. */
  function drawing() {
    const small = document.createElement("canvas");
    small.width = small.height = 28;
    const ctx = small.getContext("2d");
    ctx.drawImage($("#cr-draw"), 0, 0, 28, 28);
    const px = ctx.getImageData(0, 0, 28, 28).data;
    let s = "";
    for (let i = 0; i < 784; i++) s += String.fromCharCode(255 - px[i * 4]);
    return btoa(s);
  }

  // ---- the board: decoded digits on hover ------------------------------------------------------
  /** Each point of the board's map carries its decoded digit (a PNG data URL) and its student's
   * name; hovering shows them (the map's own digits carry other data and are left alone). */
  function watchBoard() {
    const gd = document.querySelector("#cr-map .js-plotly-plot");
    if (gd && gd.on && !gd.dataset.crHover) {
      gd.dataset.crHover = "1";
      gd.on("plotly_hover", ev => {
        const p = ev.points && ev.points[0], img = $("#cr-hover img");
        const [src, name] = p && Array.isArray(p.customdata) ? p.customdata : [];
        if (!img || typeof src !== "string" || !src.startsWith("data:image/png")) return;
        img.src = src;
        img.hidden = false;
        say("#cr-hover-name", name || "");
      });
    }
  }

  // Gradio renders a tab's HTML when the tab is first shown (and may render it again): buttons
  // are handled by one listener on the document, and a new copy of the panel is filled in from
  // what the page knows (its room, its seat, the last state) when it appears.
  const CLICKS = {
    "cr-create": createRoom, "cr-push": pushView, "cr-ask": ask, "cr-reveal": reveal,
    "cr-join-button": join, "cr-leave": leave, "cr-send-latent": sendLatent,
    "cr-send-drawing": () => $("#cr-draw").dataset.ink
      ? submit({kind: "drawing", pixels: drawing()}, "Your drawing")
      : say("#cr-sent", "Draw a digit first.", true),
    "cr-clear": () => clearPad($("#cr-draw")),
  };

  function panel() {
    const el = $("#classroom");
    if (!el || el.dataset.ready) return;
    el.dataset.ready = "1";
    clearPad($("#cr-draw"));
    if (load(TEACHER)) showRoom();
    showSeat(load(STUDENT));
    questionId = roundKey = undefined;
    if (lastState) onState(lastState, true);
  }

  function start() {
    document.addEventListener("click", e => {
      const handler = e.target && CLICKS[e.target.id];
      if (handler) handler();
    });
    // capturing: runs before the tab switches, while the tab being left still shows
    document.addEventListener("click", e => {
      const tab = tabOf(e.target);
      if (tab && tab.dataset.tabId === "classroom" && web().currentView) {
        const v = web().currentView();
        if (v.tab && v.tab !== "classroom") shownView = v;
      }
    }, true);
    let down = false;
    document.addEventListener("pointerdown", e => { if (e.target.id === "cr-draw") { down = true; dot(e); } });
    document.addEventListener("pointermove", e => { if (down && e.target.id === "cr-draw") dot(e); });
    document.addEventListener("pointerup", () => { down = false; });
    follow();
    setInterval(() => { panel(); watchBoard(); applyWhenReady(); }, 300);
  }
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  root.latentWeb = root.latentWeb || {};
  root.latentWeb.classroom = {api, currentView, currentLatent, applyView, startRound,
                              join, leave, follow, createRoom, pushView};
})(typeof window !== "undefined" ? window : globalThis);
