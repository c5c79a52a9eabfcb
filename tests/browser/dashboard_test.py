#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The dashboard in a real headless Chromium, driven over the DevTools protocol.

Generates a small store, starts `tradpal serve --port 0` with an API token, loads the page, picks
the series, adds indicators, checks an API error is shown, enters the token, runs a backtest and
waits until the metrics table and the equity chart have content; fails on any console error.
Saves a screenshot to $TRADPAL_TEST_ARTIFACTS (or --artifacts) as dashboard.png.
Exit code 77 (ctest SKIP) when chromium, the tradpal binary or python3-websocket is missing.
"""

import argparse
import base64
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SKIP = 77
TOKEN = "browser-test-token"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import websocket  # Debian's python3-websocket
except ImportError:
    print("SKIP: python3-websocket is not installed", file=sys.stderr)
    sys.exit(SKIP)


class TestFailure(Exception):
    pass


def log(message):
    print(f"[dashboard] {message}", flush=True)


def read_line_matching(stream, pattern, timeout, sink):
    """Reads `stream` in a thread (so it never blocks on a full pipe) until a line matches."""
    found = queue.Queue()

    def pump():
        matched = False
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace")
            sink.append(line)
            if not matched:
                m = re.search(pattern, line)
                if m:
                    matched = True
                    found.put(m)
        found.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        m = found.get(timeout=timeout)
    except queue.Empty:
        m = None
    if m is None:
        raise TestFailure(f"no line matching {pattern!r} within {timeout} s:\n" + "".join(sink))
    return m


class DevTools:
    """A minimal DevTools protocol client: commands by id, events kept for the checks."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, timeout=30, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            message = json.loads(self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    raise TestFailure(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise TestFailure(f"{method}: no answer within {timeout} s")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise TestFailure(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.1)
        error = self.evaluate("document.getElementById('error').textContent")
        raise TestFailure(f"timed out after {timeout} s waiting for {what} (page error: {error!r})")

    def click(self, selector):
        """A real mouse click at the element's centre (after scrolling it into view)."""
        box = self.evaluate(f"""(() => {{
            const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: "center"}});
            const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];
        }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)

    def type_into(self, selector, text):
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def select(self, selector, value):
        """Chooses an option the way a user does: sets the value and fires `change`."""
        self.evaluate(f"""(() => {{
            const e = document.querySelector({json.dumps(selector)});
            e.value = {json.dumps(value)};
            e.dispatchEvent(new Event("change"));
        }})()""")

    def console_errors(self):
        errors = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                       for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(params["entry"].get("text", ""))
        return errors


# Non-background pixels of a canvas: more than `minimum` means something was drawn on it.
def painted_pixels(tools, canvas_id):
    return tools.evaluate(f"""(() => {{
        const c = document.getElementById({json.dumps(canvas_id)});
        if (!c.width || !c.height) return 0;
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {{
            if (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240) n++;
        }}
        return n;
    }})()""")


def submit_sweep(base, grid):
    body = {"series": {"source": "synthetic", "symbol": "BTC/USD", "timeframe": "1h"},
            "strategy": "sma_cross", "grid": grid}
    request = urllib.request.Request(base + "/v1/sweeps", data=json.dumps(body).encode(),
                                     method="POST", headers={
                                         "Authorization": "Bearer " + TOKEN,
                                         "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["job"]["id"]


def job_row(job_id):
    return f"document.querySelector('#jobs tr[data-job=\"{job_id}\"]')"


def check_jobs_panel(tools, base):
    """Jobs submitted over the API appear in the polled panel; one is cancelled from the page."""
    small = submit_sweep(base, {"fast": "2:20:1", "slow": "10:40:1"})
    tools.wait_for(f"(() => {{ const r = {job_row(small)}; return Boolean(r) && "
                   f"r.cells[1].textContent === 'done' && "
                   f"r.querySelector('.progress > div').style.width === '100%'; }})()",
                   "a small sweep done with a full progress bar", timeout=60)

    # Three large sweeps on one worker: the last waits behind the others. The test refreshes the
    # panel itself (the page's own poll is every 2 s) so the cancel does not race a fast machine.
    big = {"fast": "2:201:1", "slow": "10:509:1"}
    last = [submit_sweep(base, big) for _ in range(3)][-1]
    tools.evaluate("refreshJobs()")
    button = f"{job_row(last)}.querySelector('button')"
    if not tools.evaluate(f"Boolean({job_row(last)} && {button})"):
        raise TestFailure(f"no cancel button for the queued sweep {last}")
    tools.evaluate(f"{button}.id = 'cancel-last-job'")
    tools.click("#cancel-last-job")
    tools.wait_for(f"(() => {{ const r = {job_row(last)}; return Boolean(r) && "
                   f"r.cells[1].textContent === 'cancelled'; }})()", "the cancelled sweep")
    log(f"jobs panel: {small} done, {last} cancelled from the page")


def run(args, workdir):
    store = os.path.join(workdir, "store")
    subprocess.run([args.tradpal, "--store", store, "-q", "data", "generate", "-s", "BTC/USD",
                    "-t", "1h", "-n", "3000"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([args.tradpal, "--store", store, "-q", "data", "generate", "-s", "ETH/USD",
                    "-t", "1d", "-n", "400", "--seed", "7"], check=True, stdout=subprocess.DEVNULL)

    server_log = open(os.path.join(workdir, "server.log"), "wb")
    env = dict(os.environ, TRADPAL_SERVER_TOKEN=TOKEN)
    # One job worker, so a second sweep waits in the queue long enough to be cancelled from the
    # page; a short grace so SIGTERM at the end does not wait for the remaining sweeps.
    server = subprocess.Popen([args.tradpal, "--store", store, "--set", "server.workers=1",
                               "--set", "server.grace_s=1", "serve", "--port", "0"], env=env,
                              stdout=subprocess.PIPE, stderr=server_log)
    browser = None
    try:
        server_out = []
        m = read_line_matching(server.stdout, r"listening on (http://\S+)", 30, server_out)
        base = m.group(1).rstrip("/")
        log(f"server at {base}")

        browser_err = []
        browser = subprocess.Popen(
            [args.chromium, "--headless=new", "--remote-debugging-port=0",
             f"--user-data-dir={os.path.join(workdir, 'chromium')}", "--no-sandbox",
             "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--window-size=1400,1100", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        m = read_line_matching(browser.stderr, r"DevTools listening on (ws://[^\s/]+)", 60,
                               browser_err)
        http_base = m.group(1).replace("ws://", "http://")
        with urllib.request.urlopen(http_base + "/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Page"):
            tools.call(f"{domain}.enable")
        tools.call("Emulation.setDeviceMetricsOverride", width=1400, height=1100,
                   deviceScaleFactor=1, mobile=False)

        tools.call("Page.navigate", url=base + "/")
        tools.wait_for("document.body && document.body.dataset.ready === '1'", "the page to load")
        tools.wait_for("document.getElementById('series').options.length === 2", "the series list")

        # Pick the hourly BTC/USD series.
        index = tools.evaluate("""[...document.getElementById('series').options]
            .findIndex((o) => o.text.startsWith('BTC/USD 1h'))""")
        if index < 0:
            raise TestFailure("BTC/USD 1h is not in the series list")
        tools.select("#series", str(index))
        tools.wait_for("document.getElementById('status').textContent.startsWith('BTC/USD 1h')",
                       "the BTC/USD bars")
        if painted_pixels(tools, "price-chart") < 2000:
            raise TestFailure("the price chart is blank")

        # An overlay (Bollinger bands) and an oscillator (RSI) with their default parameters.
        for name in ("bbands", "rsi"):
            tools.select("#indicator-select", name)
            tools.click("#add-indicator")
            tools.wait_for(f"[...document.querySelectorAll('#indicator-list .chip')]"
                           f".some((c) => c.textContent.startsWith('{name}('))",
                           f"the {name} indicator")
        if painted_pixels(tools, "oscillator-chart") < 500:
            raise TestFailure("the oscillator pane is blank after adding rsi")

        # Hovering the chart shows the bar's values.
        box = tools.evaluate("""(() => { const r = document.getElementById('price-chart')
            .getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()""")
        tools.call("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])
        tools.wait_for("!document.getElementById('hover-info').hidden && "
                       "document.getElementById('hover-info').textContent.includes('rsi(14)')",
                       "the hover box")

        # Without the token the API's JSON error is shown, not swallowed.
        tools.evaluate("localStorage.removeItem('tradpal.token'); "
                       "document.getElementById('token').value = ''")
        tools.click("#run-backtest")
        tools.wait_for("!document.getElementById('error').hidden && "
                       "document.getElementById('error').textContent.includes('unauthorized')",
                       "the 401 error")

        tools.type_into("#token", TOKEN)
        if tools.evaluate("localStorage.getItem('tradpal.token')") != TOKEN:
            raise TestFailure("the token is not kept in localStorage")
        tools.select("#strategy", "sma_cross")
        tools.click("#run-backtest")
        tools.wait_for("!document.getElementById('results').hidden && "
                       "document.querySelectorAll('#metrics tbody tr').length > 10",
                       "the metrics table", timeout=args.timeout)
        if not tools.evaluate("document.getElementById('error').hidden"):
            raise TestFailure("error shown after the backtest: "
                              + tools.evaluate("document.getElementById('error').textContent"))
        metrics = tools.evaluate("""Object.fromEntries([...document.querySelectorAll(
            '#metrics tbody tr')].map((r) => [r.cells[0].textContent, r.cells[1].textContent]))""")
        for key in ("final_value", "total_return", "sharpe", "max_drawdown_pct", "n_trades"):
            if key not in metrics:
                raise TestFailure(f"metric {key} missing from the table: {metrics}")
        trades = tools.evaluate("document.querySelectorAll('#trades tbody tr').length")
        if str(trades) != metrics["n_trades"].replace(",", ""):
            raise TestFailure(f"{trades} trade rows but n_trades = {metrics['n_trades']}")
        equity_pixels = painted_pixels(tools, "equity-chart")
        drawdown_pixels = painted_pixels(tools, "drawdown-chart")
        if equity_pixels < 1000 or drawdown_pixels < 1000:
            raise TestFailure(f"blank result charts: equity {equity_pixels} px, "
                              f"drawdown {drawdown_pixels} px")
        log(f"backtest: {metrics['n_trades']} trades, final value {metrics['final_value']}, "
            f"equity chart {equity_pixels} painted px")

        check_jobs_panel(tools, base)

        shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        os.makedirs(args.artifacts, exist_ok=True)
        path = os.path.join(args.artifacts, "dashboard.png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        log(f"screenshot {path}")

        errors = tools.console_errors()
        # The deliberate 401 above is logged by Chromium as a failed resource load; nothing else
        # may be.
        unexpected = [e for e in errors if "401" not in e]
        if unexpected:
            raise TestFailure("console errors:\n  " + "\n  ".join(unexpected))
        try:
            tools.call("Browser.close", timeout=5)
        except (TestFailure, websocket.WebSocketException):
            pass
    finally:
        if browser is not None:
            try:
                browser.wait(timeout=5)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tradpal", default=os.path.join(REPO, "build", "tradpal"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM")
                        or shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--artifacts", default=os.path.join(REPO, "build", "test-artifacts"),
                        help="screenshot folder when $TRADPAL_TEST_ARTIFACTS is not set")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for the backtest")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, store)")
    args = parser.parse_args()
    args.artifacts = os.environ.get("TRADPAL_TEST_ARTIFACTS") or args.artifacts
    for name, path in (("tradpal", args.tradpal), ("chromium", args.chromium)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            print(f"SKIP: no {name} binary at {path}", file=sys.stderr)
            return SKIP

    workdir = tempfile.mkdtemp(prefix="tradpal-browser-")
    try:
        run(args, workdir)
    except (TestFailure, subprocess.CalledProcessError) as err:
        print(f"FAIL: {err}", file=sys.stderr)
        log_path = os.path.join(workdir, "server.log")
        if os.path.exists(log_path):
            with open(log_path, errors="replace") as f:
                print("server log (last lines):\n" + "".join(f.readlines()[-20:]), file=sys.stderr)
        return 1
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
