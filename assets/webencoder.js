/* The ops only an encoder's or the judge's spec uses (playground/webdecoder.py writes them,
 * playground/webrun.py is their numpy reference): flatten, keep_tail (a conditional encoder's
 * class waits beside the convolutions), coupling_forward (a flow run forwards) and max_pool2d (the
 * judge classifier's pooling). They are added to the interpreter of assets/webdecoder.js, which
 * must be loaded first; `latentWeb.load(encoderSpec).run(item, label)` then returns the latent
 * (the posterior mean, what `encode` returns), `latentWeb.load(judgeSpec).run(image)` the class
 * logits.
 */
(function (root) {
  "use strict";
  const web = typeof module !== "undefined" && module.exports ? require("./webdecoder.js") : root.latentWeb;
  const OPS = web.OPS;

  const vector = data => ({data, shape: [data.length]});

  Object.assign(OPS, {
    flatten: x => vector(x.data),

    /** k x k windows, stride k: (C, H, W) → (C, H / k, W / k), each window's largest value. */
    max_pool2d(x, op) {
      const k = op.k, [c, h, w] = x.shape, oh = Math.floor(h / k), ow = Math.floor(w / k);
      const xd = x.data, out = new Float32Array(c * oh * ow);
      for (let ci = 0; ci < c; ci++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++) {
            let m = -Infinity;
            for (let dy = 0; dy < k; dy++)
              for (let dx = 0; dx < k; dx++) m = Math.max(m, xd[(ci * h + oy * k + dy) * w + ox * k + dx]);
            out[(ci * oh + oy) * ow + ox] = m;
          }
      return {data: out, shape: [c, oh, ow]};
    },

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
