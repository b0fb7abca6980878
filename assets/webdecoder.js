/* In-page decoding for the Explore tab: a small interpreter of the decoder specs that
 * playground/webdecoder.py exports (linear, reshape, conv_transpose2d, conv2d, activations), and
 * the glue that lets the latent sliders repaint a canvas with no request to the server.
 *
 * Values are stored as float32 between layers, as in PyTorch; the sums are done in float64, so
 * the output matches torch's to ~1e-6. Loaded into the page by launch(head=...) and, for the tests,
 * by node (module.exports).
 */
(function (root) {
  "use strict";

  // ---- tensors ------------------------------------------------------------------------------
  function tensor(t) {  // {shape, data: base64 of little-endian float32} -> Float32Array
    const bin = atob(t.data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const view = new DataView(bytes.buffer);
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  // ---- ops: x is {data: Float32Array, shape: [...]} for one sample -------------------------
  function map(x, f) {
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
    return {data: out, shape: x.shape};
  }

  const OPS = {
    linear(x, op) {                                     // w (out, in), b (out,)
      const [nOut, nIn] = op.w.shape, w = op.W, b = op.B, xd = x.data;
      const out = new Float32Array(nOut);
      for (let o = 0; o < nOut; o++) {
        let s = b[o];
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) s += w[row + i] * xd[i];
        out[o] = s;
      }
      return {data: out, shape: [nOut]};
    },
    reshape(x, op) { return {data: x.data, shape: op.shape}; },
    conv_transpose2d(x, op) {
      // Gathered per output pixel: out[co, oy, ox] = b[co] + Σ over the taps (ky, kx) that land
      // there of Σ_ci x[ci, iy, ix] · w[ci, co, ky, kx]. Weights are laid out (ky, kx, co, ci) and
      // the input (iy, ix, ci) at load/run time, so the inner loop is a contiguous dot product.
      const [cIn, cOut, k] = op.w.shape, [, h, wd] = x.shape, s = op.stride, p = op.padding;
      const oh = (h - 1) * s - 2 * p + k, ow = (wd - 1) * s - 2 * p + k, w = op.Wt;
      const xt = new Float32Array(h * wd * cIn), xd = x.data;
      for (let ci = 0; ci < cIn; ci++) {
        for (let i = 0; i < h * wd; i++) xt[i * cIn + ci] = xd[ci * h * wd + i];
      }
      const out = new Float32Array(cOut * oh * ow), acc = new Float64Array(cOut);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          acc.fill(0);
          for (let ky = (oy + p) % s; ky < k; ky += s) {
            const iy = (oy + p - ky) / s;
            if (iy < 0 || iy >= h) continue;
            for (let kx = (ox + p) % s; kx < k; kx += s) {
              const ix = (ox + p - kx) / s;
              if (ix < 0 || ix >= wd) continue;
              const xo = (iy * wd + ix) * cIn, wo = (ky * k + kx) * cOut * cIn;
              for (let co = 0; co < cOut; co++) {
                let sum = 0;
                const wr = wo + co * cIn;
                for (let ci = 0; ci < cIn; ci++) sum += w[wr + ci] * xt[xo + ci];
                acc[co] += sum;
              }
            }
          }
          for (let co = 0; co < cOut; co++) out[(co * oh + oy) * ow + ox] = acc[co] + op.B[co];
        }
      }
      return {data: out, shape: [cOut, oh, ow]};
    },
    conv2d(x, op) {                                     // w (out, in, k, k)
      const [cOut, cIn, k] = op.w.shape, [, h, wd] = x.shape, s = op.stride, p = op.padding;
      const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((wd + 2 * p - k) / s) + 1;
      const out = new Float32Array(cOut * oh * ow), w = op.W, xd = x.data;
      for (let co = 0; co < cOut; co++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let sum = op.B[co];
            for (let ci = 0; ci < cIn; ci++) {
              for (let ky = 0; ky < k; ky++) {
                const iy = oy * s - p + ky;
                if (iy < 0 || iy >= h) continue;
                for (let kx = 0; kx < k; kx++) {
                  const ix = ox * s - p + kx;
                  if (ix >= 0 && ix < wd) sum += xd[(ci * h + iy) * wd + ix] * w[((co * cIn + ci) * k + ky) * k + kx];
                }
              }
            }
            out[(co * oh + oy) * ow + ox] = sum;
          }
        }
      }
      return {data: out, shape: [cOut, oh, ow]};
    },
    silu: x => map(x, v => v / (1 + Math.exp(-v))),
    relu: x => map(x, v => (v > 0 ? v : 0)),
    leaky_relu: (x, op) => map(x, v => (v >= 0 ? v : v * op.slope)),
    tanh: x => map(x, Math.tanh),
    sigmoid: x => map(x, v => 1 / (1 + Math.exp(-v))),
  };

  function convTransposeLayout(w, [cIn, cOut, k]) {  // (in, out, k, k) -> (k, k, out, in)
    const t = new Float32Array(w.length);
    for (let ci = 0; ci < cIn; ci++)
      for (let co = 0; co < cOut; co++)
        for (let q = 0; q < k * k; q++) t[(q * cOut + co) * cIn + ci] = w[(ci * cOut + co) * k * k + q];
    return t;
  }

  // ---- a decoder ----------------------------------------------------------------------------
  function load(spec) {
    if (spec.format !== "webdecoder/1") throw new Error(`unknown decoder format ${spec.format}`);
    const ops = spec.ops.map(op => {
      if (!OPS[op.op]) throw new Error(`the page cannot run op ${op.op}`);
      if (!op.w) return op;
      const W = tensor(op.w), B = tensor(op.b);
      return op.op === "conv_transpose2d" ? {...op, B, Wt: convTransposeLayout(W, op.w.shape)}
                                          : {...op, W, B};
    });
    return {
      spec,
      /** Decode one latent (array of latent_dim numbers) with class index `label` (conditional
       * models): a Float32Array of output_shape, values in [0, 1]. */
      run(z, label) {
        const x = new Float32Array(spec.input_dim);
        for (let i = 0; i < spec.latent_dim; i++) x[i] = z[i];
        if (spec.n_classes) x[spec.latent_dim + label] = 1;
        let h = {data: x, shape: [spec.input_dim]};
        for (const op of ops) h = OPS[op.op](h, op);
        return h.data;
      },
    };
  }

  /** The full latent for slider values, as backend.latent_from_sliders computes it: raw axes, or
   * steps along principal directions; dims beyond the sliders are rest noise · T (or 0). */
  function latentFromSliders(spec, values, mode, restNoise, temperature) {
    const d = spec.latent_dim, coeffs = new Float64Array(d);
    for (let i = 0; i < Math.min(values.length, d); i++) coeffs[i] = Number(values[i]);
    if (restNoise) {
      for (let i = 0; i < restNoise.length; i++) coeffs[values.length + i] = restNoise[i] * temperature;
    }
    if (mode !== "principal") return coeffs;
    const z = Float64Array.from(spec.latent_mean);
    for (let i = 0; i < d; i++) {
      const c = coeffs[i] * spec.latent_scales[i], row = spec.latent_components[i];
      if (c !== 0) for (let j = 0; j < d; j++) z[j] += c * row[j];
    }
    return z;
  }

  // ---- the page -----------------------------------------------------------------------------
  // One decoder at a time: the one for the model picked in the Explore tab.
  const page = {
    decoder: null,      // load(spec) of the current model, or null: server path
    rest: null,         // {model, seed, noise}: the rest dims for the current rest seed
    lastKey: null,      // inputs of the last paint, so .input and .change do not paint twice
    forceServer: false, // the benchmark sets this to time the server path on the same model
    paints: 0,

    setSpec(spec) {
      page.decoder = spec ? load(spec) : null;
      page.lastKey = null;
      document.body.classList.toggle("web-decoding", Boolean(page.decoder) && !page.forceServer);
    },
    setRest(rest) { page.rest = rest; page.lastKey = null; },

    /** Decode and paint the latent the Explore inputs describe; false when this view must go
     * through the server (no decoder for this model, or its rest noise has not arrived yet). */
    paint(model, mode, label, restSeed, temperature, seed, ...values) {
      const dec = page.decoder, spec = dec && dec.spec;
      const on = Boolean(spec) && spec.model === model && !page.forceServer;
      document.body.classList.toggle("web-decoding", on);
      if (!on) return false;
      const k = Math.min(spec.slider_count, values.length);
      let noise = null;
      if (Number(restSeed) >= 0 && spec.latent_dim > k) {
        const r = page.rest;
        if (!r || r.model !== model || r.seed !== Number(restSeed)) return false;
        noise = r.noise;
      }
      let cls = 0;
      if (spec.n_classes) {
        cls = spec.class_names.indexOf(String(label));
        if (cls < 0) return false;  // let the server say what is wrong with the class
      }
      const key = JSON.stringify([model, mode, cls, restSeed, temperature, values.slice(0, k)]);
      if (key === page.lastKey) return true;
      const z = latentFromSliders(spec, values.slice(0, k), mode, noise, Number(temperature));
      const out = dec.run(z, cls);
      page.lastKey = key;
      page.draw(out, spec.output_shape);
      return true;
    },

    draw(out, shape) {
      const canvas = document.querySelector("#decoded-canvas");
      if (!canvas) return;
      const [, h, w] = shape;
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(w, h);
      for (let i = 0; i < w * h; i++) {  // as the server's PNG: round(clamp(v) · 255), grey
        const g = Math.round(Math.min(1, Math.max(0, out[i])) * 255);
        img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g;
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      page.paints++;
      canvas.dataset.paints = String(page.paints);
    },

    /** A slider move: paint here, or ask the server (the hidden #server-decode button's event). */
    route(...inputs) {
      if (!page.paint(...inputs)) {
        const btn = document.querySelector("#server-decode");
        if (btn) btn.click();
      }
    },

    /** For tests: decode latents [[...]] (and class indices) without painting. */
    decodeBatch(zs, labels) {
      return zs.map((z, i) => Array.from(page.decoder.run(z, labels ? labels[i] : 0)));
    },
  };

  const api = {load, latentFromSliders, tensor, OPS, page};
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.latentWeb = api;
})(typeof window !== "undefined" ? window : globalThis);
