# SPDX-License-Identifier: Apache-2.0
"""Reference backtest: runs backtrader with TradPal's default rules and writes TradPal's file formats.

The rules are those of ../shared/docs/BACKTEST_SEMANTICS.md (see docs/BACKTEST.md): backtrader's BackBroker with
`set_checksubmit(False)`, percentage commission (stock-like), no slippage, no cheat-on-open/close.
The C++ engine must reproduce the trades this script writes. backtrader is not installed; run with
its source tree on the path and Debian's python 3.11:

    PYTHONPATH=/path/to/backtrader /usr/bin/python3 scripts/compare/backtrader_reference.py \\
        --input bars.csv --strategy sma_cross --param fast=10 --param slow=30 \\
        --trades-out t.csv --equity-out e.csv --json-out s.json

Input: CSV `timestamp,open,high,low,close,volume`, ascending; timestamps ISO-8601 UTC
(`2020-01-01T00:00:00Z`, without `Z`, or `2020-01-01`) or unix seconds / milliseconds.
Strategies: sma_cross, rsi_reversion, macd_cross, bollinger_reversion, donchian_breakout, all with
allow_short, stop_loss, take_profit and trailing_stop (defaults in STRATEGIES, signals in
build_signals, decision rules in Reference.next). Outputs: trades CSV, per-bar equity CSV and a JSON
summary (metrics as in section 7 of the semantics); floats written with repr().
"""
import argparse
import csv
import datetime as dt
import json
import math
import sys
import time

import backtrader as bt

COMMON = {'allow_short': False, 'stop_loss': 0.0, 'take_profit': 0.0, 'trailing_stop': 0.0}
STRATEGIES = {
    'sma_cross': {'fast': 10, 'slow': 30, 'ma': 'sma'},
    'rsi_reversion': {'period': 14, 'lower': 30.0, 'upper': 70.0},
    'macd_cross': {'fast': 12, 'slow': 26, 'signal': 9},
    'bollinger_reversion': {'period': 20, 'devs': 2.0},
    'donchian_breakout': {'entry': 20, 'exit': 10},
}
EPOCH = dt.datetime(1970, 1, 1)


def parse_timestamp(text):
    """Unix seconds of an ISO-8601 UTC time (with or without Z, or a date) or of unix s / ms."""
    s = text.strip()
    if s.lstrip('-').isdigit():
        v = int(s)
        if abs(v) < 10**11:
            return v
        if v % 1000:
            raise ValueError(f'millisecond timestamp {s} is not a whole second')
        return v // 1000
    t = dt.datetime.fromisoformat(s[:-1] if s.endswith('Z') else s)
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if t.microsecond:
        raise ValueError(f'timestamp {s} is not a whole second')
    return (t - EPOCH) // dt.timedelta(seconds=1)


def load_bars(path):
    """Read the bars CSV into a dict of lists: ts (int), open, high, low, close, volume (float)."""
    cols = ['timestamp', 'open', 'high', 'low', 'close', 'volume']
    bars = {'ts': [], 'open': [], 'high': [], 'low': [], 'close': [], 'volume': []}
    with open(path, newline='') as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader)]
        if header != cols:
            raise SystemExit(f'{path}: header must be {",".join(cols)}, got {",".join(header)}')
        for row in reader:
            if not row:
                continue
            try:
                bars['ts'].append(parse_timestamp(row[0]))
                for name, cell in zip(cols[1:], row[1:], strict=True):
                    bars[name].append(float(cell))
            except ValueError as e:
                raise SystemExit(f'{path}:{reader.line_num}: {e}') from None
    ts = bars['ts']
    if any(b <= a for a, b in zip(ts, ts[1:])):
        raise SystemExit(f'{path}: timestamps must be strictly ascending')
    return bars


class ArrayFeed(bt.feed.DataBase):
    """In-memory backtrader feed over the lists of load_bars (datetime as naive UTC)."""

    params = (('bars', None), ('timeframe', bt.TimeFrame.Minutes))

    def start(self):
        """Rewind to the first bar."""
        super().start()
        self._i = -1

    def _load(self):
        """Load the next bar into the lines; False at the end."""
        self._i += 1
        b, i = self.p.bars, self._i
        if i >= len(b['ts']):
            return False
        self.lines.datetime[0] = bt.date2num(EPOCH + dt.timedelta(seconds=b['ts'][i]))
        for name in ('open', 'high', 'low', 'close', 'volume'):
            getattr(self.lines, name)[0] = b[name][i]
        self.lines.openinterest[0] = 0.0
        return True


def crosses(a, b):
    """(a crosses above b, a crosses below b) at the current bar, from [0] and [-1]."""
    a0, a1, b0, b1 = a[0], a[-1], b[0], b[-1]
    return a0 > b0 and a1 <= b1, a0 < b0 and a1 >= b1


def build_signals(st, name, p):
    """Create the indicators of strategy `name` on st; return a function giving the signals
    (long_entry, long_exit, short_entry, short_exit) at the current bar, all False while an
    indicator value they use (at [0], and at [-1] for a cross) is not available yet."""
    close, none = st.data.close, (False, False, False, False)
    if name == 'donchian_breakout':  # levels of the n bars before t: Highest/Lowest of high(-1)
        hi_in = bt.ind.Highest(st.data.high(-1), period=p['entry'])
        lo_in = bt.ind.Lowest(st.data.low(-1), period=p['entry'])
        hi_out = bt.ind.Highest(st.data.high(-1), period=p['exit'])
        lo_out = bt.ind.Lowest(st.data.low(-1), period=p['exit'])

        def donchian():
            c, n = close[0], len(st)
            ok_in, ok_out = n >= hi_in._minperiod, n >= hi_out._minperiod
            return (ok_in and c > hi_in[0], ok_out and c < lo_out[0],
                    ok_in and c < lo_in[0], ok_out and c > hi_out[0])
        return donchian
    if name == 'sma_cross':
        ma = {'sma': bt.ind.SMA, 'ema': bt.ind.EMA}[p['ma']]
        fast, slow = ma(close, period=p['fast']), ma(close, period=p['slow'])
        inds = (fast, slow)

        def ready():
            up, down = crosses(fast, slow)
            return up, down, down, up
    elif name == 'rsi_reversion':
        rsi = bt.ind.RSI(close, period=p['period'], safediv=True)
        inds = (rsi,)

        def ready():
            r0, r1, lower, upper = rsi[0], rsi[-1], p['lower'], p['upper']
            below, above = r0 < lower and r1 >= lower, r0 > upper and r1 <= upper
            return below, above, above, below
    elif name == 'macd_cross':
        macd = bt.ind.MACD(close, period_me1=p['fast'], period_me2=p['slow'],
                           period_signal=p['signal'])
        inds = (macd,)

        def ready():
            up, down = crosses(macd.macd, macd.signal)
            return up, down, down, up
    else:  # bollinger_reversion
        bb = bt.ind.BollingerBands(close, period=p['period'], devfactor=p['devs'])
        inds = (bb,)

        def ready():
            return (crosses(close, bb.bot)[1], crosses(close, bb.mid)[0],
                    crosses(close, bb.top)[0], crosses(close, bb.mid)[1])
    need = max(i._minperiod for i in inds) + 1
    return lambda: ready() if len(st) >= need else none


class Reference(bt.Strategy):
    """Signal strategy with the decision rules, protective orders and fill bookkeeping."""

    params = (('name', None), ('cfg', None), ('size_fraction', 0.95), ('lot_step', 1e-8),
              ('ts', None))

    def __init__(self):
        self.cfg = self.p.cfg
        self.signals = build_signals(self, self.p.name, self.cfg)
        self.inv_lot = 1.0 / self.p.lot_step
        self.kind = {}          # order ref -> entry/exit/reversal/stop_loss/take_profit/...
        self.market_ref = None  # the pending entry/exit/reversal order, if any
        self.protective = []    # pending protective orders of the open position
        self.open_trade = None
        self.trades, self.equity = [], []
        self.total_commission = 0.0

    def prenext(self):
        """Warm-up bars: same cycle (the signals are false until their indicators are ready)."""
        self.next()

    def _order_size(self):
        """q = floor(((size_fraction * V) / close) * (1/lot_step)) / (1/lot_step)."""
        v = self.broker.getvalue()
        return math.floor(((self.p.size_fraction * v) / self.data.close[0]) * self.inv_lot) \
            / self.inv_lot

    def _cancel_protective(self):
        """Cancel the position's pending protective orders (immediate effect in BackBroker)."""
        for o in self.protective:
            self.cancel(o)
        self.protective = []

    def _submit(self, kind, order):
        """Remember a market order and its role."""
        self.kind[order.ref] = kind
        self.market_ref = order.ref

    def next(self):
        """Record the bar's equity, then apply the decision rules at the close."""
        i = len(self) - 1
        assert i == len(self.equity), 'next() must run on every bar'
        pos = self.position.size
        self.equity.append((self.p.ts[i], self.broker.getvalue(), self.broker.getcash(), pos))
        long_entry, long_exit, short_entry, short_exit = self.signals()
        if long_entry and pos <= 0:
            want = 'long'
        elif self.cfg['allow_short'] and short_entry and pos >= 0:
            want = 'short'
        elif (long_exit and pos > 0) or (short_exit and pos < 0):
            want = 'exit'
        else:
            return
        assert self.market_ref is None, 'a market order is still pending'
        if want == 'exit':
            self._cancel_protective()
            self._submit('exit', self.close())
            return
        q = self._order_size()
        if q <= 0:
            return
        if pos == 0:
            assert not self.protective
            self._submit('entry', self.buy(size=q) if want == 'long' else self.sell(size=q))
        else:
            self._cancel_protective()
            self._submit('reversal', self.order_target_size(target=q if want == 'long' else -q))

    def notify_order(self, order):
        """Book fills into trades; create protective orders after an opening fill."""
        if order.status in (order.Partial, order.Completed):
            bar = len(self.data) - 1
            opened_at = None
            for bit in order.executed.iterpending():
                self._on_fill(order, bit, bar)
                if bit.opened:
                    opened_at = bit.price
            if order.status == order.Completed and opened_at is not None:
                self._protect(opened_at)
        if not order.alive():
            if order.ref == self.market_ref:
                self.market_ref = None
            self.protective = [o for o in self.protective if o.ref != order.ref]

    def _on_fill(self, order, bit, bar):
        """Close the open trade with the closing part of a fill, open one with its opening part."""
        self.total_commission += bit.closedcomm + bit.openedcomm
        if bit.closed:
            tr = self.open_trade
            assert tr is not None and abs(bit.closed) == tr['size'], 'close must match the trade'
            kind, entry, exit_ = self.kind[order.ref], tr['entry_price'], bit.price
            gross = tr['size'] * ((exit_ - entry) if tr['side'] == 'long' else (entry - exit_))
            comm = tr['entry_commission'] + bit.closedcomm
            self.trades.append(dict(tr, exit_bar=bar, exit_price=bit.price, gross_pnl=gross,
                                    commission=comm, net_pnl=gross - comm,
                                    exit_type='signal' if kind == 'exit' else kind))
            self.open_trade = None
        if bit.opened:
            assert self.open_trade is None
            self.open_trade = dict(side='long' if bit.opened > 0 else 'short',
                                   size=abs(bit.opened), entry_bar=bar, entry_price=bit.price,
                                   entry_commission=bit.openedcomm)

    def _protect(self, fill):
        """Stop, take-profit and trailing stop (in this order, OCO) for the whole new position."""
        size = abs(self.position.size)
        cfg, is_long = self.cfg, self.position.size > 0
        make = self.sell if is_long else self.buy
        specs = []
        if cfg['stop_loss']:
            k = (1 - cfg['stop_loss']) if is_long else (1 + cfg['stop_loss'])
            specs.append(('stop_loss', dict(exectype=bt.Order.Stop, price=k * fill)))
        if cfg['take_profit']:
            k = (1 + cfg['take_profit']) if is_long else (1 - cfg['take_profit'])
            specs.append(('take_profit', dict(exectype=bt.Order.Limit, price=k * fill)))
        if cfg['trailing_stop']:
            specs.append(('trailing_stop', dict(exectype=bt.Order.StopTrail, price=fill,
                                                trailpercent=cfg['trailing_stop'])))
        for kind, kw in specs:
            o = make(size=size, oco=self.protective[0] if self.protective else None, **kw)
            self.kind[o.ref] = kind
            self.protective.append(o)


def drawdown_and_sharpe(equity, cash0):
    """Max drawdown % over per-bar equity; daily (UTC) Sharpe, sqrt(252)*mean/pstdev or None."""
    peak, mdd = -math.inf, 0.0
    day_close = {}
    for ts, value, _, _ in equity:
        peak = max(peak, value)
        mdd = max(mdd, 100.0 * (peak - value) / peak)
        day_close[ts // 86400] = value
    rets, prev = [], cash0
    for day in sorted(day_close):
        rets.append(day_close[day] / prev - 1.0)
        prev = day_close[day]
    if not rets:  # no bars
        return mdd, None
    mean = sum(rets) / len(rets)
    sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / len(rets))
    return mdd, (math.sqrt(252.0) * mean / sd if sd > 0 else None)


def summary(strat, broker, cash0):
    """The JSON summary of a finished run."""
    trades, ts = strat.trades, strat.p.ts
    nets = [t['net_pnl'] for t in trades]
    wins, losses = [n for n in nets if n > 0], [n for n in nets if n < 0]
    mdd, sharpe = drawdown_and_sharpe(strat.equity, cash0)
    ot = strat.open_trade
    final_value = broker.getvalue()
    return {
        'final_value': final_value, 'final_cash': broker.getcash(),
        'final_position': float(strat.position.size), 'n_trades': len(trades),
        'open_trade': None if ot is None else {
            'side': ot['side'], 'size': ot['size'], 'entry_time': ts[ot['entry_bar']],
            'entry_price': ot['entry_price'], 'entry_commission': ot['entry_commission']},
        'total_commission': strat.total_commission, 'max_drawdown_pct': mdd, 'sharpe': sharpe,
        'total_return': final_value / cash0 - 1.0,
        'win_rate': len(wins) / len(nets) if nets else None,
        'profit_factor': sum(wins) / -sum(losses) if losses else None,
    }


def write_outputs(strat, summ, args):
    """Write the trades CSV, the equity CSV and the JSON summary."""
    ts = strat.p.ts
    with open(args.trades_out, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['entry_time', 'exit_time', 'side', 'size', 'entry_price', 'exit_price',
                    'gross_pnl', 'commission', 'net_pnl', 'exit_type'])
        for t in strat.trades:
            w.writerow([ts[t['entry_bar']], ts[t['exit_bar']], t['side']]
                       + [repr(t[k]) for k in ('size', 'entry_price', 'exit_price', 'gross_pnl',
                                               'commission', 'net_pnl')] + [t['exit_type']])
    with open(args.equity_out, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['timestamp', 'value', 'cash', 'position'])
        for t, value, cash, pos in strat.equity:
            w.writerow([t, repr(value), repr(cash), repr(float(pos))])
    with open(args.json_out, 'w') as f:
        json.dump(summ, f, indent=2)
        f.write('\n')


def strategy_config(name, pairs):
    """Defaults of `name` overridden by k=v pairs, converted to the defaults' types."""
    cfg = dict(COMMON, **STRATEGIES[name])
    for pair in pairs:
        k, sep, v = pair.partition('=')
        if not sep or k not in cfg:
            raise SystemExit(f'bad --param {pair!r} for {name}; known: {", ".join(cfg)}')
        if isinstance(cfg[k], bool):
            if v.lower() not in ('true', 'false', '1', '0'):
                raise SystemExit(f'--param {k} must be true/false')
            cfg[k] = v.lower() in ('true', '1')
        else:
            cfg[k] = type(cfg[k])(v)
    if cfg.get('ma', 'sma') not in ('sma', 'ema'):
        raise SystemExit('--param ma must be sma or ema')
    return cfg


def main():
    """Parse the arguments, run cerebro, write the outputs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--input', required=True)
    ap.add_argument('--strategy', required=True, choices=sorted(STRATEGIES))
    ap.add_argument('--param', action='append', default=[], metavar='K=V')
    for flag, default in (('--cash', 100000.0), ('--commission', 0.001),
                          ('--size-fraction', 0.95), ('--lot-step', 1e-8)):
        ap.add_argument(flag, type=float, default=default)
    for flag in ('--trades-out', '--equity-out', '--json-out'):
        ap.add_argument(flag, required=True)
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args()
    cfg = strategy_config(args.strategy, args.param)
    t0 = time.perf_counter()
    bars = load_bars(args.input)
    # runonce (vectorised indicators) fails with an IndexError when the series is shorter than an
    # indicator's warm-up; next() mode gives identical numbers, so use it for such short inputs
    # (the sum of the integer parameters bounds every warm-up used here).
    warmup = sum(v for v in cfg.values() if type(v) is int) + 2
    cerebro = bt.Cerebro(stdstats=False, runonce=len(bars['ts']) >= warmup)
    cerebro.adddata(ArrayFeed(bars=bars))
    cerebro.broker.set_cash(args.cash)
    cerebro.broker.setcommission(commission=args.commission)
    cerebro.broker.set_checksubmit(False)
    cerebro.addstrategy(Reference, name=args.strategy, cfg=cfg, ts=bars['ts'],
                        size_fraction=args.size_fraction, lot_step=args.lot_step)
    t1 = time.perf_counter()
    strat = cerebro.run()[0]
    t2 = time.perf_counter()
    summ = summary(strat, cerebro.broker, args.cash)
    write_outputs(strat, summ, args)
    if not args.quiet:
        print(f'{len(bars["ts"])} bars, {summ["n_trades"]} trades, final value '
              f'{summ["final_value"]!r}; load {t1 - t0:.2f} s, cerebro.run {t2 - t1:.2f} s, '
              f'total {time.perf_counter() - t0:.2f} s', file=sys.stderr)


if __name__ == '__main__':
    main()
