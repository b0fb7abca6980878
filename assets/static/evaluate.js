/* Evaluate, in the page: the shipped curves (pretrained/<id>/evaluation.json: 1,000 samples per
 * temperature scored by the judge classifier) and the likelihood table, as
 * playground/ui/evaluate.py draws them. Nothing is recomputed here.
 */
(function () {
  "use strict";
  const S = window.latentStatic;
  const TITLES = {judge: "Image models, judge features", points: "2-D point models, raw coordinates"};

  async function mount(panel) {
    panel.append(S.html(`<div>
      <p class="note">The full app recomputes these with your own temperatures and seeds.</p>
      <div id="eval-plots"></div>
      <h3>Likelihood of held-out data</h3>
      <p class="info">Lower is better within a row's kind only: an exact likelihood, a bound and a pseudo-likelihood are not comparable.</p>
      <table id="eval-likelihood"><thead><tr><th scope="col">model</th><th scope="col">kind</th>
        <th scope="col">nats</th><th scope="col">per</th><th scope="col">bits/dim</th><th scope="col">note</th></tr></thead><tbody></tbody></table>
    </div>`));
    const [ev, Plotly] = await Promise.all([S.get("evaluation", "all", "data/evaluation.js"), S.plotly()]);
    const ids = Object.keys(ev.models).sort((a, b) => {
      const ma = S.model(a), mb = S.model(b);  // models in the page first, in their order
      return (ma ? S.catalog.models.indexOf(ma) : 99) - (mb ? S.catalog.models.indexOf(mb) : 99) || a.localeCompare(b);
    });
    // a colour and a shape per model (playground/ui/plots.py's palette), as the app's curves
    const {colours, symbols} = S.catalog.palette;
    const colour = id => colours[ids.indexOf(id) % colours.length];
    const symbol = id => symbols[ids.indexOf(id) % symbols.length];
    for (const [space, metrics] of Object.entries(ev.metrics)) {
      const group = ids.filter(id => ev.models[id].space === space && (ev.models[id].points || []).length);
      if (!group.length) continue;
      const shown = metrics.filter(([k]) => group.some(id => ev.models[id].points.some(p => typeof p[k] === "number")));
      const cols = 3, rows = Math.ceil(shown.length / cols), traces = [], named = new Set(), layout = {
        height: 300 * rows + 60, margin: {l: 40, r: 10, t: 70, b: 30}, title: {text: TITLES[space] || space},
        grid: {rows, columns: cols, pattern: "independent"}, annotations: [], showlegend: true};
      shown.forEach(([k, title, better], j) => {
        const ax = j ? String(j + 1) : "";
        group.forEach(id => {
          const pts = ev.models[id].points.filter(p => typeof p[k] === "number");
          if (!pts.length) return;
          traces.push({type: "scatter", mode: "lines+markers", name: id, legendgroup: id, showlegend: !named.has(id),
                       x: pts.map(p => p.temperature), y: pts.map(p => p[k]), xaxis: `x${ax}`, yaxis: `y${ax}`,
                       line: {color: colour(id)}, marker: {symbol: symbol(id)}});
          named.add(id);
        });
        const ref = group.map(id => ev.models[id].reference[k]).find(v => typeof v === "number");
        if (ref !== undefined) {
          traces.push({type: "scatter", mode: "lines", name: space === "points" ? "real data" : "real digits", legendgroup: "real", showlegend: j === 0,
                       x: [0, 3], y: [ref, ref], xaxis: `x${ax}`, yaxis: `y${ax}`, line: {dash: "dash", color: "#444"}});
        }
        layout[`xaxis${ax}`] = {title: {text: "temperature T"}};
        layout.annotations.push({text: `${title} (${better} is better)`, showarrow: false,
                                 xref: `x${ax} domain`, yref: `y${ax} domain`, x: 0.5, y: 1.12, font: {size: 12}});
      });
      const div = S.html(`<div class="plot" id="eval-${space}"></div>`);
      panel.querySelector("#eval-plots").append(div);
      await Plotly.newPlot(div, traces, layout, {displaylogo: false, responsive: true});
    }
    const body = panel.querySelector("#eval-likelihood tbody"), fmt = v => (typeof v === "number" ? v.toPrecision(4) : "—");
    for (const id of ids) {
      const row = ev.models[id].likelihood;
      if (!row) continue;
      const tr = document.createElement("tr");
      for (const v of [id, row.kind, fmt(row.nats), row.per || "—", fmt(row.bits_per_dim), row.note || ""]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.append(td);
      }
      body.append(tr);
    }
    panel.dataset.ready = "1";
  }

  S.tab({id: "evaluate", title: "Evaluate", order: 80, mount,
         available: () => true});
})();
