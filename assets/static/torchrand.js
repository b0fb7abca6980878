/* torch's CPU random numbers, so the page draws what the server draws for the same seed: the
 * dims beyond the sliders ("Randomise the rest", a share link's rest=), "Random latent", the
 * grid's latents, the endpoints of an interpolation, and a Gibbs chain's uniforms.
 * torch.Generator().manual_seed(s) is a Mersenne Twister (mt19937) seeded with s;
 * torch.rand(n) (float32) is n draws u = (32-bit draw & 2^24-1) · 2^-24, one after another (ATen's
 * serial uniform kernel); torch.randn(n) takes one of two paths (ATen's normal kernel):
 *   n >= 16: n float uniforms u = (32-bit draw & 2^24-1) · 2^-24, then Box-Muller on each block
 *            of 16 (u1 = 1 - u[j], u2 = u[j + 8]: r cos(2π u2) at j, r sin at j + 8); when n is not
 *            a multiple of 16 the last 16 values are drawn again and redone;
 *   n < 16:  a double Box-Muller per pair: u = (64-bit draw & 2^53-1) · 2^-53 (the 64-bit draw is
 *            the first 32-bit draw high, the second low), r = sqrt(-2 log1p(-u2)), θ = 2π u1;
 *            r cos θ now, r sin θ kept for the next value.
 * Measured against torch 2.14 in node: equal to 1e-6 (float32 rounding of log/sin/cos).
 */
(function (root) {
  "use strict";

  function generator(seed) {
    const s = new Uint32Array(624);
    let i = 624, cached = null;
    s[0] = Number(seed) >>> 0;
    for (let k = 1; k < 624; k++) s[k] = (Math.imul(1812433253, s[k - 1] ^ (s[k - 1] >>> 30)) + k) >>> 0;
    function next() {  // one 32-bit draw
      if (i >= 624) {
        for (let k = 0; k < 624; k++) {
          const y = (s[k] & 0x80000000) | (s[(k + 1) % 624] & 0x7fffffff);
          s[k] = s[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
        }
        i = 0;
      }
      let y = s[i++];
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      return y >>> 0;
    }
    const uniform24 = () => (next() & 0xffffff) * 5.9604644775390625e-8;           // 2^-24
    const uniform53 = () => {
      const hi = next() & 0x1fffff, lo = next();
      return (hi * 4294967296 + lo) * 1.1102230246251565e-16;                        // 2^-53
    };

    /** torch.randn(n, generator=g): a Float32Array of n N(0, 1) draws. */
    function randn(n) {
      const out = new Float32Array(n);
      if (n >= 16) {
        for (let k = 0; k < n; k++) out[k] = uniform24();
        const fill16 = o => {
          for (let j = 0; j < 8; j++) {
            const r = Math.sqrt(-2 * Math.log(1 - out[o + j])), th = 2 * Math.PI * out[o + j + 8];
            out[o + j] = r * Math.cos(th);
            out[o + j + 8] = r * Math.sin(th);
          }
        };
        for (let k = 0; k + 16 <= n; k += 16) fill16(k);
        if (n % 16) {
          for (let k = n - 16; k < n; k++) out[k] = uniform24();
          fill16(n - 16);
        }
        return out;
      }
      for (let k = 0; k < n; k++) {
        if (cached !== null) { out[k] = cached; cached = null; continue; }
        const u1 = uniform53(), u2 = uniform53(), r = Math.sqrt(-2 * Math.log1p(-u2)), th = 2 * Math.PI * u1;
        cached = r * Math.sin(th);
        out[k] = r * Math.cos(th);
      }
      return out;
    }
    /** torch.rand(n, generator=g): a Float32Array of n uniforms in [0, 1) (exact: 24 bits). */
    function rand(n) {
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) out[k] = uniform24();
      return out;
    }
    return {randn, rand};
  }

  const api = {generator, randn: (seed, n) => generator(seed).randn(n),
               rand: (seed, n) => generator(seed).rand(n)};
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.torchRand = api;
})(typeof window !== "undefined" ? window : globalThis);
