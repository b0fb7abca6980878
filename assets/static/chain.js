/* Gibbs chain, in the page: what the full app's Step by step tab shows for a Markov-chain
 * sampler (an RBM), run here (chainmath.js) on the weights of the model's decoder and encoder as
 * the page already holds them. N chains from noise, a number of steps, a temperature, a seed;
 * the frames stream in as the chains run (a few steps per animation frame). The uniforms are
 * torch's for the seed, so a chain starts from the server's noise; the 16-bit weights move each
 * unit's probability by up to the stated error, so a chain soon goes its own way from the
 * server's: a draw of the same model, not the server's draw.
 */
(function () {
  "use strict";
  const S = window.latentStatic, gibbs = window.chainMath;
  const FRAME_MS = 12;   // steps run per animation frame: as many as fit in this (the page stays live)

  function mount(panel) {
    const ids = S.catalog.extras.stepwise || [], limits = S.catalog.limits;
    panel.append(S.html(`<div class="columns">
      <div class="column controls">
        <label for="chain-model">Model</label>
        <select id="chain-model"></select>
        <p id="chain-card" class="card"></p>
        <div class="row">
          <label for="chain-count">Chains</label><input id="chain-count" type="number" min="1" step="1" value="8">
          <label for="chain-steps">Steps</label><input id="chain-steps" type="number" min="0" step="1">
        </div>
        <div class="row">
          <label for="chain-temperature">Temperature T</label>
          <input id="chain-temperature" type="number" min="0.05" max="${limits.max_temperature}" step="0.05" value="1">
          <label for="chain-seed">Seed</label><input id="chain-seed" type="number" min="0" step="1" value="0">
        </div>
        <div class="buttons"><button id="chain-run" class="primary">Run chains from noise</button><button id="chain-stop" disabled>Stop</button></div>
        <p id="chain-note" class="info"></p>
      </div>
      <div class="column outputs">
        <p id="chain-status" role="status"></p>
        <canvas id="chain-canvas" role="img" aria-label="the chains' current p(v|h)" hidden></canvas>
      </div></div>`));
    const $ = id => panel.querySelector(`#${id}`);
    const modelSel = $("chain-model"), canvas = $("chain-canvas"), status = $("chain-status");
    for (const id of ids) modelSel.append(new Option(id, id));
    let running = null;   // the chain being streamed, until it ends or is stopped

    function whole(id, name, lo, hi) {
      const v = $(id).valueAsNumber;
      if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name} must be a whole number in [${lo}, ${hi}], got ${$(id).value || "nothing"}`);
      return v;
    }

    async function select(id) {
      const c = await S.chain(id), spec = c.spec;
      $("chain-steps").value = spec.chain_steps;
      $("chain-steps").max = spec.limits.steps;
      $("chain-count").max = spec.limits.chains;
      $("chain-card").textContent = `${S.model(id) ? S.model(id).summary : id} Block Gibbs sampling: h ~ p(h|v), then v ~ p(v|h), at β = 1/T.`;
      $("chain-note").textContent = `The chains draw torch's random numbers for the seed, so they start from the full app's noise; `
        + `the weights are the page's 16-bit copy (each unit's probability within ${spec.error.toPrecision(2)} of PyTorch's at T = 1), `
        + `so a chain soon goes its own way: a draw of the same model, not the server's. The full app also plots each chain's free energy and completes a digit you mask.`;
    }

    function paint(state, spec) {
      const [, h, w] = spec.visible_shape, nv = h * w;
      S.paintGrid(canvas, Array.from({length: state.n}, (_, i) => state.frame.subarray(i * nv, (i + 1) * nv)), h, w, Math.min(state.n, 8));
      canvas.hidden = false;
      canvas.dataset.step = String(state.step);
      canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
    }

    async function run() {
      try {
        const c = await S.chain(modelSel.value), lim = c.spec.limits;
        const n = whole("chain-count", "the number of chains", 1, lim.chains);
        const steps = whole("chain-steps", "steps", 0, lim.steps);
        const t = $("chain-temperature").valueAsNumber, seed = whole("chain-seed", "the seed", 0, lim.seed);
        if (!Number.isFinite(t) || t <= 0 || t > lim.temperature) throw new Error(`temperature must be a number in (0, ${lim.temperature}], got ${$("chain-temperature").value || "nothing"}`);
        const state = gibbs.chain(c, {n, temperature: t, seed}), mine = {};
        running = mine;
        delete canvas.dataset.done;
        delete canvas.dataset.frame;
        $("chain-stop").disabled = false;
        paint(state, c.spec);
        const finish = () => {   // the last frame's values too, for tests
          running = null; $("chain-stop").disabled = true;
          canvas.dataset.frame = JSON.stringify(Array.from(state.frame));
          canvas.dataset.done = "1";
        };
        const frame = () => {
          if (running !== mine) return;
          const start = performance.now();
          do state.advance(1); while (state.step < steps && performance.now() - start < FRAME_MS);
          paint(state, c.spec);
          status.textContent = `step ${state.step} of ${steps}`;
          if (state.step < steps) requestAnimationFrame(frame);
          else finish();
        };
        status.textContent = `step 0 of ${steps}`;
        if (steps > 0) requestAnimationFrame(frame);
        else finish();
      } catch (err) {
        status.textContent = err.message;
      }
    }

    modelSel.addEventListener("change", () => select(modelSel.value));
    S.pickOnView(panel, modelSel);
    $("chain-run").addEventListener("click", run);
    $("chain-stop").addEventListener("click", () => {
      running = null; $("chain-stop").disabled = true;
      status.textContent += " (stopped)";
    });
    select(ids[0]).catch(err => { status.textContent = err.message; });
  }

  S.tab({id: "chain", title: "Gibbs chain", order: 60, mount, serves: ["steps"],
         models: c => c.extras.stepwise || [],
         available: c => (c.extras.stepwise || []).length > 0});
})();
