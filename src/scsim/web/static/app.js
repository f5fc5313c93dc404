// Draws the page's charts (Vega-Lite specs inline in <script type="application/json">) and ego
// networks (Cytoscape elements, likewise) with the vendored libraries: nothing is fetched.
(function () {
  "use strict";
  function json(id) { return JSON.parse(document.getElementById(id).textContent); }

  function charts() {
    document.querySelectorAll("div.chart[data-spec]").forEach(function (el) {
      vegaEmbed(el, json(el.dataset.spec), { actions: false, renderer: "svg" })
        .then(function () { el.dataset.drawn = "yes"; })
        .catch(function (err) { el.textContent = "chart failed: " + err; el.dataset.drawn = "failed"; });
    });
  }

  function egos() {
    document.querySelectorAll("div.ego[data-elements]").forEach(function (el) {
      var cy = cytoscape({
        container: el, elements: json(el.dataset.elements),
        layout: { name: "concentric", concentric: function (n) { return n.data("role") === "self" ? 2 : 1; },
                  levelWidth: function () { return 1; }, animate: false },
        style: [
          { selector: "node", style: { "label": "data(label)", "font-size": 8, "width": 14, "height": 14,
              "background-color": "mapData(score, 450, 750, #d73027, #1a9850)" } },
          { selector: "node[!score]", style: { "background-color": "#bbbbbb" } },
          { selector: "node[role = 'self']", style: { "width": 24, "height": 24, "border-width": 3, "border-color": "#222" } },
          { selector: "node[role = 'dragger']", style: { "border-width": 3, "border-color": "#7b3294" } },
          { selector: "node[role = 'cut']", style: { "opacity": 0.6 } },
          { selector: "edge", style: { "width": 1, "line-color": "#999" } },
          { selector: "edge[kind = 'cut']", style: { "line-style": "dashed", "line-color": "#d73027" } }
        ]
      });
      if (document.body.dataset.links !== "off") {
        cy.on("tap", "node", function (evt) {
          var id = evt.target.id(), base = location.pathname.replace(/\/citizen\/\d+$/, "");
          if (/\/run\/[^/]+$/.test(base) && evt.target.data("role") !== "self") { location.href = base + "/citizen/" + id; }
        });
      }
      el.dataset.drawn = "yes";
      el.dataset.nodes = String(cy.nodes().length);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { charts(); egos(); });
})();
