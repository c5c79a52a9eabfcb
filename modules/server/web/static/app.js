// SPDX-License-Identifier: Apache-2.0
// The TradPal dashboard: vanilla JS over the HTTP API (docs/API.md), charts drawn on <canvas>.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#2d6cdf", "#e07b00", "#8e44ad", "#16a085", "#c0392b", "#7f8c8d", "#d35400"];
const UP = "#1a7f37";
const DOWN = "#c62828";

const state = {
  series: [],        // GET /v1/series entries
  indicators: {},    // name -> GET /v1/indicators entry
  specs: [],         // chosen indicator specs, e.g. "rsi(14)"
  strategies: {},    // name -> GET /v1/strategies entry
  bars: null,        // {ts, open, high, low, close, volume}
  columns: {},       // indicator column name -> values (aligned with bars.ts)
  hover: -1,         // index of the bar under the mouse, -1 when none
};

// ---- API access and errors ----------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = {};
  const token = $("token").value.trim();
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "unavailable", "the server cannot be reached (" + err.message + ")");
  }
  const text = await response.text();
  let doc = null;
  try {
    doc = text ? JSON.parse(text) : null;
  } catch (err) {
    doc = null;
  }
  if (!response.ok) {
    const e = doc && doc.error ? doc.error : {code: "http_" + response.status, message: text};
    throw new ApiError(response.status, e.code, e.message);
  }
  return doc;
}

function showError(err) {
  const box = $("error");
  if (err instanceof ApiError) {
    box.textContent = `Error ${err.status || ""} ${err.code}: ${err.message}`;
  } else {
    box.textContent = "Error: " + (err && err.message ? err.message : String(err));
  }
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function setStatus(text) {
  $("status").textContent = text;
}

// Runs an async action, showing its error instead of leaving it in the console.
async function guarded(action) {
  try {
    await action();
  } catch (err) {
    showError(err);
  }
}

// ---- formatting ---------------------------------------------------------------------------

function isoTime(ns) {
  return new Date(ns / 1e6).toISOString().replace("T", " ").replace(":00.000Z", "");
}

function num(v, digits = 4) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (!isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-4)) return v.toExponential(3);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return v.toLocaleString("en-US", {maximumFractionDigits: a >= 1000 ? 2 : digits});
}

// Axis labels: as many decimals as the visible span needs, no more (they must fit PAD.right).
function axisLabel(v, span) {
  const decimals = Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(span || 1))));
  return v.toLocaleString("en-US", {minimumFractionDigits: decimals, maximumFractionDigits: decimals});
}

// ---- canvas helpers -----------------------------------------------------------------------

// Sizes the canvas to its CSS width at the device's pixel ratio; returns a context in CSS px.
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = Number(canvas.getAttribute("height")) || 200;
  canvas.style.height = height + "px";
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  return {ctx, width, height};
}

const PAD = {left: 8, right: 64, top: 10, bottom: 20};

function range(arrays, from = 0, to = Infinity) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of arrays) {
    for (let i = from; i < Math.min(values.length, to); i++) {
      const v = values[i];
      if (v === null || !isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const margin = (hi - lo) * 0.05;
  return [lo - margin, hi + margin];
}

// Draws the value axis on the right and light grid lines; returns y(value).
function valueAxis(ctx, width, height, lo, hi) {
  const plotH = height - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + (hi - v) / (hi - lo) * plotH;
  ctx.strokeStyle = "#eef1f5";
  ctx.fillStyle = "#6b7685";
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  for (let k = 0; k <= 4; k++) {
    const v = lo + (hi - lo) * k / 4;
    ctx.beginPath();
    ctx.moveTo(PAD.left, y(v));
    ctx.lineTo(width - PAD.right, y(v));
    ctx.stroke();
    ctx.fillText(axisLabel(v, hi - lo), width - PAD.right + 4, y(v));
  }
  return y;
}

function timeAxis(ctx, width, height, ts, x) {
  ctx.fillStyle = "#6b7685";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const n = ts.length;
  const ticks = Math.min(5, n);
  for (let k = 0; k < ticks; k++) {
    const i = Math.round(k * (n - 1) / Math.max(1, ticks - 1));
    const label = isoTime(ts[i]).slice(0, 16);
    ctx.fillText(label, Math.min(Math.max(x(i), 50), width - PAD.right - 50), height - PAD.bottom + 4);
  }
}

function polyline(ctx, values, x, y, color, width = 1.2) {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  let open = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !isFinite(v)) {
      open = false;
      continue;
    }
    if (open) ctx.lineTo(x(i), y(v));
    else ctx.moveTo(x(i), y(v));
    open = true;
  }
  ctx.stroke();
  ctx.lineWidth = 1;
}

// A line chart of one or more series over the same timestamps (equity, drawdown).
function lineChart(canvas, ts, lines, fillToZero = false) {
  const {ctx, width, height} = prepare(canvas);
  if (!ts.length) return;
  const values = lines.map((l) => l.values);
  let [lo, hi] = range(values);
  if (fillToZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  const plotW = width - PAD.left - PAD.right;
  const x = (i) => PAD.left + (ts.length === 1 ? plotW / 2 : i * plotW / (ts.length - 1));
  const y = valueAxis(ctx, width, height, lo, hi);
  timeAxis(ctx, width, height, ts, x);
  for (const line of lines) {
    if (fillToZero) {
      ctx.fillStyle = line.fill;
      ctx.beginPath();
      ctx.moveTo(x(0), y(0));
      line.values.forEach((v, i) => ctx.lineTo(x(i), y(v === null ? 0 : v)));
      ctx.lineTo(x(line.values.length - 1), y(0));
      ctx.fill();
    }
    polyline(ctx, line.values, x, y, line.color, 1.5);
  }
}

// ---- price chart and indicators -----------------------------------------------------------

// A column ("sma(20)", "bbands(20,2).upper") belongs on the price pane when GET /v1/indicators
// lists its output among the indicator's price_outputs.
function columnIsOverlay(column) {
  const name = column.split("(")[0];
  const meta = state.indicators[name];
  if (!meta) return false;
  const dot = column.lastIndexOf(").");
  const output = dot >= 0 ? column.slice(dot + 2) : meta.outputs[0];
  return (meta.price_outputs || []).includes(output);
}

function drawCharts() {
  const bars = state.bars;
  const price = $("price-chart");
  const osc = $("oscillator-chart");
  if (!bars || !bars.ts.length) {
    prepare(price);
    prepare(osc);
    return;
  }
  const n = bars.ts.length;
  const columns = Object.keys(state.columns);
  const overlays = columns.filter(columnIsOverlay);
  const oscillators = columns.filter((c) => !columnIsOverlay(c));

  // Price pane: candles plus overlay indicators on the same scale.
  let {ctx, width, height} = prepare(price);
  const plotW = width - PAD.left - PAD.right;
  const step = plotW / n;
  const x = (i) => PAD.left + (i + 0.5) * step;
  const [lo, hi] = range([bars.low, bars.high, ...overlays.map((c) => state.columns[c])]);
  const y = valueAxis(ctx, width, height, lo, hi);
  timeAxis(ctx, width, height, bars.ts, x);
  const body = Math.max(1, step * 0.7);
  for (let i = 0; i < n; i++) {
    const up = bars.close[i] >= bars.open[i];
    ctx.strokeStyle = ctx.fillStyle = up ? UP : DOWN;
    ctx.beginPath();
    ctx.moveTo(Math.round(x(i)) + 0.5, y(bars.high[i]));
    ctx.lineTo(Math.round(x(i)) + 0.5, y(bars.low[i]));
    ctx.stroke();
    const top = y(Math.max(bars.open[i], bars.close[i]));
    const bottom = y(Math.min(bars.open[i], bars.close[i]));
    ctx.fillRect(x(i) - body / 2, top, body, Math.max(1, bottom - top));
  }
  overlays.forEach((c, k) => polyline(ctx, state.columns[c], x, y, COLORS[k % COLORS.length]));
  legend(ctx, overlays, 0);
  crosshair(ctx, x, height);

  // Oscillator pane: every other indicator on its own shared scale.
  ({ctx, width, height} = prepare(osc));
  osc.hidden = oscillators.length === 0;
  if (oscillators.length) {
    const [olo, ohi] = range(oscillators.map((c) => state.columns[c]));
    const oy = valueAxis(ctx, width, height, olo, ohi);
    oscillators.forEach((c, k) =>
      polyline(ctx, state.columns[c], x, oy, COLORS[(k + overlays.length) % COLORS.length]));
    legend(ctx, oscillators, overlays.length);
    crosshair(ctx, x, height);
  }
}

function legend(ctx, names, colorOffset) {
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  let left = PAD.left + 4;
  names.forEach((name, k) => {
    ctx.fillStyle = COLORS[(k + colorOffset) % COLORS.length];
    ctx.fillText(name, left, PAD.top);
    left += ctx.measureText(name).width + 12;
  });
}

function crosshair(ctx, x, height) {
  if (state.hover < 0) return;
  ctx.strokeStyle = "rgba(0, 0, 0, 0.35)";
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(x(state.hover), PAD.top);
  ctx.lineTo(x(state.hover), height - PAD.bottom);
  ctx.stroke();
  ctx.setLineDash([]);
}

function onChartHover(event) {
  const bars = state.bars;
  if (!bars || !bars.ts.length) return;
  const canvas = event.currentTarget;
  const rect = canvas.getBoundingClientRect();
  const plotW = rect.width - PAD.left - PAD.right;
  const i = Math.floor((event.clientX - rect.left - PAD.left) / plotW * bars.ts.length);
  if (i < 0 || i >= bars.ts.length) {
    onChartLeave();
    return;
  }
  if (i === state.hover) return;
  state.hover = i;
  const lines = [
    isoTime(bars.ts[i]),
    `O ${num(bars.open[i])}  H ${num(bars.high[i])}  L ${num(bars.low[i])}  C ${num(bars.close[i])}`,
    `V ${num(bars.volume[i], 2)}`,
  ];
  for (const [name, values] of Object.entries(state.columns)) {
    lines.push(`${name} ${num(values[i])}`);
  }
  const info = $("hover-info");
  info.textContent = lines.join("\n");
  info.hidden = false;
  drawCharts();
}

function onChartLeave() {
  state.hover = -1;
  $("hover-info").hidden = true;
  drawCharts();
}

function currentSeries() {
  return state.series[Number($("series").value)] || null;
}

function seriesRef(s) {
  return {source: s.source, symbol: s.symbol, timeframe: s.timeframe};
}

const INDICATOR_WARMUP = 500;

async function loadChart() {
  const s = currentSeries();
  if (!s) return;
  const limit = Number($("bar-count").value);
  setStatus("loading bars…");
  const path = s.path || `${s.source}/${s.symbol.replaceAll("/", "-")}/${s.timeframe}`;
  state.bars = await api("GET", `/v1/series/${path}/bars?limit=${limit}&tail=1`);
  state.columns = {};
  if (state.specs.length) {
    // Extra bars before the visible ones so the indicators are warmed up at the left edge.
    const result = await api("POST", "/v1/indicators", {
      series: seriesRef(s), specs: state.specs, limit: limit + INDICATOR_WARMUP, tail: true,
    });
    const offset = result.ts.indexOf(state.bars.ts[0]);
    for (const [name, values] of Object.entries(result.columns)) {
      state.columns[name] = offset >= 0 ? values.slice(offset) : values;
    }
  }
  state.hover = -1;
  drawCharts();
  setStatus(`${s.symbol} ${s.timeframe}: ${state.bars.ts.length} bars`);
}

async function loadSeries() {
  const doc = await api("GET", "/v1/series");
  state.series = doc.series;
  const select = $("series");
  select.replaceChildren();
  state.series.forEach((s, i) => {
    const label = `${s.symbol} ${s.timeframe} (${s.source}, ${s.rows} bars)`;
    select.append(new Option(label, String(i)));
  });
  if (!state.series.length) {
    setStatus("the store has no series: import or fetch some first");
    return;
  }
  await loadChart();
}

async function loadIndicators() {
  const doc = await api("GET", "/v1/indicators");
  const select = $("indicator-select");
  for (const ind of doc.indicators) {
    state.indicators[ind.name] = ind;
    select.append(new Option(`${ind.name} — ${ind.title || ind.name}`, ind.name));
  }
  select.value = state.indicators.sma ? "sma" : select.value;
  fillIndicatorDefaults();
}

function fillIndicatorDefaults() {
  const ind = state.indicators[$("indicator-select").value];
  $("indicator-params").value = ind ? ind.params.map((p) => p.default).join(",") : "";
}

function renderIndicatorChips() {
  const list = $("indicator-list");
  list.replaceChildren();
  state.specs.forEach((spec, k) => {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.textContent = spec;
    chip.title = "remove";
    chip.addEventListener("click", () => guarded(async () => {
      state.specs.splice(k, 1);
      renderIndicatorChips();
      await loadChart();
    }));
    list.append(chip);
  });
}

async function addIndicator() {
  const name = $("indicator-select").value;
  const params = $("indicator-params").value.replace(/\s+/g, "");
  const spec = params ? `${name}(${params})` : name;
  if (state.specs.includes(spec)) return;
  state.specs.push(spec);
  try {
    await loadChart();
  } catch (err) {
    state.specs.pop();  // an invalid spec is not kept
    throw err;
  }
  renderIndicatorChips();
}

// ---- backtests ----------------------------------------------------------------------------

async function loadStrategies() {
  const doc = await api("GET", "/v1/strategies");
  const select = $("strategy");
  for (const s of doc.strategies) {
    state.strategies[s.name] = s;
    select.append(new Option(s.name, s.name));
  }
  if (state.strategies.sma_cross) select.value = "sma_cross";
  renderStrategyParams();
}

function renderStrategyParams() {
  const strategy = state.strategies[$("strategy").value];
  const box = $("strategy-params");
  box.replaceChildren();
  $("strategy-description").textContent = strategy ? strategy.description : "";
  if (!strategy) return;
  for (const p of strategy.params) {
    const label = document.createElement("label");
    label.title = p.description || "";
    label.append(p.name + " ");
    let input;
    if (p.type === "choice") {
      input = document.createElement("select");
      for (const c of p.choices || []) input.append(new Option(c, c));
      input.value = p.default;
    } else {
      input = document.createElement("input");
      if (p.type === "flag") {
        input.type = "checkbox";
        input.checked = Boolean(p.default);
      } else {
        input.type = "number";
        input.step = p.type === "integer" ? "1" : "any";
        if (p.min !== null && p.min !== undefined) input.min = p.min;
        if (p.max !== null && p.max !== undefined) input.max = p.max;
        input.value = p.default;
      }
    }
    input.id = "param-" + p.name;
    input.dataset.kind = p.type;
    label.append(input);
    box.append(label);
  }
}

function strategyParams() {
  const params = {};
  for (const input of $("strategy-params").querySelectorAll("input, select")) {
    const name = input.id.slice("param-".length);
    if (input.dataset.kind === "flag") params[name] = input.checked;
    else if (input.dataset.kind === "choice") params[name] = input.value;
    else params[name] = Number(input.value);
  }
  return params;
}

async function runBacktest(event) {
  event.preventDefault();
  const s = currentSeries();
  if (!s) throw new Error("pick a series first");
  const button = $("run-backtest");
  button.disabled = true;
  setStatus("running backtest…");
  try {
    const result = await api("POST", "/v1/backtests", {
      series: seriesRef(s),
      strategy: $("strategy").value,
      params: strategyParams(),
      config: {cash: Number($("cash").value), commission: Number($("commission").value)},
    });
    const [equity, trades] = await Promise.all([
      api("GET", `/v1/backtests/${result.id}/equity?points=2000`),
      api("GET", `/v1/backtests/${result.id}/trades`),
    ]);
    showResults(result, equity, trades.trades);
    setStatus(`backtest ${result.id} done`);
  } finally {
    button.disabled = false;
  }
}

function showResults(result, equity, trades) {
  $("results").hidden = false;
  $("results-title").textContent = `Results: ${result.metrics.strategy || ""} (${result.id})`;
  lineChart($("equity-chart"), equity.ts, [{values: equity.equity, color: "#2d6cdf"}]);
  lineChart($("drawdown-chart"), equity.ts,
            [{values: equity.drawdown_pct.map((v) => (v === null ? null : -v)), color: DOWN,
              fill: "rgba(198, 40, 40, 0.15)"}],
            true);

  const metrics = $("metrics").tBodies[0];
  metrics.replaceChildren();
  for (const [key, value] of Object.entries(result.metrics)) {
    if (value !== null && typeof value === "object") continue;  // config, open trade
    const row = metrics.insertRow();
    row.insertCell().textContent = key;
    row.insertCell().textContent = num(value);
  }

  const body = $("trades").tBodies[0];
  body.replaceChildren();
  for (const t of trades) {
    const row = body.insertRow();
    const cells = [t.side, t.entry_time, t.exit_time, num(t.size), num(t.entry_price),
                   num(t.exit_price), num(t.net_pnl, 2), t.exit_type];
    for (const c of cells) row.insertCell().textContent = c;
    row.cells[6].className = t.net_pnl >= 0 ? "pos" : "neg";
  }
}

// ---- jobs ---------------------------------------------------------------------------------

const JOB_POLL_MS = 2000;

async function refreshJobs() {
  const doc = await api("GET", "/v1/jobs");
  const body = $("jobs").tBodies[0];
  body.replaceChildren();
  for (const job of doc.jobs) {
    const row = body.insertRow();
    row.dataset.job = job.id;
    row.title = job.id + (job.message ? ": " + job.message : "");
    row.insertCell().textContent = `${job.kind} …${job.id.slice(-6)}`;
    row.insertCell().textContent = job.state;
    const bar = document.createElement("div");
    bar.className = "progress";
    const fill = document.createElement("div");
    fill.style.width = Math.round((job.progress || 0) * 100) + "%";
    bar.append(fill);
    row.insertCell().append(bar);
    const actions = row.insertCell();
    if (job.state === "queued" || job.state === "running") {
      const cancel = document.createElement("button");
      cancel.className = "small";
      cancel.textContent = "cancel";
      cancel.addEventListener("click", () => guarded(async () => {
        await api("DELETE", `/v1/jobs/${job.id}`);
        await refreshJobs();
      }));
      actions.append(cancel);
    }
  }
}

function pollJobs() {
  refreshJobs()
    .catch((err) => {
      // The jobs panel is optional (a process without those services answers 404).
      if (!(err instanceof ApiError && err.status === 404)) showError(err);
    })
    .finally(() => setTimeout(pollJobs, JOB_POLL_MS));
}

// ---- start --------------------------------------------------------------------------------

function init() {
  const token = $("token");
  token.value = localStorage.getItem("tradpal.token") || "";
  token.addEventListener("input", () => localStorage.setItem("tradpal.token", token.value));

  $("series").addEventListener("change", () => guarded(async () => {
    clearError();
    await loadChart();
  }));
  $("bar-count").addEventListener("change", () => guarded(loadChart));
  $("indicator-select").addEventListener("change", fillIndicatorDefaults);
  $("add-indicator").addEventListener("click", () => guarded(async () => {
    clearError();
    await addIndicator();
  }));
  $("strategy").addEventListener("change", renderStrategyParams);
  $("backtest-form").addEventListener("submit", (event) => guarded(async () => {
    clearError();
    await runBacktest(event);
  }));
  for (const canvas of [$("price-chart"), $("oscillator-chart")]) {
    canvas.addEventListener("mousemove", onChartHover);
    canvas.addEventListener("mouseleave", onChartLeave);
  }
  window.addEventListener("resize", drawCharts);

  // Indicators first: the chart needs to know which columns are overlays.
  guarded(async () => {
    await Promise.all([loadIndicators(), loadStrategies()]);
    await loadSeries();
  }).then(() => document.body.dataset.ready = "1");
  pollJobs();
}

init();
