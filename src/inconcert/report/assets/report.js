/* inconcert evidence report: the page's own script (no dependencies besides graph.min.js).
 *
 * Every value shown comes from the JSON in #ic-data and is written with textContent, text
 * nodes or DOM properties: never as markup. Links are made only for http(s) URLs, with
 * rel="noopener noreferrer". Tables render one page at a time, so 50,000 groups stay quick.
 */
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("ic-data").textContent);
  var STR = D.strings || [];
  var G = D.groups || { columns: [], data: {} };
  var A = D.accounts || { columns: [], data: {}, id: [], rank: [] };
  var N = D.nodes || { account: [], x: [], y: [] };
  var E = D.edges || { columns: [], data: {}, a: [], b: [], rank: [], weight: [] };
  var V = D.evidence || { columns: [], data: {} };
  var DETAILS = D.details || {};
  var PALETTE = D.palette || ["#3b6fb6", "#e8772e", "#d64550", "#2f9c95", "#4f9a44", "#c9a227", "#9b5fa5",
    "#e57f9a", "#8c6a52", "#5b8fd9", "#7fb34a", "#a9478f"];
  var FADED = "#d9dde3";
  var nGroups = (G.columns.length ? (G.data[G.columns[0].name] || []).length : 0);
  var nAccounts = A.id.length;
  var nEdges = E.a.length;
  var state = { group: null, account: null, edge: null, colourBy: "group", hover: null };

  // -- small DOM helpers (text only) ---------------------------------------------------------
  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) {
      for (var k in props) {
        if (!Object.prototype.hasOwnProperty.call(props, k)) continue;
        var v = props[k];
        if (v === null || v === undefined) continue;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = v;
        else if (k === "onclick") el.addEventListener("click", v);
        else if (k === "data") { for (var d in v) el.dataset[d] = String(v[d]); }
        else el[k] = v;
      }
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function byId(id) { return document.getElementById(id); }

  var SVGNS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, text) {
    var el = document.createElementNS(SVGNS, tag);
    for (var k in attrs) el.setAttribute(k, String(attrs[k]));
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }

  // -- formatting -----------------------------------------------------------------------------
  var INT = new Intl.NumberFormat("en-US");
  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = "0" + n; return n; }
  function fmtTime(t) {
    if (t === null || t === undefined || t === "") return "";
    var whole = Math.floor(t);
    var frac = Math.round((t - whole) * 1e6);
    if (frac >= 1e6) { whole += 1; frac = 0; }
    var d = new Date(whole * 1000);
    var out = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    if (frac) out += "." + pad(frac, 6).replace(/0+$/, "");
    return out;
  }
  function fmtNum(v) {
    if (v === null || v === undefined || v === "") return "";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return INT.format(v);
    var a = Math.abs(v);
    if (a > 0 && a < 0.001) return v.toExponential(1);  // p- and q-values: keep the magnitude
    return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  }
  function fmt(v, type) {
    if (type === "time") return fmtTime(v);
    if (type === "int" || type === "float") return fmtNum(v);
    if (type === "bool") return v === null || v === undefined ? "" : (v ? "yes" : "no");
    return v === null || v === undefined ? "" : String(v);
  }
  var LABELS = {
    group_id: "group", component_id: "component", size: "accounts", coactions: "co-actions",
    coordinated_posts: "coordinated posts", mean_dt_s: "mean Δt (s)", median_dt_s: "median Δt (s)",
    min_dt_s: "min Δt (s)", max_dt_s: "max Δt (s)", span_hours: "span (hours)", first_time: "first (UTC)",
    last_time: "last (UTC)", posts_a: "posts A", posts_b: "posts B", edge_symmetry_score: "symmetry (posts)",
    avg_time_delta: "avg Δt (s)", n_content_id: "posts A", n_content_id_y: "posts B", object_ids: "objects",
    weight_threshold: "above weight threshold", dt_s: "Δt (s)",
  };
  function label(name) {
    if (LABELS[name]) return LABELS[name];
    var m = /^(.*)_(coactions|objects)$/.exec(name);
    if (m) return m[1] + " " + (m[2] === "coactions" ? "co-actions" : "objects");
    return name.replace(/_s$/, " (s)").replace(/_time$/, " (UTC)").replace(/_/g, " ");
  }
  function plural(n, one, many) { return INT.format(n) + " " + (n === 1 ? one : (many || one + "s")); }
  function str(i) { return i === null || i === undefined || i < 0 ? null : STR[i]; }

  // Only http(s) URLs become links; everything else stays text.
  function safeHref(value) {
    if (typeof value !== "string" || !/^https?:\/\//i.test(value)) return null;
    try {
      var u = new URL(value);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : null;
    } catch (e) { return null; }
  }
  function linkOrText(value, cls) {
    var href = safeHref(value);
    if (!href) return h("span", { class: cls || "v", text: value === null || value === undefined ? "" : String(value) });
    var a = document.createElement("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    a.className = cls || "v";
    a.textContent = value;
    return a;
  }

  // -- what an object is ----------------------------------------------------------------------
  var OBJECT_KINDS = D.object_kinds || { text: [], source: [] };
  var TEXT_KIND = new Set(OBJECT_KINDS.text || []);
  var SOURCE_KIND = new Set(OBJECT_KINDS.source || []);
  var VERB = { repost: "reposted", quote: "quoted", reply: "replied to" };
  var SHOW_CHARS = 240;
  function cutText(t) { return t.length > SHOW_CHARS ? t.slice(0, SHOW_CHARS - 1) + "…" : t; }
  // A text as it was posted: cut to SHOW_CHARS characters, whole on hover and behind "more".
  function longText(text, cls) {
    var full = String(text);
    var el = h("span", { class: cls || "objtext" });
    if (full.length <= SHOW_CHARS) { el.textContent = full; return el; }
    el.title = full;
    var body = h("span", { text: cutText(full) });
    var more = h("button", { class: "link small more", text: "more", title: "show the whole text" });
    more.addEventListener("click", function (ev) {
      ev.stopPropagation();
      var opening = more.textContent === "more";
      body.textContent = opening ? full : cutText(full);
      more.textContent = opening ? "less" : "more";
    });
    add(el, [body, " ", more]);
    return el;
  }
  function postLink(id, link) {
    var label = "post " + (id === null || id === undefined ? "" : String(id));
    var href = safeHref(link);
    if (!href) return h("span", { class: "postref mono", text: label });
    var a = document.createElement("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    a.className = "postref mono";
    a.textContent = label;
    return a;
  }
  // An object as the source shows it: a shared text as its text (never only its digest), a
  // referenced post as "reposted author: “text” (post id ↗)", a link as a link. The object id
  // is in data-id and on hover.
  function objectView(kind, id, text, author, link) {
    var box = h("span", { class: "obj", title: id === null || id === undefined ? null : "object: " + id });
    box.dataset.id = id === null || id === undefined ? "" : String(id);
    if (text !== null && text !== undefined) text = String(text).trim();  // as posted, but no padding
    if (TEXT_KIND.has(kind) && text !== null && text !== undefined) {
      add(box, ["“", longText(text), "”"]);
    } else if (SOURCE_KIND.has(kind)) {
      add(box, h("span", { class: "verb", text: VERB[kind] || kind }));
      if (author !== null && author !== undefined) add(box, [" ", h("span", { class: "author v", text: String(author) })]);
      if (text !== null && text !== undefined) add(box, [": “", longText(text), "”"]);
      add(box, [" (", postLink(id, link), ")"]);
    } else {
      add(box, linkOrText(id));
    }
    return box;
  }

  // -- data access ----------------------------------------------------------------------------
  function gcol(name) { return G.data[name] || null; }
  function gtype(name) {
    for (var i = 0; i < G.columns.length; i++) if (G.columns[i].name === name) return G.columns[i].type;
    return "str";
  }
  var groupIds = gcol("group_id") || [];
  var rankOfGroupId = new Map();
  groupIds.forEach(function (g, r) { rankOfGroupId.set(String(g), r); });
  function groupLabel(r) { return "group " + (groupIds[r] === undefined ? r + 1 : groupIds[r]); }
  function groupColour(r) { return r === null || r < 0 ? FADED : PALETTE[r % PALETTE.length]; }

  var accountIndex = new Map();
  A.id.forEach(function (id, i) { accountIndex.set(id, i); });
  // an account as the page names it: its name (handle) when the input gave one, else its id
  var NAMES = (A.data && A.data.account_name) || null;
  function accLabel(i) {
    var n = NAMES ? NAMES[i] : null;
    return n === null || n === undefined || n === "" ? String(A.id[i]) : String(n);
  }
  function accTitle(i) { var l = accLabel(i); return l === String(A.id[i]) ? l : l + " (" + A.id[i] + ")"; }
  function accLabelOf(id) { return accountIndex.has(id) ? accLabel(accountIndex.get(id)) : id; }
  var nodeOf = new Map();
  N.account.forEach(function (acc, k) { nodeOf.set(acc, k); });
  var accountsOfRank = null;
  function membersOf(r) {
    if (!accountsOfRank) {
      accountsOfRank = new Map();
      for (var i = 0; i < nAccounts; i++) {
        var rr = A.rank[i];
        if (!accountsOfRank.has(rr)) accountsOfRank.set(rr, []);
        accountsOfRank.get(rr).push(i);
      }
    }
    return accountsOfRank.get(r) || [];
  }
  var edgesOfRank = null;
  var edgesOfAccount = null;
  function indexEdges() {
    if (edgesOfRank) return;
    edgesOfRank = new Map();
    edgesOfAccount = new Map();
    for (var j = 0; j < nEdges; j++) {
      var r = E.rank[j];
      if (!edgesOfRank.has(r)) edgesOfRank.set(r, []);
      edgesOfRank.get(r).push(j);
      [E.a[j], E.b[j]].forEach(function (acc) {
        if (!edgesOfAccount.has(acc)) edgesOfAccount.set(acc, []);
        edgesOfAccount.get(acc).push(j);
      });
    }
  }
  var edgeByPair = null;
  function findEdge(a, b) {
    if (!edgeByPair) {
      edgeByPair = new Map();
      for (var j = 0; j < nEdges; j++) edgeByPair.set(E.a[j] + "," + E.b[j], j);
    }
    var j2 = edgeByPair.get(a + "," + b);
    if (j2 === undefined) j2 = edgeByPair.get(b + "," + a);
    return j2 === undefined ? null : j2;
  }
  function acol(name) { return A.data[name] || null; }
  function ecol(name) { return E.data[name] || null; }
  function vcol(name) { return V.data[name] || null; }

  // -- lazy, sortable, paginated table -------------------------------------------------------
  function LazyTable(o) {
    var rows = o.rows;
    var order = rows.slice();
    var page = 0;
    var pageSize = o.pageSize || 50;
    var sortCol = o.sort ? o.sort[0] : null;
    var sortDir = o.sort ? o.sort[1] : 1;
    var selected = null;
    var root = h("div", { class: "lt-root" });
    var info = h("span", { class: "muted small" });
    var pager = h("div", { class: "pager" });
    var bar = h("div", { class: "lt-bar" });
    var left = h("div", { class: "controls" });
    if (o.filter) {
      var input = h("input", { type: "search", placeholder: o.filterPlaceholder || "Filter" });
      input.setAttribute("aria-label", o.filterPlaceholder || "Filter");
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { applyFilter(input.value); }, 150);
      });
      left.appendChild(input);
    }
    left.appendChild(info);
    var sizeSel = h("select");
    sizeSel.setAttribute("aria-label", "Rows per page");
    [25, 50, 100, 500].forEach(function (n) {
      var opt = h("option", { value: String(n), text: n + " per page" });
      if (n === pageSize) opt.selected = true;
      sizeSel.appendChild(opt);
    });
    sizeSel.addEventListener("change", function () { pageSize = +sizeSel.value; page = 0; render(); });
    add(bar, [left, h("div", { class: "controls" }, sizeSel, pager)]);
    var thead = h("thead");
    var tbody = h("tbody");
    var headRow = h("tr");
    o.columns.forEach(function (c, ci) {
      var th = h("th", { class: (c.num ? "num " : "") + (c.headClass || ""), text: c.label, title: c.title || "" });
      if (c.sort !== false) th.addEventListener("click", function () { sortBy(ci); });
      headRow.appendChild(th);
    });
    thead.appendChild(headRow);
    var table = h("table", { class: "lt" + (o.tableClass ? " " + o.tableClass : "") }, thead, tbody);
    add(root, [bar, h("div", { class: "lt-wrap" }, table)]);

    function compare(x, y) {
      if (x === y) return 0;
      if (x === null || x === undefined || x === "") return 1;
      if (y === null || y === undefined || y === "") return -1;
      return x < y ? -sortDir : sortDir;
    }
    function applySort() {
      if (sortCol === null) return;
      var get = o.columns[sortCol].value;
      if (!get) return;
      var keys = new Map();
      order.forEach(function (i) { keys.set(i, get(i)); });
      order.sort(function (a, b) {
        var c = compare(keys.get(a), keys.get(b));
        return c !== 0 ? c : a - b;
      });
    }
    function sortBy(ci) {
      if (sortCol === ci) sortDir = -sortDir;
      else { sortCol = ci; sortDir = o.columns[ci].num ? -1 : 1; }
      applySort();
      page = 0;
      render();
    }
    function applyFilter(q) {
      q = (q || "").trim().toLowerCase();
      order = q ? rows.filter(function (i) { return o.filter(i, q); }) : rows.slice();
      applySort();
      page = 0;
      render();
    }
    function render() {
      var pages = Math.max(1, Math.ceil(order.length / pageSize));
      if (page >= pages) page = pages - 1;
      clear(tbody);
      var start = page * pageSize;
      var end = Math.min(order.length, start + pageSize);
      for (var p = start; p < end; p++) {
        var i = order[p];
        var tr = h("tr", { data: { row: i } });
        if (o.onClick) {
          tr.className = "clickable";
          tr.tabIndex = 0;
          tr.addEventListener("click", onRowClick.bind(null, i));
          tr.addEventListener("keydown", onRowKey.bind(null, i));
        }
        if (i === selected) tr.classList.add("selected");
        o.columns.forEach(function (c) {
          var td = h("td", { class: (c.num ? "num " : "") + (c.cls || "") });
          add(td, c.cell(i));
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      }
      if (!order.length) {
        tbody.appendChild(h("tr", {}, h("td", { colSpan: o.columns.length, class: "muted", text: o.empty || "Nothing to show." })));
      }
      Array.prototype.forEach.call(headRow.children, function (th, ci) {
        th.classList.remove("sorted-asc", "sorted-desc");
        if (ci === sortCol) th.classList.add(sortDir > 0 ? "sorted-asc" : "sorted-desc");
      });
      info.textContent = order.length === rows.length ? plural(rows.length, o.noun || "row") :
        INT.format(order.length) + " of " + plural(rows.length, o.noun || "row");
      clear(pager);
      var prev = h("button", { text: "‹ prev", disabled: page === 0, onclick: function () { page--; render(); } });
      var next = h("button", { text: "next ›", disabled: page >= pages - 1, onclick: function () { page++; render(); } });
      add(pager, [h("button", { text: "«", title: "first page", disabled: page === 0, onclick: function () { page = 0; render(); } }),
        prev, h("span", { text: "page " + INT.format(page + 1) + " of " + INT.format(pages) }), next,
        h("button", { text: "»", title: "last page", disabled: page >= pages - 1, onclick: function () { page = pages - 1; render(); } })]);
    }
    function onRowClick(i) { o.onClick(i); }
    function onRowKey(i, ev) { if (ev.key === "Enter") o.onClick(i); }
    applySort();
    render();
    return {
      el: root,
      select: function (i) {
        selected = i;
        var p = order.indexOf(i);
        if (p >= 0) page = Math.floor(p / pageSize);
        render();
      },
    };
  }

  // -- charts ---------------------------------------------------------------------------------
  var STEPS = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400,
    7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400];
  function binName(b) {
    if (b < 3600) return b === 60 ? "minute" : (b / 60) + " minutes";
    if (b < 86400) return b === 3600 ? "hour" : (b / 3600) + " hours";
    return b === 86400 ? "day" : b === 7 * 86400 ? "week" : (b / 86400) + " days";
  }
  function tickLabel(t, step) {
    var full = fmtTime(t);
    if (step >= 86400) return full.slice(0, 10);
    if (step >= 3600) return full.slice(5, 16);
    return full.slice(11, 16);
  }
  function niceMax(v) {
    if (v <= 2) return Math.max(1, v);
    if (v <= 10) return v % 2 ? v + 1 : v;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = [1, 2, 4, 5, 10].find(function (k) { return k * p >= v; });
    return m * p;
  }
  function yTicks(max) { return max % 2 ? [0, 1] : [0, 0.5, 1]; }
  function timeTicks(t0, t1) {
    var span = Math.max(1, t1 - t0);
    var step = STEPS.find(function (st) { return span / st <= 8; }) || STEPS[STEPS.length - 1];
    var first = Math.ceil(t0 / step) * step;
    var ticks = [];
    for (var t = first; t <= t1; t += step) ticks.push(t);
    return { step: step, ticks: ticks };
  }
  function timeBars(tl, o) {
    o = o || {};
    var W = o.width || 900, H = o.height || 190, ml = 44, mr = 10, mt = 10, mb = 30;
    var n = tl.counts.length;
    var t1 = tl.t0 + n * tl.bin;
    var max = niceMax(Math.max.apply(null, tl.counts.concat([1])));
    var pw = W - ml - mr, ph = H - mt - mb;
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img" });
    svg.appendChild(s("title", {}, o.title || "Coordinated posts over time"));
    yTicks(max).forEach(function (f) {
      var y = mt + ph - f * ph;
      svg.appendChild(s("line", { x1: ml, x2: W - mr, y1: y, y2: y, class: "grid" }));
      svg.appendChild(s("text", { x: ml - 6, y: y + 4, "text-anchor": "end" }, fmtNum(Math.round(max * f))));
    });
    var bw = pw / n;
    var colour = o.colour || PALETTE[0];
    tl.counts.forEach(function (c, i) {
      if (!c) return;
      var bh = (c / max) * ph;
      var r = s("rect", { x: ml + i * bw + (bw > 3 ? 0.5 : 0), y: mt + ph - bh, width: Math.max(0.8, bw - (bw > 3 ? 1 : 0)), height: Math.max(1, bh), class: "bar", fill: colour });
      r.appendChild(s("title", {}, plural(c, "post") + " in the " + binName(tl.bin) + " from " + fmtTime(tl.t0 + i * tl.bin) + " UTC"));
      svg.appendChild(r);
    });
    svg.appendChild(s("line", { x1: ml, x2: W - mr, y1: mt + ph, y2: mt + ph, class: "axis" }));
    var tt = timeTicks(tl.t0, t1);
    tt.ticks.forEach(function (t) {
      var x = ml + ((t - tl.t0) / (t1 - tl.t0)) * pw;
      svg.appendChild(s("line", { x1: x, x2: x, y1: mt + ph, y2: mt + ph + 4, class: "axis" }));
      svg.appendChild(s("text", { x: x, y: H - 10, "text-anchor": "middle" }, tickLabel(t, tt.step)));
    });
    return svg;
  }
  function hourBars(hours, colour) {
    var W = 300, H = 190, ml = 36, mr = 6, mt = 10, mb = 30;
    var max = niceMax(Math.max.apply(null, hours.concat([1])));
    var pw = W - ml - mr, ph = H - mt - mb, bw = pw / 24;
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img" });
    svg.appendChild(s("title", {}, "Coordinated posts by hour of the day (UTC)"));
    yTicks(max).forEach(function (f) {
      var y = mt + ph - f * ph;
      svg.appendChild(s("line", { x1: ml, x2: W - mr, y1: y, y2: y, class: "grid" }));
      svg.appendChild(s("text", { x: ml - 5, y: y + 4, "text-anchor": "end" }, fmtNum(Math.round(max * f))));
    });
    hours.forEach(function (c, i) {
      var bh = (c / max) * ph;
      var r = s("rect", { x: ml + i * bw + 0.5, y: mt + ph - bh, width: bw - 1, height: c ? Math.max(1, bh) : 0, class: "bar", fill: colour || PALETTE[0] });
      r.appendChild(s("title", {}, pad(i) + ":00–" + pad(i) + ":59 UTC: " + plural(c, "post")));
      svg.appendChild(r);
    });
    svg.appendChild(s("line", { x1: ml, x2: W - mr, y1: mt + ph, y2: mt + ph, class: "axis" }));
    [0, 6, 12, 18, 23].forEach(function (hh) {
      svg.appendChild(s("text", { x: ml + (hh + 0.5) * bw, y: H - 10, "text-anchor": "middle" }, pad(hh) + "h"));
    });
    return svg;
  }
  function laneChart(L) {
    var n = L.ranks.length;
    var bins = L.counts.length ? L.counts[0].length : 0;
    var W = 1000, lh = 22, ml = 150, mr = 10, mt = 6, mb = 30;
    var H = mt + n * lh + mb;
    var pw = W - ml - mr;
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img" });
    svg.appendChild(s("title", {}, "Coordinated posts over time, top groups"));
    var bw = pw / Math.max(1, bins);
    L.ranks.forEach(function (r, li) {
      var y = mt + li * lh;
      var counts = L.counts[li];
      var mx = Math.max.apply(null, counts.concat([1]));
      svg.appendChild(s("line", { x1: ml, x2: W - mr, y1: y + lh - 1, y2: y + lh - 1, class: "grid" }));
      var label = s("text", { x: ml - 8, y: y + lh / 2 + 4, "text-anchor": "end", class: "lane-label" },
        groupLabel(r) + " (" + INT.format(membersOf(r).length || (gcol("size") || [])[r] || 0) + ")");
      label.addEventListener("click", function () { selectGroup(r, { scroll: false }); });
      svg.appendChild(label);
      counts.forEach(function (c, i) {
        if (!c) return;
        var bh = Math.max(1.5, (c / mx) * (lh - 4));
        var rect = s("rect", { x: ml + i * bw, y: y + lh - 1 - bh, width: Math.max(0.8, bw - (bw > 3 ? 0.6 : 0)), height: bh, fill: groupColour(r) });
        rect.appendChild(s("title", {}, groupLabel(r) + ", " + fmtTime(L.t0 + i * L.bin) + " UTC: " + plural(c, "post")));
        svg.appendChild(rect);
      });
    });
    var t1 = L.t0 + bins * L.bin;
    var tt = timeTicks(L.t0, t1);
    var yb = mt + n * lh;
    svg.appendChild(s("line", { x1: ml, x2: W - mr, y1: yb, y2: yb, class: "axis" }));
    tt.ticks.forEach(function (t) {
      var x = ml + ((t - L.t0) / (t1 - L.t0)) * pw;
      svg.appendChild(s("line", { x1: x, x2: x, y1: yb, y2: yb + 4, class: "axis" }));
      svg.appendChild(s("text", { x: x, y: H - 10, "text-anchor": "middle" }, tickLabel(t, tt.step)));
    });
    return svg;
  }

  // -- overview extras ------------------------------------------------------------------------
  function renderOverviewTimeline() {
    var tl = D.all_timeline;
    var box = byId("overview-timeline");
    if (!tl) return;
    box.hidden = false;
    add(box, [h("div", { class: "chart-title", text: "Coordinated posts per " + binName(tl.bin) + ", all groups (UTC)" }),
      timeBars(tl, { height: 150, title: "Coordinated posts over time, all groups" })]);
  }

  // -- network --------------------------------------------------------------------------------
  var renderer = null, graph = null;
  function webglAvailable() {
    try {
      var c = document.createElement("canvas");
      return !!(c.getContext("webgl2") || c.getContext("webgl"));
    } catch (e) { return false; }
  }
  function nodeColour(acc) {
    if (state.colourBy === "component") {
      var com = acol("component_id");
      var c = com ? com[acc] : null;
      return c === null || c === undefined ? FADED : PALETTE[((c % PALETTE.length) + PALETTE.length) % PALETTE.length];
    }
    return groupColour(A.rank[acc]);
  }
  // A colour mixed with white (opaque: reads better than transparency on WebGL).
  function tint(hex, keep) {
    var n = parseInt(hex.slice(1), 16);
    var mix = function (c) { return Math.round(255 - (255 - c) * keep); };
    return "rgb(" + mix((n >> 16) & 255) + "," + mix((n >> 8) & 255) + "," + mix(n & 255) + ")";
  }
  function buildNetwork() {
    var box = byId("net-canvas");
    if (!N.account.length) {
      box.appendChild(h("div", { class: "empty", text: nGroups ? "No account of the listed groups could be drawn." : "No coordinated groups were found with these parameters: there is no network to draw." }));
      return;
    }
    if (!window.InconcertGraph || !webglAvailable()) {
      box.appendChild(h("div", { class: "empty", text: "This browser cannot draw WebGL, so the interactive network is not shown. network.png / network.svg beside this report show it, network.gexf opens in Gephi, and the tables below work as usual." }));
      return;
    }
    var lib = window.InconcertGraph;
    graph = new lib.Graph({ type: "undirected", multi: false, allowSelfLoops: false });
    var strength = acol("strength") || acol("degree");
    var maxS = 1;
    N.account.forEach(function (acc) { if (strength && strength[acc] > maxS) maxS = strength[acc]; });
    var big = N.account.length > 3000;
    // dots shrink as the drawing fills up, so that 10,000 accounts stay apart
    var scale = Math.max(0.3, Math.min(1, Math.sqrt(800 / N.account.length)));
    N.account.forEach(function (acc, k) {
      var st = strength ? (strength[acc] || 0) : 1;
      graph.addNode(String(acc), {
        x: N.x[k], y: N.y[k], label: accLabel(acc),
        size: (2.5 + 8 * Math.sqrt(st / maxS)) * scale,
        color: nodeColour(acc),
      });
    });
    var maxW = 1;
    for (var j = 0; j < nEdges; j++) if (E.weight[j] > maxW) maxW = E.weight[j];
    for (var j2 = 0; j2 < nEdges; j2++) {
      var a = String(E.a[j2]), b = String(E.b[j2]);
      if (!graph.hasNode(a) || !graph.hasNode(b) || graph.hasEdge(a, b)) continue;
      graph.addEdgeWithKey(String(j2), a, b, {
        size: 0.4 + 3.6 * Math.sqrt(E.weight[j2] / maxW),
        color: tint(groupColour(E.rank[j2]), 0.35),
      });
    }
    try {
      renderer = new lib.Sigma(graph, box, {
        enableEdgeEvents: true,
        renderEdgeLabels: false,
        labelRenderedSizeThreshold: big ? 12 : 7,
        labelDensity: 0.6,
        labelFont: "system-ui, 'DejaVu Sans', sans-serif",
        labelSize: 12,
        zIndex: true,
        minCameraRatio: 0.005,
        maxCameraRatio: 4,
        hideEdgesOnMove: N.account.length > 5000,
        nodeReducer: nodeReducer,
        edgeReducer: edgeReducer,
      });
    } catch (err) {
      clear(box).appendChild(h("div", { class: "empty", text: "The network could not be drawn here (" + String(err && err.message || err) + "). The tables below work as usual." }));
      renderer = null;
      return;
    }
    renderer.on("clickNode", function (e) { selectAccount(+e.node, { focus: false }); });
    renderer.on("clickEdge", function (e) { selectEdge(+e.edge, { scroll: false }); });
    renderer.on("clickStage", function () {
      if (state.account !== null || state.edge !== null) { state.account = null; state.edge = null; refreshGraph(); renderSide(); }
    });
    renderer.on("enterNode", function (e) { state.hover = +e.node; refreshGraph(); box.style.cursor = "pointer"; });
    renderer.on("leaveNode", function () { state.hover = null; refreshGraph(); box.style.cursor = ""; });
    renderer.on("enterEdge", function () { box.style.cursor = "pointer"; });
    renderer.on("leaveEdge", function () { box.style.cursor = ""; });
    window.inconcert.renderer = renderer;
    window.inconcert.graph = graph;
  }
  function neighbourSet(acc) {
    indexEdges();
    var set = new Set([acc]);
    (edgesOfAccount.get(acc) || []).forEach(function (j) { set.add(E.a[j]); set.add(E.b[j]); });
    return set;
  }
  var focusSet = null, focusAcc = null;
  function computeFocus() {
    // an explicit selection wins over hovering (the pointer may rest where the camera left it)
    focusAcc = state.account !== null ? state.account : state.edge === null ? state.hover : null;
    focusSet = focusAcc !== null ? neighbourSet(focusAcc) : null;
  }
  function nodeReducer(key, attr) {
    var acc = +key;
    var res = Object.assign({}, attr);
    res.color = nodeColour(acc);
    var inGroup = state.group === null || A.rank[acc] === state.group;
    if (focusSet) {
      if (!focusSet.has(acc)) { res.color = FADED; res.label = ""; res.zIndex = 0; }
      else { res.zIndex = 2; res.forceLabel = true; }
    } else if (!inGroup) { res.color = FADED; res.label = ""; res.zIndex = 0; }
    else if (state.group !== null) { res.zIndex = 1; }
    if (acc === state.account) { res.highlighted = true; res.forceLabel = true; res.zIndex = 3; }
    if (state.edge !== null && (E.a[state.edge] === acc || E.b[state.edge] === acc)) { res.highlighted = true; res.forceLabel = true; res.zIndex = 3; res.color = nodeColour(acc); }
    return res;
  }
  function edgeReducer(key, attr) {
    var j = +key;
    var res = Object.assign({}, attr);
    if (j === state.edge) { res.color = "#111827"; res.size = Math.max(2.5, attr.size * 1.6); res.zIndex = 3; return res; }
    if (focusSet) {
      if (E.a[j] !== focusAcc && E.b[j] !== focusAcc) { res.color = "#eef0f3"; res.zIndex = 0; }
      else { res.color = tint(groupColour(E.rank[j]), 0.75); res.zIndex = 2; }
    } else if (state.group !== null && E.rank[j] !== state.group) { res.color = "#eef0f3"; res.zIndex = 0; }
    return res;
  }
  function refreshGraph() {
    computeFocus();
    if (renderer) renderer.refresh({ skipIndexation: true });
  }
  function focusNodes(accs, minRatio) {
    if (!renderer || !accs.length) return;
    var xs = [], ys = [];
    accs.forEach(function (acc) {
      if (!graph.hasNode(String(acc))) return;
      var d = renderer.getNodeDisplayData(String(acc));
      if (d) { xs.push(d.x); ys.push(d.y); }
    });
    if (!xs.length) return;
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var ratio = Math.max(x1 - x0, y1 - y0) * 1.3;
    ratio = Math.min(1.1, Math.max(minRatio || 0.04, ratio));
    renderer.getCamera().animate({ x: (x0 + x1) / 2, y: (y0 + y1) / 2, ratio: ratio }, { duration: 500 });
  }

  // side panel: search, legend, selection
  var sideSel = h("div", { id: "net-selection" });
  function buildSide() {
    var side = byId("net-side");
    var input = h("input", { type: "search", placeholder: NAMES ? "account id or name" : "account id", id: "account-search" });
    input.setAttribute("aria-label", NAMES ? "Search an account id or name" : "Search an account id");
    var matches = h("div", { class: "matches", id: "account-matches" });
    function search() {
      clear(matches);
      var q = input.value;
      if (!q) return;
      if (accountIndex.has(q)) { selectAccount(accountIndex.get(q), { focus: true }); return; }
      var ql = q.trim().toLowerCase();
      var found = [];
      for (var i = 0; i < nAccounts && found.length < 20; i++) {
        if (String(A.id[i]).toLowerCase().indexOf(ql) >= 0 || (NAMES && accLabel(i).toLowerCase().indexOf(ql) >= 0)) found.push(i);
      }
      if (!found.length) { matches.appendChild(h("span", { class: "muted small", text: "No account matches." })); return; }
      if (found.length === 1) { selectAccount(found[0], { focus: true }); return; }
      found.forEach(function (i) { matches.appendChild(h("button", { class: "chip", text: accLabel(i), title: accTitle(i), onclick: function () { selectAccount(i, { focus: true }); } })); });
    }
    input.addEventListener("keydown", function (ev) { if (ev.key === "Enter") search(); });
    var findBtn = h("button", { text: "Find", onclick: search });
    var colourSel = h("select", { id: "colour-by" });
    colourSel.setAttribute("aria-label", "Colour nodes by");
    [["group", "colour by group"], ["component", "colour by component"]].forEach(function (o) { colourSel.appendChild(h("option", { value: o[0], text: o[1] })); });
    colourSel.addEventListener("change", function () { state.colourBy = colourSel.value; refreshGraph(); });
    var reset = h("button", { text: "Show all", onclick: function () { state.group = null; state.account = null; state.edge = null; refreshGraph(); if (renderer) renderer.getCamera().animate({ x: 0.5, y: 0.5, ratio: 1 }, { duration: 400 }); renderSide(); writeHash(); } });
    var legend = h("div", { class: "legend" });
    var drawn = D.drawn_groups || 0;
    for (var r = 0; r < Math.min(drawn, 12); r++) {
      (function (rank) {
        legend.appendChild(h("button", { onclick: function () { selectGroup(rank, { scroll: false }); } },
          h("span", { class: "sw", style: null }), groupLabel(rank) + " · " + plural(membersOf(rank).length, "account")));
        legend.lastChild.firstChild.style.background = groupColour(rank);
      })(r);
    }
    if (!drawn) legend.appendChild(h("span", { class: "muted small", text: "none" }));
    if (drawn > 12) legend.appendChild(h("span", { class: "muted small", text: "… and " + INT.format(drawn - 12) + " more groups drawn (colours repeat)" }));
    add(side, [h("h3", { text: "Find an account" }), h("div", { class: "searchrow" }, input, findBtn), matches,
      h("div", { class: "controls" }, colourSel, reset),
      h("h3", { text: "Selection" }), sideSel,
      h("h3", { text: "Groups drawn" }), legend]);
    renderSide();
  }
  function facts(pairs) {
    var box = h("div", { class: "facts" });
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") return;
      var long = String(p[1]).length > 48;
      box.appendChild(h("div", { class: long ? "wide" : null }, h("span", { class: "k", text: p[0] }), h("span", { class: "val", text: long && String(p[1]).length > 1500 ? String(p[1]).slice(0, 1499) + "…" : p[1] })));
    });
    return box;
  }
  function edgeListTable(js, noun) {
    var wt = ecol("weight");
    var cols = [
      { label: "account A", cls: "mono clip", value: function (j) { return accLabel(E.a[j]); }, cell: function (j) { return h("span", { class: "v", text: accLabel(E.a[j]), title: accTitle(E.a[j]) }); } },
      { label: "account B", cls: "mono clip", value: function (j) { return accLabel(E.b[j]); }, cell: function (j) { return h("span", { class: "v", text: accLabel(E.b[j]), title: accTitle(E.b[j]) }); } },
    ];
    [["weight", "weight"], ["coactions", "co-actions"], ["objects", "objects"], ["mean_dt_s", "mean Δt (s)"], ["avg_time_delta", "avg Δt (s)"], ["n_content_id", "posts A"], ["n_content_id_y", "posts B"], ["days", "days"], ["first_time", "first (UTC)"]].forEach(function (c) {
      var col = ecol(c[0]);
      if (!col) return;
      var type = (E.columns.find(function (x) { return x.name === c[0]; }) || {}).type;
      cols.push({ label: c[1], num: type !== "time", cls: type === "time" ? "nowrap small" : "", value: function (j) { return col[j]; }, cell: function (j) { return fmt(col[j], type); } });
    });
    cols.push({ label: "shown", num: true, title: "co-actions embedded in this report", value: function (j) { return E.ev_shown[j]; }, cell: function (j) { return INT.format(E.ev_shown[j] || 0); } });
    return LazyTable({ rows: js, columns: cols, pageSize: 25, noun: noun || "edge",
      sort: wt ? [2, -1] : null, onClick: function (j) { selectEdge(j, { scroll: true }); },
      filter: function (j, q) { return [E.a[j], E.b[j]].some(function (x) { return String(A.id[x]).toLowerCase().indexOf(q) >= 0 || accLabel(x).toLowerCase().indexOf(q) >= 0; }); },
      filterPlaceholder: "filter by account" });
  }
  function renderSide() {
    clear(sideSel);
    if (state.edge !== null) {
      var j = state.edge;
      add(sideSel, [h("div", { class: "panel-title" }, "Edge"),
        h("div", { class: "chips" }, accChip(E.a[j]), " — ", accChip(E.b[j])),
        facts([["group", groupLabel(E.rank[j])], ["weight", fmtNum(E.weight[j])], ["co-actions shown", INT.format(E.ev_shown[j] || 0) + " of " + INT.format(E.ev_total[j] || 0)]]),
        h("button", { text: "See every co-action ↓", onclick: function () { byId("evidence").scrollIntoView({ behavior: "smooth" }); } })]);
      return;
    }
    if (state.account !== null) {
      var acc = state.account;
      var drawnNote = nodeOf.has(acc) ? null : h("p", { class: "muted small", text: "This account's group is not drawn in the network (beyond the drawn groups); its row is below." });
      indexEdges();
      var js = (edgesOfAccount.get(acc) || []).slice().sort(function (x, y) { return E.weight[y] - E.weight[x]; });
      var list = h("div", { class: "matches" });
      js.slice(0, 30).forEach(function (jj) {
        var other = E.a[jj] === acc ? E.b[jj] : E.a[jj];
        list.appendChild(h("button", { class: "link small", onclick: function () { selectEdge(jj, { scroll: false }); } },
          h("span", { class: "v mono", text: accLabel(other), title: accTitle(other) }), " · weight " + fmtNum(E.weight[jj])));
      });
      var pairs = [["group", groupLabel(A.rank[acc])]];
      A.columns.forEach(function (c) {
        if (c.name === "group_id") return;
        pairs.push([label(c.name), fmt(A.data[c.name][acc], c.type)]);
      });
      add(sideSel, [h("div", { class: "panel-title" }, h("span", { class: "v mono", text: accTitle(acc) })),
        drawnNote, facts(pairs),
        h("button", { text: "Open " + groupLabel(A.rank[acc]), onclick: function () { selectGroup(A.rank[acc], { scroll: true }); } }),
        js.length ? h("h3", { text: "Strongest edges" }) : null, list]);
      return;
    }
    if (state.group !== null) {
      add(sideSel, [h("div", { class: "panel-title", text: groupLabel(state.group) }),
        h("p", { class: "small muted", text: plural(membersOf(state.group).length, "account") + " highlighted. Click an account or edge for details." }),
        h("button", { text: "Group details ↓", onclick: function () { byId("group-detail").scrollIntoView({ behavior: "smooth" }); } })]);
      return;
    }
    sideSel.appendChild(h("p", { class: "muted small", text: "Click an account or an edge in the network, or a group below." }));
  }
  function accChip(acc) {
    return h("button", { class: "chip", text: accLabel(acc), title: accTitle(acc), onclick: function () { selectAccount(acc, { focus: true }); } });
  }

  // -- groups ---------------------------------------------------------------------------------
  var GROUP_COLUMNS = [["group_id", "group"], ["size", "accounts"], ["edges", "edges"], ["density", "density"],
    ["weight", "weight"], ["coactions", "co-actions"], ["kinds", "kinds of coordination"], ["median_dt_s", "median Δt (s)"],
    ["span_hours", "span (h)"], ["first_time", "first (UTC)"], ["top_objects", "top shared objects"]];
  var groupTable = null;
  function buildGroups() {
    var box = byId("groups-table");
    if (!nGroups) {
      box.appendChild(h("p", { class: "muted", text: "No coordinated groups were found with these parameters." }));
      return;
    }
    var rows = [];
    for (var r = 0; r < nGroups; r++) rows.push(r);
    var cols = [{ label: "#", num: true, cls: "nowrap", value: function (r) { return r; }, cell: function (r) { return h("span", {}, h("span", { class: "sw" }), " " + (r + 1)); } }];
    GROUP_COLUMNS.forEach(function (c) {
      var col = gcol(c[0]);
      if (!col) return;
      var type = gtype(c[0]);
      var isNum = type === "int" || type === "float";
      cols.push({
        label: c[1], num: isNum, cls: c[0] === "top_objects" ? "clip small" : (c[0] === "kinds" ? "small" : ""),
        value: function (r) { return col[r]; },
        cell: function (r) {
          var v = col[r];
          if (c[0] === "top_objects" && typeof v === "string" && v.length > 180) v = v.slice(0, 179) + "…";
          return h("span", { class: "v", text: fmt(v, type) });
        },
      });
    });
    var members = gcol("members");
    var memberText = new Map();
    function membersLower(r) {
      if (members) return String(members[r] || "").toLowerCase();
      if (!memberText.has(r)) memberText.set(r, membersOf(r).map(function (acc) { return String(A.id[acc]) + "\n" + accLabel(acc); }).join("\n").toLowerCase());
      return memberText.get(r);
    }
    var kinds = gcol("kinds");
    var tops = gcol("top_objects");
    groupTable = LazyTable({
      rows: rows, columns: cols, pageSize: 25, noun: "group", onClick: function (r) { selectGroup(r, { scroll: true }); },
      filterPlaceholder: "filter: account, object, kind, group",
      filter: function (r, q) {
        return String(groupIds[r]) === q || membersLower(r).indexOf(q) >= 0 ||
          (kinds && String(kinds[r] || "").toLowerCase().indexOf(q) >= 0) || (tops && String(tops[r] || "").toLowerCase().indexOf(q) >= 0);
      },
    });
    box.appendChild(groupTable.el);
    colourSwatches(box);
  }
  function colourSwatches(box) {
    // the swatch in the rank cell takes the group's colour
    var obs = new MutationObserver(paint);
    function paint() {
      box.querySelectorAll("tbody tr").forEach(function (tr) {
        var r = +tr.dataset.row;
        var sw = tr.querySelector(".sw");
        if (sw && !isNaN(r)) sw.style.background = r < (D.drawn_groups || 0) ? groupColour(r) : FADED;
      });
    }
    obs.observe(box, { childList: true, subtree: true });
    paint();
  }
  function renderGroupDetail(r) {
    var box = clear(byId("group-detail"));
    var det = DETAILS[String(r)] || {};
    var pairs = [["rank", INT.format(r + 1) + " of " + INT.format(nGroups)]];
    G.columns.forEach(function (c) {
      if (c.name === "top_objects" || c.name === "members" || c.name === "group_id") return;
      pairs.push([label(c.name), fmt(G.data[c.name][r], c.type)]);
    });
    var ev = groupEvidence(r);
    var dl = h("button", { class: "download", id: "group-download", text: "Download evidence (CSV)",
      title: "this group's co-actions embedded in this report, as a CSV file", disabled: !ev.rows.length,
      onclick: function () { downloadText(csvFileName(r), groupCsv(r)); } });
    var head = h("div", { class: "edge-head" }, h("span", { class: "sw" }), h("h2", { text: groupLabel(r) }),
      h("button", { text: "Show in network ↑", onclick: function () { selectGroup(r, { scroll: false }); byId("network").scrollIntoView({ behavior: "smooth" }); } }),
      h("button", { text: "Timeline ↓", onclick: function () { byId("timeline").scrollIntoView({ behavior: "smooth" }); } }), dl);
    head.firstChild.style.background = groupColour(r);
    add(box, [head, facts(pairs)]);
    var inGroup = gcol("coactions") ? gcol("coactions")[r] : ev.total;
    if (!ev.rows.length) {
      box.appendChild(h("div", { class: "warnline small", id: "group-download-note", text: "This group's co-actions are not embedded in this report (it is not drawn); evidence.parquet has them (group_id " + String(groupIds[r]) + ")." }));
    } else if (typeof inGroup === "number" && ev.rows.length < inGroup) {
      box.appendChild(h("div", { class: "warnline small", id: "group-download-note", text: "The CSV holds the " + INT.format(ev.rows.length) + " of this group's " + INT.format(inGroup) + " co-actions embedded in this report; evidence.parquet has all of them (group_id " + String(groupIds[r]) + ")." }));
    }

    var left = h("div");
    var right = h("div");
    // top shared objects
    left.appendChild(h("h3", { text: "Top shared objects" }));
    if (det.top_objects && det.top_objects.length) {
      var ol = h("ol", { class: "objects" });
      det.top_objects.forEach(function (t) {
        ol.appendChild(h("li", {}, h("span", { class: "kindtag", text: t[0] }), objectView(t[0], str(t[1]), str(t[3]), t[4], t[5]), h("span", { class: "count", text: "(" + plural(t[2], "co-action") + ")" })));
      });
      left.appendChild(ol);
    } else if (gcol("top_objects")) {
      left.appendChild(h("p", { class: "v small", text: gcol("top_objects")[r] || "" }));
    }
    // representative posts
    left.appendChild(h("h3", { text: "Representative co-actions" }));
    if (det.examples && det.examples.length) {
      det.examples.forEach(function (ex) {
        var card = h("div", { class: "example" },
          h("div", {}, h("span", { class: "kindtag", text: ex.kind || "" }), objectView(ex.kind, str(ex.object), str(ex.object_text !== undefined ? ex.object_text : TEXT_KIND.has(ex.kind) ? ex.text_a : -1), ex.object_author, ex.object_link),
            ex.dt_s !== undefined ? h("span", { class: "count" }, " Δt ", h("span", { class: "dt", text: fmtNum(ex.dt_s) + " s" })) : null),
          h("div", { class: "pair" }, postBox(accLabelOf(ex.account_a), ex.post_a, ex.time_a, str(ex.text_a)), postBox(accLabelOf(ex.account_b), ex.post_b, ex.time_b, str(ex.text_b))));
        left.appendChild(card);
      });
    } else {
      left.appendChild(h("p", { class: "muted small", text: "Not embedded for this group; evidence.parquet has its co-actions." }));
    }
    // members
    var mem = membersOf(r);
    right.appendChild(h("h3", { text: "Members (" + INT.format(mem.length) + ", strongest first)" }));
    var chips = h("div", { class: "chips" });
    function showMembers(limit) {
      clear(chips);
      mem.slice(0, limit).forEach(function (acc) { chips.appendChild(accChip(acc)); });
      if (mem.length > limit) chips.appendChild(h("button", { class: "link small", text: "show all " + INT.format(mem.length), onclick: function () { showMembers(mem.length); } }));
    }
    showMembers(60);
    if (!mem.length && gcol("members")) chips.appendChild(h("span", { class: "v small", text: gcol("members")[r] || "" }));
    right.appendChild(chips);
    // edges
    indexEdges();
    var js = edgesOfRank.get(r) || [];
    right.appendChild(h("h3", { text: "Edges (click one for its evidence)" }));
    if (js.length) right.appendChild(edgeListTable(js).el);
    else right.appendChild(h("p", { class: "muted small", text: "This group is not drawn, so its edges are not embedded; see edges.csv and evidence.parquet (group_id " + String(groupIds[r]) + ")." }));
    box.appendChild(h("div", { class: "detail-grid" }, left, right));
  }
  function postBox(account, post, time, text) {
    return h("div", { class: "post" },
      h("div", { class: "who" }, account || "", post ? " · post " + post : "", time !== undefined ? " · " + fmtTime(time) + " UTC" : ""),
      text ? h("div", { class: "text", text: text }) : null);
  }

  // -- a group's evidence as CSV (made here, from the data embedded in this page) -------------
  // The co-actions embedded for the group's own edges (not those between two groups), in the
  // order of evidence.parquet.
  function groupEvidence(r) {
    indexEdges();
    var gid = ecol("group_id");
    var rows = [], edges = [], total = 0;
    (edgesOfRank.get(r) || []).forEach(function (j) {
      if (gid && String(gid[j]) !== String(groupIds[r])) return;
      var off = E.ev_offset[j] || 0, n = E.ev_shown[j] || 0;
      total += E.ev_total[j] || 0;
      for (var i = 0; i < n; i++) { rows.push(off + i); edges.push(j); }
    });
    return { rows: rows, edges: edges, total: total };
  }
  var RAW_CSV = !!(D.overview && D.overview.parameters && D.overview.parameters.raw_csv);
  // as the CSV files beside this report: formula triggers get a leading ' (unless --raw-csv),
  // a cell with a comma, quote or line break is quoted
  function csvCell(v) {
    if (v === null || v === undefined) return "";
    var t = String(v);
    if (typeof v === "string" && !RAW_CSV && /^[=+\-@\t\r]/.test(t)) t = "'" + t;
    return /[",\r\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  function isoTime(t) {
    if (t === null || t === undefined || t === "") return null;
    return fmtTime(t).replace(" ", "T") + "Z";
  }
  function groupCsv(r) {
    var ev = groupEvidence(r);
    var get = function (name) { return vcol(name); };
    var cols = [
      ["group_id", function () { return groupIds[r]; }],
      ["account_a", function (i, j) { return A.id[E.a[j]]; }],
      ["account_b", function (i, j) { return A.id[E.b[j]]; }],
    ];
    V.columns.forEach(function (c) {
      var col = get(c.name);
      if (!col) return;
      var value;
      if (c.type === "strref") value = function (i) { return str(col[i]); };
      else if (c.type === "time") value = function (i) { return isoTime(col[i]); };
      else value = function (i) { return col[i]; };
      cols.push([c.name, value]);
    });
    var order = ["group_id", "account_a", "account_b", "kind", "object_id", "object_text", "object_author",
      "object_author_name", "object_link", "post_a", "time_a", "text_a", "link_a", "post_b", "time_b", "text_b", "link_b", "dt_s"];
    cols.sort(function (x, y) {
      var a = order.indexOf(x[0]), b = order.indexOf(y[0]);
      return (a < 0 ? order.length : a) - (b < 0 ? order.length : b);
    });
    var lines = [cols.map(function (c) { return csvCell(c[0]); }).join(",")];
    ev.rows.forEach(function (i, k) {
      var j = ev.edges[k];
      lines.push(cols.map(function (c) { return csvCell(c[1](i, j)); }).join(","));
    });
    return lines.join("\n") + "\n";
  }
  function csvFileName(r) {
    return "group-" + String(groupIds[r]).replace(/[^A-Za-z0-9_-]/g, "_") + "-evidence.csv";
  }
  // The file is made in the page: a Blob, saved through a link that is never part of the page.
  function downloadText(name, text) {
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
  }

  // -- timeline -------------------------------------------------------------------------------
  function renderTimeline() {
    var box = clear(byId("timeline-body"));
    var r = state.group !== null ? state.group : (nGroups ? 0 : null);
    if (r === null) { box.appendChild(h("p", { class: "muted", text: "No coordinated groups, so no timeline." })); return; }
    var det = DETAILS[String(r)];
    var sel = h("select", { id: "timeline-group" });
    sel.setAttribute("aria-label", "Group shown in the timeline");
    var limit = Math.min(nGroups, (D.limits && D.limits.max_detail_groups) || 1000);
    for (var i = 0; i < Math.min(limit, 500); i++) sel.appendChild(h("option", { value: String(i), text: groupLabel(i) + " (#" + (i + 1) + ")" }));
    if (r >= 500) sel.appendChild(h("option", { value: String(r), text: groupLabel(r) + " (#" + (r + 1) + ")" }));
    sel.value = String(r);
    sel.addEventListener("change", function () { selectGroup(+sel.value, { scroll: false }); });
    box.appendChild(h("div", { class: "controls" }, h("span", { text: "Group:" }), sel,
      h("span", { class: "muted small", text: "Coordinated posts: posts taking part in a co-action of the group, each counted once." })));
    if (!det || !det.timeline) {
      box.appendChild(h("p", { class: "muted", text: "No timeline is embedded for this group." }));
    } else {
      var tl = det.timeline;
      var colour = groupColour(r);
      box.appendChild(h("div", { class: "tl-grid" },
        h("div", {}, h("div", { class: "chart-title", text: groupLabel(r) + ": coordinated posts per " + binName(tl.bin) + " (UTC), " + plural(tl.posts, "post") + " in all" }), timeBars(tl, { colour: colour })),
        h("div", {}, h("div", { class: "chart-title", text: "By hour of the day (UTC): daily rhythm" }), hourBars(tl.hours, colour))));
    }
    if (D.lanes && D.lanes.ranks && D.lanes.ranks.length) {
      box.appendChild(h("div", { class: "chart-title", text: "Top groups side by side: coordinated posts per " + binName(D.lanes.bin) + " (bar height relative to each group's busiest " + binName(D.lanes.bin) + "; click a name)" }));
      box.appendChild(laneChart(D.lanes));
    }
  }

  // -- evidence -------------------------------------------------------------------------------
  function renderEvidence() {
    var box = clear(byId("evidence-body"));
    var j = state.edge;
    if (j === null) {
      box.appendChild(h("p", { class: "muted", text: nEdges ? "Click an edge in the network, or a row in a group's edge list, to see every co-action behind it." : "No edges are embedded in this report." }));
      return;
    }
    var a = E.a[j], b = E.b[j];
    add(box, h("div", { class: "edge-head" }, h("span", { class: "sw" }), h("span", { class: "acc", id: "ev-account-a", text: accTitle(a) }), h("span", { text: "—" }),
      h("span", { class: "acc", id: "ev-account-b", text: accTitle(b) }),
      h("button", { class: "link", text: groupLabel(E.rank[j]), onclick: function () { selectGroup(E.rank[j], { scroll: true }); } })));
    box.firstChild.firstChild.style.background = groupColour(E.rank[j]);
    var pairs = [];
    E.columns.forEach(function (c) { pairs.push([label(c.name), fmt(E.data[c.name][j], c.type)]); });
    box.appendChild(facts(pairs));
    var shown = E.ev_shown[j] || 0, total = E.ev_total[j] || 0;
    if (shown < total) box.appendChild(h("div", { class: "warnline", text: "This report embeds " + INT.format(shown) + " of the " + INT.format(total) + " co-actions of this edge; evidence.parquet has all of them." }));
    var off = E.ev_offset[j] || 0;
    var rows = [];
    for (var i = 0; i < shown; i++) rows.push(off + i);
    var kind = vcol("kind"), obj = vcol("object_id"), pa_ = vcol("post_a"), pb = vcol("post_b"),
      ta = vcol("time_a"), tb = vcol("time_b"), dt = vcol("dt_s"), xa = vcol("text_a"), xb = vcol("text_b"),
      la = vcol("link_a"), lb = vcol("link_b"), otext = vcol("object_text"), oauthor = vcol("object_author"),
      oname = vcol("object_author_name"), olink = vcol("object_link");
    function objectAt(i) {
      var k = str(kind[i]);
      // results written before object_text: a text kind's text is the post's
      var text = otext ? str(otext[i]) : TEXT_KIND.has(k) && xa ? str(xa[i]) : null;
      var author = oname && oname[i] !== null && oname[i] !== undefined ? oname[i] : oauthor ? oauthor[i] : null;
      return objectView(k, str(obj[i]), text, author, olink ? olink[i] : null);
    }
    var cols = [
      { label: "#", num: true, value: function (i) { return i; }, cell: function (i) { return INT.format(i - off + 1); } },
      { label: "kind", cls: "ev-kind", value: kind ? function (i) { return str(kind[i]); } : null, cell: function (i) { return kind ? h("span", { class: "kindtag", text: str(kind[i]) || "" }) : ""; } },
      { label: "object", cls: "ev-object", value: obj ? function (i) { return (otext && str(otext[i])) || str(obj[i]); } : null, cell: function (i) { return obj && kind ? objectAt(i) : obj ? linkOrText(str(obj[i])) : ""; } },
      { label: "account A: post, time (UTC), text", cls: "ev-a", value: ta ? function (i) { return ta[i]; } : null, cell: function (i) { return side(pa_, ta, xa, i, "a", la); } },
      { label: "account B: post, time (UTC), text", cls: "ev-b", value: tb ? function (i) { return tb[i]; } : null, cell: function (i) { return side(pb, tb, xb, i, "b", lb); } },
      { label: "Δt (s)", num: true, cls: "ev-dt", value: dt ? function (i) { return dt[i]; } : null, cell: function (i) { return dt ? fmtNum(dt[i]) : ""; } },
    ];
    V.columns.forEach(function (c) {
      if (!c.extra) return;
      var col = V.data[c.name];
      cols.push({ label: label(c.name), num: c.type === "int" || c.type === "float", cls: "ev-extra", value: function (i) { return col[i]; }, cell: function (i) { return h("span", { class: "v", text: fmt(col[i], c.type) }); } });
    });
    var t = LazyTable({ rows: rows, columns: cols, pageSize: 50, noun: "co-action", tableClass: "evidence-table", empty: "No co-action of this edge is embedded." });
    box.appendChild(t.el);
  }
  function side(post, time, text, i, which, link) {
    // the post id, a link back to the source when the input gave one (http(s) only)
    var id = post ? (post[i] === null ? "" : String(post[i])) : "";
    var box = h("div", { class: "ev-post-" + which + " mono v" });
    var href = link ? safeHref(link[i]) : null;
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      a.textContent = id;
      box.appendChild(a);
    } else box.textContent = id;
    return [box,
      h("div", { class: "ev-time-" + which + " small muted", text: time ? fmtTime(time[i]) : "" }),
      text && text[i] >= 0 ? h("div", { class: "ev-text ev-text-" + which, text: str(text[i]) }) : null];
  }

  // -- selection and address ------------------------------------------------------------------
  function selectGroup(r, o) {
    o = o || {};
    if (r === null || r === undefined || r < 0 || r >= nGroups) return;
    state.group = r;
    state.account = null;
    if (state.edge !== null && E.rank[state.edge] !== r) state.edge = null;
    if (groupTable) groupTable.select(r);
    renderGroupDetail(r);
    renderTimeline();
    refreshGraph();
    renderSide();
    focusNodes(membersOf(r).filter(function (acc) { return nodeOf.has(acc); }), 0.04);
    writeHash();
    if (o.scroll) byId("group-detail").scrollIntoView({ behavior: "auto", block: "start" });
  }
  function selectAccount(acc, o) {
    o = o || {};
    state.account = acc;
    state.edge = null;
    refreshGraph();
    renderSide();
    if (o.focus && nodeOf.has(acc)) focusNodes(Array.from(neighbourSet(acc)), 0.12);
    writeHash();
  }
  function selectEdge(j, o) {
    o = o || {};
    if (j === null || j === undefined || j < 0 || j >= nEdges) return;
    state.edge = j;
    state.account = null;
    if (state.group !== E.rank[j]) {
      state.group = E.rank[j];
      if (groupTable) groupTable.select(state.group);
      renderGroupDetail(state.group);
      renderTimeline();
    }
    refreshGraph();
    renderSide();
    renderEvidence();
    writeHash();
    if (o.scroll) byId("evidence").scrollIntoView({ behavior: "auto", block: "start" });
  }
  function writeHash() {
    var parts = [];
    if (state.edge !== null) parts.push("edge=" + encodeURIComponent(A.id[E.a[state.edge]]) + "," + encodeURIComponent(A.id[E.b[state.edge]]));
    else if (state.account !== null) parts.push("account=" + encodeURIComponent(A.id[state.account]));
    else if (state.group !== null) parts.push("group=" + encodeURIComponent(String(groupIds[state.group])));
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search); } catch (e) { /* some file:// setups refuse */ }
  }
  function readHash() {
    var raw = location.hash.replace(/^#/, "");
    if (raw.indexOf("=") < 0) return;
    raw.split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      var key = part.slice(0, eq), val = part.slice(eq + 1);
      try {
        if (key === "group") {
          var r = rankOfGroupId.get(decodeURIComponent(val));
          if (r !== undefined) selectGroup(r, { scroll: false });
        } else if (key === "account") {
          var acc = accountIndex.get(decodeURIComponent(val));
          if (acc !== undefined) selectAccount(acc, { focus: true });
        } else if (key === "edge") {
          var ab = val.split(",");
          var ia = accountIndex.get(decodeURIComponent(ab[0])), ib = accountIndex.get(decodeURIComponent(ab[1] || ""));
          if (ia !== undefined && ib !== undefined) {
            var j = findEdge(ia, ib);
            if (j !== null) selectEdge(j, { scroll: false });
          }
        }
      } catch (e) { /* a malformed address selects nothing */ }
    });
  }

  // -- start ----------------------------------------------------------------------------------
  window.inconcert = { selectGroup: selectGroup, selectEdge: selectEdge, selectAccount: selectAccount, groupCsv: groupCsv, data: D };
  renderOverviewTimeline();
  buildNetwork();
  buildSide();
  buildGroups();
  renderTimeline();
  renderEvidence();
  readHash();
  document.body.dataset.ready = "1";
})();
