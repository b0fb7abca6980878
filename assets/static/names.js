/* Generate names, in the page: what playground/ui/text.py does, with the character GPT's
 * transformer run here (assets/webgpt.js: embedding, attention, MLP, layer norm) on weights the
 * build stored as 16-bit steps (playground/static/text.py: every next-letter probability within
 * the stated error of PyTorch's). A kind, a typed prefix, temperature (0 = greedy), top-k, top-p,
 * a count and a seed; each letter coloured by the probability the sampler gave it, as the app's
 * letter_span colours it. Names are drawn with the page's own seeded generator: the same seed
 * gives the same names here every time, not the full app's (which also marks names new or copied
 * from the training data: the page does not ship the 95,000 training names).
 */
(function () {
  "use strict";
  const S = window.latentStatic;

  /** playground/ui/text.py's letter_span: confident letters dark green, surprising ones pale orange. */
  const colour = p => `hsl(${Math.round(30 + 90 * p)},70%,${Math.round(88 - 30 * p)}%)`;

  function letter(ch, p, typed) {
    const span = document.createElement("span");
    span.className = typed ? "letter typed" : "letter";
    span.textContent = ch;
    span.title = typed ? "typed" : `p = ${p.toFixed(3)}`;
    span.style.background = colour(p);
    span.dataset.p = String(p);
    return span;
  }

  function mount(panel) {
    const ids = S.catalog.extras.text || [];
    panel.append(S.html(`<div class="columns">
      <div class="column controls">
        <label for="names-model">Model</label>
        <select id="names-model"></select>
        <p id="names-card" class="card"></p>
        <fieldset id="names-kind"><legend>Kind of name</legend></fieldset>
        <label for="names-prefix">Starts with</label>
        <input id="names-prefix" type="text" placeholder="e.g. ma" maxlength="32" autocomplete="off">
        <label for="names-temperature">Temperature T <output id="names-temperature-value">1</output></label>
        <input id="names-temperature" type="range" min="0" max="3" step="0.05" value="1">
        <p class="info">0 = greedy (always the likeliest letter)</p>
        <div class="row">
          <label for="names-top-k">top-k (0 = off)</label>
          <input id="names-top-k" type="number" min="0" step="1" value="0">
          <label for="names-top-p">top-p (1 = off)</label>
          <input id="names-top-p" type="number" min="0.05" max="1" step="0.05" value="1">
        </div>
        <div class="row">
          <label for="names-count">How many</label>
          <input id="names-count" type="number" min="1" step="1" value="20">
          <label for="names-seed">Seed</label>
          <input id="names-seed" type="number" min="0" step="1" value="0">
        </div>
        <button id="names-generate" class="primary">Generate names</button>
      </div>
      <div class="column outputs">
        <p id="names-error" role="alert" class="error"></p>
        <p class="legend" aria-label="colour legend">Probability the sampler gave each letter:
          <span class="letter" style="background:${colour(0)}">0</span><span id="names-legend-bar"></span><span class="letter" style="background:${colour(1)}">1</span>
          · <span class="letter typed">typed</span> letters of your prefix · ⏎ the end. Hover a letter for its probability.</p>
        <ol id="names-list" class="names"></ol>
        <p id="names-note" class="info"></p>
      </div></div>`));
    const $ = id => panel.querySelector(`#${id}`);
    const modelSel = $("names-model"), temp = $("names-temperature"), out = $("names-list"), error = $("names-error");
    for (const id of ids) modelSel.append(new Option(id, id));
    $("names-legend-bar").style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(colour).join(", ")})`;
    temp.addEventListener("input", () => { $("names-temperature-value").textContent = temp.value; });

    async function select(id) {
      error.textContent = "";
      $("names-card").textContent = `loading ${id}…`;
      const [gpt, raw] = await Promise.all([S.text(id), S.get("text", id, `models/${id}.text.js`)]);
      $("names-card").textContent = `A character-level transformer (${raw.n_params.toLocaleString("en")} weights) `
        + `running in this page; it writes up to ${raw.max_letters} letters.`;
      const kinds = $("names-kind");
      kinds.querySelectorAll("span").forEach(el => el.remove());
      [...gpt.classNames, null].forEach((k, i) => {
        const value = k === null ? "" : k, text = k === null ? "any (each name draws one)" : k;
        const el = S.html(`<span><input type="radio" name="names-kind" id="names-kind-${i}"> <label for="names-kind-${i}"></label></span>`);
        el.querySelector("input").value = value;
        el.querySelector("input").checked = i === 0;
        el.querySelector("label").textContent = text;
        kinds.append(el);
      });
      $("names-prefix").maxLength = gpt.maxPrompt;
      $("names-count").max = gpt.limits.count;
      $("names-note").textContent = `Names are drawn with this page's own seeded generator: a seed gives the same `
        + `names here every time, not the full app's. The weights are stored as 16-bit steps: every `
        + `next-letter probability is within ${raw.error.toPrecision(2)} of PyTorch's at T = 1 (logits within `
        + `${raw.logit_error.toPrecision(2)}), measured on random sequences when this page was built. The full app `
        + `also marks each name new or copied from the training data.`;
      return gpt;
    }

    async function generate() {
      error.textContent = "";
      try {
        const gpt = await S.text(modelSel.value);
        const kind = panel.querySelector("input[name=names-kind]:checked").value;
        const num = id => $(id).valueAsNumber;  // NaN when empty or not a number: the model says so
        const rows = gpt.generate({n: num("names-count"), temperature: num("names-temperature"),
                                   topK: num("names-top-k"), topP: num("names-top-p"),
                                   prefix: $("names-prefix").value, kind: kind || null, seed: num("names-seed")});
        const typed = $("names-prefix").value.length;
        out.replaceChildren(...rows.map(r => {
          const li = document.createElement("li"), name = document.createElement("span");
          name.className = "name";
          [...r.text].forEach((ch, i) => name.append(letter(ch, r.probs[i], i < typed)));
          name.append(letter("⏎", r.probs[r.text.length], false));
          const kindTag = document.createElement("span");
          kindTag.className = "info";
          kindTag.textContent = ` ${r.kind}`;
          li.append(name, kindTag);
          li.dataset.text = r.text;
          return li;
        }));
        out.dataset.runs = String(Number(out.dataset.runs || 0) + 1);
      } catch (err) {
        out.replaceChildren();
        error.textContent = err.message;
      }
    }

    // A view (a lesson's "Show me"): the model, then its kind and the knobs the view sets.
    panel.applyView = async view => {
      if (view.model && view.model !== modelSel.value) {
        modelSel.value = view.model;
        ready = select(view.model).catch(failed);
      }
      await ready;  // the kinds exist once the model is loaded
      const k = view.knobs || {};
      const set = (id, v) => { if (v !== undefined && v !== null) $(id).value = String(v); };
      set("names-temperature", view.t); set("names-seed", view.seed); set("names-prefix", k.prefix);
      set("names-top-k", k.top_k); set("names-top-p", k.top_p); set("names-count", k.count);
      $("names-temperature-value").textContent = temp.value;
      const kind = panel.querySelector(`input[name=names-kind][value="${CSS.escape(view.class || "")}"]`);
      if (view.class && kind) kind.checked = true;
    };
    const failed = err => { error.textContent = err.message; };
    let ready = select(ids[0]).catch(failed);
    modelSel.addEventListener("change", () => { ready = select(modelSel.value).catch(failed); });
    $("names-generate").addEventListener("click", generate);
  }

  S.tab({id: "names", title: "Generate names", order: 50, mount, serves: ["text"],
         models: c => c.extras.text || [],
         available: c => (c.extras.text || []).length > 0});
})();
