/* convcli's page player: draws the frames in #convcli-data. Every number arrives as text made
   by convcli; this script only places it, marks cells and keeps time. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("convcli-data").textContent);
  var frames = data.frames;
  var count = frames.length;
  var index = 0;
  var timer = null;
  var $ = function (id) { return document.getElementById(id); };
  var player = $("player"), grids = $("grids"), slider = $("slider"), where = $("where");
  var playButton = $("play");

  document.documentElement.classList.add("js");
  player.hidden = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* A grid as a table: cells[r][c] is text; kind(r, c) gives a class for a cell, or "". */
  function table(caption, cells, rows, cols, kind, id) {
    var figure = el("figure", "grid");
    if (id) figure.id = id;
    figure.appendChild(el("figcaption", "", caption));
    var scroll = el("div", "scroll");
    var t = el("table");
    var head = el("tr");
    head.appendChild(el("td"));
    cols.forEach(function (c) { var th = el("th", "", c); th.scope = "col"; head.appendChild(th); });
    var thead = el("thead");
    thead.appendChild(head);
    t.appendChild(thead);
    var body = el("tbody");
    cells.forEach(function (row, r) {
      var tr = el("tr");
      var th = el("th", "", rows[r]);
      th.scope = "row";
      tr.appendChild(th);
      row.forEach(function (text, c) {
        var td = el("td", kind ? kind(r, c) : "", text);
        td.dataset.r = rows[r];
        td.dataset.c = cols[c];
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    t.appendChild(body);
    scroll.appendChild(t);
    figure.appendChild(scroll);
    return figure;
  }

  function inMark(m, r, c) {
    /* m = [board, layer, r0, r1, rstep, c0, c1, cstep]: every r0 + k*rstep below r1, and so on */
    return r >= m[2] && r < m[3] && (r - m[2]) % m[4] === 0 &&
      c >= m[5] && c < m[6] && (c - m[5]) % m[7] === 0;
  }

  function layerTitle(label, layerLabel, layer, layers) {
    if (layers < 2 || !layerLabel) return label;
    return label + ", " + layerLabel.replace("{}", String(layer)) + " of " + layers;
  }

  function cropNote(part, of) {
    var rows = part.rows, cols = part.cols;
    if (rows.length === of[0] && cols.length === of[1]) return "";
    return " (rows " + rows[0] + "–" + rows[rows.length - 1] + " of " + of[0] +
      ", columns " + cols[0] + "–" + cols[cols.length - 1] + " of " + of[1] + ")";
  }

  function drawBoard(board, b, frame) {
    var marks = frame.marks.filter(function (m) { return m[0] === b; });
    var layer = marks.length ? marks[0][1] : 0;
    marks = marks.filter(function (m) { return m[1] === layer; });
    var faint = {};
    board.faint.forEach(function (f) { if (f[0] === layer) faint[f[1] + "," + f[2]] = true; });
    var title = layerTitle(board.label, board.layerLabel, layer, board.layers.length) +
      (board.note ? " " + board.note : "") + cropNote(board, board.of);
    return table(title, board.layers[layer], board.rows, board.cols, function (r, c) {
      var R = r + board.top, C = c + board.left;
      var names = [];
      if (marks.some(function (m) { return inMark(m, R, C); })) names.push("win");
      if (faint[r + "," + c]) names.push("pad");
      return names.join(" ");
    }, "board-" + b);
  }

  /* The output as it stands once frames 0..k are shown. */
  function outputAt(k, layer) {
    var out = data.output, cells = out.rows.map(function () { return out.cols.map(function () { return null; }); });
    for (var i = 0; i <= k; i++) {
      var f = frames[i];
      if (f.result) {
        var grid = f.result[String(layer)];
        if (grid) cells = grid.map(function (row) { return row.slice(); });
      }
      f.fills.forEach(function (fill) {
        if (fill[0] !== layer) return;
        var r = fill[1] - out.top, c = fill[2] - out.left;
        if (r >= 0 && r < cells.length && c >= 0 && c < cells[0].length) cells[r][c] = fill[3];
      });
    }
    return cells;
  }

  function drawOutput(frame) {
    var out = data.output;
    var marks = frame.marks.filter(function (m) { return m[0] === -1; });
    var layer = marks.length ? marks[0][1] : 0;
    var cells = outputAt(index, layer);
    var title = layerTitle(out.label, out.layerLabel, layer, out.layers) +
      (frame.result ? "" : " (filling in)") + cropNote(out, out.of);
    var shown = cells.map(function (row) { return row.map(function (v) { return v === null ? "·" : v; }); });
    return table(title, shown, out.rows, out.cols, function (r, c) {
      if (cells[r][c] === null) return "empty";
      var R = r + out.top, C = c + out.left;
      return marks.some(function (m) { return m[1] === layer && inMark(m, R, C); }) ? "now" : "";
    }, "output");
  }

  function drawPanel(panel) {
    return table(panel.label, panel.cells, panel.rows, panel.cols, null);
  }

  /* A long sum wraps after each '+' and before each '=' on a narrow screen. */
  function breakable(node, text) {
    text.split(/(\+| = )/).forEach(function (piece) {
      if (piece === " = ") node.appendChild(document.createElement("wbr"));
      node.appendChild(document.createTextNode(piece));
      if (piece === "+") node.appendChild(document.createElement("wbr"));
    });
    return node;
  }

  function show(k) {
    index = Math.max(0, Math.min(count - 1, k));
    var frame = frames[index];
    $("name").textContent = "";
    $("name").appendChild(el("span", "cell", frame.name));
    if (frame.value) {
      $("name").appendChild(document.createTextNode(" = "));
      var sum = el("span", "sum", frame.value);
      sum.id = "sum";
      $("name").appendChild(sum);
    }
    var lines = $("lines");
    lines.textContent = "";
    frame.lines.forEach(function (line) { lines.appendChild(breakable(el("p", "terms"), line)); });
    grids.textContent = "";
    data.boards.forEach(function (board, b) { grids.appendChild(drawBoard(board, b, frame)); });
    data.panels.concat(frame.panels).forEach(function (p) { grids.appendChild(drawPanel(p)); });
    grids.appendChild(drawOutput(frame));
    slider.value = String(index + 1);
    where.textContent = "step " + (index + 1) + " of " + count + (index === count - 1 ? " · the complete result" : "");
  }

  function setPlaying(on) {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    playButton.textContent = on ? "❚❚ Pause" : "▶ Play";
    playButton.setAttribute("aria-label", on ? "Pause" : "Play");
    playButton.setAttribute("aria-pressed", on ? "true" : "false");
    if (on) {
      if (index === count - 1) show(0);
      timer = setTimeout(tick, data.delay);
    }
  }

  function tick() {
    timer = null;
    show(index + 1);
    if (index < count - 1) timer = setTimeout(tick, data.delay);
    else setPlaying(false);
  }

  function step(by) { setPlaying(false); show(index + by); }

  $("prev").addEventListener("click", function () { step(-1); });
  $("next").addEventListener("click", function () { step(1); });
  playButton.addEventListener("click", function () { setPlaying(timer === null); });
  slider.addEventListener("input", function () { setPlaying(false); show(Number(slider.value) - 1); });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target === slider) return; /* the slider steps with the arrows itself */
    if (event.key === "ArrowRight") { step(1); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { step(-1); event.preventDefault(); }
    else if (event.key === "Home") { step(-count); event.preventDefault(); }
    else if (event.key === "End") { step(count); event.preventDefault(); }
    else if (event.key === " " && !(target && target.tagName === "BUTTON")) {
      setPlaying(timer === null);
      event.preventDefault();
    }
  });
  show(0);
})();
