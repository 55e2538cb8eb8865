(function () {
  "use strict";
  var table = document.getElementById("pipeline");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, col, numeric) {
    var v = row.cells[col].getAttribute("data-v");
    if (!numeric) return v.toLowerCase();
    return v === "" ? null : parseFloat(v);
  }
  function sortBy(col) {
    var th = heads[col];
    var numeric = th.getAttribute("data-type") === "num";
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col, numeric), y = key(b, col, numeric);
      if (x === null || y === null) return (x === null) - (y === null);  /* unknown last */
      var c = x < y ? -1 : x > y ? 1 : 0;
      if (c === 0) c = key(a, 0, true) - key(b, 0, true);  /* ties keep rank order */
      return asc ? c : -c;
    });
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    rows.forEach(function (r) { body.appendChild(r); });
  }
  for (var i = 0; i < heads.length; i++) {
    heads[i].addEventListener("click", sortBy.bind(null, i));
    heads[i].addEventListener("keydown", function (col, e) {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();  /* Space would otherwise scroll the page */
        sortBy(col);
      }
    }.bind(null, i));
  }

  /* The filter hides table rows, chart bars and recounts the decisions line. */
  var chart = document.getElementById("chart");
  var bars = chart ? Array.prototype.slice.call(chart.querySelectorAll("g.bar")) : [];
  var counts = Array.prototype.slice.call(document.querySelectorAll("#counts [data-d]"));
  var shown = document.getElementById("shown");
  function layoutChart(visible) {
    if (!chart) return;
    var top = parseFloat(chart.getAttribute("data-top"));
    var step = parseFloat(chart.getAttribute("data-step"));
    var n = 0;
    bars.forEach(function (g) {
      var i = parseInt(g.getAttribute("data-i"), 10);
      if (visible[g.getAttribute("data-rank")]) {
        g.removeAttribute("display");
        g.setAttribute("transform", "translate(0 " + (n - i) * step + ")");
        n++;
      } else {
        g.setAttribute("display", "none");
      }
    });
    var bottom = top + n * step + 4;
    Array.prototype.forEach.call(chart.querySelectorAll(".to-bottom"), function (l) {
      l.setAttribute("y2", bottom);
    });
    Array.prototype.forEach.call(chart.querySelectorAll(".below-bottom"), function (t) {
      t.setAttribute("y", bottom + 14);
    });
    var width = chart.getAttribute("width");
    chart.setAttribute("height", bottom + 20);
    chart.setAttribute("viewBox", "0 0 " + width + " " + (bottom + 20));
  }
  document.getElementById("q").addEventListener("input", function (e) {
    var q = e.target.value.toLowerCase().trim();
    var visible = {}, byDecision = {}, total = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      var text = (r.textContent + " " + r.getAttribute("data-q")).toLowerCase();
      r.hidden = q !== "" && text.indexOf(q) < 0;
      if (!r.hidden) {
        visible[r.getAttribute("data-rank")] = true;
        byDecision[r.getAttribute("data-d")] = (byDecision[r.getAttribute("data-d")] || 0) + 1;
        total++;
      }
    });
    counts.forEach(function (s) {
      var all = s.getAttribute("data-n");
      var n = byDecision[s.getAttribute("data-d")] || 0;
      s.querySelector(".n").textContent = q === "" ? all : n + " of " + all;
    });
    shown.hidden = q === "";
    shown.textContent = "showing " + total + " of " + body.rows.length +
      " (filter: \u201c" + e.target.value.trim() + "\u201d)";
    layoutChart(visible);
  });
})();
