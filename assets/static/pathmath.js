/* Paths and sums in latent space, as the server computes them: playground/sampling.py's lerp,
 * slerp and interpolate (torch float32), playground/tools/arithmetic.py's
 * z + s · (mean(A) − mean(B)) (numpy float32), and the Tools' endpoints (tools/core.py's
 * Tools.endpoint): prior samples drawn with torch's generator, validation digits' codes (the
 * shipped map's: the server encodes the same digits), or a drawing encoded in the page.
 * Every float32 operation of the server is one Math.fround here, so the latents agree to float
 * rounding (a norm or a sine of torch's may differ in its last bit).
 * Latents are Float32Arrays; a list of them is an Array.
 */
(function (root) {
  "use strict";
  const isNode = typeof module !== "undefined" && module.exports;
  const rand = isNode ? require("./torchrand.js") : root.torchRand;
  const f = Math.fround;

  /** torch.linspace(0, 1, steps) in float32: from the start up to halfway, from the end after. */
  function linspace(steps) {
    const step = f(1 / (steps - 1)), half = Math.floor(steps / 2), t = new Float32Array(steps);
    for (let i = 0; i < steps; i++) t[i] = i < half ? f(step * i) : f(1 - f(step * (steps - 1 - i)));
    return t;
  }

  /** Straight line a → b at fractions t: (1 − t) · a + t · b. */
  function lerp(a, b, t) {
    return Array.from(t, ti => Float32Array.from(a, (av, j) => f(f(f(1 - ti) * av) + f(ti * b[j]))));
  }

  function norm(a) {
    let s = 0;
    for (const v of a) s += v * v;
    return f(Math.sqrt(s));
  }

  /** Along the great circle through a and b; lerp where there is none (a zero, parallel or
   * opposite endpoint), as sampling.slerp. */
  function slerp(a, b, t, eps = 1e-6) {
    const na = norm(a), nb = norm(b);
    if (na < eps || nb < eps) return lerp(a, b, t);
    let dot = 0;
    for (let j = 0; j < a.length; j++) dot += f(a[j] / na) * f(b[j] / nb);
    const omega = f(Math.acos(Math.min(1, Math.max(-1, f(dot))))), so = f(Math.sin(omega));
    if (so < eps) return lerp(a, b, t);
    return Array.from(t, ti => {
      const ca = f(f(Math.sin(f(f(1 - ti) * omega))) / so), cb = f(f(Math.sin(f(ti * omega))) / so);
      return Float32Array.from(a, (av, j) => f(f(ca * av) + f(cb * b[j])));
    });
  }

  /** `steps` latents from a to b inclusive by "lerp" or "slerp" (sampling.interpolate). */
  function interpolate(a, b, steps, method) {
    if (method !== "lerp" && method !== "slerp") throw new Error(`interpolation must be lerp or slerp, got ${String(method).slice(0, 20)}`);
    if (a.length !== b.length) throw new Error(`endpoints must be two vectors of one size, got ${a.length} and ${b.length}`);
    if (!Number.isInteger(steps) || steps < 2) throw new Error(`need at least 2 steps, got ${steps}`);
    return (method === "lerp" ? lerp : slerp)(a, b, linspace(steps));
  }

  /** bases + s · (meanP − meanQ), each base a latent (arithmetic.arithmetic). */
  function arithmetic(bases, meanP, meanQ, strength) {
    const s = f(strength), d = Float32Array.from(meanP, (p, j) => f(p - meanQ[j]));
    return bases.map(z => Float32Array.from(z, (v, j) => f(v + f(s * d[j]))));
  }

  /** `count` latents from a source, as Tools.endpoint: {source: "sample", seed, temperature,
   * prior, dim} draws the prior (a standard normal with torch's generator: the server's draws;
   * a "bank" of shipped draws: draw (seed · count + i) mod its size), {source: "data", index,
   * codes, dim} takes validation digits index … index + count − 1, {source: "drawing", code}
   * the drawing's code. */
  function endpoints(e, count = 1) {
    if (e.source === "sample") {
      const d = e.dim, t = f(e.temperature), p = e.prior;
      if (p.kind === "normal") {
        const n = rand.randn(e.seed, count * d);
        return Array.from({length: count}, (_, i) => Float32Array.from(n.subarray(i * d, (i + 1) * d), v => f(v * t)));
      }
      if (p.kind === "bank") {
        const size = p.center.length / d;
        return Array.from({length: count}, (_, i) => {
          const j = (e.seed * count + i) % size;
          return Float32Array.from({length: d}, (_, c) => f(p.center[j * d + c] + f(t * p.spread[j * d + c])));
        });
      }
      throw new Error("this model's prior is not drawn in the page");
    }
    if (e.source === "data") {
      const d = e.dim, n = e.codes.length / d;
      if (!Number.isInteger(e.index) || e.index < 0 || e.index > n - count) {
        throw new Error(`the validation index must be a whole number in [0, ${n - count}], got ${e.index}`);
      }
      return Array.from({length: count}, (_, i) => e.codes.slice((e.index + i) * d, (e.index + i + 1) * d));
    }
    if (e.source === "drawing") return [Float32Array.from(e.code)];
    throw new Error(`unknown source ${String(e.source).slice(0, 20)}`);
  }

  const api = {linspace, lerp, slerp, interpolate, arithmetic, endpoints};
  if (isNode) module.exports = api;
  else root.pathMath = api;
})(typeof window !== "undefined" ? window : globalThis);
