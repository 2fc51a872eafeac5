/* surgedesk dashboard: draws the charts with uPlot and keeps the page's
   live part fresh by fetching /dashboard/live every few seconds. Focus
   stays where it was across a refresh, so keyboard users are not thrown
   back to the top. Without JavaScript the page still shows every figure. */
(function () {
  "use strict";
  var charts = {}; // by container id: {plot, el}
  window.surgedeskCharts = charts;
  var colours = ["#1b1f24", "#166534", "#c2410c"];
  var dashes = [[], [8, 4], [2, 3]];

  // marksPlugin draws the incident's start and status updates as dashed
  // vertical lines; one in the current (last) bucket sits on its edge.
  function marksPlugin(holder) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, marks = holder.data.marks || [], bucket = holder.data.bucket || 60;
          ctx.save();
          ctx.strokeStyle = "#6d28d9";
          ctx.fillStyle = "#6d28d9";
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.font = (11 * devicePixelRatio) + "px system-ui, sans-serif";
          for (var i = 0; i < marks.length; i++) {
            var xs = u.data[0], t = marks[i].x;
            if (xs.length && t > xs[xs.length - 1] && t < xs[xs.length - 1] + bucket) t = xs[xs.length - 1];
            var x = Math.round(u.valToPos(t, "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.textAlign = x > u.bbox.left + u.bbox.width / 2 ? "right" : "left";
            var dx = (ctx.textAlign === "right" ? -4 : 4) * devicePixelRatio;
            ctx.fillText(marks[i].label, x + dx, u.bbox.top + (12 + 12 * (i % 3)) * devicePixelRatio);
          }
          ctx.restore();
        }]
      }
    };
  }

  function seriesOf(d) {
    return [d.x].concat(d.series);
  }

  function draw(el, d) {
    var width = Math.max(280, el.clientWidth || 600);
    var holder = { data: d };
    var series = [{}];
    for (var i = 0; i < d.labels.length; i++) {
      series.push({ label: d.labels[i], stroke: colours[i], width: 2, dash: dashes[i], points: { show: false } });
    }
    el.textContent = "";
    var plot = new uPlot({
      width: width, height: 220, series: series,
      // Korea time, as every other time on the page.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Asia/Seoul"); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
      // The y axis as wide as its longest label (20,000 needs more room than 5).
      axes: [{}, { size: function (u, values) {
        var n = 1;
        for (var i = 0; values && i < values.length; i++) n = Math.max(n, String(values[i]).length);
        return 24 + 8 * n;
      } }],
      plugins: [marksPlugin(holder)]
    }, seriesOf(d), el);
    holder.plot = plot;
    holder.el = el;
    charts[el.id] = holder;
  }

  function readData(root) {
    var out = {};
    var blocks = root.querySelectorAll("script.chart-data");
    for (var i = 0; i < blocks.length; i++) {
      try { out[blocks[i].getAttribute("data-for")] = JSON.parse(blocks[i].textContent); } catch (e) {}
    }
    return out;
  }

  function drawAll() {
    if (typeof uPlot === "undefined") return;
    var data = readData(document);
    for (var id in data) {
      var el = document.getElementById(id);
      if (el) draw(el, data[id]);
    }
  }

  // swap puts a fresh live part in place, keeping each chart (updated
  // with its new data) and the focused control.
  function swap(html) {
    var live = document.getElementById("live");
    var fresh = document.createElement("div");
    fresh.innerHTML = html;
    var data = readData(fresh);
    var focused = document.activeElement && document.activeElement.id;
    for (var id in charts) {
      var slot = fresh.querySelector("#" + CSS.escape(id));
      if (slot && data[id]) {
        slot.replaceWith(charts[id].el);
        charts[id].el.setAttribute("aria-label", slot.getAttribute("aria-label") || "");
        charts[id].data = data[id];
        charts[id].plot.setData(seriesOf(data[id]));
      } else {
        charts[id].plot.destroy();
        delete charts[id];
      }
    }
    live.replaceChildren.apply(live, Array.prototype.slice.call(fresh.childNodes));
    for (var nid in data) {
      if (!charts[nid]) {
        var el = document.getElementById(nid);
        if (el && typeof uPlot !== "undefined") draw(el, data[nid]);
      }
    }
    if (focused) {
      var again = document.getElementById(focused);
      if (again) again.focus();
    }
  }

  var last = "";
  function refresh() {
    if (document.hidden) return;
    var lang = document.body.getAttribute("data-lang") || "ko";
    fetch("/dashboard/live?lang=" + encodeURIComponent(lang), { cache: "no-cache", credentials: "same-origin" })
      .then(function (res) {
        if (res.status === 401) { window.location = "/dashboard/login?lang=" + lang + "&reason=expired"; return null; }
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html && html !== last) { last = html; swap(html); }
      })
      .catch(function () {});
  }

  function start() {
    drawAll();
    var every = parseInt(document.body.getAttribute("data-refresh"), 10) || 3000;
    setInterval(refresh, every);
    document.addEventListener("visibilitychange", refresh);
    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        for (var id in charts) charts[id].plot.setSize({ width: Math.max(280, charts[id].el.clientWidth || 600), height: 220 });
      }, 150);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
