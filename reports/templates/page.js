/* dgpbench pages: sortable tables, row filters, panel toggles. No network, no globals. */
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function cellValue(row, idx) {
    var c = row.cells[idx];
    if (!c) { return ""; }
    return c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent.trim();
  }

  function sortBy(table, th) {
    var idx = th.cellIndex;
    var numeric = th.getAttribute("data-type") === "num";
    var asc = th.getAttribute("aria-sort") !== "ascending";
    each(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, idx), y = cellValue(b, idx);
      if (x === "" || y === "") { return (x === "") - (y === ""); }  /* missing values last */
      var d = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return asc ? d : -d;
    });
    each(rows, function (r) { body.appendChild(r); });
  }

  each(document.querySelectorAll("table.sortable"), function (table) {
    each(table.tHead.rows[table.tHead.rows.length - 1].cells, function (th) {
      if (th.hasAttribute("data-nosort")) { return; }
      th.tabIndex = 0;
      th.title = th.title || "sort";
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); }
      });
    });
  });

  /* Filters: controls inside .controls[data-table=ID]; rows carry data-<key> attributes. */
  function applyFilters(box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    if (!table) { return; }
    var state = {};
    each(box.querySelectorAll("[data-key]"), function (el) {
      var k = el.getAttribute("data-key");
      if (el.tagName === "BUTTON") {
        if (el.getAttribute("aria-pressed") === "true") { state[k] = el.getAttribute("data-value"); }
      } else if (el.type === "checkbox") {
        state[k] = el.checked ? el.value : "";
      } else {
        state[k] = el.value;
      }
    });
    var rows = table.tBodies[0].rows, shown = 0;
    each(rows, function (row) {
      var ok = Object.keys(state).every(function (k) {
        var v = state[k];
        if (!v) { return true; }
        if (k === "text") { return row.textContent.toLowerCase().indexOf(v.toLowerCase()) >= 0; }
        return row.getAttribute("data-" + k) === v;
      });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    var counter = box.querySelector(".count");
    if (counter) { counter.textContent = shown + " of " + rows.length + " rows"; }
  }

  each(document.querySelectorAll(".controls[data-table]"), function (box) {
    each(box.querySelectorAll("button[data-key]"), function (btn) {
      btn.addEventListener("click", function () {
        each(box.querySelectorAll('button[data-key="' + btn.getAttribute("data-key") + '"]'), function (b) {
          b.setAttribute("aria-pressed", b === btn ? "true" : "false");
        });
        applyFilters(box);
      });
    });
    each(box.querySelectorAll("select[data-key], input[data-key]"), function (el) {
      el.addEventListener(el.type === "checkbox" ? "change" : "input", function () { applyFilters(box); });
    });
    applyFilters(box);
  });

  /* Toggles: a button[data-show=ID] shows that panel and hides the others of its group. */
  each(document.querySelectorAll("button[data-show]"), function (btn) {
    btn.addEventListener("click", function () {
      var target = document.getElementById(btn.getAttribute("data-show"));
      if (!target) { return; }
      var group = target.getAttribute("data-group");
      each(document.querySelectorAll('[data-group="' + group + '"]'), function (p) { p.hidden = p !== target; });
      each(btn.parentNode.querySelectorAll("button[data-show]"), function (b) {
        b.setAttribute("aria-pressed", b === btn ? "true" : "false");
      });
    });
  });
}());
