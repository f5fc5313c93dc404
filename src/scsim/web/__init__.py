"""The web explorer: ``scsim serve RUN ...`` and ``scsim report RUN --html FILE``.

Credit China rebuilt for any run: a citizen's page (the score, its breakdown, the friends who draw
it down, the ego network), the register, the run's dashboards, a comparison of runs and a sweep's
main effects. Every page is a stateless GET read from the run's DuckDB database, opened read-only;
the charts and the graph are drawn in the browser by vendored copies of Vega-Lite and
Cytoscape.js (``static/vendor``, made by ``scripts/vendor_web.py``), so nothing leaves the machine.

Modules: ``sources`` (the folders served: runs, compare outputs, sweeps), ``queries`` (the SQL a
page needs, never a whole table), ``charts`` (Vega-Lite specs and the ego network's elements),
``app`` (the Starlette routes), ``report`` (one self-contained HTML file), ``tryit`` (small runs
queued in a scratch folder).
"""
