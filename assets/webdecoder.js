/* In-page decoding for the Explore tab: a small interpreter of the decoder specs that
 * playground/webdecoder.py exports (linear, reshape, conv_transpose2d, conv2d, activations, the
 * flow's coupling_inverse), and the glue that lets the latent sliders repaint a canvas with no
 * request to the server: a digit, or a point model's latent plane beside its data plane.
 *
 * Values are stored as float32 between layers, as in PyTorch; the sums are done in float64, so
 * the output matches torch's to ~1e-6. Loaded into the page by launch(head=...) and, for the tests,
 * by node (module.exports).
 */
(function (root) {
  "use strict";

  // ---- tensors ------------------------------------------------------------------------------
  /** {shape, data: base64 of little-endian float32} -> Float32Array. The static build's
   * weights may come as `bytes` (already unpacked) and as "dtype": "int16" steps of one float32
   * `scale` per tensor: value = q · scale, rounded to float32 as numpy does (webrun.unpack). */
  function tensor(t) {
    let bytes = t.bytes;
    if (!bytes) {
      const bin = atob(t.data);
      bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (t.dtype === "int16") {
      const q = new Float32Array(bytes.length / 2), s = Math.fround(t.scale);
      for (let i = 0; i < q.length; i++) q[i] = view.getInt16(2 * i, true) * s;
      return q;
    }
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  // ---- ops: x is {data: Float32Array, shape: [...]} for one sample -------------------------
  function map(x, f) {
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(x.data[i], i);
    return {data: out, shape: x.shape};
  }

  /** One affine coupling run backwards: (s, t) = net(mask · y), s tanh-bounded; the kept
   * coordinates (mask 1) pass, the others become (y − t) · exp(−s). */
  function couplingInverse(x, op) {
    const d = x.data.length, m = op.max_log_scale;
    let h = map(x, (v, i) => v * op.mask[i]);
    for (const o of op.ops) h = OPS[o.op](h, o);
    const out = new Float32Array(d);
    for (let i = 0; i < d; i++) {
      const free = 1 - op.mask[i], s = m * Math.tanh(h.data[i] / m) * free, t = h.data[d + i] * free;
      out[i] = (x.data[i] - t) * Math.exp(-s);
    }
    return {data: out, shape: [d]};
  }

  /** A latent diffusion model's deterministic sampler (η = 0), as webdecoder.py's _ddim: the
   * first `dim` inputs are the noise, the one-hot class follows; out: the clean latent (dim,). */
  function ddim(x, op) {
    const d = op.dim, k = op.n_classes, w = op.guidance, hid = op.L.length / (k + 1);
    let c = k;                                            // "no class" unless one is set
    for (let i = 0; i < k; i++) if (x.data[d + i] > 0.5) c = i;
    const eps = (z, step, cls) => {
      const e = new Float32Array(hid);
      for (let j = 0; j < hid; j++) e[j] = op.E[step * hid + j] + op.L[cls * hid + j];
      const plusE = v => map(v, (a, j) => a + e[j]);
      let h = plusE(OPS.linear({data: z, shape: [d]}, op.inp));
      for (const block of op.blocks) {
        let g = plusE(h);
        for (const o of block) g = OPS[o.op](g, o);
        h = map(h, (a, j) => a + g.data[j]);
      }
      for (const o of op.out) h = OPS[o.op](h, o);
      return h.data;
    };
    let z = Float32Array.from(x.data.subarray(0, d));
    op.steps.forEach(([a, aPrev], step) => {
      let e = eps(z, step, w === 0 || !k ? k : c);
      if (k && w !== 0 && w !== 1) {
        const u = eps(z, step, k);
        e = e.map((v, j) => u[j] + w * (v - u[j]));
      }
      const next = new Float32Array(d);
      for (let j = 0; j < d; j++) {
        let x0 = (z[j] - Math.sqrt(1 - a) * e[j]) / Math.sqrt(a), ej = e[j];
        if (op.clip !== null) {
          x0 = Math.max(-op.clip, Math.min(op.clip, x0));
          ej = (z[j] - Math.sqrt(a) * x0) / Math.sqrt(1 - a);
        }
        next[j] = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * ej;
      }
      z = next;
    });
    return {data: z, shape: [d]};
  }

  const OPS = {
    ddim,
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
    coupling_inverse: couplingInverse,                   // x = (y − t) · exp(−s)
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
  function prepare(op) {  // weights decoded (and laid out) once, when the spec arrives
    if (!OPS[op.op]) throw new Error(`the page cannot run op ${op.op}`);
    if (op.ops) return {...op, ops: op.ops.map(prepare)};
    if (op.op === "ddim") {
      return {...op, inp: prepare(op.inp), blocks: op.blocks.map(b => b.map(prepare)),
              out: op.out.map(prepare), E: tensor(op.time_emb), L: tensor(op.labels)};
    }
    if (!op.w) return op;
    const W = tensor(op.w), B = tensor(op.b);
    return op.op === "conv_transpose2d" ? {...op, B, Wt: convTransposeLayout(W, op.w.shape)}
                                        : {...op, W, B};
  }

  function load(spec) {
    if (spec.format !== "webdecoder/1") throw new Error(`unknown decoder format ${spec.format}`);
    const ops = spec.ops.map(prepare);
    return {
      spec,
      prior: spec.prior_draws ? tensor(spec.prior_draws) : null,  // (n, latent_dim) N(0, I)
      /** Decode one latent (array of latent_dim numbers) with class index `label` (conditional
       * models): a Float32Array of output_shape, values in [0, 1]. An encoder's spec reads the
       * flattened item instead (input_dim - n_classes numbers) and returns the latent. */
      run(z, label) {
        const x = new Float32Array(spec.input_dim), n = spec.input_dim - (spec.n_classes || 0);
        for (let i = 0; i < n; i++) x[i] = z[i];
        if (spec.n_classes) x[n + label] = 1;
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

  // ---- the two planes of a point model ------------------------------------------------------
  const PLANES = {w: 800, h: 380, titles: ["latent z ~ N(0, T²I)", "data x = f(z)"]};

  function bounds(xy, extra) {  // [x0, x1, y0, y1] of the finite (x, y) pairs, and `extra`
    const b = [extra[0], extra[0], extra[1], extra[1]];
    for (let i = 0; i < xy.length; i += 2) {
      if (!Number.isFinite(xy[i]) || !Number.isFinite(xy[i + 1])) continue;
      b[0] = Math.min(b[0], xy[i]); b[1] = Math.max(b[1], xy[i]);
      b[2] = Math.min(b[2], xy[i + 1]); b[3] = Math.max(b[3], xy[i + 1]);
    }
    return b;
  }

  function niceStep(span) {  // 1, 2 or 5 × 10^k, about 5 ticks across
    const raw = span / 5, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  }

  /** One plane in `box` (canvas pixels): grid and ticks, the faint cloud, the current point. One
   * scale for both axes, as the server's figure, so the flow's stretching is not distorted. */
  function drawPlane(ctx, box, cloud, point, title) {
    const b = bounds(cloud, point), pad = 0.05;
    const k = Math.min(box.w / ((b[1] - b[0]) * (1 + 2 * pad) || 1),
                       box.h / ((b[3] - b[2]) * (1 + 2 * pad) || 1));
    const cx = (b[0] + b[1]) / 2, cy = (b[2] + b[3]) / 2;
    const px = v => box.x + box.w / 2 + (v - cx) * k, py = v => box.y + box.h / 2 - (v - cy) * k;
    const step = niceStep(Math.max(box.w, box.h) / k), digits = Math.max(0, -Math.floor(Math.log10(step)));
    ctx.font = "15px sans-serif";
    ctx.fillStyle = "#555";
    ctx.strokeStyle = "#e5e5e5";
    ctx.lineWidth = 1;
    for (const [axis, lo, hi] of [["x", cx - box.w / 2 / k, cx + box.w / 2 / k],
                                  ["y", cy - box.h / 2 / k, cy + box.h / 2 / k]]) {
      for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
        const label = (Math.abs(v) < step / 2 ? 0 : v).toFixed(digits).replace("-", "\u2212");
        ctx.beginPath();
        if (axis === "x") {
          ctx.moveTo(px(v), box.y); ctx.lineTo(px(v), box.y + box.h);
          ctx.textAlign = "center"; ctx.textBaseline = "top";
          ctx.fillText(label, px(v), box.y + box.h + 4);
        } else {
          ctx.moveTo(box.x, py(v)); ctx.lineTo(box.x + box.w, py(v));
          ctx.textAlign = "right"; ctx.textBaseline = "middle";
          ctx.fillText(label, box.x - 5, py(v));
        }
        ctx.stroke();
      }
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h);
    ctx.clip();
    ctx.fillStyle = "rgba(107, 127, 215, 0.45)";  // the server figure's sample colour
    for (let i = 0; i < cloud.length; i += 2) ctx.fillRect(px(cloud[i]) - 1.5, py(cloud[i + 1]) - 1.5, 3, 3);
    const [mx, my] = [px(point[0]), py(point[1])];
    ctx.strokeStyle = "#e4572e";
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(mx - 7, my - 7); ctx.lineTo(mx + 7, my + 7);
    ctx.moveTo(mx - 7, my + 7); ctx.lineTo(mx + 7, my - 7);
    ctx.stroke();
    ctx.restore();
    ctx.fillStyle = "#222";
    ctx.font = "16px sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    ctx.fillText(`${title}   (${point[0].toFixed(2)}, ${point[1].toFixed(2)})`, box.x + box.w / 2, box.y - 6);
  }

  // ---- the page -----------------------------------------------------------------------------
  // One decoder at a time: the one for the model picked in the Explore tab.
  const page = {
    decoder: null,      // load(spec) of the current model, or null: server path
    cloud: null,        // {model, t, z, x}: a point model's prior draws at T and their images
    rest: null,         // {model, seed, noise}: the rest dims for the current rest seed
    lastKey: null,      // inputs of the last paint, so .input and .change do not paint twice
    forceServer: false, // the benchmark sets this to time the server path on the same model
    paints: 0,

    setSpec(spec) {
      page.decoder = spec ? load(spec) : null;
      page.lastKey = null;
      page.show(Boolean(page.decoder) && !page.forceServer);
    },
    /** Body classes (assets/style.css, explore.py's CANVAS_HTML) put the canvas in the place of
     * the server's image, or of its plotly figure for a point model. */
    show(on) {
      document.body.classList.toggle("web-decoding", on);
      document.body.classList.toggle("web-points", on && page.decoder.spec.output === "points");
    },
    setRest(rest) { page.rest = rest; page.lastKey = null; },

    /** Decode and paint the latent the Explore inputs describe; false when this view must go
     * through the server (no decoder for this model, or its rest noise has not arrived yet). */
    paint(model, mode, label, restSeed, temperature, seed, ...values) {
      const dec = page.decoder, spec = dec && dec.spec;
      const on = Boolean(spec) && spec.model === model && !page.forceServer;
      page.show(on);
      if (!on) return false;
      const k = Math.min(spec.slider_count, values.length);
      if (spec.knobs) {  // a sampler in the page: made for one setting of the knob controls
        const shown = values.slice(values.length - spec.knobs.length);
        if (spec.knobs.some(([, v], i) => String(v) !== String(shown[i]))) return false;
      }
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
      const key = JSON.stringify([model, mode, cls, restSeed, temperature, values]);
      if (key === page.lastKey) return true;
      const z = latentFromSliders(spec, values.slice(0, k), mode, noise, Number(temperature));
      const out = dec.run(z, cls);
      page.lastKey = key;
      if (spec.output === "points") page.drawPlanes(z, out, Number(temperature));
      else page.draw(out, spec.output_shape);
      return true;
    },

    /** The background of a point model's planes: its fixed N(0, I) draws scaled by T, and their
     * images under the decoder; decoded once per model and temperature. */
    background(t) {
      const dec = page.decoder, d = dec.spec.latent_dim, c = page.cloud;
      if (c && c.model === dec.spec.model && c.t === t) return c;
      const n = dec.prior.length / d, z = new Float32Array(2 * n), x = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const zi = Array.from(dec.prior.subarray(i * d, (i + 1) * d), v => v * t), xi = dec.run(zi, 0);
        z.set(zi.slice(0, 2), 2 * i);
        x.set(xi.subarray(0, 2), 2 * i);
      }
      return (page.cloud = {model: dec.spec.model, t, z, x});
    },

    drawPlanes(z, x, t) {
      const canvas = document.querySelector("#decoded-canvas");
      if (!canvas) return;
      if (canvas.width !== PLANES.w || canvas.height !== PLANES.h) {
        canvas.width = PLANES.w; canvas.height = PLANES.h;
      }
      const cloud = page.background(t), ctx = canvas.getContext("2d"), half = PLANES.w / 2;
      const titles = [`${PLANES.titles[0]}, T = ${t}`, PLANES.titles[1]];
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, PLANES.w, PLANES.h);
      [[cloud.z, z], [cloud.x, x]].forEach(([points, p], i) => drawPlane(
        ctx, {x: i * half + 50, y: 34, w: half - 64, h: PLANES.h - 62}, points, [p[0], p[1]],
        titles[i]));
      const f = v => v.toFixed(3);  // what the picture shows, for screen readers and tests
      canvas.setAttribute("aria-label", `${titles[0]}: z = (${f(z[0])}, ${f(z[1])}); `
                          + `${titles[1]} = (${f(x[0])}, ${f(x[1])})`);
      page.painted(canvas);
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
      canvas.setAttribute("aria-label", "the decoded image");
      page.painted(canvas);
    },

    painted(canvas) {  // the counter tests and the benchmark wait on
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
