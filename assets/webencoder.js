/* The ops only an encoder's spec uses (playground/webdecoder.py writes them, playground/webrun.py
 * is their numpy reference): flatten, keep_tail (a conditional encoder's class waits beside the
 * convolutions) and coupling_forward (a flow run forwards). They are added to the interpreter of
 * assets/webdecoder.js, which must be loaded first; `latentWeb.load(encoderSpec).run(item, label)`
 * then returns the latent (the posterior mean, what `encode` returns).
 */
(function (root) {
  "use strict";
  const web = typeof module !== "undefined" && module.exports ? require("./webdecoder.js") : root.latentWeb;
  const OPS = web.OPS;

  const vector = data => ({data, shape: [data.length]});

  Object.assign(OPS, {
    flatten: x => vector(x.data),

    /** The ops on all but the last n inputs, those n appended unchanged. */
    keep_tail(x, op) {
      const d = x.data.length, n = op.n;
      let h = vector(x.data.slice(0, d - n));
      for (const o of op.ops) h = OPS[o.op](h, o);
      const out = new Float32Array(h.data.length + n);
      out.set(h.data);
      out.set(x.data.subarray(d - n), h.data.length);
      return vector(out);
    },

    /** One affine coupling run forwards: (s, t) = net(mask · x), s tanh-bounded; the kept
     * coordinates (mask 1) pass, the others become x · exp(s) + t. */
    coupling_forward(x, op) {
      const d = x.data.length, m = op.max_log_scale;
      let h = vector(x.data.map((v, i) => v * op.mask[i]));
      for (const o of op.ops) h = OPS[o.op](h, o);
      const out = new Float32Array(d);
      for (let i = 0; i < d; i++) {
        const free = 1 - op.mask[i], s = m * Math.tanh(h.data[i] / m) * free, t = h.data[d + i] * free;
        out[i] = x.data[i] * Math.exp(s) + t;
      }
      return vector(out);
    },
  });

  if (typeof module !== "undefined" && module.exports) module.exports = web;
})(typeof window !== "undefined" ? window : globalThis);
