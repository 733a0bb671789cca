/* dgpbench pages: sortable tables, row filters, panel toggles, and a layout that fits: wide
   boxes that scroll and say so, anchors below the sticky bar, generator jumps. No network, no globals. */
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  /* Every table sits in a box that scrolls sideways (.wide or .scroll), so no table widens the page. */
  each(document.querySelectorAll("main table"), function (table) {
    if (table.parentNode.closest && table.parentNode.closest(".wide, .scroll")) { return; }
    var box = document.createElement("div");
    box.className = "wide";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });

  /* A box whose content is wider than it gets a hint above it ("scroll →"), keyboard focus, and
     the classes page.css fades its hidden edges by; the scrollbars' sizes keep them unfaded. */
  var scrollers = Array.prototype.slice.call(document.querySelectorAll(".wide, .scroll, .topbar .links"));

  function edges(box) {
    var over = box.scrollWidth > box.clientWidth + 1;
    var start = box.scrollLeft <= 1, end = box.scrollLeft + box.clientWidth >= box.scrollWidth - 1;
    box.classList.toggle("overflows", over);
    box.classList.toggle("at-start", start);
    box.classList.toggle("at-end", end);
    var hint = box.scrollHint;
    if (hint) {
      hint.hidden = !over;
      hint.firstChild.textContent = end && !start ? "← scroll back" : "more columns: scroll →";
    }
  }

  function measure(box) {
    if (!box.getClientRects().length) { return; }  /* hidden: measured when shown */
    var st = getComputedStyle(box);
    var bx = parseFloat(st.borderLeftWidth) + parseFloat(st.borderRightWidth);
    var by = parseFloat(st.borderTopWidth) + parseFloat(st.borderBottomWidth);
    box.style.setProperty("--sbw", Math.max(0, box.offsetWidth - box.clientWidth - bx) + "px");
    box.style.setProperty("--sbh", Math.max(0, box.offsetHeight - box.clientHeight - by) + "px");
    if (!box.scrollHint && box.scrollWidth > box.clientWidth + 1 && !box.closest(".topbar")) {
      var hint = document.createElement("div");
      hint.className = "scroll-hint";
      hint.setAttribute("aria-hidden", "true");
      hint.appendChild(document.createElement("span"));
      box.parentNode.insertBefore(hint, box);
      box.scrollHint = hint;
      box.tabIndex = 0;
    }
    edges(box);
  }

  function refreshScrollers() { each(scrollers, measure); }

  each(scrollers, function (box) {
    box.addEventListener("scroll", function () { edges(box); }, { passive: true });
  });

  /* --bar-h: the sticky bar's real height (it wraps on a narrow window); anchors land below it. */
  var bar = document.querySelector(".topbar");
  function barHeight() {
    if (bar) { document.documentElement.style.setProperty("--bar-h", Math.ceil(bar.getBoundingClientRect().height) + "px"); }
  }
  barHeight();
  window.addEventListener("resize", barHeight);
  if (bar && window.ResizeObserver) { new ResizeObserver(barHeight).observe(bar); }
  if (location.hash.length > 1) {  /* opened at an anchor: land below the bar as measured now */
    var landing = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (landing) { landing.scrollIntoView(); }
  }

  /* The bar's "jump to generator" list and the floating "top" link (shown once scrolled). */
  each(document.querySelectorAll("select.jump"), function (sel) {
    sel.addEventListener("change", function () {
      var target = sel.value && document.getElementById(sel.value);
      if (!target) { return; }
      if (location.hash !== "#" + sel.value) { location.hash = sel.value; }
      target.scrollIntoView();
    });
  });
  var toTop = document.querySelector("a.to-top");
  function topLink() { if (toTop) { toTop.classList.toggle("at-top", window.scrollY < window.innerHeight / 2); } }
  window.addEventListener("scroll", topLink, { passive: true });
  topLink();

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
    refreshScrollers();
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
  refreshScrollers();

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
      refreshScrollers();
    });
  });

  window.addEventListener("load", refreshScrollers);
  window.addEventListener("resize", refreshScrollers);
}());
