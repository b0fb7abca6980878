/* A 2-D touch pad over Explore's first two sliders, for phones (and mice): drag a finger across
 * it and both move at once, x for the first, y for the second, each on its own range and step.
 * It sets the range inputs and dispatches their input events, so a move takes the sliders' own
 * route (assets/webdecoder.js paints it in the page, the server hears it when the drag ends), and
 * a change event when the finger lifts. The pad draws where the sliders are, and follows them
 * when they move by other means. Used by the Gradio page (explore.py's canvas block) and the
 * static page (assets/static/explore.js): any element with class "touch-pad" in the page.
 */
(function () {
  "use strict";
  const SLIDER = i => document.querySelector(`#slider-${i} input[type=range]`);

  function ranges() {
    const xs = [SLIDER(0), SLIDER(1)];
    return xs.every(el => el && el.offsetParent !== null) ? xs : null;  // both shown
  }

  function fraction(el) {
    const lo = Number(el.min), hi = Number(el.max);
    return hi > lo ? (Number(el.value) - lo) / (hi - lo) : 0.5;
  }

  function setFraction(el, u) {
    const lo = Number(el.min), hi = Number(el.max), step = Number(el.step) || 0.01;
    const v = Math.min(hi, Math.max(lo, lo + Math.round(Math.min(1, Math.max(0, u)) * (hi - lo) / step) * step));
    if (Math.abs(v - Number(el.value)) < step / 2) return false;
    el.value = String(Math.round(v / step) * step);
    return true;
  }

  /** The pad's two sliders when both are shown, else null; found by `scan` (it reads layout,
   * so it stays off the sliders' input path) and kept on the pad. */
  const sliders = pad => (pad.sliders && pad.sliders.every(el => el.isConnected) ? pad.sliders : null);

  function draw(pad) {
    const xs = sliders(pad);
    if (!xs) return;
    const c = pad.getContext("2d"), w = pad.width, h = pad.height;
    const x = fraction(xs[0]) * w, y = (1 - fraction(xs[1])) * h, state = `${x},${y}`;
    if (pad.dataset.state === state) return;  // nothing moved: no repaint
    pad.dataset.state = state;
    c.fillStyle = "#f6f7fb"; c.fillRect(0, 0, w, h);
    c.strokeStyle = "#d0d4e4"; c.lineWidth = 1;
    c.beginPath(); c.moveTo(w / 2, 0); c.lineTo(w / 2, h); c.moveTo(0, h / 2); c.lineTo(w, h / 2); c.stroke();
    c.strokeStyle = "#e4572e"; c.lineWidth = 3;
    c.beginPath(); c.arc(x, y, 9, 0, 2 * Math.PI); c.stroke();
    pad.setAttribute("aria-label", `touch pad: first two sliders at ${Number(xs[0].value).toFixed(2)}, ${Number(xs[1].value).toFixed(2)}`);
  }

  function attach(pad) {
    if (pad.dataset.attached) return;
    pad.dataset.attached = "1";
    let active = null;
    const move = event => {
      const xs = sliders(pad);
      if (!xs) return;
      const r = pad.getBoundingClientRect();
      const moved = [setFraction(xs[0], (event.clientX - r.left) / r.width),
                     setFraction(xs[1], 1 - (event.clientY - r.top) / r.height)];
      xs.forEach((el, i) => { if (moved[i]) el.dispatchEvent(new Event("input", {bubbles: true})); });
      draw(pad);
    };
    pad.addEventListener("pointerdown", event => {
      active = event.pointerId;
      pad.setPointerCapture(event.pointerId);
      move(event);
      event.preventDefault();
    });
    pad.addEventListener("pointermove", event => { if (event.pointerId === active) move(event); });
    const end = event => {
      if (event.pointerId !== active) return;
      active = null;
      const xs = sliders(pad);
      if (xs) xs.forEach(el => el.dispatchEvent(new Event("change", {bubbles: true})));
    };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    draw(pad);
  }

  function scan() {
    document.querySelectorAll("canvas.touch-pad").forEach(pad => {
      attach(pad);
      pad.sliders = ranges();
      const box = pad.closest(".touch-pad-box");
      if (box) box.hidden = !pad.sliders;
      draw(pad);
    });
  }
  // The pads and sliders come and go with the page's own rendering (Gradio's components, the
  // static tabs): found at a slow poll. A move of either slider by other means redraws them.
  document.addEventListener("input", event => {
    if (event.target.closest && event.target.closest("#slider-0, #slider-1")) {
      document.querySelectorAll("canvas.touch-pad").forEach(draw);
    }
  });
  setInterval(scan, 1000);
  if (document.readyState !== "loading") scan();
  else document.addEventListener("DOMContentLoaded", scan);
  window.latentTouchPad = {scan, draw};
})();
