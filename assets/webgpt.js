/* In-page names from a character GPT: an interpreter of the text specs playground/webgpt.py
 * exports (embed, residual, layer_norm, linear, causal_attention, gelu) and the sampler a page
 * calls (temperature, top-k, top-p and greedy as playground/sampling.py, with a seeded generator
 * of its own: the same seed and knobs give the same names here every time, not the server's).
 *
 * The network runs one position at a time: each causal_attention op keeps the keys and values of
 * the positions already run (a cache per sequence), which gives what webrun.run_tokens gives at
 * every position (a position only attends to itself and those before it) for one token's work
 * per letter.
 * Values are stored as float32 between ops, as in PyTorch; sums are done in float64.
 *
 * It reads weights with webdecoder.js's tensor() (load that script first) and nothing else of it:
 * loaded into a page it defines window.latentGPT; under node it is module.exports. A page calls
 *   const gpt = latentGPT.load(spec);          // spec: the JSON of playground/webgpt.export
 *   gpt.generate({n: 3, temperature: 0.8, topP: 0.95, prefix: "ma", kind: "female", seed: 42});
 *   // → [{text: "marisha", kind: "female", probs: [1, 1, 0.89, 0.43, 0.20, 0.28, 0.87, 1]}, …]
 * probs: one per letter (the typed prefix's are 1), then the end's; every option is checked and
 * a bad one throws an Error whose message can be shown as it is.
 */
(function (root) {
  "use strict";

  // Weights are read by webdecoder.js's one tensor reader (base64 float32, or the static build's
  // int16 steps): a page loads webdecoder.js before this script.
  const {tensor} = typeof module !== "undefined" && module.exports ? require("./webdecoder.js")
                                                                    : root.latentWeb;

  // ---- the exact GELU needs erf, which Math lacks -----------------------------------------------
  const SQRT_PI = Math.sqrt(Math.PI);

  /** erf to ~1e-15: its Maclaurin series below 3 (terms shrink past 1e-17 of the sum by ~40
   * terms), the continued fraction of erfc from 3 to 6, ±1 beyond (erfc(6) ≈ 2e-17). */
  function erf(x) {
    const a = Math.abs(x);
    let r;
    if (a < 3) {
      const a2 = a * a;
      let term = a, sum = a;                   // term = (−1)ⁿ a^(2n+1) / n!
      for (let n = 1; n < 100; n++) {
        term *= -a2 / n;
        const t = term / (2 * n + 1);
        sum += t;
        if (Math.abs(t) < 1e-17 * sum) break;
      }
      r = (2 / SQRT_PI) * sum;
    } else if (a < 6) {  // erfc a = e^(−a²)/√π · 1/(a + ½/(a + 1/(a + 3/2/(a + …)))), from the tail
      let f = a;
      for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
      r = 1 - Math.exp(-a * a) / (SQRT_PI * f);
    } else {
      r = 1;
    }
    return x < 0 ? -r : r;
  }

  // ---- ops on one position: x is a Float32Array row, `seq` the sequence being run ---------------
  function linear(x, op) {                                // w (out, in), b (out,)
    const [nOut, nIn] = op.w.shape, w = op.W, b = op.B;
    const out = new Float32Array(nOut);
    for (let o = 0; o < nOut; o++) {
      let s = b[o];
      const row = o * nIn;
      for (let i = 0; i < nIn; i++) s += w[row + i] * x[i];
      out[o] = s;
    }
    return out;
  }

  function layerNorm(x, op) {                             // biased variance, as nn.LayerNorm
    const n = x.length;
    let mean = 0, v = 0;
    for (let i = 0; i < n; i++) mean += x[i];
    mean /= n;
    for (let i = 0; i < n; i++) v += (x[i] - mean) * (x[i] - mean);
    const inv = 1 / Math.sqrt(v / n + op.eps), out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (x[i] - mean) * inv * op.W[i] + op.B[i];
    return out;
  }

  /** Row [q | k | v] (3C) at position seq.pos: its k, v join the cache, then per head
   * softmax(q·k_j / √head_dim) over j ≤ pos weighs the v_j; heads concatenated (C). */
  function causalAttention(x, op, seq) {
    const c = x.length / 3, hd = c / op.n_head, t = seq.pos;
    let cache = seq.cache[op.slot];
    if (!cache) cache = seq.cache[op.slot] = {k: new Float32Array(seq.block * c),
                                              v: new Float32Array(seq.block * c)};
    cache.k.set(x.subarray(c, 2 * c), t * c);
    cache.v.set(x.subarray(2 * c, 3 * c), t * c);
    const out = new Float32Array(c), w = new Float64Array(t + 1), scale = 1 / Math.sqrt(hd);
    for (let h = 0; h < op.n_head; h++) {
      const o = h * hd;
      let max = -Infinity, sum = 0;
      for (let j = 0; j <= t; j++) {
        let s = 0;
        for (let d = 0; d < hd; d++) s += x[o + d] * cache.k[j * c + o + d];
        w[j] = s * scale;
        if (w[j] > max) max = w[j];
      }
      for (let j = 0; j <= t; j++) sum += (w[j] = Math.exp(w[j] - max));
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        for (let j = 0; j <= t; j++) acc += w[j] * cache.v[j * c + o + d];
        out[o + d] = acc / sum;
      }
    }
    return out;
  }

  const OPS = {
    embed(token, op, seq) {                               // token row + position row
      const c = op.tok.shape[1], out = new Float32Array(c);
      for (let i = 0; i < c; i++) out[i] = op.TOK[token * c + i] + op.POS[seq.pos * c + i];
      return out;
    },
    residual(x, op, seq) {                                // x + ops(x)
      let h = x;
      for (const o of op.ops) h = OPS[o.op](h, o, seq);
      const out = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) out[i] = x[i] + h[i];
      return out;
    },
    layer_norm: layerNorm,
    linear,
    causal_attention: causalAttention,
    gelu: x => x.map(v => 0.5 * v * (1 + erf(v / Math.SQRT2))),  // exact, as nn.GELU()
  };

  function prepare(op, slots) {  // weights decoded once, when the spec arrives
    if (!OPS[op.op]) throw new Error(`the page cannot run op ${op.op}`);
    if (op.op === "residual") return {...op, ops: op.ops.map(o => prepare(o, slots))};
    if (op.op === "causal_attention") return {...op, slot: slots.count++};
    if (op.op === "embed") return {...op, TOK: tensor(op.tok), POS: tensor(op.pos)};
    if (op.w) return {...op, W: tensor(op.w), B: tensor(op.b)};
    return op;
  }

  // ---- the filters of playground/sampling.py, on one row of logits ------------------------------
  function softmax(l) {
    let max = -Infinity, sum = 0;
    for (const v of l) if (v > max) max = v;
    const p = Float64Array.from(l, v => Math.exp(v - max));
    for (const v of p) sum += v;
    return p.map(v => v / sum);
  }

  function argmax(l) {  // the first of equal maxima, as torch.argmax
    let best = 0;
    for (let i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
    return best;
  }

  /** filter_logits: top-k sets every logit below the k-th largest to −∞ (ties with it stay);
   * then top-p drops a token when the tokens more likely than it already reach p (the most likely
   * always stays; among equal logits the lower id counts as more likely, where torch's order among
   * ties is unspecified). topK 0 and topP 1 are off. A new Float64Array. */
  function filterLogits(logits, {topK = 0, topP = 1} = {}) {
    const l = Float64Array.from(logits), n = l.length;
    if (topK && topK < n) {
      const kth = Array.from(l).sort((a, b) => b - a)[topK - 1];
      for (let i = 0; i < n; i++) if (l[i] < kth) l[i] = -Infinity;
    }
    if (topP < 1) {
      const p = softmax(l), order = Array.from(l.keys()).sort((a, b) => l[b] - l[a] || a - b);
      let before = 0;
      for (const i of order) {
        if (before >= topP) l[i] = -Infinity;
        before += p[i];
      }
    }
    return l;
  }

  /** token_probs: the distribution the sampler draws from (Float64Array): softmax of the filtered
   * logits / T; at T = 0 one-hot on the argmax (the filters then change nothing). The largest
   * logit is taken off before dividing (neither the filters nor softmax see a shift), so a
   * T of 1e-300 is near-greedy instead of ∞/∞. */
  function tokenProbs(logits, {temperature = 1, topK = 0, topP = 1} = {}) {
    const best = argmax(logits);
    if (temperature === 0) {
      const p = new Float64Array(logits.length);
      p[best] = 1;
      return p;
    }
    const top = logits[best];
    return softmax(filterLogits(Array.from(logits, v => (v - top) / temperature), {topK, topP}));
  }

  /** mulberry32: a 32-bit seeded generator of uniform numbers in [0, 1), the same in every page. */
  function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6D2B79F5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function draw(p, rng) {  // the token whose cumulative probability (in id order) first passes u
    const u = rng();
    let acc = 0, last = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        acc += p[i];
        last = i;
        if (u < acc) return i;
      }
    }
    return last;  // u beyond a total rounded below 1
  }

  // ---- checks: the server's limits (spec.limits), with messages a person can act on --------------
  const DEFAULTS = {n: undefined, temperature: 1, topK: 0, topP: 1, prefix: "", kind: null,
                    seed: 0};

  function number(v, name, lo, hi) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      const shown = typeof v === "string" ? JSON.stringify(v) : String(v);
      throw new Error(`${name} must be a finite number, got ${shown}`);
    }
    if (v < lo || v > hi) throw new Error(`${name} must be in [${lo}, ${hi}], got ${v}`);
    return v;
  }

  function whole(v, name, lo, hi) {
    if (!Number.isInteger(number(v, name, lo, hi))) {
      throw new Error(`${name} must be a whole number, got ${v}`);
    }
    return v;
  }

  // ---- a model ----------------------------------------------------------------------------------
  function load(spec) {
    if (!spec || spec.format !== "webgpt/1") {
      throw new Error(`unknown text model format ${spec && spec.format}: expected webgpt/1`);
    }
    const slots = {count: 0}, ops = spec.ops.map(o => prepare(o, slots)), end = spec.end;
    const vocab = spec.ops[0].tok.shape[0], lim = spec.limits;
    const letters = spec.tokens.filter((t, i) => i !== end).join("");
    const shown = letters === "abcdefghijklmnopqrstuvwxyz" ? "a–z" : letters;

    const newSeq = () => ({pos: 0, block: spec.block, cache: new Array(slots.count).fill(null)});
    const cloneSeq = s => ({...s, cache: s.cache.map(c => c && {k: c.k.slice(), v: c.v.slice()})});

    /** One token in at the sequence's next position → the next token's logits (Float32Array). */
    function feed(seq, token) {
      if (seq.pos >= spec.block) throw new Error(`the model holds ${spec.block} tokens`);
      let h = token;
      for (const op of ops) h = OPS[op.op](h, op, seq);
      seq.pos++;
      return h;
    }

    function kindIndex(kind) {
      const k = spec.class_names.indexOf(kind);
      if (typeof kind !== "string" || k < 0) {
        throw new Error(`unknown kind ${JSON.stringify(kind)}; choose one of `
                        + `${spec.class_names.join(", ")} (or leave it out: each name draws one)`);
      }
      return k;
    }

    function tokenize(prefix) {
      if (typeof prefix !== "string") {
        throw new Error(`the prefix must be a string, got ${String(prefix)}`);
      }
      const text = prefix.toLowerCase(), bad = [...text].filter(ch => !letters.includes(ch));
      if (bad.length) {
        const got = JSON.stringify(bad.join(""));
        throw new Error(`the prefix may only contain the letters ${shown}, got ${got}`);
      }
      if (text.length > spec.max_prompt) {
        throw new Error(`the prefix must be at most ${spec.max_prompt} letters ${shown}, `
                        + `got ${text.length}`);
      }
      return [...text].map(ch => spec.tokens.indexOf(ch));
    }

    function check(options) {
      if (options === null || typeof options !== "object" || Array.isArray(options)) {
        throw new Error(`generate takes an options object {${Object.keys(DEFAULTS).join(", ")}}`);
      }
      for (const key of Object.keys(options)) {
        if (!(key in DEFAULTS)) {
          throw new Error(`unknown option ${key}; known: ${Object.keys(DEFAULTS).join(", ")}`);
        }
      }
      const o = {};
      for (const key of Object.keys(DEFAULTS)) {
        o[key] = options[key] === undefined ? DEFAULTS[key] : options[key];
      }
      const topP = number(o.topP, "topP", 0, 1);
      if (topP === 0) throw new Error("topP must be above 0 (1 keeps every letter)");
      return {
        n: whole(o.n, "n (the number of names)", 1, lim.count),
        temperature: number(o.temperature, "temperature", 0, lim.temperature),
        topK: whole(o.topK, "topK", 0, lim.top_k),
        topP,
        seed: whole(o.seed, "seed", 0, lim.seed),
        prefix: tokenize(o.prefix),
        kind: o.kind === null ? null : kindIndex(o.kind),
      };
    }

    return {
      spec,
      classNames: spec.class_names.slice(),
      maxPrompt: spec.max_prompt,
      limits: {...lim},

      /** Logits at every position of token ids [class token, ...] (as webrun.run_tokens): an array
       * of Float32Array(vocab) rows. For tests; a page calls generate. */
      forward(ids) {
        if (!Array.isArray(ids) || ids.length < 1 || ids.length > spec.block
            || !ids.every(i => Number.isInteger(i) && i >= 0 && i < vocab)) {
          throw new Error(`ids must be 1 to ${spec.block} whole numbers in [0, ${vocab - 1}]`);
        }
        const seq = newSeq();
        return ids.map(i => feed(seq, i));
      },

      /** The next letter's logits after a name of `kind` begun with `prefix` (Float32Array(vocab),
       * the network's own: no end barred or forced, no temperature). */
      logits(kind, prefix = "") {
        const seq = newSeq(), ids = tokenize(prefix);
        let l = feed(seq, spec.class_tokens[kindIndex(kind)]);
        for (const i of ids) l = feed(seq, i);
        return l;
      },

      /** `n` names, as the server's sample_text writes them but drawn with this page's generator:
       * [{text, kind, probs}], probs[i] the probability the sampler gave letter i (typed prefix
       * letters 1) and probs[text.length] that of the end. Options (defaults): n (required, 1 to
       * limits.count), temperature (1; 0 = greedy), topK (0 = off), topP (1 = off), prefix ("",
       * a–z), kind (one of classNames; left out: each name draws its kind), seed (0). Throws Error
       * on any bad option. */
      generate(options) {
        const o = check(options), rng = mulberry32(o.seed), starts = new Map(), out = [];
        for (let i = 0; i < o.n; i++) {
          const kind = o.kind === null ? Math.floor(rng() * spec.class_names.length) : o.kind;
          if (!starts.has(kind)) {  // [class token, prefix...] is the same for every name of a kind
            const seq = newSeq();
            let l = feed(seq, spec.class_tokens[kind]);
            for (const id of o.prefix) l = feed(seq, id);
            starts.set(kind, {seq, logits: l});
          }
          const start = starts.get(kind), seq = cloneSeq(start.seq), ids = o.prefix.slice();
          const probs = ids.map(() => 1);
          let logits = start.logits;
          for (;;) {
            let token = end, p = 1;                       // at max_letters the name must end
            if (ids.length < spec.max_letters) {
              const l = Float64Array.from(logits);
              if (ids.length < spec.min_letters) l[end] = -Infinity;
              const dist = tokenProbs(l, o);
              token = o.temperature === 0 ? argmax(dist) : draw(dist, rng);
              p = dist[token];
            }
            probs.push(p);
            if (token === end) break;
            ids.push(token);
            logits = feed(seq, token);
          }
          const text = ids.map(id => spec.tokens[id]).join("");
          out.push({text, kind: spec.class_names[kind], probs});
        }
        return out;
      },
    };
  }

  const api = {load, tokenProbs, filterLogits, mulberry32, erf, tensor, OPS};
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.latentGPT = api;
})(typeof window !== "undefined" ? window : globalThis);
