/* The latent map's click and placement rules, as playground/projection.py (Projection.from_map,
 * to_map, _idw) and playground/maps.py (map_latent) compute them on the server:
 *   a click on the latent plane is that latent; on PCA of a 2-D latent, its exact inverse;
 *   within SNAP_FRACTION of the map's diagonal of a point, that point's latent; elsewhere the
 *   inverse-distance-weighted average of the latents of the K nearest points on the map;
 *   the class to decode with is the most common label among those neighbours (or the point's).
 * New latents land exactly on the plane and on PCA, else at the inverse-distance-weighted average
 * of the map positions of their K nearest codes in latent space.
 * A map here is {points: Float32Array (N·2), codes: Float32Array (N·D), labels: [N], dim: D,
 * method, exact, pcaMean: Float32Array (D), pcaComponents: Float32Array (2·D)}.
 */
(function (root) {
  "use strict";

  /** Inverse-distance-weighted average of the rows of `values` (N·width) over the k smallest
   * `dist` (N): weights 1 / max(d, 1e-6), summed in float64, the result rounded to float32. */
  function idw(dist, values, width, k) {
    const order = nearest(dist, k), w = order.map(i => 1 / Math.max(dist[i], 1e-6));
    const total = w.reduce((a, b) => a + b, 0), out = new Float64Array(width);
    order.forEach((i, j) => {
      for (let c = 0; c < width; c++) out[c] += (w[j] / total) * values[i * width + c];
    });
    return Float32Array.from(out);
  }

  /** Indices of the k smallest values, nearest first (ties: lower index first). */
  function nearest(dist, k) {
    const idx = Array.from(dist.keys());
    idx.sort((a, b) => dist[a] - dist[b] || a - b);
    return idx.slice(0, Math.min(k, dist.length));
  }

  function distances(rows, width, q) {  // Euclidean distance of each row to q
    const n = rows.length / width, d = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < width; c++) { const v = rows[i * width + c] - q[c]; s += v * v; }
      d[i] = Math.sqrt(s);
    }
    return d;
  }

  function diagonal(points) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < points.length; i += 2) {
      x0 = Math.min(x0, points[i]); x1 = Math.max(x1, points[i]);
      y0 = Math.min(y0, points[i + 1]); y1 = Math.max(y1, points[i + 1]);
    }
    return Math.hypot(x1 - x0, y1 - y0);
  }

  /** The latent a map position stands for, and how it was found: {z, index (nearest point),
   * snapped, neighbours, label, how}. `rules`: {k_neighbours, snap_fraction, max_latent_abs}. */
  function fromMap(map, x, y, rules) {
    const xy = [Math.fround(x), Math.fround(y)], D = map.dim, K = rules.k_neighbours;
    const d = distances(map.points, 2, xy);
    const index = nearest(d, 1)[0];
    const snapped = d[index] <= rules.snap_fraction * diagonal(map.points);
    let z, neighbours = [], how;
    if (map.method === "latent") {
      z = Float32Array.from(xy);
      how = "exact: the map is the latent plane";
    } else if (map.exact) {  // PCA of a 2-D latent: z = xy · inv(Cᵀ) + mean
      const [a, b, c, e] = map.pcaComponents, det = a * e - b * c;  // C = [[a, b], [c, e]]
      z = Float32Array.from([(xy[0] * e - xy[1] * b) / det + map.pcaMean[0],
                             (xy[1] * a - xy[0] * c) / det + map.pcaMean[1]]);
      how = "exact: inverse of the 2-D PCA";
    } else if (snapped) {
      z = map.codes.slice(index * D, (index + 1) * D);
      how = `the latent of point #${index}`;
    } else {
      neighbours = nearest(d, K);
      z = idw(d, map.codes, D, K);
      how = `weighted average of the latents of the ${K} nearest digits`;
    }
    const m = rules.max_latent_abs;
    z = z.map(v => Math.min(m, Math.max(-m, v)));
    const near = neighbours.length ? neighbours : [index], counts = new Map();
    for (const i of near) counts.set(map.labels[i], (counts.get(map.labels[i]) || 0) + 1);
    let label = null;
    for (const [l, n] of counts) if (label === null || n > counts.get(label) || (n === counts.get(label) && l < label)) label = l;
    return {z, index, snapped, neighbours, label, how};
  }

  /** Where a latent lands on the map: {xy: [x, y], how}. */
  function toMap(map, z, rules) {
    const D = map.dim;
    if (map.method === "latent") return {xy: [z[0], z[1]], how: "exact"};
    if (map.pcaMean) {
      const xy = [0, 1].map(r => {
        let s = 0;
        for (let c = 0; c < D; c++) s += (z[c] - map.pcaMean[c]) * map.pcaComponents[r * D + c];
        return s;
      });
      return {xy, how: "exact (PCA)"};
    }
    const d = distances(map.codes, D, z), K = rules.k_neighbours;
    return {xy: Array.from(idw(d, map.points, 2, K)), how: `weighted average of its ${K} nearest digits`};
  }

  const api = {fromMap, toMap, idw, nearest};
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.mapMath = api;
})(typeof window !== "undefined" ? window : globalThis);
