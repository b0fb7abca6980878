"""`python -m playground.static OUT_DIR`: the playground as a folder of static files, no server.

OUT_DIR/index.html opens from a disk (file://), a USB stick or any static host (a static Hugging
Face Space: the folder's README.md carries its front matter). Everything is computed in the page:
assets/webdecoder.js and assets/webencoder.js run the exported decoders and encoders
(playground/webdecoder.py's specs), assets/webgpt.js the character GPT (playground/webgpt.py's),
assets/static/ holds the page, one script per tab.

The folder:
    index.html, README.md, build.json (the report: files, sizes, each part's error)
    webdecoder.js, webencoder.js, webgpt.js  the interpreters, as the Gradio page loads them
    static/core.js, torchrand.js, mapmath.js, pathmath.js, chainmath.js
                                             the page's helpers; static/<tab>.js one per tab
    data/catalog.js                          models, what each can do in the page (class means
                                             for arithmetic), left-out models
    data/evaluation.js                       the shipped evaluation curves (evaluation.json)
    models/<id>.js, models/<id>.encoder.js   page specs whose tensors name blobs
    models/<id>.text.js, <id>.stepwise.js    a text model's network (text.py), a Gibbs chain
                                             (chain.py): exporters' files, listed under "extras"
    models/classifier-mnist.judge.js         the judge classifier (judge.py) that says under
                                             Explore's canvas what the digit looks like, as the
                                             app's page does, when the folder has room for it
                                             (else the footer names it)
    maps/<id>.js                             the shipped projections: points, labels, codes
    weights/<blob>.js                        deflated tensors, one file each, named by content
    plotly.min.js                            copied from the installed plotly package
A new tab is one more file: assets/static/<tab>.js calling latentStatic.tab({id, title, order,
mount(panel)}) (index.html loads every script there but the helpers). What it needs beyond the
decoders, encoders, maps and curves comes from an exporter registered in
folder.EXPORTERS[capability] (text.py: "text", the Names tab's network; chain.py: "stepwise", the
Gibbs chain tab's), which the build calls after every decoder and encoder, so it may reuse their
stored tensors; the catalog lists those models under "extras".

Data files are scripts that call `latentStatic.add(kind, key, value)`: a page opened from file://
may not fetch() its own folder in Chromium, but it may load scripts. The same inputs give the
same bytes (canonical JSON, zlib level 9, one torch thread while exporting, no timestamps).
"""
from playground.static.folder import SIZE_BUDGET, BuildError, Report, build  # noqa: F401
from playground.static import chain, text  # noqa: F401,E402  (register the Chain and Names exports)
