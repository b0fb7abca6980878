/* In-page decoding for the Explore tab: a small interpreter of the decoder specs that
 * playground/webdecoder.py exports (linear, reshape, conv_transpose2d, conv2d, activations, the
 * flow's coupling_inverse), and the glue that lets the latent sliders repaint a canvas with no
 * request to the server: a digit, or a point model's latent plane beside its data plane.
 *
 * Values are stored as float32 between layers, as in PyTorch. The sums of linear and convolution
 * layers run in WebAssembly SIMD (float32, four lanes at a time) where the browser has it, else in
 * JavaScript (float64); either way the output matches torch's to ~1e-6. Weights are laid out once,
 * when a spec arrives, so that every sum reads contiguous memory; each op writes into a buffer of
 * its own, reused from one decode to the next. Slider moves paint at most once per animation
 * frame, the latest move winning (frameScheduler). Loaded into the page by launch(head=...) and,
 * for the tests, by node (module.exports).
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

  // ---- ops: x is {data: Float32Array, shape: [...]} for one sample (a linear also takes a
  // batch (B, in): the sampler runs its guided and unguided passes at once) --------------------
  // Values are rounded to float32 between ops, as torch stores them; a linear or convolution
  // applies its activation (fuse) as it writes each output.
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

  /** The one inner loop of linear, conv2d and conv_transpose2d, in JavaScript, for one output
   * pixel: for each output channel co, out[base + co · stride] = act(b[co] + Σ over its taps t of
   * Σ_ci x[tx[t] + ci] · w[(tq[t] · cOut + co) · cIn + ci]), its taps t0 .. t0 + nt - 1 of the
   * op's table, the input channels-last and the weights (tap, out, in), so every sum runs over
   * contiguous memory. Eight channels at a time share each input load, in eight independent
   * float64 chains. */
  function gatherTaps(out, base, stride, x, w, b, cIn, cOut, tx, tq, t0, nt, act, sl) {
    const c8 = cOut - (cOut % 8), wq = cOut * cIn, t1 = t0 + nt;
    for (let co = 0; co < c8; co += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let t = t0; t < t1; t++) {
        const xo = tx[t], w0 = tq[t] * wq + co * cIn, w1 = w0 + cIn, w2 = w1 + cIn, w3 = w2 + cIn,
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
      for (let t = t0; t < t1; t++) {
        const xo = tx[t], w0 = tq[t] * wq + co * cIn;
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

  /** The op's taps for an input of this `shape`, worked out on its first run: for each of nPix
   * output pixels (a linear's rows), its n[p] taps at p · maxT: the input pixel's offset tx in
   * the channels-last input, and the tap's index tq (ky · k + kx) in the weights. `each(p, add)`
   * calls add(tx, tq) per tap. */
  function tapTable(op, shape, nPix, maxT, each) {
    const key = shape.join();
    if (op.table && op.table.key === key) return op.table;
    const n = new Int32Array(nPix), tx = new Int32Array(nPix * maxT), tq = new Int32Array(nPix * maxT);
    for (let p = 0; p < nPix; p++) {
      each(p, (x, q) => { tx[p * maxT + n[p]] = x; tq[p * maxT + n[p]] = q; n[p]++; });
    }
    return (op.table = {key, nPix, maxT, n, tx, tq});
  }

  /** Every output pixel's channels from the op's input (input()) and tap table: pixel p, channel co
   * goes to out[p · pStride + co · cStride]. By the WebAssembly kernel where the op's weights are
   * packed in a heap, else by gatherTaps. */
  function sumTaps(op, out, table, cIn, cOut, pStride, cStride) {
    const {nPix, maxT, n, tx, tq} = table, act = op.act | 0, sl = op.slope, b = op.B, h = op.heap;
    if (!h) {
      const w = op.Wt || op.W;
      for (let p = 0; p < nPix; p++) {
        gatherTaps(out, p * pStride, cStride, op.xt, w, b, cIn, cOut, tx, tq, p * maxT, n[p], act, sl);
      }
      return;
    }
    const rec = 1 + 2 * maxT, lanes = op.nb * 16;
    if (op.heapTable !== table) {                  // the table as the kernel reads it, once
      op.tOff = h.alloc(nPix * rec);
      op.sOff = h.alloc(nPix * lanes);
      const i32 = h.i32, t0 = op.tOff / 4, tapBytes = op.nb * cIn * 64;
      for (let p = 0; p < nPix; p++) {
        i32[t0 + p * rec] = n[p];
        for (let t = 0; t < n[p]; t++) {
          i32[t0 + p * rec + 1 + 2 * t] = tx[p * maxT + t] * 4;
          i32[t0 + p * rec + 2 + 2 * t] = tq[p * maxT + t] * tapBytes;
        }
      }
      op.heapTable = table;
    }
    if (op.op === "linear" && nPix > 1) {          // a batch: rows in pairs, then an odd last one
      const rowBytes = 64 * op.nb, xBytes = 4 * cIn;
      let p = 0;
      for (; p + 1 < nPix; p += 2) {
        h.rows2(op.sOff + p * rowBytes, op.sOff + (p + 1) * rowBytes, op.xOff + p * xBytes,
                op.xOff + (p + 1) * xBytes, op.wOff, cIn, op.nb);
      }
      if (p < nPix) h.layer(op.sOff + p * rowBytes, op.xOff, op.wOff, op.tOff + 4 * rec * p, 1, cIn, op.nb, rec);
    } else {
      h.layer(op.sOff, op.xOff, op.wOff, op.tOff, nPix, cIn, op.nb, rec);
    }
    const sums = h.f32, s0 = op.sOff / 4;
    for (let p = 0; p < nPix; p++) {
      const s = s0 + p * lanes, o = p * pStride;
      for (let co = 0; co < cOut; co++) {
        out[o + co * cStride] = activate(Math.fround(sums[s + co] + b[co]), act, sl);
      }
    }
  }

  /** Where the op's kernel reads its input from, n floats: its own array, or its place in the
   * heap. */
  function input(op, n) {
    const h = op.heap;
    if (!h) {
      if (!op.xt || op.xt.length !== n) op.xt = new Float32Array(n);
      return op.xt;
    }
    if (op.xOff === undefined || op.xN < n) { op.xOff = h.alloc(n); op.xN = n; }
    const f = h.f32, at = op.xOff / 4;  // a new view only when the memory has grown or n changed
    if (!op.xv || op.xv.buffer !== f.buffer || op.xv.length !== n) op.xv = f.subarray(at, at + n);
    return op.xv;
  }

  function linear(x, op) {                             // w (out, in), b (out,); activation fused
    const [nOut, nIn] = op.w.shape, xd = x.data, rows = xd.length / nIn, out = buffer(op, rows * nOut);
    input(op, xd.length).set(xd);
    const table = tapTable(op, [rows], rows, 1, (r, add) => add(r * nIn, 0));
    sumTaps(op, out, table, nIn, nOut, nOut, 1);
    return {data: out, shape: rows === 1 && x.shape.length === 1 ? [nOut] : [rows, nOut]};
  }

  /** The input (C, H, W) channels-last, (H, W, C), where the op's kernel reads it: each tap's
   * inputs are then one contiguous run of C values. */
  function channelsLast(x, op) {
    const [c, h, w] = x.shape, xd = x.data, n = h * w, xt = input(op, c * n);
    for (let ci = 0; ci < c; ci++) for (let i = 0; i < n; i++) xt[i * c + ci] = xd[ci * n + i];
  }

  function convTranspose2d(x, op) {
    // Gathered per output pixel: out[co, oy, ox] = b[co] + Σ over the taps (ky, kx) that land
    // there of Σ_ci x[ci, iy, ix] · w[ci, co, ky, kx].
    const [cIn, cOut, k] = op.w.shape, [, h, wd] = x.shape, s = op.stride, p = op.padding;
    const oh = (h - 1) * s - 2 * p + k, ow = (wd - 1) * s - 2 * p + k, nPix = oh * ow;
    const out = buffer(op, cOut * nPix);
    channelsLast(x, op);
    const table = tapTable(op, x.shape, nPix, k * k, (pix, add) => {
      const oy = Math.floor(pix / ow), ox = pix % ow;
      for (let ky = (oy + p) % s; ky < k; ky += s) {
        const iy = (oy + p - ky) / s;
        if (iy < 0 || iy >= h) continue;
        for (let kx = (ox + p) % s; kx < k; kx += s) {
          const ix = (ox + p - kx) / s;
          if (ix >= 0 && ix < wd) add((iy * wd + ix) * cIn, ky * k + kx);
        }
      }
    });
    sumTaps(op, out, table, cIn, cOut, 1, nPix);
    return {data: out, shape: [cOut, oh, ow]};
  }

  function conv2d(x, op) {                             // w (out, in, k, k), zero padding
    const [cOut, cIn, k] = op.w.shape, [, h, wd] = x.shape, s = op.stride, p = op.padding;
    const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((wd + 2 * p - k) / s) + 1;
    const nPix = oh * ow, out = buffer(op, cOut * nPix);
    channelsLast(x, op);
    const table = tapTable(op, x.shape, nPix, k * k, (pix, add) => {
      const oy = Math.floor(pix / ow), ox = pix % ow;
      for (let ky = 0; ky < k; ky++) {
        const iy = oy * s - p + ky;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < k; kx++) {
          const ix = ox * s - p + kx;
          if (ix >= 0 && ix < wd) add((iy * wd + ix) * cIn, ky * k + kx);
        }
      }
    });
    sumTaps(op, out, table, cIn, cOut, 1, nPix);
    return {data: out, shape: [cOut, oh, ow]};
  }

  // ---- the same sums, four lanes at a time: WebAssembly SIMD ----------------------------------
  /* Three functions, assembled here byte by byte (nothing is downloaded); addresses are in bytes
   * (and rows2, below: a linear's batch of two, each weight loaded once for both rows):
   *   pixel(out, x, w, taps, nt, cIn, nb): for each block b < nb of 16 output channels,
   *     out[16b .. 16b + 15] = Σ over taps t < nt of Σ_ci x[xo_t + ci] · w[wb + wo_t + 16 ci ..]
   *   with (xo_t, wo_t) the t-th pair of offsets at `taps`, wb = w + b · cIn · 64, and the
   *   weights packed (tap, block, ci, 16 channels): each input value, splatted, multiplies four
   *   4-lane vectors of weights into four accumulators;
   *   layer(out, x, w, table, nPix, cIn, nb, rec): pixel() for each output pixel p < nPix, its
   *   record at table + 4 · rec · p (nt, then the pairs), its sums at out + 64 · nb · p.
   * Sums are float32 in each lane (torch's are float32 too, in another order): 1e-6 of the value
   * on the shipped decoders, against the float64 of gatherTaps. Bias and activation stay in
   * JavaScript, which has Math.exp. */
  function simdModule() {
    const uleb = n => {
      const b = [];
      do { b.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7; } while (n);
      return b;
    };
    const sleb = n => {
      const b = [];
      for (;;) {
        const x = n & 0x7f;
        n >>= 7;
        if ((n === 0 && !(x & 0x40)) || (n === -1 && (x & 0x40))) return b.concat(x);
        b.push(x | 0x80);
      }
    };
    const vec = items => [...uleb(items.length), ...items.flat()];
    const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
    const name = s => vec([...s].map(c => c.charCodeAt(0)));
    const I32 = 0x7f, V128 = 0x7b;
    const get = i => [0x20, i], set = i => [0x21, i], i32 = v => [0x41, ...sleb(v)];
    const add = 0x6a, mul = 0x6c, shl = 0x74, ltU = 0x49, eqz = 0x45, end = 0x0b;
    const load = off => [0x28, 2, off];                            // i32.load align 4
    const vload = off => [0xfd, 0x00, 0, ...uleb(off)], vstore = off => [0xfd, 0x0b, 0, ...uleb(off)];
    const splat = [0xfd, 0x09, 0, 0];                              // v128.load32_splat
    const fadd = [0xfd, 0xe4, 0x01], fmul = [0xfd, 0xe6, 0x01];
    const zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
    // block { loop { body; br 0 } }: a body leaves through exitUnless
    const loop = body => [0x02, 0x40, 0x03, 0x40, ...body, 0x0c, 0, end, end];
    const exitUnless = cond => [...cond, eqz, 0x0d, 1];            // br_if out of the block
    // pixel: params 0-6 out x w taps nt cIn nb; locals 7 b, 8 t, 9 ci, 10 xo, 11 wo, 12 wb,
    // 13-16 the accumulators, 17 xv
    const [OUT, X, W, TAPS, NT, CIN, NB, B, T, CI, XO, WO, WB] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const ACC = [13, 14, 15, 16], XV = 17;
    const body = [
      ...i32(0), ...set(B),
      ...loop([
        ...exitUnless([...get(B), ...get(NB), ltU]),
        ...ACC.flatMap(a => [...zero, ...set(a)]),
        ...get(W), ...get(B), ...get(CIN), mul, ...i32(6), shl, add, ...set(WB),
        ...i32(0), ...set(T),
        ...loop([
          ...exitUnless([...get(T), ...get(NT), ltU]),
          ...get(X), ...get(TAPS), ...get(T), ...i32(3), shl, add, ...load(0), add, ...set(XO),
          ...get(WB), ...get(TAPS), ...get(T), ...i32(3), shl, add, ...load(4), add, ...set(WO),
          ...get(CIN), ...set(CI),
          ...loop([
            ...exitUnless(get(CI)),
            ...get(XO), ...splat, ...set(XV),
            ...ACC.flatMap((a, j) => [...get(a), ...get(WO), ...vload(16 * j), ...get(XV), ...fmul,
                                      ...fadd, ...set(a)]),
            ...get(XO), ...i32(4), add, ...set(XO),
            ...get(WO), ...i32(64), add, ...set(WO),
            ...get(CI), ...i32(-1), add, ...set(CI),
          ]),
          ...get(T), ...i32(1), add, ...set(T),
        ]),
        ...ACC.flatMap((a, j) => [...get(OUT), ...get(B), ...i32(6), shl, add, ...get(a),
                                  ...vstore(16 * j)]),
        ...get(B), ...i32(1), add, ...set(B),
      ]),
    ];
    const code = [...vec([[6, I32], [5, V128]]), ...body, end];
    // layer: params 0-7 out x w table nPix cIn nb rec; locals 8 p, 9 at (the pixel's record)
    const [P, AT] = [8, 9];
    const layer = [...vec([[2, I32]]),
      ...i32(0), ...set(P),
      ...loop([
        ...exitUnless([...get(P), ...get(4), ltU]),
        ...get(3), ...get(P), ...get(7), mul, ...i32(2), shl, add, ...set(AT),
        ...get(0), ...get(P), ...get(6), mul, ...i32(6), shl, add,    // out + 64 · nb · p
        ...get(1), ...get(2), ...get(AT), ...i32(4), add, ...get(AT), ...load(0),
        ...get(5), ...get(6), 0x10, 0,                                // call pixel
        ...get(P), ...i32(1), add, ...set(P),
      ]),
      end];
    // rows2: params 0-6 out0 out1 x0 x1 w cIn nb; two rows of a linear at once, each weight
    // vector loaded once for both (the sums of a batch of two are bound by the weights' loads);
    // locals 7 b, 8 ci, 9 xo0, 10 xo1, 11 wo; 12-15 and 16-19 the rows' accumulators, 20 and
    // 21 the rows' splatted inputs, 22 the weights
    const [O0, O1, X0, X1, W2, CI2, NB2, B2, C2, XO0, XO1, WO2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const R0 = [12, 13, 14, 15], R1 = [16, 17, 18, 19], XV0 = 20, XV1 = 21, WV = 22, tee = i => [0x22, i];
    const rows2 = [...vec([[5, I32], [11, V128]]),
      ...i32(0), ...set(B2),
      ...loop([
        ...exitUnless([...get(B2), ...get(NB2), ltU]),
        ...[...R0, ...R1].flatMap(a => [...zero, ...set(a)]),
        ...get(W2), ...get(B2), ...get(CI2), mul, ...i32(6), shl, add, ...set(WO2),
        ...get(X0), ...set(XO0), ...get(X1), ...set(XO1), ...get(CI2), ...set(C2),
        ...loop([
          ...exitUnless(get(C2)),
          ...get(XO0), ...splat, ...set(XV0), ...get(XO1), ...splat, ...set(XV1),
          ...R0.flatMap((a, j) => [...get(WO2), ...vload(16 * j), ...tee(WV), ...get(XV0), ...fmul,
                                   ...get(a), ...fadd, ...set(a),
                                   ...get(WV), ...get(XV1), ...fmul, ...get(R1[j]), ...fadd, ...set(R1[j])]),
          ...get(XO0), ...i32(4), add, ...set(XO0), ...get(XO1), ...i32(4), add, ...set(XO1),
          ...get(WO2), ...i32(64), add, ...set(WO2),
          ...get(C2), ...i32(-1), add, ...set(C2),
        ]),
        ...R0.flatMap((a, j) => [...get(O0), ...get(B2), ...i32(6), shl, add, ...get(a), ...vstore(16 * j),
                                 ...get(O1), ...get(B2), ...i32(6), shl, add, ...get(R1[j]), ...vstore(16 * j)]),
        ...get(B2), ...i32(1), add, ...set(B2),
      ]),
      end];
    const type = n => [0x60, ...vec(new Array(n).fill(I32)), 0];     // (n × i32) -> ()
    const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      ...section(1, vec([type(7), type(8)])),
      ...section(2, vec([[...name("m"), ...name("mem"), 0x02, 0x00, 0x01]])),  // memory import
      ...section(3, vec([[0], [1], [0]])),
      ...section(7, vec([[...name("layer"), 0x00, 1], [...name("rows2"), 0x00, 2]])),
      ...section(10, vec([[...uleb(code.length), ...code], [...uleb(layer.length), ...layer],
                          [...uleb(rows2.length), ...rows2]]))]);
    try {
      return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch (err) {
      return null;  // no WebAssembly here: the float64 kernel in JavaScript does it all
    }
  }
  const SIMD = typeof WebAssembly === "object" ? simdModule() : null;

  /** A decoder's WebAssembly memory: its packed weights; each op's input, tap table and sums. */
  function heap() {
    const mem = new WebAssembly.Memory({initial: 1});
    let top = 0, f32 = null, i32 = null;
    const h = {
      ...(({layer, rows2}) => ({layer, rows2}))(new WebAssembly.Instance(SIMD, {m: {mem}}).exports),
      alloc(nFloats) {  // byte offset of nFloats, 16-byte aligned
        const at = top;
        top += (nFloats * 4 + 15) & ~15;
        const pages = Math.ceil(top / 65536) - mem.buffer.byteLength / 65536;
        if (pages > 0) mem.grow(pages);
        return at;
      },
      get f32() { return f32 && f32.buffer === mem.buffer ? f32 : (f32 = new Float32Array(mem.buffer)); },
      get i32() { return i32 && i32.buffer === mem.buffer ? i32 : (i32 = new Int32Array(mem.buffer)); },
    };
    return h;
  }

  /** Weights in the heap as the kernel reads them: (tap, block of 16 out, in, 16), zeros past
   * cOut; `w(q, co, ci)` reads the spec's. */
  function pack(h, op, nTaps, cOut, cIn, w) {
    const nb = Math.ceil(cOut / 16), at = h.alloc(nTaps * nb * cIn * 16), f = h.f32, base = at / 4;
    for (let q = 0; q < nTaps; q++)
      for (let co = 0; co < cOut; co++)
        for (let ci = 0; ci < cIn; ci++)
          f[base + ((q * nb + (co >> 4)) * cIn + ci) * 16 + (co & 15)] = w(q, co, ci);
    Object.assign(op, {heap: h, nb, wOff: at});
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

  function sum(out, a, b) {  // out = a + b, elementwise (out may be a)
    for (let j = 0; j < out.length; j++) out[j] = a[j] + b[j];
    return out;
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
    for (let step = 0; step < op.steps.length; step++) {
      const [a, aPrev] = op.steps[step];
      for (let r = 0; r < rows; r++) {
        zs.set(z, r * d);
        sum(e.subarray(r * hid, (r + 1) * hid), op.E.subarray(step * hid, (step + 1) * hid),
            op.L.subarray(classes[r] * hid, (classes[r] + 1) * hid));
      }
      sum(h, OPS.linear({data: zs, shape: [rows, d]}, op.inp).data, e);
      for (const block of op.blocks) {                    // h = h + block(h + e)
        let y = {data: sum(g, h, e), shape: [rows, hid]};
        for (const o of block) y = OPS[o.op](y, o);
        sum(h, h, y.data);
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
    }
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
      if (ACT[op.op] && last && last.B && !last.act) {
        last.act = ACT[op.op];
        last.slope = op.slope;
      } else {
        out.push(op);
      }
    }
    return out;
  }

  /** The op with its weights decoded and laid out for its kernel, once, when the spec arrives:
   * packed into the heap `h` for the WebAssembly kernel, or (h null) for gatherTaps. */
  function prepare(op, h) {
    if (!OPS[op.op]) throw new Error(`the page cannot run op ${op.op}`);
    const sub = ops => fuse(ops.map(o => prepare(o, h)));
    if (op.ops) return {...op, ops: sub(op.ops)};
    if (op.op === "ddim") {
      return {...op, inp: prepare(op.inp, h), blocks: op.blocks.map(sub), out: sub(op.out),
              E: tensor(op.time_emb), L: tensor(op.labels)};
    }
    if (!op.w) return {...op};
    const W = tensor(op.w), out = {...op, B: tensor(op.b)}, [a, b, k = 1] = op.w.shape;
    if (op.op === "linear") {                      // (out, in)
      if (!h) return Object.assign(out, {W});
      pack(h, out, 1, a, b, (q, co, ci) => W[co * b + ci]);
    } else if (op.op === "conv_transpose2d") {     // (in, out, k, k)
      if (!h) return Object.assign(out, {Wt: tapLayout(W, op.w.shape, true)});
      pack(h, out, k * k, b, a, (q, co, ci) => W[(ci * b + co) * k * k + q]);
    } else {                                        // (out, in, k, k)
      if (!h) return Object.assign(out, {Wt: tapLayout(W, op.w.shape, false)});
      pack(h, out, k * k, a, b, (q, co, ci) => W[(co * b + ci) * k * k + q]);
    }
    return out;
  }

  /** A decoder for `spec`; `simd: false` keeps its sums in JavaScript (float64) even where the
   * browser runs WebAssembly SIMD. */
  function load(spec, {simd = true} = {}) {
    if (spec.format !== "webdecoder/1") throw new Error(`unknown decoder format ${spec.format}`);
    const h = simd && SIMD ? heap() : null;
    const ops = fuse(spec.ops.map(op => prepare(op, h))), x = new Float32Array(spec.input_dim);
    return {
      spec,
      simd: Boolean(h),
      prior: spec.prior_draws ? tensor(spec.prior_draws) : null,  // (n, latent_dim) N(0, I)
      /** Decode one latent (array of latent_dim numbers) with class index `label` (conditional
       * models): a new Float32Array of output_shape, values in [0, 1]. An encoder's spec reads
       * the flattened item instead (input_dim - n_classes numbers) and returns the latent. */
      run(z, label) {
        const n = spec.input_dim - (spec.n_classes || 0);
        x.fill(0);
        for (let i = 0; i < n; i++) x[i] = z[i];
        if (spec.n_classes) x[n + label] = 1;
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

  /** The background of a point model's planes: its fixed N(0, I) draws scaled by T, and their
   * images under the decoder `dec` (load's); {t, z, x} with (x, y) pairs, kept per decoder for
   * the last T. */
  function pointCloud(dec, t) {
    const d = dec.spec.latent_dim, c = dec.cloud;
    if (c && c.t === t) return c;
    const n = dec.prior.length / d, z = new Float32Array(2 * n), x = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const zi = Array.from(dec.prior.subarray(i * d, (i + 1) * d), v => v * t), xi = dec.run(zi, 0);
      z.set(zi.slice(0, 2), 2 * i);
      x.set(xi.subarray(0, 2), 2 * i);
    }
    return (dec.cloud = {t, z, x});
  }

  /** A point model's two planes on `canvas` (resized to PLANES): the latent z beside its image x =
   * dec.run(z), over the cloud at temperature t; the aria-label says both points. */
  function drawPlanes(canvas, dec, z, x, t) {
    if (canvas.width !== PLANES.w || canvas.height !== PLANES.h) {
      canvas.width = PLANES.w; canvas.height = PLANES.h;
    }
    const cloud = pointCloud(dec, t), ctx = canvas.getContext("2d"), half = PLANES.w / 2;
    const titles = [`${PLANES.titles[0]}, T = ${t}`, PLANES.titles[1]];
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, PLANES.w, PLANES.h);
    [[cloud.z, z], [cloud.x, x]].forEach(([points, p], i) => drawPlane(
      ctx, {x: i * half + 50, y: 34, w: half - 64, h: PLANES.h - 62}, points, [p[0], p[1]],
      titles[i]));
    const f = v => v.toFixed(3);  // what the picture shows, for screen readers and tests
    canvas.setAttribute("aria-label", `${titles[0]}: z = (${f(z[0])}, ${f(z[1])}); `
                        + `${titles[1]} = (${f(x[0])}, ${f(x[1])})`);
  }

  /** A decoded image (1, H, W) on `canvas` (resized to W × H), as the server's PNG:
   * round(clamp(v) · 255), grey. */
  function drawImage(canvas, out, shape) {
    const [, h, w] = shape;
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h), px = img.data;
    for (let i = 0; i < w * h; i++) {
      const g = Math.round(Math.min(1, Math.max(0, out[i])) * 255);
      px[4 * i] = px[4 * i + 1] = px[4 * i + 2] = g;
      px[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    canvas.setAttribute("aria-label", "the decoded image");
  }

  // ---- one decode per frame -----------------------------------------------------------------
  /** Slider moves come faster than frames (a drag sends several input events per frame, a
   * synthetic one any time): `request(job)` keeps only the latest job, and `paint(job, now)`
   * runs at most once per animation frame, inside its requestAnimationFrame callback, so what it
   * draws on a canvas shows in that very frame. `frames` counts the paints, `requests` the
   * requests; `pending` is the job waiting for the next frame (null when none: a job is anything
   * but null). */
  function frameScheduler(paint) {
    let job = null, queued = false;
    const s = {
      frames: 0,
      requests: 0,
      get pending() { return job; },
      request(next) {
        job = next;
        s.requests++;
        if (!queued) { queued = true; requestAnimationFrame(tick); }
      },
      cancel() { job = null; },
    };
    function tick(now) {
      queued = false;
      const j = job;
      job = null;
      if (j === null) return;
      s.frames++;
      paint(j, now);
    }
    return s;
  }

  // ---- the page -----------------------------------------------------------------------------
  // One decoder at a time: the one for the model picked in the Explore tab. Its inputs, in the
  // order of explore.py's decode_in: model, mode, label, rest seed, temperature, seed, the
  // sliders, the sampler knobs.
  const FIRST_SLIDER = 6;
  const SYNC_MS = 150;  // a pause in a drag this long tells Gradio the slider's value
  const DESCRIBE_MS = 200;  // the judge reads the digit once the moves pause this long (~5 ms a read)
  const page = {
    decoder: null,      // load(spec) of the current model, or null: server path
    rest: null,         // {model, seed, noise}: the rest dims for the current rest seed
    inputs: null,       // the Explore inputs Gradio last passed, with the range inputs' moves since
    lastKey: null,      // inputs of the picture on the canvas, so .input and .change do not paint twice
    pendingKey: null,   // inputs of the picture the next frame paints
    forceServer: false, // the benchmark sets this to time the server path on the same model
    holdGradio: true,   // slider moves reach Gradio when they end (onInput); the benchmark can
                        // turn this off to time Gradio's own handling of every move
    held: new Set(),    // range inputs whose moves Gradio has not heard of yet
    syncing: false,
    syncTimer: null,
    paints: 0,
    firstPaint: 0,      // when the first picture was drawn (performance.now())
    scheduler: frameScheduler(job => page.render(job)),

    setSpec(spec) {
      page.decoder = spec ? load(spec) : null;
      page.forget();
      page.show(Boolean(page.decoder) && !page.forceServer);
    },
    /** Body classes (assets/style.css, explore.py's CANVAS_HTML) put the canvas in the place of
     * the server's image, or of its plotly figure for a point model. */
    show(on) {
      document.body.classList.toggle("web-decoding", on);
      document.body.classList.toggle("web-points", on && page.decoder.spec.output === "points");
    },
    setRest(rest) { page.rest = rest; page.forget(); },
    forget() { page.lastKey = page.pendingKey = null; page.scheduler.cancel(); },
    /** The inputs as Gradio has them (a model picked: its old decoder must not paint). */
    track(...inputs) { page.inputs = inputs; },

    /** What the Explore inputs describe, to decode in the page: {key, dec, z, cls, t}; false when
     * this view must go through the server (no decoder for this model, or its rest noise has not
     * arrived yet). */
    plan(model, mode, label, restSeed, temperature, seed, ...values) {
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
      const t = Number(temperature);
      return {key: JSON.stringify([model, mode, cls, restSeed, temperature, values]),
              dec, cls, t, z: latentFromSliders(spec, values.slice(0, k), mode, noise, t)};
    },

    /** Paint the latent the Explore inputs describe at the next frame (the latest call wins);
     * false when the server must decode it. */
    paint(...inputs) {
      page.inputs = inputs.slice();
      const job = page.plan(...inputs);
      if (!job) return false;
      if (job.key !== (page.pendingKey === null ? page.lastKey : page.pendingKey)) {
        page.pendingKey = job.key;
        page.scheduler.request(job);
      }
      return true;
    },

    /** One decode and one drawing, inside an animation frame (frameScheduler). */
    render(job) {
      page.pendingKey = null;
      if (job.dec !== page.decoder) return;
      const canvas = document.querySelector("#decoded-canvas");
      if (!canvas) return;
      const out = job.dec.run(job.z, job.cls), spec = job.dec.spec;
      page.lastKey = job.key;
      if (spec.output === "points") drawPlanes(canvas, job.dec, job.z, out, job.t);
      else drawImage(canvas, out, spec.output_shape);
      page.paints++;  // the counter tests and the benchmark wait on
      canvas.dataset.paints = String(page.paints);
      page.firstPaint = page.firstPaint || performance.now();  // ms since navigation
      page.describe(spec.output === "image" ? out : null, spec.output_shape);
    },

    /** What the digit looks like, said under the canvas, in its label and to screen readers
     * (#decoded-caption, aria-live): the judge classifier (its spec from the URL in the caption's
     * data-judge; a page without one says nothing) reads the picture once the moves pause. No
     * picture (a point model's planes): the caption is emptied, not left saying the last digit,
     * and the canvas keeps the label drawPlanes gave it (what z and f(z) are). */
    judge: undefined,   // Promise of load(judge spec), or of null when it is not to be had
    describeTimer: null,
    describe(out, shape) {
      clearTimeout(page.describeTimer);
      const caption = document.querySelector("#decoded-caption");
      if (!caption || !caption.dataset.judge) return;
      const say = text => {
        caption.textContent = text;
        const canvas = document.querySelector("#decoded-canvas");
        if (canvas) canvas.setAttribute("aria-label", text ? `the decoded image, which ${text}` : "the decoded image");
      };
      if (!out) { caption.textContent = ""; return; }  // the planes' own label stays (drawPlanes)
      page.describeTimer = setTimeout(async () => {
        if (page.judge === undefined) page.judge = page.loadJudge(caption.dataset.judge).catch(() => null);
        const j = await page.judge;
        say(j && String(j.spec.input_shape) === String(shape) ? page.verdict(j, out) : "");
      }, DESCRIBE_MS);
    },
    /** The judge from its URL (relative to the page), loaded: a Promise of it, or of null. The
     * static page, which may not fetch() its own folder from file://, replaces this with its
     * script loader (assets/static/core.js). */
    loadJudge(url) {
      return fetch(new URL(url, document.baseURI)).then(r => (r.ok ? r.json() : null))
        .then(spec => (spec ? load(spec) : null));
    },
    /** "looks like a 3 (82 %)": the judge's most likely class and its softmax probability. */
    verdict(judge, image) {
      const logits = judge.run(image), max = Math.max(...logits);
      const e = Array.from(logits, v => Math.exp(v - max)), sum = e.reduce((a, b) => a + b, 0);
      const k = e.indexOf(Math.max(...e)), name = judge.spec.class_names[k];
      return `looks like ${/^[8]/.test(name) ? "an" : "a"} ${name} (${Math.round(100 * e[k] / sum)} %)`;
    },

    /** A slider move through Gradio's event: paint here, or ask the server (the hidden
     * #server-decode button's event). */
    route(...inputs) {
      if (!page.paint(...inputs)) {
        const btn = document.querySelector("#server-decode");
        if (btn) btn.click();
      }
    },

    /** A latent slider's range input move, straight from its DOM event (a listener on the
     * document, capturing: ahead of Gradio's). A move the page paints is kept from Gradio until
     * the move ends (the range's change event: the person lets go, or a key press) or pauses
     * (SYNC_MS): Gradio's own handling of a move (its number box, its events) costs a few ms of
     * every frame. Gradio then gets one input event with the slider's last value, so its value,
     * the one share links and server calls read, is what the person set. Other inputs, and a view
     * the page cannot paint, go to Gradio at once (its route asks the server). */
    onInput(event) {
      const el = event.target;
      if (page.syncing || !page.inputs || !el || el.type !== "range" || !el.closest) return;
      const box = el.closest('.latent-sliders [id^="slider-"]');
      const i = box ? Number(box.id.slice("slider-".length)) : NaN;
      if (!Number.isInteger(i) || FIRST_SLIDER + i >= page.inputs.length) return;
      page.inputs[FIRST_SLIDER + i] = Number(el.value);
      if (!page.paint(...page.inputs) || !page.holdGradio) return;
      event.stopImmediatePropagation();
      page.held.add(el);
      clearTimeout(page.syncTimer);
      page.syncTimer = setTimeout(page.sync, SYNC_MS);
    },
    onChange(event) { if (page.held.has(event.target)) page.sync(); },
    /** Gradio told of the moves it has not heard of: one input event per held slider. */
    sync() {
      clearTimeout(page.syncTimer);
      const held = [...page.held];
      page.held.clear();
      page.syncing = true;
      try {
        for (const el of held) el.dispatchEvent(new Event("input", {bubbles: true}));
      } finally {
        page.syncing = false;
      }
    },

    /** For tests: decode latents [[...]] (and class indices) without painting. */
    decodeBatch(zs, labels) {
      return zs.map((z, i) => Array.from(page.decoder.run(z, labels ? labels[i] : 0)));
    },
  };
  if (typeof document !== "undefined") {
    document.addEventListener("input", page.onInput, true);
    document.addEventListener("change", page.onChange, true);
  }

  const api = {load, latentFromSliders, tensor, OPS, frameScheduler, drawImage, drawPlanes,
               pointCloud, page};
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.latentWeb = api;
})(typeof window !== "undefined" ? window : globalThis);
