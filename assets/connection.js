/* The Gradio page's connection banner. When the server stops answering (a restart, a laptop that
 * slept, a network gone), the page says so at the top, in words and to screen readers, instead of
 * failing silently: buttons that need the server wait, while models decoded in the page keep
 * answering their sliders. A small request every 5 s while the page is visible
 * (gradio_api/app_id: a few bytes, outside Gradio's queue), and at once when it comes back into
 * view; the banner goes when the server answers again.
 */
(function () {
  "use strict";
  const EVERY_MS = 5000, TIMEOUT_MS = 4000;
  const TEXT = "The server is not answering. Sliders of models decoded in your browser keep " +
               "working; everything else waits until it is back.";
  let banner = null;

  function show(down) {
    if (!banner && down) {
      banner = document.createElement("div");
      banner.id = "connection-banner";
      banner.setAttribute("role", "alert");
      banner.textContent = TEXT;
      document.body.prepend(banner);
    }
    if (banner) banner.hidden = !down;
    api.down = down;
  }

  async function probe() {
    const abort = new AbortController(), timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let ok = false;
    try {
      const r = await fetch(new URL("gradio_api/app_id", document.baseURI),
                            {cache: "no-store", signal: abort.signal});
      ok = r.ok;
    } catch (err) {
      ok = false;
    } finally {
      clearTimeout(timer);
    }
    show(!ok);
    return ok;
  }

  const api = {down: false, probe};
  window.latentConnection = api;
  setInterval(() => { if (!document.hidden) probe(); }, EVERY_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) probe(); });
})();
