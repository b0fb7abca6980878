/* The static page's core: the registry its data scripts fill, the loader that brings a model's
 * files in on demand (<script> tags: a page opened from file:// may not fetch()), the weights'
 * unpacking, the tab strip, and what the tabs share (the Explore view for the map's ★).
 *
 * Data files call latentStatic.add(kind, key, value) ("decoder", "encoder", "map", "evaluation",
 * or a kind a tab's exporter brings: "text" for Names, "stepwise" for the Gibbs chain); weights/<id>.js call
 * latentStatic.blob(id, base85): a tensor's little-endian bytes split into byte planes and
 * deflated (playground/static/weights.py: blob, blob_script). A tab is one script calling latentStatic.tab({id,
 * title, order, mount(panel)}): index.html loads every assets/static/*.js the build finds.
 */
(function (root) {
  "use strict";
  const isNode = typeof module !== "undefined" && module.exports;
  const web = isNode ? require("../webdecoder.js") : root.latentWeb;
  const gpt = () => (isNode ? require("../webgpt.js") : root.latentGPT);
  const SIZE = 28, BOX = 20;  // a digit's side, and the box its ink is scaled into (as MNIST)
  // base85's digits (RFC 1924, Python's base64.b85encode): a character code → its value, 255
  // for any other character (every UTF-16 code, so a lookup never leaves the table)
  const B85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
  const B85_VALUE = new Uint8Array(65536).fill(255);
  for (let i = 0; i < B85.length; i++) B85_VALUE[B85.charCodeAt(i)] = i;

  /** The bytes of base85 text: big-endian 32-bit words of 5 digits each, as b85encode writes
   * them without padding (a last group of k + 1 characters holds k bytes and is read as if
   * padded with the largest digit, as b85decode does). Throws on any other character. */
  function base85(text) {
    const n = text.length, tail = n % 5, full = n - tail;
    if (tail === 1) throw new Error("base85 text cannot end in a group of one character");
    const out = new Uint8Array(full / 5 * 4 + (tail ? tail - 1 : 0));
    const put = (word, i, o, count) => {
      if (word > 0xffffffff) throw new Error(`base85 group at ${i} overflows 32 bits`);
      for (let b = 0; b < count; b++) out[o + b] = (word >>> (24 - 8 * b)) & 255;
    };
    const bad = i => { throw new Error(`not base85: ${JSON.stringify(text.slice(i, i + 5))} at ${i}`); };
    let i = 0, o = 0;
    for (; i < full; i += 5, o += 4) {   // the hot loop: a digit is 0..84, 255 marks a stranger
      const a = B85_VALUE[text.charCodeAt(i)], b = B85_VALUE[text.charCodeAt(i + 1)],
        c = B85_VALUE[text.charCodeAt(i + 2)], d = B85_VALUE[text.charCodeAt(i + 3)],
        e = B85_VALUE[text.charCodeAt(i + 4)];
      if ((a | b | c | d | e) & 128) bad(i);
      put((((a * 85 + b) * 85 + c) * 85 + d) * 85 + e, i, o, 4);   // < 85^5 < 2^53: exact
    }
    if (tail) {
      let word = 0;
      for (let j = i; j < i + 5; j++) {
        const v = j < n ? B85_VALUE[text.charCodeAt(j)] : 84;
        if (v & 128) bad(i);
        word = word * 85 + v;
      }
      put(word, i, o, tail - 1);
    }
    return out;
  }

  const S = {
    catalog: null,
    data: {},          // kind → key → value, as the data scripts add them
    blobs: {},         // blob id → base85 text (weights/<id>.js)
    tabs: [],
    explore: null,     // {model, z, label}: the Explore tab's current latent, for other tabs
    /** ms from navigation to the first picture the page drew (0 before it). */
    get firstPaint() { return web.page.firstPaint; },
    scripts: {},       // src → Promise of its load
    cache: {},         // "kind:key" → Promise of the loaded thing

    setCatalog(c) { S.catalog = c; },
    add(kind, key, value) { (S.data[kind] = S.data[kind] || {})[key] = value; },
    blob(id, text) { S.blobs[id] = text; },
    base85,
    tab(t) { S.tabs.push(t); },
    /** A tab whose view is its model alone: a view picks the model as a person does (the
     * select's change event). */
    pickOnView(panel, select) {
      panel.applyView = view => {
        if (!view.model || view.model === select.value) return;
        select.value = view.model;
        select.dispatchEvent(new Event("change"));
      };
    },
    model(id) { return S.catalog.models.find(m => m.id === id) || null; },

    /** Load a script of the folder once (resolves when it has run). */
    loadScript(src) {
      if (!S.scripts[src]) {
        S.scripts[src] = new Promise((resolve, reject) => {
          if (isNode) { require(require("path").resolve(S.folder, src)); resolve(); return; }
          const el = document.createElement("script");
          el.src = src;
          el.onload = () => resolve();
          el.onerror = () => reject(new Error(`could not load ${src}`));
          document.head.appendChild(el);
        });
      }
      return S.scripts[src];
    },

    async get(kind, key, src) {
      if (!(S.data[kind] && key in S.data[kind])) await S.loadScript(src);
      const value = S.data[kind] && S.data[kind][key];
      if (value === undefined) throw new Error(`${src} did not define ${kind} ${key}`);
      return value;
    },

    /** A blob's bytes (Uint8Array), inflated and its byte planes put back in order. */
    async bytes(id, itemsize) {
      const key = `blob:${id}`;
      if (!S.cache[key]) {
        S.cache[key] = (async () => {
          if (!(id in S.blobs)) await S.loadScript(`weights/${id}.js`);
          const packed = base85(S.blobs[id]);
          const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
          const planes = new Uint8Array(await new Response(stream).arrayBuffer());
          const n = planes.length / itemsize, out = new Uint8Array(planes.length);
          for (let p = 0; p < itemsize; p++) {
            for (let i = 0; i < n; i++) out[i * itemsize + p] = planes[p * n + i];
          }
          delete S.blobs[id];  // the text is no longer needed
          return out;
        })();
      }
      return S.cache[key];
    },

    /** A copy of `value` whose blob tensors ({shape, blob, dtype?, scale?}) carry their bytes. */
    async resolve(value) {
      if (Array.isArray(value)) return Promise.all(value.map(S.resolve));
      if (!value || typeof value !== "object") return value;
      if (typeof value.blob === "string" && value.shape) {
        return {...value, bytes: await S.bytes(value.blob, value.dtype === "int16" ? 2 : 4)};
      }
      const out = {};
      await Promise.all(Object.keys(value).map(async k => { out[k] = await S.resolve(value[k]); }));
      return out;
    },

    /** A blob tensor (already resolved) as a Float32Array. */
    floats(t) { return web.tensor(t); },

    once(key, make) { return (S.cache[key] = S.cache[key] || make()); },

    /** A model's decoder or encoder, loaded (latentWeb.load) once. */
    part(kind, id) {
      return S.once(`${kind}:${id}`, async () => {
        const suffix = kind === "encoder" ? ".encoder" : "";
        const spec = await S.resolve(await S.get(kind, id, `models/${id}${suffix}.js`));
        const d = spec.latent_dim, flat = web.tensor(spec.latent_components);
        spec.latent_components = Array.from({length: d}, (_, i) => Array.from(flat.subarray(i * d, (i + 1) * d)));
        return web.load(spec);
      });
    },
    decoder(id) { return S.part("decoder", id); },
    encoder(id) { return S.part("encoder", id); },

    /** The model's prior as the page draws it (see prior_in_page in playground/static/folder.py). */
    prior(id) {
      return S.once(`prior:${id}`, async () => {
        const p = S.model(id).prior;
        if (p.kind !== "bank") return p;
        const r = await S.resolve(p);
        return {...p, center: web.tensor(r.center), spread: web.tensor(r.spread)};
      });
    },

    map(id) {
      return S.once(`map:${id}`, async () => {
        const m = await S.resolve(await S.get("map", id, `maps/${id}.js`));
        const methods = {};
        for (const [name, v] of Object.entries(m.methods)) {
          methods[name] = {method: name, exact: v.exact, how: v.how, labels: v.labels, params: v.params,
                           points: web.tensor(v.points), codes: web.tensor(v.codes),
                           dim: v.codes.shape[1],
                           pcaMean: v.pca_mean ? web.tensor(v.pca_mean) : null,
                           pcaComponents: v.pca_components ? web.tensor(v.pca_components) : null};
        }
        return {...m, methods};
      });
    },

    /** A text model (latentGPT.load of models/<id>.text.js), loaded once. */
    text(id) {
      return S.once(`text:${id}`, async () => gpt().load(await S.resolve(await S.get("text", id, `models/${id}.text.js`))));
    },

    /** A model's Gibbs chain (models/<id>.stepwise.js): its spec and both layers as Float32Arrays
     * ({W, B, nOut, nIn}: what chainmath.js runs). */
    chain(id) {
      return S.once(`chain:${id}`, async () => {
        const spec = await S.resolve(await S.get("stepwise", id, `models/${id}.stepwise.js`));
        const layer = l => ({W: web.tensor(l.w), B: web.tensor(l.b), nOut: l.w.shape[0], nIn: l.w.shape[1]});
        return {spec, up: layer(spec.up), down: layer(spec.down)};
      });
    },

    /** The judge classifier (its file, the catalog's judge.src: models/<id>.judge.js), loaded
     * (latentWeb.load) once: what Explore's caption says of the decoded digit (latentWeb.page's
     * describe and verdict, as in the app). */
    judge(src) {
      return S.once("judge", async () => web.load(await S.resolve(await S.get("judge", S.catalog.judge.model, src || S.catalog.judge.src))));
    },

    /** The class means the Tools tab's arithmetic adds and subtracts (computed at build time over
     * the encoded training digits): {classes, dim, means: [Float32Array per class]}. */
    classMeans(id) {
      return S.once(`means:${id}`, async () => {
        const a = S.model(id).arithmetic, flat = web.tensor(await S.resolve(a.means)), d = a.means.shape[1];
        return {classes: a.classes, dim: d, means: a.classes.map((_, k) => flat.slice(k * d, (k + 1) * d))};
      });
    },

    plotly() { return root.Plotly ? Promise.resolve(root.Plotly) : S.loadScript("plotly.min.js").then(() => root.Plotly); },

    // ---- drawing ----
    /** Paint (H·W) values in [0, 1] as grey pixels, as the server's PNG: round(clamp(v) · 255). */
    paintDigit(canvas, values, h, w) {
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
      for (let i = 0; i < w * h; i++) {
        const g = Math.round(Math.min(1, Math.max(0, values[i])) * 255);
        img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g;
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    },

    /** A sheet of digits on a white ground, 1 px apart, as playground.images.grid. */
    paintGrid(canvas, images, h, w, ncol) {
      const nrow = Math.ceil(images.length / ncol), pad = 1;
      const H = nrow * (h + pad) + pad, Wd = ncol * (w + pad) + pad;
      canvas.width = Wd; canvas.height = H;
      const ctx = canvas.getContext("2d"), img = ctx.createImageData(Wd, H);
      img.data.fill(255);
      images.forEach((v, k) => {
        const r = Math.floor(k / ncol), c = k % ncol;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const g = Math.round(Math.min(1, Math.max(0, v[y * w + x])) * 255);
          const o = 4 * ((pad + r * (h + pad) + y) * Wd + pad + c * (w + pad) + x);
          img.data[o] = img.data[o + 1] = img.data[o + 2] = g;
        }
      });
      ctx.putImageData(img, 0, 0);
    },

    /** A drawing (RGBA ImageData, light ink on dark) → 28x28 floats in [0, 1] prepared like the
     * server's digit_from_image: cropped to its ink, scaled to fit 20x20 keeping its aspect (the
     * browser's smoothing instead of PIL's Lanczos), centred by its centre of mass. */
    digitFromDrawing(image) {
      const {width: W, height: H, data} = image, ink = new Float32Array(W * H);
      let max = 0;
      for (let i = 0; i < W * H; i++) {
        ink[i] = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
        max = Math.max(max, ink[i]);
      }
      let x0 = W, x1 = -1, y0 = H, y1 = -1, count = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        if (ink[y * W + x] > 0.1 * max) {
          count++; x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
      }
      if (max < 0.1 || count < 3) throw new Error("the drawing is empty: draw a digit first");
      const h = y1 - y0 + 1, w = x1 - x0 + 1, k = BOX / Math.max(h, w);
      const nh = Math.max(1, Math.round(h * k)), nw = Math.max(1, Math.round(w * k));
      const crop = document.createElement("canvas");
      crop.width = w; crop.height = h;
      const cimg = crop.getContext("2d").createImageData(w, h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const g = Math.round(ink[(y0 + y) * W + x0 + x] / max * 255), o = 4 * (y * w + x);
        cimg.data[o] = cimg.data[o + 1] = cimg.data[o + 2] = g;
        cimg.data[o + 3] = 255;
      }
      crop.getContext("2d").putImageData(cimg, 0, 0);
      const small = document.createElement("canvas");
      small.width = nw; small.height = nh;
      const sctx = small.getContext("2d");
      sctx.imageSmoothingEnabled = true;
      sctx.imageSmoothingQuality = "high";
      sctx.drawImage(crop, 0, 0, nw, nh);
      const sdata = sctx.getImageData(0, 0, nw, nh).data, s = new Float32Array(nw * nh);
      let total = 0, cy = 0, cx = 0;
      for (let y = 0; y < nh; y++) for (let x = 0; x < nw; x++) {
        const v = sdata[4 * (y * nw + x)] / 255;
        s[y * nw + x] = v; total += v; cy += v * y; cx += v * x;
      }
      cy = total ? cy / total : nh / 2; cx = total ? cx / total : nw / 2;
      const top = Math.min(SIZE - nh, Math.max(0, Math.round(SIZE / 2 - cy - 0.5)));
      const left = Math.min(SIZE - nw, Math.max(0, Math.round(SIZE / 2 - cx - 0.5)));
      const out = new Float32Array(SIZE * SIZE);
      for (let y = 0; y < nh; y++) for (let x = 0; x < nw; x++) out[(top + y) * SIZE + left + x] = s[y * nw + x];
      return out;
    },

    /** A drawing pad on a canvas: light strokes on black, like the digits. {clear(), image()}. */
    sketchPad(pad) {
      const ctx = pad.getContext("2d");
      const clear = () => { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, pad.width, pad.height); };
      clear();
      let last = null;
      const at = e => { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; };
      pad.addEventListener("pointerdown", e => { last = at(e); pad.setPointerCapture(e.pointerId); });
      pad.addEventListener("pointermove", e => {
        if (!last) return;
        const p = at(e);
        ctx.strokeStyle = "#fff"; ctx.lineWidth = 20 * pad.width / 280; ctx.lineCap = "round";
        ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...p); ctx.stroke();
        last = p;
      });
      for (const ev of ["pointerup", "pointercancel"]) pad.addEventListener(ev, () => { last = null; });
      return {clear, image: () => ctx.getImageData(0, 0, pad.width, pad.height)};
    },

    /** An element from a little HTML (the page's own strings only). */
    html(text) {
      const t = document.createElement("template");
      t.innerHTML = text.trim();
      return t.content.firstElementChild;
    },

    // ---- the page ----
    start() {
      const nav = document.getElementById("tabs"), main = document.getElementById("panels");
      const q = new URLSearchParams(location.search);
      const tabs = S.tabs.filter(t => !t.available || t.available(S.catalog)).sort((a, b) => a.order - b.order);
      const buttons = {};
      const show = id => {
        for (const t of tabs) {
          const on = t.id === id;
          buttons[t.id].setAttribute("aria-selected", String(on));
          buttons[t.id].tabIndex = on ? 0 : -1;
          t.panel.hidden = !on;
          if (on && !t.mounted) { t.mounted = true; t.mount(t.panel, q); }
          if (on && t.shown) t.shown();
        }
      };
      for (const t of tabs) {
        const b = S.html(`<button role="tab" id="tab-${t.id}" aria-controls="panel-${t.id}"></button>`);
        b.textContent = t.title;
        b.addEventListener("click", () => show(t.id));
        b.addEventListener("keydown", e => {  // arrow keys move along the strip
          const i = tabs.indexOf(t), j = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : -2;
          if (j >= 0 && j < tabs.length) { show(tabs[j].id); buttons[tabs[j].id].focus(); }
        });
        buttons[t.id] = b;
        nav.appendChild(b);
        t.panel = S.html(`<section role="tabpanel" id="panel-${t.id}" aria-labelledby="tab-${t.id}" hidden></section>`);
        main.appendChild(t.panel);
      }
      const footer = document.getElementById("footer");
      const left = S.catalog.left_out.map(m => `${m.id} (${m.reason})`).join("; ");
      footer.textContent = `Everything here runs in this page; nothing is sent anywhere. `
        + (left ? `Not in this page: ${left}. ` : "")
        + `The full app (python app.py) adds: ${S.catalog.full_app}.`;
      const wanted = q.get("tab");
      show(tabs.some(t => t.id === wanted) ? wanted : q.has("model") ? "explore" : tabs[0].id);
      S.shown = tabs; S.show = show;
      const lessons = S.catalog.lessons;  // one deflated blob of lessons.page_data's JSON
      if (root.latentLessons && lessons) {
        S.bytes(lessons.blob, 1).then(b => root.latentLessons.mount(
          document.querySelector("#lessons .lessons-root"), JSON.parse(new TextDecoder().decode(b))));
      }
    },

    // ---- views (playground/view.py): what a lesson's "Show me" opens, over this page's tabs ----
    /** The tab here that opens an app view: one that `serves` the view's tab (a tab serves its own
     * id unless it says otherwise) and, when the view names a model, lists it (`models(catalog)`:
     * the ids it can show; none: it takes no model). Null when only the full app can. */
    viewTab(view) {
      if (!view || typeof view !== "object") return null;
      const id = view.tab || (view.model ? "explore" : null);
      return (S.shown || []).find(t => (t.serves || [t.id]).includes(id)
        && (!view.model || (t.models ? t.models(S.catalog) : []).includes(view.model))) || null;
    },
    canApplyView(view) { return Boolean(S.viewTab(view)); },
    /** Open a view: its tab, then the tab's own applyView (set by its mount) for the rest. */
    applyView(view) {
      if (view && view.lesson && root.latentLessons) root.latentLessons.open(view.lesson, view.step || 1);
      const t = S.viewTab(view);
      if (!t) return false;
      S.show(t.id);
      if (t.panel.applyView) t.panel.applyView(view);
      return true;
    },
  };

  if (isNode) module.exports = S;
  else {
    root.latentStatic = S;
    // The entry points lessons (assets/lessons.js) call, as in the app (assets/view.js).
    Object.assign(web, {applyView: S.applyView, canApplyView: S.canApplyView});
    web.page.loadJudge = src => S.judge(src);  // a script, not fetch(): file:// pages
    document.addEventListener("DOMContentLoaded", () => S.start());
  }
})(typeof window !== "undefined" ? window : globalThis);
