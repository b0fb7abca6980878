/* Latent map, in the page: the shipped projections (pretrained/<id>/projection-<method>.npz) as a
 * plotly scatter; a click decodes the latent it stands for by the server's rules (mapmath.js);
 * "Show where Explore's latent lands" and "Place my drawing" put a latent on the map (a drawing is
 * prepared like playground.images.digit_from_image and encoded by the model's encoder, in the
 * page). What playground/ui/latent_map.py does, without the refits (UMAP/t-SNE with other
 * parameters need the full app).
 */
(function () {
  "use strict";
  const S = window.latentStatic, maths = window.mapMath;
  function mount(panel) {
    // playground/ui/plots.py's class colours and shapes (colour-blind safe), and its markers
    const {colours: COLOURS, symbols: SYMBOLS, markers: MARKERS} = S.catalog.palette;
    const rules = S.catalog.map;
    const limits = {...rules, max_latent_abs: S.catalog.limits.max_latent_abs};
    const models = S.catalog.models.filter(m => m.maps && m.maps.length);
    panel.append(S.html(`<div class="columns">
      <div class="column wide">
        <div id="latent-map" class="plot" aria-label="latent map: click to decode"></div>
        <p id="map-status"></p>
        <p id="map-click-help" class="info"></p>
      </div>
      <div class="column controls">
        <label for="map-model">Model</label>
        <select id="map-model"></select>
        <fieldset id="map-method"><legend>Projection</legend></fieldset>
        <div class="row">
          <figure><canvas id="map-decoded" width="28" height="28" role="img" aria-label="decoded at the click"></canvas>
            <figcaption>Decoded at the click</figcaption></figure>
          <figure><canvas id="map-encoded" width="28" height="28" role="img" aria-label="what was encoded"></canvas>
            <figcaption>Your drawing as encoded (28x28)</figcaption></figure>
        </div>
        <p id="map-click-info" role="status"></p>
        <button id="map-explore">Show where Explore's latent lands ★</button>
        <fieldset><legend>Place your own digit</legend>
          <canvas id="map-sketch" width="280" height="280" aria-label="draw a digit here with the mouse or a finger"></canvas>
          <div id="map-draw-class-row"><label for="map-draw-class">Class of your drawing</label><select id="map-draw-class"></select></div>
          <div class="buttons"><button id="map-clear">Clear</button><button id="map-place-drawing" class="primary">Place my drawing ✕</button></div>
          <p id="map-place-info" role="status"></p>
        </fieldset>
      </div></div>`));
    const $ = id => panel.querySelector(`#${id}`);
    const modelSel = $("map-model"), plot = $("latent-map");
    for (const m of models) modelSel.append(new Option(m.id, m.id));
    const state = {id: null, method: null, map: null, markers: {}, Plotly: null};
    const info = () => S.model(modelSel.value);
    const current = () => state.map && state.map.methods[state.method];

    function traces() {
      const p = current(), m = info(), groups = new Map();
      p.labels.forEach((l, i) => { if (!groups.has(l)) groups.set(l, []); groups.get(l).push(i); });
      const out = [...groups.keys()].sort((a, b) => a - b).map(l => {
        const idx = groups.get(l), name = m.class_names[l] !== undefined ? m.class_names[l] : String(l);
        return {type: "scatter", mode: "markers", name, x: idx.map(i => p.points[2 * i]), y: idx.map(i => p.points[2 * i + 1]),
                customdata: idx, hovertemplate: `digit ${name} · #%{customdata}<extra></extra>`,
                marker: {size: 5, color: COLOURS[l % COLOURS.length], opacity: 0.8, symbol: SYMBOLS[l % SYMBOLS.length]}};
      });
      for (const [name, xy] of Object.entries(state.markers)) {
        const [symbol, colour, size] = MARKERS[name];
        out.push({type: "scatter", mode: "markers", name, x: [xy[0]], y: [xy[1]], hovertemplate: `${name}<extra></extra>`,
                  marker: {symbol, size, color: colour, line: {width: 2, color: colour}}});
      }
      return out;
    }

    function draw() {
      const p = current(), m = info();
      const layout = {height: 520, margin: {l: 40, r: 10, t: 40, b: 30}, hovermode: "closest", plot_bgcolor: "white",
                      title: {text: `${m.id}: ${rules.methods[state.method]} of ${p.labels.length.toLocaleString("en")} points`},
                      uirevision: `${m.id}/${state.method}`, legend: {itemsizing: "constant", title: {text: "class"}},
                      xaxis: {showgrid: true, gridcolor: "#eee", zeroline: false},
                      yaxis: {showgrid: true, gridcolor: "#eee", zeroline: false}};
      return state.Plotly.react(plot, traces(), layout, {displaylogo: false, responsive: true})
        .then(() => { plot.dataset.renders = String(Number(plot.dataset.renders || 0) + 1); });
    }

    async function select(id, method) {
      modelSel.value = id;
      const m = info();
      $("map-method").replaceChildren(S.html("<legend>Projection</legend>"));
      for (const name of m.maps) {
        const el = S.html(`<span><input type="radio" name="map-method" id="map-method-${name}" value="${name}"> <label for="map-method-${name}"></label></span>`);
        el.querySelector("label").textContent = rules.methods[name];
        el.querySelector("input").addEventListener("change", () => { state.method = name; state.markers = {}; show(); });
        $("map-method").append(el);
      }
      $("map-draw-class").replaceChildren(...m.class_names.map(c => new Option(c, c)));
      $("map-draw-class-row").hidden = !(m.n_classes && m.encoder);
      $("map-place-drawing").disabled = !m.encoder;
      $("map-place-info").textContent = m.encoder ? "" : `${m.id} has no encoder: a drawing cannot be placed on its map`;
      $("map-status").textContent = `loading ${m.id}…`;
      const [map, Plotly] = await Promise.all([S.map(m.id), S.plotly()]);
      if (modelSel.value !== id) return;
      state.map = map; state.Plotly = Plotly; state.id = id;
      state.method = method || m.maps[0];  // the plane first for a 2-D latent, as the app
      state.markers = {};
      show();
    }

    function show() {
      panel.querySelector(`#map-method-${state.method}`).checked = true;
      const p = current();
      $("map-status").textContent = `${p.labels.length.toLocaleString("en")} points: ${state.map.source}. `
        + `Map: ${rules.methods[state.method]}${Object.keys(p.params).length ? ` (${Object.entries(p.params).map(([k, v]) => `${k}=${v}`).join(", ")})` : ""}, precomputed, shipped with the model.`;
      $("map-click-help").textContent = p.how;
      return draw();
    }

    async function decodeAt(x, y) {
      const m = info(), p = current(), found = maths.fromMap(p, x, y, limits), dec = await S.decoder(m.id);
      const cls = m.n_classes ? found.label : 0, out = dec.run(Array.from(found.z), cls);
      S.paintDigit($("map-decoded"), out, m.output_shape[1], m.output_shape[2]);
      const name = m.class_names[found.label] !== undefined ? m.class_names[found.label] : found.label;
      const where = found.snapped ? "on digit" : "between digits, nearest is digit";
      const zs = Array.from(found.z.slice(0, 8), v => v.toFixed(2)).join(", ") + (found.z.length > 8 ? ", …" : "");
      $("map-click-info").textContent = `Clicked (${x.toFixed(2)}, ${y.toFixed(2)}), ${where} #${found.index} (class ${name}). `
        + `Decoded: ${found.how}${m.n_classes ? `, with class ${name}` : ""}. z = [${zs}]`;
      $("map-decoded").dataset.z = JSON.stringify(Array.from(found.z));  // for tests
      $("map-decoded").dataset.xy = JSON.stringify([x, y]);
      state.markers.clicked = [x, y];
      await draw();
      const shown = $("map-decoded");
      shown.dataset.clicks = String(Number(shown.dataset.clicks || 0) + 1);  // decoded and drawn
      return found;
    }

    // A click anywhere in the plot area (on a point or between points), in data coordinates, as
    // the app's bridge computes it (playground/ui/latent_map.py's CLICK_JS).
    plot.addEventListener("click", e => {
      const fl = plot._fullLayout;
      if (!fl || !fl.xaxis || (e.target.closest && (e.target.closest(".modebar") || e.target.closest(".legend")))) return;
      const xa = fl.xaxis, ya = fl.yaxis, r = plot.getBoundingClientRect();
      const px = e.clientX - r.left - xa._offset, py = e.clientY - r.top - ya._offset;
      if (px < 0 || py < 0 || px > xa._length || py > ya._length) return;
      decodeAt(xa.p2d(px), ya.p2d(py));
    }, true);

    $("map-explore").addEventListener("click", async () => {
      const m = info(), ex = S.explore;
      if (!ex || ex.model !== m.id) {
        $("map-place-info").textContent = `Explore shows ${ex ? ex.model : "no model yet"}; pick ${m.id} there too to see where its latent lands`;
        return;
      }
      const {xy, how} = maths.toMap(current(), ex.z, limits);
      state.markers["Explore's latent"] = xy;
      $("map-place-info").textContent = `★ Explore's latent lands at (${xy[0].toFixed(2)}, ${xy[1].toFixed(2)}) (${how}).`;
      await draw();
    });

    const pad = S.sketchPad($("map-sketch"));
    $("map-clear").addEventListener("click", pad.clear);

    $("map-place-drawing").addEventListener("click", async () => {
      const m = info(), out = $("map-place-info");
      try {
        const digit = S.digitFromDrawing(pad.image());
        const cls = m.n_classes ? Math.max(0, m.class_names.indexOf($("map-draw-class").value)) : 0;
        const enc = await S.encoder(m.id), z = enc.run(digit, cls);
        S.paintDigit($("map-encoded"), digit, 28, 28);
        $("map-encoded").dataset.digit = JSON.stringify(Array.from(digit));  // for tests
        const {xy, how} = maths.toMap(current(), z, limits);
        state.markers["your drawing"] = xy;
        const dec = await S.decoder(m.id);
        S.paintDigit($("map-decoded"), dec.run(Array.from(z), cls), m.output_shape[1], m.output_shape[2]);
        $("map-decoded").dataset.z = JSON.stringify(Array.from(z));
        out.textContent = `✕ Your drawing lands at (${xy[0].toFixed(2)}, ${xy[1].toFixed(2)}) (${how}); beside the map: its decoding.`;
        await draw();
      } catch (err) {
        out.textContent = err.message;
      }
    });

    modelSel.addEventListener("change", () => select(modelSel.value));
    S.pickOnView(panel, modelSel);
    const first = S.explore && models.some(m => m.id === S.explore.model) ? S.explore.model : models[0].id;
    select(first);
    panel.decodeAt = decodeAt;  // for tests and the benchmark: decode at data coordinates
  }

  S.tab({id: "map", title: "Latent map", order: 30, mount, serves: ["latent-map-tab"],
         models: c => c.models.filter(m => m.maps && m.maps.length).map(m => m.id),
         available: c => c.models.some(m => m.maps && m.maps.length)});
})();
