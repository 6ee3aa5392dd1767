// smartcity-kit city dashboard: reads /api/dashboard/<city> and draws it, in Bahasa Indonesia
// or English. No libraries, no requests beyond this server. Every text from the data goes in
// through textContent, never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const OPEN = "received,verified,referred,in_progress,reopened";
  const body = document.body;
  const state = {
    words: null,
    lang: localStorage.getItem("smartcity.lang") === "en" ? "en" : "id",
    key: sessionStorage.getItem("smartcity.key") || "",
    city: null,
    data: null,
    queue: null,
    timer: null,
  };
  window.smartcityDashboard = state; // for the browser tests and the curious

  const $ = (id) => document.getElementById(id);
  const t = (word) => (state.words && state.words[state.lang][word]) || word;
  const locale = () => (state.lang === "id" ? "id-ID" : "en-GB");
  const num = (n, digits = 0) =>
    n === null || n === undefined
      ? "–"
      : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
  const pct = (share) => (share === null || share === undefined ? "–" : num(share * 100, 0) + "%");
  const rupiah = (n) => "Rp" + num(n);
  const when = (iso) =>
    iso
      ? new Intl.DateTimeFormat(locale(), {
          dateStyle: "medium",
          timeStyle: "short",
          timeZone: zoneName(),
        }).format(new Date(iso))
      : "–";
  const day = (iso) =>
    iso
      ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: zoneName() }).format(
          new Date(iso)
        )
      : "–";
  const short = (text, size = 30) => (text.length > size ? text.slice(0, size - 1) + "…" : text);
  const zoneName = () =>
    ({ WIB: "Asia/Jakarta", WITA: "Asia/Makassar", WIT: "Asia/Jayapura" })[
      state.data ? state.data.city.time_zone : "WITA"
    ] || "UTC";

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fill(id, ...nodes) {
    const box = $(id);
    box.replaceChildren(...nodes);
  }

  function tiles(id, items) {
    fill(
      id,
      ...items.map(([label, value, name]) => {
        const tile = el("div", { class: "tile", "data-name": name });
        tile.append(el("div", { class: "value" }, value), el("div", { class: "label" }, t(label)));
        return tile;
      })
    );
  }

  function table(headers, rows) {
    if (!rows.length) return el("p", { class: "note" }, t("none"));
    const out = el("table");
    const head = el("tr");
    headers.forEach(([label, numeric]) =>
      head.append(el("th", numeric ? { class: "num" } : {}, t(label)))
    );
    out.append(head);
    for (const row of rows) {
      const tr = el("tr");
      row.forEach((cell, i) =>
        tr.append(el("td", headers[i][1] ? { class: "num" } : {}, String(cell)))
      );
      out.append(tr);
    }
    return out;
  }

  // Horizontal bars: one row per item, one or two values.
  function bars(items, name, label, values) {
    if (!items.length) return el("p", { class: "note" }, t("no_data"));
    const max = Math.max(1, ...items.flatMap((item) => values.map((v) => v(item) || 0)));
    const rowHeight = 18 * values.length + 6;
    const chart = svg("svg", {
      viewBox: `0 0 400 ${items.length * rowHeight}`,
      role: "img",
      "data-chart": name,
    });
    items.forEach((item, i) => {
      const y = i * rowHeight;
      const name = svg("text", { x: 0, y: y + 13 }, short(label(item)));
      name.append(svg("title", {}, label(item)));
      chart.append(name);
      values.forEach((value, j) => {
        const v = value(item) || 0;
        const width = (130 * v) / max;
        const bar = svg("rect", {
          x: 185,
          y: y + j * 18,
          width: Math.max(width, 0.5),
          height: 14,
          class: j ? "bar second" : "bar",
          "data-value": v,
        });
        bar.append(svg("title", {}, `${label(item)}: ${num(v)}`));
        chart.append(bar, svg("text", { x: 189 + width, y: y + j * 18 + 11 }, num(v)));
      });
    });
    return chart;
  }

  // Vertical bars over time (weeks or months), one or two series.
  function columns(items, name, label, values) {
    if (!items.length) return el("p", { class: "note" }, t("no_data"));
    const max = Math.max(1, ...items.flatMap((item) => values.map((v) => v(item) || 0)));
    const slot = 400 / items.length;
    const chart = svg("svg", { viewBox: "0 0 400 170", role: "img", "data-chart": name });
    items.forEach((item, i) => {
      values.forEach((value, j) => {
        const v = value(item) || 0;
        const height = (130 * v) / max;
        const width = (slot - 4) / values.length;
        const bar = svg("rect", {
          x: i * slot + 2 + j * width,
          y: 140 - height,
          width: width,
          height: Math.max(height, 0.5),
          class: j ? "bar second" : "bar",
          "data-value": v,
        });
        bar.append(svg("title", {}, `${label(item)}: ${num(v)}`));
        chart.append(bar);
      });
      if (items.length <= 12 || i % 2 === 0) {
        chart.append(svg("text", { x: i * slot + 2, y: 158 }, label(item)));
      }
    });
    return chart;
  }

  // Camera points drawn in their own bounding box (no tile server).
  function map(points) {
    const box = el("div");
    if (!points.length) {
      box.append(el("p", { class: "note" }, t("no_data")));
      return box;
    }
    const lats = points.map((p) => p.lat);
    const lons = points.map((p) => p.lon);
    const pad = 0.005;
    const [south, north] = [Math.min(...lats) - pad, Math.max(...lats) + pad];
    const [west, east] = [Math.min(...lons) - pad, Math.max(...lons) + pad];
    const width = 400;
    const height = Math.max(160, Math.min(400, (width * (north - south)) / (east - west)));
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "data-chart": "camera-map" });
    chart.append(svg("rect", { x: 0, y: 0, width, height, fill: "#eef2f5" }));
    for (const p of points) {
      const health = p.online === true ? "online" : p.online === false ? "offline" : "unknown";
      const dot = svg("circle", {
        cx: ((p.lon - west) / (east - west)) * width,
        cy: ((north - p.lat) / (north - south)) * height,
        r: 5,
        class: `dot ${health}`,
        "data-camera": p.camera_id,
      });
      dot.append(svg("title", {}, `${p.name} (${t(health)})${p.owner ? " · " + p.owner : ""}`));
      chart.append(dot);
    }
    box.append(chart);
    if (!state.key) box.append(el("p", { class: "note" }, t("city_owned")));
    return box;
  }

  function render() {
    const data = state.data;
    if (!data) return;
    const ps = data.public_service;
    tiles("ps-tiles", [
      ["received", num(ps.received), "received"],
      ["resolved", num(ps.resolved), "resolved"],
      ["on_time", pct(ps.on_time_share), "on_time"],
      ["median_days", num(ps.median_days, 1), "median_days"],
      ["overdue_now", num(ps.overdue.count), "overdue"],
    ]);
    fill(
      "ps-agency",
      bars(ps.by_agency, "by-agency", (a) => a.name, [(a) => a.received, (a) => a.resolved])
    );
    fill(
      "ps-weekly",
      columns(ps.weekly, "weekly", (w) => w.week_of.slice(5), [(w) => w.received, (w) => w.resolved])
    );
    fill(
      "ps-district",
      table(
        [["district"], ["received", true], ["resolved", true], ["on_time", true]],
        ps.by_district.map((d) => [d.name, num(d.received), num(d.resolved), pct(d.on_time_share)])
      )
    );
    fill(
      "ps-overdue",
      table(
        [["service"], ["agency"], ["status"], ["due"]],
        ps.overdue.most_late.map((r) => [
          `#${r.id} ${r.service}`,
          r.agency_name,
          t("status." + r.status),
          day(r.due),
        ])
      )
    );

    const sec = data.security;
    tiles("sec-tiles", [
      ["cameras", num(sec.cameras), "cameras"],
      ["online", num(sec.online), "online"],
      ["offline", num(sec.offline), "offline"],
      ["uptime_7d", pct(sec.uptime_7d), "uptime_7d"],
    ]);
    fill("sec-map", map(sec.map));
    fill(
      "sec-district",
      table(
        [["district"], ["cameras", true], ["online", true], ["offline", true], ["uptime_7d", true]],
        sec.by_district.map((d) => [
          d.name || d.district || "–",
          num(d.cameras),
          num(d.online),
          num(d.offline),
          pct(d.uptime_7d),
        ])
      )
    );
    fill(
      "sec-owner",
      table(
        [["owner"], ["cameras", true], ["online", true], ["offline", true], ["uptime_7d", true]],
        sec.by_owner.map((o) => [
          t("owner_kind." + o.owner_kind),
          num(o.cameras),
          num(o.online),
          num(o.offline),
          pct(o.uptime_7d),
        ])
      )
    );
    fill(
      "sec-down",
      table(
        [["cameras"], ["since"]],
        sec.down_longest.map((c) => [c.camera, when(c.offline_since)])
      )
    );
    fill(
      "sec-events",
      table(
        [["cameras"], ["status"], ["updated"]],
        sec.recent_events.map((e) => [e.camera, t("event." + e.kind), when(e.at)])
      )
    );

    const eco = data.economy;
    tiles("eco-tiles", [
      ["enterprises", num(eco.total.enterprises), "enterprises"],
      ["members", num(eco.total.members), "members"],
      ["revenue_12m", rupiah(eco.total.revenue), "revenue"],
      ["waste_12m", num(eco.total.waste_grams / 1000, 1) + " kg", "waste"],
    ]);
    fill(
      "eco-monthly",
      columns(eco.monthly, "monthly-revenue", (m) => m.month.slice(2), [(m) => m.revenue])
    );
    fill(
      "eco-sector",
      bars(eco.by_sector, "by-sector", (s) => t("sector." + s.sector), [(s) => s.revenue])
    );
    fill(
      "eco-waste",
      columns(eco.monthly, "monthly-waste", (m) => m.month.slice(2), [
        (m) => Math.round(m.waste_grams / 1000),
      ])
    );
    fill(
      "eco-top",
      table(
        [["enterprise"], ["sector"], ["revenue", true]],
        eco.top_enterprises.map((e) => [e.name, t("sector." + e.sector), rupiah(e.revenue)])
      )
    );
    $("updated").textContent = `${t("updated")} ${when(data.as_of)}`;
    renderQueue();
  }

  function renderQueue() {
    const section = $("staff-queue");
    section.hidden = !(state.key && state.queue);
    if (section.hidden) return;
    fill(
      "queue",
      table(
        [["service"], ["agency"], ["status"], ["district"], ["due"]],
        state.queue.map((r) => [
          `#${r.id} ${r.service_code}`,
          r.agency,
          t("status." + r.status),
          r.location.district || "–",
          day(r.due_now),
        ])
      )
    );
  }

  function translate() {
    document.documentElement.lang = state.lang;
    document.title = `${t("title")} · smartcity-kit`;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
    $("lang-id").setAttribute("aria-pressed", String(state.lang === "id"));
    $("lang-en").setAttribute("aria-pressed", String(state.lang === "en"));
    $("status").textContent = t(state.data && state.data.view === "staff" ? "view_staff" : "view_public");
    $("signout").hidden = !state.key;
    render();
  }

  async function fetchJson(path, withKey) {
    const headers = { Accept: "application/json" };
    if (withKey && state.key) headers["X-API-Key"] = state.key;
    const response = await fetch(path, { headers, cache: "no-store" });
    if (!response.ok) {
      const error = new Error(`${response.status}`);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  async function load() {
    const city = encodeURIComponent(state.city);
    try {
      state.data = await fetchJson(`/api/dashboard/${city}`, true);
      state.queue = null;
      if (state.key) {
        try {
          const page = await fetchJson(`/api/${city}/requests?status=${OPEN}&page_size=20`, true);
          state.queue = page.items;
        } catch (e) {
          state.queue = null; // a key that may see the dashboard but not the queue
        }
      }
      $("error").hidden = true;
    } catch (e) {
      if (e.status === 403 && state.key) {
        state.key = "";
        sessionStorage.removeItem("smartcity.key");
        $("error").textContent = t("bad_key");
        $("error").hidden = false;
        return load();
      }
      $("error").textContent = t("load_failed");
      $("error").hidden = false;
    }
    translate();
  }

  async function start() {
    const response = await fetch(body.dataset.i18nUrl);
    state.words = await response.json();
    const cities = JSON.parse(body.dataset.cities);
    const chosen = new URLSearchParams(location.search).get("city");
    state.city = cities.some((c) => c.slug === chosen) ? chosen : cities[0].slug;
    const select = $("city");
    for (const c of cities) {
      const option = el("option", { value: c.slug }, c.name);
      if (c.slug === state.city) option.selected = true;
      select.append(option);
    }
    select.addEventListener("change", () => {
      state.city = select.value;
      history.replaceState(null, "", `?city=${encodeURIComponent(state.city)}`);
      load();
    });
    $("lang-id").addEventListener("click", () => setLang("id"));
    $("lang-en").addEventListener("click", () => setLang("en"));
    $("signin").addEventListener("submit", (event) => {
      event.preventDefault();
      state.key = $("key").value.trim();
      $("key").value = "";
      if (state.key) sessionStorage.setItem("smartcity.key", state.key);
      load();
    });
    $("signout").addEventListener("click", () => {
      state.key = "";
      sessionStorage.removeItem("smartcity.key");
      load();
    });
    const seconds = Math.max(5, Number(body.dataset.refreshSeconds) || 30);
    state.timer = setInterval(load, seconds * 1000);
    await load();
  }

  function setLang(lang) {
    state.lang = lang;
    localStorage.setItem("smartcity.lang", lang);
    translate();
  }

  start();
})();
