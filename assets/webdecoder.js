/* In-page decoding for the Explore tab: a small interpreter of the decoder specs that
 * playground/webdecoder.py exports (linear, reshape, conv_transpose2d, conv2d, activations, the
 * flow's coupling_inverse), and the glue that lets the latent sliders repaint a canvas with no
 * request to the server: a digit, or a point model's latent plane beside its data plane.
 *
 * Values are stored as float32 between layers, as in PyTorch; the sums are done in float64, so
 * the output matches torch's to ~1e-6. Weights are laid out once, when a spec arrives, so that
 * every sum reads contiguous memory; each op writes into a buffer of its own, reused from one
 * decode to the next. Loaded into the page by launch(head=...) and, for the tests, by node
 * (module.exports).
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

  // ---- ops: x is {data: Float32Array, shape: [...]} for one sample (a linear also takes a
  // batch (B, in): the sampler runs its guided and unguided passes at once) --------------------
  // Values are rounded to float32 between ops, as torch stores them; sums run in float64 in
  // independent chains (4 output channels at a time), so the order differs from torch's by less
  // than float32's last bit.
  const ACT = {relu: 1, silu: 2, sigmoid: 3, tanh: 4, leaky_relu: 5};

  /** An op's output buffer, allocated once and reused by every run (ops hand on the buffer the
   * next op reads; run() copies the last one out). */
  function buffer(op, n) {
    if (!op.buf || op.buf.length !== n) op.buf = new Float32Array(n);
    return op.buf;
  }

  function activate(v, act, slope) {  // v already float32; the result is rounded on store
    switch (act) {
      case 1: return v > 0 ? v : 0;
      case 2: return v / (1 + Math.exp(-v));
      case 3: return 1 / (1 + Math.exp(-v));
      case 4: return Math.tanh(v);
      case 5: return v >= 0 ? v : v * slope;
      default: return v;
    }
  }

  function elementwise(x, op) {
    const xd = x.data, n = xd.length, out = buffer(op, n), act = ACT[op.op], slope = op.slope;
    for (let i = 0; i < n; i++) out[i] = activate(xd[i], act, slope);
    return {data: out, shape: x.shape};
  }

  /** The one inner loop of linear, conv2d and conv_transpose2d: for each output channel co,
   * out[base + co · stride] = act(b[co] + Σ over taps t of Σ_ci x[tx[t] + ci] · w[tw[t] + co · cIn + ci]),
   * the input channels-last and the weights (tap, out, in), so every sum runs over contiguous
   * memory. Eight channels at a time share each input load in eight independent chains. */
  function gatherTaps(out, base, stride, x, w, b, cIn, cOut, tx, tw, nt, act, sl) {
    const c8 = cOut - (cOut % 8);
    for (let co = 0; co < c8; co += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let t = 0; t < nt; t++) {
        const xo = tx[t], w0 = tw[t] + co * cIn, w1 = w0 + cIn, w2 = w1 + cIn, w3 = w2 + cIn,
              w4 = w3 + cIn, w5 = w4 + cIn, w6 = w5 + cIn, w7 = w6 + cIn;
        for (let ci = 0; ci < cIn; ci++) {
          const v = x[xo + ci];
          s0 += w[w0 + ci] * v; s1 += w[w1 + ci] * v; s2 += w[w2 + ci] * v; s3 += w[w3 + ci] * v;
          s4 += w[w4 + ci] * v; s5 += w[w5 + ci] * v; s6 += w[w6 + ci] * v; s7 += w[w7 + ci] * v;
        }
      }
      const o = base + co * stride;
      out[o] = activate(Math.fround(s0 + b[co]), act, sl);
      out[o + stride] = activate(Math.fround(s1 + b[co + 1]), act, sl);
      out[o + 2 * stride] = activate(Math.fround(s2 + b[co + 2]), act, sl);
      out[o + 3 * stride] = activate(Math.fround(s3 + b[co + 3]), act, sl);
      out[o + 4 * stride] = activate(Math.fround(s4 + b[co + 4]), act, sl);
      out[o + 5 * stride] = activate(Math.fround(s5 + b[co + 5]), act, sl);
      out[o + 6 * stride] = activate(Math.fround(s6 + b[co + 6]), act, sl);
      out[o + 7 * stride] = activate(Math.fround(s7 + b[co + 7]), act, sl);
    }
    const c4in = cIn - (cIn % 4);
    for (let co = c8; co < cOut; co++) {             // the channels left over (an image's one):
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;            // four chains over ci instead
      for (let t = 0; t < nt; t++) {
        const xo = tx[t], w0 = tw[t] + co * cIn;
        let ci = 0;
        for (; ci < c4in; ci += 4) {
          s0 += w[w0 + ci] * x[xo + ci]; s1 += w[w0 + ci + 1] * x[xo + ci + 1];
          s2 += w[w0 + ci + 2] * x[xo + ci + 2]; s3 += w[w0 + ci + 3] * x[xo + ci + 3];
        }
        for (; ci < cIn; ci++) s0 += w[w0 + ci] * x[xo + ci];
      }
      out[base + co * stride] = activate(Math.fround(s0 + s1 + s2 + s3 + b[co]), act, sl);
    }
  }

  function linear(x, op) {                             // w (out, in), b (out,); activation fused
    const [nOut, nIn] = op.w.shape, xd = x.data, rows = xd.length / nIn;
    const out = buffer(op, rows * nOut), {tx, tw} = taps(1);
    tw[0] = 0;
    for (let r = 0; r < rows; r++) {
      tx[0] = r * nIn;
      gatherTaps(out, r * nOut, 1, xd, op.W, op.B, nIn, nOut, tx, tw, 1, op.act | 0, op.slope);
    }
    return {data: out, shape: rows === 1 && x.shape.length === 1 ? [nOut] : [rows, nOut]};
  }

  /** The input (C, H, W) channels-last, (H, W, C), in the op's own buffer: each tap's inputs are
   * then one contiguous run of C values. */
  function channelsLast(x, op) {
    const [c, h, w] = x.shape, xd = x.data, n = h * w;
    if (!op.xt || op.xt.length !== c * n) op.xt = new Float32Array(c * n);
    const xt = op.xt;
    for (let ci = 0; ci < c; ci++) for (let i = 0; i < n; i++) xt[i * c + ci] = xd[ci * n + i];
    return xt;
  }

  const TAPS = {tx: new Int32Array(64), tw: new Int32Array(64)};
  function taps(n) {
    if (TAPS.tx.length < n) TAPS.tx = new Int32Array(n), TAPS.tw = new Int32Array(n);
    return TAPS;
  }

  function convTranspose2d(x, op) {
    // Gathered per output pixel: out[co, oy, ox] = b[co] + Σ over the taps (ky, kx) that land
    // there of Σ_ci x[ci, iy, ix] · w[ci, co, ky, kx].
    const [cIn, cOut, k] = op.w.shape, [, h, wd] = x.shape, s = op.stride, p = op.padding;
    const oh = (h - 1) * s - 2 * p + k, ow = (wd - 1) * s - 2 * p + k, nPix = oh * ow;
    const xt = channelsLast(x, op), out = buffer(op, cOut * nPix), {tx, tw} = taps(k * k);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let nt = 0;
        for (let ky = (oy + p) % s; ky < k; ky += s) {
          const iy = (oy + p - ky) / s;
          if (iy < 0 || iy >= h) continue;
          for (let kx = (ox + p) % s; kx < k; kx += s) {
            const ix = (ox + p - kx) / s;
            if (ix < 0 || ix >= wd) continue;
            tx[nt] = (iy * wd + ix) * cIn; tw[nt] = (ky * k + kx) * cOut * cIn; nt++;
          }
        }
        gatherTaps(out, oy * ow + ox, nPix, xt, op.Wt, op.B, cIn, cOut, tx, tw, nt, op.act | 0, op.slope);
      }
    }
    return {data: out, shape: [cOut, oh, ow]};
  }

  function conv2d(x, op) {                             // w (out, in, k, k), zero padding
    const [cOut, cIn, k] = op.w.shape, [, h, wd] = x.shape, s = op.stride, p = op.padding;
    const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((wd + 2 * p - k) / s) + 1;
    const nPix = oh * ow, xt = channelsLast(x, op), out = buffer(op, cOut * nPix);
    const {tx, tw} = taps(k * k);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let nt = 0;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * s - p + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * s - p + kx;
            if (ix < 0 || ix >= wd) continue;
            tx[nt] = (iy * wd + ix) * cIn; tw[nt] = (ky * k + kx) * cOut * cIn; nt++;
          }
        }
        gatherTaps(out, oy * ow + ox, nPix, xt, op.Wt, op.B, cIn, cOut, tx, tw, nt, op.act | 0, op.slope);
      }
    }
    return {data: out, shape: [cOut, oh, ow]};
  }

  /** One affine coupling run backwards: (s, t) = net(mask · y), s tanh-bounded; the kept
   * coordinates (mask 1) pass, the others become (y − t) · exp(−s). */
  function couplingInverse(x, op) {
    const d = x.data.length, m = op.max_log_scale, mask = op.mask;
    const kept = new Float32Array(d);
    for (let i = 0; i < d; i++) kept[i] = x.data[i] * mask[i];
    let h = {data: kept, shape: [d]};
    for (const o of op.ops) h = OPS[o.op](h, o);
    const out = buffer(op, d);
    for (let i = 0; i < d; i++) {
      const free = 1 - mask[i], s = m * Math.tanh(h.data[i] / m) * free, t = h.data[d + i] * free;
      out[i] = (x.data[i] - t) * Math.exp(-s);
    }
    return {data: out, shape: [d]};
  }

  /** A latent diffusion model's deterministic sampler (η = 0), as webrun.py's _ddim: the first
   * `dim` inputs are the noise, the one-hot class follows; out: the clean latent (dim,). A guided
   * step's two passes (the class's and "no class") go through the denoiser as one batch of two. */
  function ddim(x, op) {
    const d = op.dim, k = op.n_classes, w = op.guidance, hid = op.L.length / (k + 1);
    let c = k;                                            // "no class" unless one is set
    for (let i = 0; i < k; i++) if (x.data[d + i] > 0.5) c = i;
    const guided = k && w !== 0 && w !== 1;
    const classes = guided ? [c, k] : [w === 0 || !k ? k : c], rows = classes.length;
    const zs = new Float32Array(rows * d), e = new Float32Array(rows * hid);
    const g = new Float32Array(rows * hid), h = new Float32Array(rows * hid);
    const z = Float32Array.from(x.data.subarray(0, d));
    op.steps.forEach(([a, aPrev], step) => {
      for (let r = 0; r < rows; r++) {
        zs.set(z, r * d);
        for (let j = 0; j < hid; j++) e[r * hid + j] = op.E[step * hid + j] + op.L[classes[r] * hid + j];
      }
      const hin = OPS.linear({data: zs, shape: [rows, d]}, op.inp).data;
      for (let j = 0; j < h.length; j++) h[j] = hin[j] + e[j];
      for (const block of op.blocks) {                    // h = h + block(h + e)
        for (let j = 0; j < h.length; j++) g[j] = h[j] + e[j];
        let y = {data: g, shape: [rows, hid]};
        for (const o of block) y = OPS[o.op](y, o);
        for (let j = 0; j < h.length; j++) h[j] += y.data[j];
      }
      let y = {data: h, shape: [rows, hid]};
      for (const o of op.out) y = OPS[o.op](y, o);
      const eps = y.data;                                 // (rows, d): the class's, then "no class"
      for (let j = 0; j < d; j++) {
        let ej = guided ? Math.fround(eps[d + j] + Math.fround(w * Math.fround(eps[j] - eps[d + j])))
                        : eps[j];
        let x0 = (z[j] - Math.sqrt(1 - a) * ej) / Math.sqrt(a);
        if (op.clip !== null) {
          x0 = Math.max(-op.clip, Math.min(op.clip, x0));
          ej = (z[j] - Math.sqrt(a) * x0) / Math.sqrt(1 - a);
        }
        z[j] = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * ej;
      }
    });
    return {data: z, shape: [d]};
  }

  const OPS = {
    ddim,
    linear,
    reshape(x, op) { return {data: x.data, shape: op.shape}; },
    conv_transpose2d: convTranspose2d,
    conv2d,
    coupling_inverse: couplingInverse,                   // x = (y − t) · exp(−s)
    silu: elementwise,
    relu: elementwise,
    leaky_relu: elementwise,
    tanh: elementwise,
    sigmoid: elementwise,
  };

  // ---- a decoder ----------------------------------------------------------------------------
  /** (in, out, k, k) for a transposed convolution, (out, in, k, k) for a convolution, to
   * (k, k, out, in): one tap's weights for one output channel are a contiguous run over in. */
  function tapLayout(w, [a, b, k], transposed) {
    const [cIn, cOut] = transposed ? [a, b] : [b, a], t = new Float32Array(w.length);
    for (let ci = 0; ci < cIn; ci++)
      for (let co = 0; co < cOut; co++) {
        const from = (transposed ? ci * cOut + co : co * cIn + ci) * k * k;
        for (let q = 0; q < k * k; q++) t[(q * cOut + co) * cIn + ci] = w[from + q];
      }
    return t;
  }

  /** The ops with an activation that follows a linear or convolution (a reshape between them
   * moves no value) folded into that op: applied as each output is written. */
  function fuse(ops) {
    const out = [];
    for (const op of ops) {
      const last = out.length && (out[out.length - 1].op === "reshape" && out.length > 1
                                  ? out[out.length - 2] : out[out.length - 1]);
      if (ACT[op.op] && last && last.W && !last.act) {
        last.act = ACT[op.op];
        last.slope = op.slope;
      } else {
        out.push(op);
      }
    }
    return out;
  }

  function prepare(op) {  // weights decoded (and laid out) once, when the spec arrives
    if (!OPS[op.op]) throw new Error(`the page cannot run op ${op.op}`);
    if (op.ops) return {...op, ops: fuse(op.ops.map(prepare))};
    if (op.op === "ddim") {
      return {...op, inp: prepare(op.inp), blocks: op.blocks.map(b => fuse(b.map(prepare))),
              out: fuse(op.out.map(prepare)), E: tensor(op.time_emb), L: tensor(op.labels)};
    }
    if (!op.w) return {...op};
    const W = tensor(op.w), B = tensor(op.b);
    return op.op === "linear" ? {...op, W, B}
                              : {...op, B, W, Wt: tapLayout(W, op.w.shape, op.op === "conv_transpose2d")};
  }

  function load(spec) {
    if (spec.format !== "webdecoder/1") throw new Error(`unknown decoder format ${spec.format}`);
    const ops = fuse(spec.ops.map(prepare)), x = new Float32Array(spec.input_dim);
    return {
      spec,
      prior: spec.prior_draws ? tensor(spec.prior_draws) : null,  // (n, latent_dim) N(0, I)
      /** Decode one latent (array of latent_dim numbers) with class index `label` (conditional
       * models): a new Float32Array of output_shape, values in [0, 1]. */
      run(z, label) {
        x.fill(0);
        for (let i = 0; i < spec.latent_dim; i++) x[i] = z[i];
        if (spec.n_classes) x[spec.latent_dim + label] = 1;
        let h = {data: x, shape: [spec.input_dim]};
        for (const op of ops) h = OPS[op.op](h, op);
        return Float32Array.from(h.data);
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
