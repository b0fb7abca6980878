/* A block Gibbs chain of binary units, as playground/static/chain.py's `gibbs` (and an RBM's
 * sampler) runs it: n chains start from uniform binary noise (u < 0.5), then every step draws
 * h ~ p(h=1|v) = σ(β(v·Wupᵀ + b_up)) and v ~ p(v=1|h) = σ(β(h·Wdownᵀ + b_down)), β = 1/T, each
 * unit on when its uniform is below its probability. The uniforms are torch's (torchrand.js: the
 * same seed gives the server's noise), drawn in the server's order: the noise (n·V), then per
 * step h (n·H) and v (n·V). A frame is p(v|h) after a step (the noise itself at step 0).
 * Binary inputs make each pre-activation a sum of the weights of the units that are on.
 */
(function (root) {
  "use strict";
  const isNode = typeof module !== "undefined" && module.exports;
  const rand = isNode ? require("./torchrand.js") : root.torchRand;
  const f = Math.fround;

  /** One conditional: probabilities (n·out) of binary inputs x (n·in) through w (out, in), b. */
  function conditional(x, layer, n, beta) {
    const {W, B, nOut, nIn} = layer, p = new Float32Array(n * nOut), on = new Int32Array(nIn);
    for (let c = 0; c < n; c++) {
      let k = 0;
      for (let i = 0; i < nIn; i++) if (x[c * nIn + i]) on[k++] = i;
      for (let o = 0; o < nOut; o++) {
        let s = 0;
        const row = o * nIn;
        for (let j = 0; j < k; j++) s += W[row + on[j]];
        const pre = f(f(s) + B[o]);
        p[c * nOut + o] = f(1 / (1 + Math.exp(-f(beta * pre))));
      }
    }
    return p;
  }

  /** A chain: {n, step (steps taken), frame (Float32Array n·V: p(v|h), the noise at step 0),
   * advance(k): k more steps}. `model`: {up: {W, B, nOut, nIn}, down: {…}} (Float32Arrays). */
  function chain(model, {n, temperature, seed}) {
    const g = rand.generator(seed), nv = model.up.nIn, nh = model.up.nOut, beta = f(1 / temperature);
    const draw = (p, out) => {
      const u = g.rand(p.length);
      for (let i = 0; i < p.length; i++) out[i] = u[i] < p[i] ? 1 : 0;
      return out;
    };
    const v = draw(new Float32Array(n * nv).fill(0.5), new Uint8Array(n * nv)), h = new Uint8Array(n * nh);
    const state = {n, step: 0, frame: Float32Array.from(v)};
    state.advance = k => {
      for (let s = 0; s < k; s++) {
        draw(conditional(v, model.up, n, beta), h);
        state.frame = conditional(h, model.down, n, beta);
        draw(state.frame, v);
        state.step++;
      }
      return state;
    };
    return state;
  }

  const api = {chain, conditional};
  if (isNode) module.exports = api;
  else root.chainMath = api;
})(typeof window !== "undefined" ? window : globalThis);
