/* Interpolate, and latent arithmetic, in the page: the Tools tab's interpolation
 * (playground/tools/interpolation.py) and arithmetic (tools/arithmetic.py) with no server. Two
 * endpoints, each a prior sample (torch's generator: the server's draw for that seed), a
 * validation digit (its code from the shipped map: the server encodes the same digit) or a
 * drawing encoded here; lerp or slerp with a step count (pathmath.js, the server's maths op for
 * op); the frames decoded here. Arithmetic: z + s · (mean(A) − mean(B)) with the class means of
 * the encoded training digits, computed when the page was built. The full app also scores every
 * frame's likelihood along both paths.
 */
(function () {
  "use strict";
  const S = window.latentStatic, paths = window.pathMath;
  const SOURCES = [["sample", "prior sample (seed)"], ["data", "validation digit (#)"], ["drawing", "your drawing"]];

  function mount(panel) {
    const models = S.catalog.models.filter(m => m.output !== "points"), lim = S.catalog.tools, limits = S.catalog.limits;
    const end = x => `<fieldset class="endpoint"><legend>${x.toUpperCase()}</legend>
        <div class="row"><label for="interp-${x}-source">from</label><select id="interp-${x}-source"></select>
          <label for="interp-${x}-number">seed / #</label><input id="interp-${x}-number" type="number" min="0" step="1" value="${x === "a" ? 0 : 1}">
          <span id="interp-${x}-what" class="info"></span></div>
        <canvas id="interp-${x}-pad" class="pad" width="140" height="140" aria-label="draw endpoint ${x.toUpperCase()} here" hidden></canvas>
        <button id="interp-${x}-clear" hidden>Clear ${x.toUpperCase()}</button></fieldset>`;
    panel.append(S.html(`<div class="columns">
      <div class="column controls">
        <label for="interp-model">Model</label>
        <select id="interp-model"></select>
        <p id="interp-card" class="card"></p>
        <div id="interp-class-row"><label for="interp-class">Decode as class</label><select id="interp-class"></select></div>
        <label for="interp-temperature">Temperature of prior samples</label>
        <input id="interp-temperature" type="number" min="0" max="${limits.max_temperature}" step="0.05" value="1">
        ${end("a")}${end("b")}
      </div>
      <div class="column wide outputs">
        <h3>Interpolation</h3>
        <div class="row">
          <fieldset id="interp-method"><legend>Path</legend></fieldset>
          <label for="interp-steps">Frames</label>
          <input id="interp-steps" type="number" min="2" max="${lim.max_steps}" step="1" value="10">
          <button id="interp-run" class="primary">Interpolate</button>
        </div>
        <canvas id="interp-strip" role="img" aria-label="the frames from A to B" hidden></canvas>
        <p id="interp-info" role="status"></p>
        <section id="arith">
          <h3>Latent arithmetic</h3>
          <p class="info">z + s · (mean of class A − mean of class B): class means of the model's encoded training digits, computed when this page was built.</p>
          <div class="row">
            <label for="arith-plus">+ mean of</label><select id="arith-plus"></select>
            <label for="arith-minus">− mean of</label><select id="arith-minus"></select>
            <label for="arith-strength">s</label>
            <input id="arith-strength" type="number" min="${-lim.max_strength}" max="${lim.max_strength}" step="0.1" value="1">
          </div>
          <div class="row">
            <label for="arith-source">z from</label><select id="arith-source"></select>
            <label for="arith-number">seed / #</label><input id="arith-number" type="number" min="0" step="1" value="0">
            <label for="arith-count">how many</label><input id="arith-count" type="number" min="1" max="${lim.max_images}" step="1" value="4">
            <button id="arith-run" class="primary">Add the difference</button>
          </div>
          <p class="info">A drawing as z: draw it in A's pad.</p>
          <div class="row">
            <figure><canvas id="arith-means" role="img" aria-label="the two class means decoded" hidden></canvas><figcaption>mean A, mean B</figcaption></figure>
            <figure><canvas id="arith-strip" role="img" aria-label="z (top) and z plus the difference (bottom)" hidden></canvas><figcaption>z (top), z + s · (A − B) (bottom)</figcaption></figure>
          </div>
          <p id="arith-info" role="status"></p>
        </section>
        <p id="interp-note" class="info"></p>
      </div></div>`));
    const $ = id => panel.querySelector(`#${id}`);
    const modelSel = $("interp-model"), classSel = $("interp-class");
    for (const m of models) modelSel.append(new Option(m.id, m.id));
    for (const way of lim.interpolations) {
      $("interp-method").append(S.html(`<span><input type="radio" name="interp-method" id="interp-method-${way}" value="${way}"${way === "slerp" ? " checked" : ""}> <label for="interp-method-${way}">${way}</label></span>`));
    }
    const pads = {a: S.sketchPad($("interp-a-pad")), b: S.sketchPad($("interp-b-pad"))};
    const info = () => S.model(modelSel.value);
    const label = () => { const m = info(); return m.n_classes ? Math.max(0, m.class_names.indexOf(classSel.value)) : 0; };

    /** A whole number in [lo, hi] from an input, or an Error that says so. */
    function whole(id, name, lo, hi) {
      const v = $(id).valueAsNumber;
      if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name} must be a whole number in [${lo}, ${hi}], got ${$(id).value || "nothing"}`);
      return v;
    }
    function number(id, name, lo, hi) {
      const v = $(id).valueAsNumber;
      if (!Number.isFinite(v) || v < lo || v > hi) throw new Error(`${name} must be a number in [${lo}, ${hi}], got ${$(id).value || "nothing"}`);
      return v;
    }

    function sources(m) {
      return SOURCES.filter(([s]) => (s === "sample" ? m.prior && m.prior.kind
        : s === "data" ? m.validation_codes : m.encoder));
    }

    /** The latents `count` endpoints of a source stand for, as the server's Tools.endpoint. */
    async function latents(source, numberId, pad, count) {
      const m = info(), d = m.latent_dim;
      if (source === "sample") {
        const seed = whole(numberId, "the seed", 0, limits.max_seed);
        const t = number("interp-temperature", "temperature", 0, limits.max_temperature);
        return paths.endpoints({source, seed, temperature: t, prior: await S.prior(m.id), dim: d}, count);
      }
      if (source === "data") {
        const map = await S.map(m.id), first = Object.values(map.methods)[0];
        const index = whole(numberId, "the validation digit", 0, first.labels.length - count);
        return paths.endpoints({source, index, codes: first.codes, dim: d}, count);
      }
      const enc = await S.encoder(m.id);
      return paths.endpoints({source, code: enc.run(S.digitFromDrawing(pad.image()), label())});
    }

    async function describe(x) {  // what an endpoint is: a validation digit's class
      const m = info(), what = $(`interp-${x}-what`), source = $(`interp-${x}-source`).value;
      what.textContent = "";
      if (source !== "data") return;
      const map = await S.map(m.id), first = Object.values(map.methods)[0], i = $(`interp-${x}-number`).valueAsNumber;
      if (Number.isInteger(i) && i >= 0 && i < first.labels.length) {
        const l = first.labels[i];
        what.textContent = `a ${m.class_names[l] !== undefined ? m.class_names[l] : l} (of ${first.labels.length})`;
      }
    }

    function showPads() {
      for (const x of ["a", "b"]) {
        const drawn = $(`interp-${x}-source`).value === "drawing" || (x === "a" && $("arith-source").value === "drawing");
        $(`interp-${x}-pad`).hidden = $(`interp-${x}-clear`).hidden = !drawn;
      }
    }

    function select(id) {
      modelSel.value = id;
      const m = info(), srcs = sources(m);
      $("interp-card").textContent = `${m.summary} (${m.latent_dim}-D latent; decoded in this page, error ≤ ${m.error.decoder.toPrecision(2)})`;
      classSel.replaceChildren(...m.class_names.map(c => new Option(c, c)));
      $("interp-class-row").hidden = !m.n_classes;
      for (const sel of [$("interp-a-source"), $("interp-b-source"), $("arith-source")]) {
        sel.replaceChildren(...srcs.map(([v, text]) => new Option(text, v)));
      }
      if (srcs.some(([v]) => v === "data")) $("interp-b-source").value = "data";
      $("arith").hidden = !m.arithmetic;
      if (m.arithmetic) {
        const names = m.arithmetic.classes;
        $("arith-plus").replaceChildren(...names.map(c => new Option(c, c)));
        $("arith-minus").replaceChildren(...names.map(c => new Option(c, c)));
        $("arith-minus").value = names[Math.min(1, names.length - 1)];
      }
      $("interp-note").textContent = (m.prior && m.prior.kind === "bank"
        ? "This model's prior is not a plain Gaussian: a seed picks one of 1,024 of its samples shipped with the page, not the server's draw. " : "")
        + "The full app also scores every frame's likelihood along both paths.";
      for (const x of ["a", "b"]) describe(x);
      showPads();
    }

    async function interpolate() {
      const m = info(), strip = $("interp-strip"), out = $("interp-info");
      try {
        const steps = whole("interp-steps", "steps", 2, lim.max_steps);
        const method = panel.querySelector("input[name=interp-method]:checked").value;
        const [a] = await latents($("interp-a-source").value, "interp-a-number", pads.a, 1);
        const [b] = await latents($("interp-b-source").value, "interp-b-number", pads.b, 1);
        const zs = paths.interpolate(a, b, steps, method), dec = await S.decoder(m.id), cls = label();
        const [, h, w] = m.output_shape;
        S.paintGrid(strip, zs.map(z => dec.run(z, cls)), h, w, steps);
        strip.hidden = false;
        strip.dataset.latents = JSON.stringify(zs.map(z => Array.from(z)));
        strip.dataset.runs = String(Number(strip.dataset.runs || 0) + 1);
        const norm = z => Math.hypot(...z).toFixed(2);
        out.textContent = `${method}, ${steps} frames. |z| along the path: ${zs.map(norm).join(" → ")}; `
          + `a typical prior sample has |z| ≈ √D · T = ${(Math.sqrt(m.latent_dim) * $("interp-temperature").valueAsNumber).toFixed(2)}.`;
      } catch (err) {
        out.textContent = err.message;
      }
    }

    async function arithmetic() {
      const m = info(), out = $("arith-info");
      try {
        const means = await S.classMeans(m.id), names = means.classes;
        const p = names.indexOf($("arith-plus").value), q = names.indexOf($("arith-minus").value);
        const s = number("arith-strength", "strength", -lim.max_strength, lim.max_strength);
        const source = $("arith-source").value;
        const count = source === "drawing" ? 1 : whole("arith-count", "count", 1, lim.max_images);
        const bases = await latents(source, "arith-number", pads.a, count);
        const results = paths.arithmetic(bases, means.means[p], means.means[q], s);
        const dec = await S.decoder(m.id), cls = label(), [, h, w] = m.output_shape;
        S.paintGrid($("arith-means"), [means.means[p], means.means[q]].map(z => dec.run(z, cls)), h, w, 2);
        S.paintGrid($("arith-strip"), [...bases, ...results].map(z => dec.run(z, cls)), h, w, count);
        $("arith-means").hidden = $("arith-strip").hidden = false;
        const strip = $("arith-strip");
        strip.dataset.results = JSON.stringify(results.map(z => Array.from(z)));
        strip.dataset.runs = String(Number(strip.dataset.runs || 0) + 1);
        out.textContent = `z + ${s} · (mean ${names[p]} − mean ${names[q]}), ${count} z from ${source === "sample" ? "prior samples" : source === "data" ? "validation digits" : "your drawing"}.`;
      } catch (err) {
        out.textContent = err.message;
      }
    }

    modelSel.addEventListener("change", () => select(modelSel.value));
    for (const x of ["a", "b"]) {
      $(`interp-${x}-source`).addEventListener("change", () => { describe(x); showPads(); });
      $(`interp-${x}-number`).addEventListener("input", () => describe(x));
      $(`interp-${x}-clear`).addEventListener("click", pads[x].clear);
    }
    $("arith-source").addEventListener("change", showPads);
    $("interp-run").addEventListener("click", interpolate);
    $("arith-run").addEventListener("click", arithmetic);
    select(models[0].id);
  }

  S.tab({id: "interpolate", title: "Interpolate & arithmetic", order: 40, mount,
         serves: ["tools-interpolate", "tools-arithmetic"],
         available: c => c.models.some(m => m.output !== "points")});
})();
