/* Explore latent space, in the page: what playground/ui/explore.py does, with no server. One
 * slider per latent dimension (the first 12) or principal direction, "Randomise the rest",
 * temperature, seed, class, a random latent, an 8x8 grid, a share link (the same query as the
 * app's: ?model=&mode=&t=&seed=&class=&rest=&z=). The decoder and the drawing are latentWeb's
 * (assets/webdecoder.js): the same code paints the Gradio page's canvas. Random draws use torch's
 * generator (torchrand.js), so a seed gives the server's latents.
 */
(function () {
  "use strict";
  const S = window.latentStatic, web = window.latentWeb, rand = window.torchRand;
  const MODES = [["axes", "latent axes"], ["principal", "principal directions of the data"]];

  const sliderLabel = (mode, i) => (mode === "axes" ? `z[${i}]` : `PC ${i + 1} (in σ)`);
  const round2 = v => Math.round(v * 100) / 100;

  function mount(panel, query) {
    const models = S.catalog.models, limits = S.catalog.limits;
    panel.append(S.html(`<div class="columns">
      <div class="column controls">
        <label for="explore-model">Model</label>
        <select id="explore-model"></select>
        <p id="explore-card" class="card"></p>
        <fieldset id="explore-mode"><legend>Sliders move along</legend></fieldset>
        <div id="explore-class-row"><label for="explore-class">Class</label><select id="explore-class"></select></div>
        <div id="explore-sliders" class="sliders"></div>
        <div id="explore-rest-row">
          <label for="explore-rest">Seed of the other dims (-1: all 0)</label>
          <input id="explore-rest" type="number" min="-1" step="1" value="-1">
          <span id="explore-rest-info" class="info"></span>
        </div>
        <div class="buttons">
          <button id="random-latent">Random latent</button>
          <button id="reset-latent">Reset</button>
          <button id="randomise-rest">Randomise the rest</button>
        </div>
      </div>
      <div class="column outputs">
        <p class="web-label">Decoded in your browser</p>
        <canvas id="decoded-canvas" width="28" height="28" role="img" aria-label="the decoded image"></canvas>
        <p id="decoded-caption" aria-live="polite"></p>
        <div class="touch-pad-box" hidden><canvas class="touch-pad" width="240" height="240" role="img" aria-label="touch pad"></canvas><span class="web-label">Drag here to move the first two sliders at once</span></div>
        <div class="row">
          <label for="temperature">Temperature T <output id="temperature-value">1</output></label>
          <input id="temperature" type="range" min="0" max="3" step="0.05" value="1">
          <label for="seed">Seed</label>
          <input id="seed" type="number" min="0" step="1" value="0">
        </div>
        <button id="sample-grid" class="primary">Sample a grid</button>
        <p id="grid-note" class="info"></p>
        <canvas id="grid-canvas" width="233" height="233" role="img" aria-label="64 samples" hidden></canvas>
        <div class="row">
          <button id="share-link">Link to this view</button>
          <input id="share-url" type="text" readonly aria-label="share link"
                 placeholder="a URL that reopens this model, seed, temperature and slider values">
        </div>
        <p id="explore-status" role="status"></p>
      </div></div>`));
    const $ = id => panel.querySelector(`#${id}`);
    // what the judge, run in the page, says of the digit (latentWeb.page.describe); none: silent
    if (S.catalog.judge) $("decoded-caption").dataset.judge = S.catalog.judge.src;
    const modelSel = $("explore-model"), classSel = $("explore-class"), rest = $("explore-rest");
    const temp = $("temperature"), seed = $("seed"), status = $("explore-status");
    for (const m of models) modelSel.append(new Option(m.id, m.id));
    for (const [value, text] of MODES) {
      const id = `explore-mode-${value}`;
      $("explore-mode").append(S.html(`<span><input type="radio" name="explore-mode" id="${id}" value="${value}"> <label for="${id}">${text}</label></span>`));
    }
    const sliders = [];
    for (let i = 0; i < limits.sliders; i++) {
      const row = S.html(`<div class="slider" id="slider-${i}"><label for="slider-${i}-input"></label>
        <input id="slider-${i}-input" type="range" step="0.01" value="0"><output></output></div>`);
      $("explore-sliders").append(row);
      sliders.push(row);
    }

    const view = {model: null, dec: null};
    const info = () => S.model(modelSel.value);
    const mode = () => panel.querySelector("input[name=explore-mode]:checked").value;
    const setMode = m => { panel.querySelector(`#explore-mode-${m}`).checked = true; labelSliders(); };
    const values = () => sliders.map(r => Number(r.querySelector("input").value));
    const labelSliders = () => sliders.forEach((r, i) => { r.querySelector("label").textContent = sliderLabel(mode(), i); });
    const showValue = r => { r.querySelector("output").textContent = Number(r.querySelector("input").value).toFixed(2); };
    const setValues = vs => sliders.forEach((r, i) => { r.querySelector("input").value = vs[i] || 0; showValue(r); });
    const restSeed = () => { const v = Math.trunc(Number(rest.value)); return Number.isFinite(v) && v >= 0 ? v : -1; };

    /** The full latent and class the controls describe, as the app's latent_from_sliders. */
    function latent() {
      const m = info(), k = m.slider_count, spec = view.dec.spec, t = Number(temp.value);
      const r = restSeed(), noise = r >= 0 && m.latent_dim > k ? rand.randn(r, m.latent_dim - k) : null;
      return web.latentFromSliders(spec, values().slice(0, k), mode(), noise, t);
    }

    function paint() {
      const m = info(), dec = view.dec;
      if (!dec || dec.spec.model !== m.id) return;
      const k = m.slider_count, r = restSeed(), p = web.page;
      if (p.decoder !== dec) { p.decoder = dec; p.lastKey = null; p.cloud = null; }
      if (r >= 0 && m.latent_dim > k && !(p.rest && p.rest.model === m.id && p.rest.seed === r)) {
        p.setRest({model: m.id, seed: r, noise: Array.from(rand.randn(r, m.latent_dim - k))});
      }
      const label = m.n_classes ? classSel.value : null;
      const knobs = (dec.spec.knobs || []).map(([, v]) => v);  // the page's copy was made for these
      p.paint(m.id, mode(), label, r, Number(temp.value), Number(seed.value), ...values(), ...knobs);
      const cls = m.n_classes ? m.class_names.indexOf(label) : 0;
      S.explore = {model: m.id, z: Array.from(latent()), label: cls};
    }

    /** Show a model: its card, class, sliders, rest seed; then fetch its decoder and paint. */
    async function select(id, {modeFromHint = true, state = null} = {}) {
      modelSel.value = id;
      const m = info();
      if (modeFromHint && m.slider_mode !== "axes") setMode(m.slider_mode);
      $("explore-card").textContent = `${m.summary} (${m.family}, ${m.latent_dim}-D latent`
        + `${m.n_classes ? `, ${m.n_classes} classes` : ""}; page error ≤ ${m.error.decoder.toPrecision(2)})`;
      classSel.replaceChildren(...m.class_names.map(c => new Option(c, c)));
      $("explore-class-row").hidden = !m.n_classes;
      sliders.forEach((r, i) => {
        const input = r.querySelector("input");
        input.min = m.slider_min; input.max = m.slider_range;
        r.hidden = i >= m.slider_count;
      });
      const more = m.latent_dim - m.slider_count;
      for (const el of [$("explore-rest-row"), $("randomise-rest")]) el.hidden = more <= 0;
      $("explore-rest-info").textContent = `${more} more dims beyond the sliders`;
      rest.value = -1;
      setValues([]);
      if (state) {
        setValues(state.z);
        rest.value = state.rest;
        if (state.label !== null) classSel.value = state.label;
      }
      const p = m.prior;
      $("sample-grid").hidden = m.output === "points" || !p.grid;
      $("grid-note").textContent = m.output === "points" ? "The planes show 1,000 samples at this temperature."
        : !p.grid ? "This model's samples come from a sampler the page does not run (the full app draws them)."
        : p.kind === "bank" ? "This model's prior is not a plain Gaussian: the grid draws from 1,024 of its samples shipped with the page."
        : "";
      $("grid-canvas").hidden = true;
      status.textContent = `loading ${m.id}…`;
      const dec = await S.decoder(m.id);
      if (modelSel.value !== m.id) return;  // another model was picked meanwhile
      view.dec = dec;
      status.textContent = "";
      paint();
    }

    async function randomLatent() {
      const m = info(), t = Number(temp.value), s = Math.trunc(Number(seed.value)) || 0;
      const p = await S.prior(m.id), d = m.latent_dim;
      let z;
      if (p.kind === "normal") z = Array.from(rand.randn(s, d), v => v * t);
      else if (p.kind === "bank") {
        const j = s % (p.center.length / d);
        z = Array.from({length: d}, (_, c) => p.center[j * d + c] + t * p.spread[j * d + c]);
      } else { status.textContent = "this model's prior is not drawn in the page"; return; }
      const lim = S.catalog.limits.max_latent_abs;
      setValues(z.slice(0, m.slider_count).map(v => round2(Math.min(m.slider_range, Math.max(m.slider_min, Math.min(lim, Math.max(-lim, v)))))));
      rest.value = d > m.slider_count ? s : -1;
      paint();
    }

    async function sampleGrid() {
      const m = info(), t = Number(temp.value), s = Math.trunc(Number(seed.value)) || 0;
      const p = await S.prior(m.id), d = m.latent_dim, n = S.catalog.limits.grid, dec = view.dec;
      const cls = m.n_classes ? Math.max(0, m.class_names.indexOf(classSel.value)) : 0;
      let zs;
      if (p.kind === "normal") {
        const e = rand.randn(s, n * d);
        zs = Array.from({length: n}, (_, i) => Array.from(e.subarray(i * d, (i + 1) * d), v => v * t));
      } else {
        const bank = p.center.length / d;
        zs = Array.from({length: n}, (_, i) => {
          const j = (s * n + i) % bank;
          return Array.from({length: d}, (_, c) => p.center[j * d + c] + t * p.spread[j * d + c]);
        });
      }
      const [, h, w] = m.output_shape, canvas = $("grid-canvas");
      S.paintGrid(canvas, zs.map(z => dec.run(z, cls)), h, w, 8);
      canvas.hidden = false;
      canvas.dataset.seed = String(s);
      canvas.dataset.paints = String(Number(canvas.dataset.paints || 0) + 1);
    }

    function shareLink() {  // playground/ui/explore.py's SHARE_JS
      const m = info(), q = new URLSearchParams({model: m.id, mode: mode(), t: temp.value, seed: seed.value, rest: String(restSeed())});
      if (m.n_classes) q.set("class", classSel.value);
      const z = values().slice(0, m.slider_count);
      while (z.length && z[z.length - 1] === 0) z.pop();
      if (z.length) q.set("z", z.join(","));
      $("share-url").value = location.href.split(/[?#]/)[0] + "?" + q.toString();
    }

    /** The view a share link describes, checked as the app's restore() checks it. */
    function fromQuery(q) {
      const m = S.model(q.get("model"));
      if (!m) throw new Error(`unknown model ${String(q.get("model")).slice(0, 64)}`);
      const md = q.get("mode") || "axes";
      if (!MODES.some(([v]) => v === md)) throw new Error(`unknown slider mode ${md.slice(0, 20)}`);
      const num = (key, dflt, lo, hi, integer) => {
        const v = Number(q.has(key) ? q.get(key) : dflt);
        if (!Number.isFinite(v) || v < lo || v > hi || (integer && v !== Math.trunc(v))) throw new Error(`${key} must be ${integer ? "a whole number" : "a number"} in [${lo}, ${hi}]`);
        return v;
      };
      const t = num("t", 1, 0, limits.max_temperature), sd = num("seed", 0, 0, limits.max_seed, true);
      const r = num("rest", -1, -1, limits.max_seed, true);
      const z = (q.get("z") || "").split(",").filter(v => v.trim()).slice(0, limits.sliders).map(Number);
      if (z.some(v => !Number.isFinite(v))) throw new Error("z must be numbers");
      const label = m.n_classes ? q.get("class") : null;
      if (label !== null && !m.class_names.includes(label)) throw new Error(`unknown class ${label.slice(0, 20)}`);
      return {id: m.id, mode: md, t, seed: sd, rest: r, z, label};
    }

    // ---- events ----
    modelSel.addEventListener("change", () => select(modelSel.value));
    panel.querySelectorAll("input[name=explore-mode]").forEach(r => r.addEventListener("change", () => {
      labelSliders(); setValues([]); rest.value = -1; paint();  // the app resets on a mode change
    }));
    sliders.forEach(r => r.querySelector("input").addEventListener("input", () => { showValue(r); paint(); }));
    classSel.addEventListener("change", paint);
    rest.addEventListener("change", paint);
    temp.addEventListener("input", () => { $("temperature-value").textContent = temp.value; paint(); });
    seed.addEventListener("change", paint);
    $("reset-latent").addEventListener("click", () => {
      setValues([]); rest.value = -1;
      if (info().n_classes) classSel.value = info().class_names[0];
      paint();
    });
    $("randomise-rest").addEventListener("click", () => {
      const r = restSeed();
      rest.value = r >= 0 ? r + 1 : Math.trunc(Number(seed.value)) || 0;
      paint();
    });
    $("random-latent").addEventListener("click", randomLatent);
    $("sample-grid").addEventListener("click", sampleGrid);
    $("share-link").addEventListener("click", shareLink);

    /** Open the view a link's query describes; false when it cannot be opened (said in the page). */
    function open(q) {
      let state;
      try { state = fromQuery(q); } catch (err) {
        status.textContent = `This link could not be opened: ${err.message}`;
        return false;
      }
      setMode(state.mode);
      temp.value = state.t; $("temperature-value").textContent = temp.value;
      seed.value = state.seed;
      select(state.id, {modeFromHint: false, state});
      return true;
    }
    // A view (a lesson's "Show me") is a share link's fields: it opens the same way. A view that
    // names no slider mode gets the model's own, as the app's.
    panel.applyView = view => {
      const m = S.model(view.model);
      if (!m) return false;
      const q = new URLSearchParams({model: m.id, mode: view.mode || m.slider_mode});
      for (const [k, v] of [["t", view.t], ["seed", view.seed], ["class", view.class], ["rest", view.rest]]) {
        if (v !== undefined && v !== null) q.set(k, String(v));
      }
      if (view.z) q.set("z", view.z.join(","));
      return open(q);
    };

    setMode("axes");
    if (!(query.has("model") && open(query))) select(models[0].id);
  }

  S.tab({id: "explore", title: "Explore latent space", order: 10, mount,
         models: c => c.models.map(m => m.id)});
})();
