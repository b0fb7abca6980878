/* The Gradio page's view entry points (the contract: playground/view.py). A view goes to the
 * server's one handler (playground/ui/view.py): applyView keeps it and clicks the hidden
 * #apply-view button, whose event takes it with takeView(), checks it again and sets the tabs.
 * currentView() reads the page back in the same shape, from the fields Explore's share link
 * uses. Lessons (assets/lessons.js) and the classroom go through these; the static page has its
 * own (assets/static/lessons.js) over its tabs.
 */
(function (root) {
  "use strict";
  const web = root.latentWeb;
  if (!web) return;
  let last = null;   // the latest view: two quick calls both apply the latest

  const shown = el => Boolean(el && el.offsetParent !== null);
  const field = sel => document.querySelector(sel);
  const num = el => { const v = el ? Number(el.value) : NaN; return Number.isFinite(v) ? v : null; };
  const input = id => field(`#${id} input[type=number], #${id} textarea, #${id} input`);
  // Each tab's model picker (a view names the model of its tab).
  const MODEL_PICKERS = {explore: "explore-model", conditional: "cond-model", steps: "steps-model",
                         text: "text-model", "latent-map-tab": "map-model", evaluate: "eval-hist-model"};
  // What else currentView reads on a tab besides Explore (which has its share link's fields):
  // view field or knob → the control's elem_id (playground/view.py's TABS says what each takes).
  const TAB_FIELDS = {
    conditional: {class: "cond-class", seed: "cond-seed", knobs: {count: "cond-count"}},
    text: {class: "text-kind", t: "text-temperature",
           knobs: {prefix: "text-prefix", top_k: "text-top-k", top_p: "text-top-p"}},
    steps: {class: "steps-class"},
  };
  /** A control's value: its checked radio, else its number box or text. */
  function controlValue(id) {
    const el = field(`#${id}`);
    if (!shown(el)) return null;
    const radio = el.querySelector("input:checked");
    return radio ? radio.value : (input(id) || {}).value ?? null;
  }

  function tabFields(tab, view) {
    const spec = TAB_FIELDS[tab];
    if (!spec) return;
    for (const [name, id] of Object.entries(spec)) {
      if (name === "knobs") continue;
      const v = controlValue(id);
      if (v !== null && v !== "") view[name] = name === "class" ? v : Number(v);
    }
    const knobs = {};
    for (const [name, id] of Object.entries(spec.knobs || {})) {
      const v = controlValue(id);
      if (v !== null) knobs[name] = name === "prefix" ? v : Number(v);
    }
    if (Object.keys(knobs).length) view.knobs = knobs;
  }

  /** The selected tab's id: a Tools sub-tab when Tools shows, else the outer tab. */
  function selectedTab() {
    const on = [...document.querySelectorAll('button[data-tab-id][aria-selected="true"]')];
    const ids = (on.some(shown) ? on.filter(shown) : on).map(b => b.dataset.tabId);
    return ids.find(id => id.startsWith("tools-") && ids.includes("tools")) || ids[0] || null;
  }

  function exploreFields(view) {
    const checked = field("#explore-mode input:checked");
    if (checked) view.mode = checked.value;
    view.t = num(input("temperature"));
    view.seed = num(input("seed"));
    const cls = field("#explore-class");
    if (shown(cls)) view.class = input("explore-class").value;
    const rest = field("#explore-rest");
    view.rest = shown(rest) ? num(input("explore-rest")) : -1;
    const z = [];
    for (let i = 0; shown(field(`#slider-${i}`)); i++) z.push(num(input(`slider-${i}`)) || 0);
    while (z.length && z[z.length - 1] === 0) z.pop();  // as the share link trims them
    if (z.length) view.z = z;
    const knobs = {};
    for (const el of document.querySelectorAll('[id^="explore-knob-"]')) {
      if (!shown(el)) continue;
      const radio = el.querySelector("input:checked"), box = el.querySelector("input[type=number]");
      const name = el.id.slice("explore-knob-".length);
      if (radio) knobs[name] = radio.value; else if (box) knobs[name] = Number(box.value);
    }
    if (Object.keys(knobs).length) view.knobs = knobs;
  }

  Object.assign(web, {
    /** Apply a view object (playground/view.py's View.to_dict shape). A lesson and step go to the
     * lesson panel; the rest to the server, which checks them and sets the tabs (a bad view shows
     * its reason in the page's error toast). */
    applyView(view) {
      if (!view || typeof view !== "object") return false;
      const {lesson, step, ...rest} = view;
      if (lesson && root.latentLessons) root.latentLessons.open(lesson, step || 1);
      if (!Object.keys(rest).length) return true;
      last = JSON.stringify(rest);
      const button = field("#apply-view");
      if (!button) return false;
      button.click();
      return true;
    },
    /** For the hidden button's event: the view to apply, as JSON. */
    takeView() { return last; },
    /** Every view opens in the full app (the static page says what it cannot open). */
    canApplyView() { return true; },
    /** The view the page shows now: its tab, the tab's model, Explore's share-link fields when
     * Explore shows, and the open lesson and step. */
    currentView() {
      const tab = selectedTab(), view = {};
      if (tab) view.tab = tab;
      const picker = tab && MODEL_PICKERS[tab] && input(MODEL_PICKERS[tab]);
      if (picker && picker.value) view.model = picker.value;
      if (tab === "explore" && view.model) exploreFields(view);
      else if (view.model) tabFields(tab, view);
      const open = root.latentLessons && root.latentLessons.current();
      if (open) Object.assign(view, open);
      for (const k of Object.keys(view)) if (view[k] === null) delete view[k];
      return view;
    },
  });
})(typeof window !== "undefined" ? window : globalThis);
