# SPDX-License-Identifier: Apache-2.0
"""Compare two backtests' trades CSVs (and optionally their equity CSVs) trade by trade.

Trades files have the header `entry_time,exit_time,side,size,entry_price,exit_price,gross_pnl,
commission,net_pnl,exit_type` (as written by backtrader_reference.py and by TradPal). Trades match
when entry_time, exit_time, side and exit_type are equal, size / entry_price / exit_price agree to
1e-12 relative and gross_pnl / commission / net_pnl to --money-tol absolute. Equity files
(`timestamp,value,cash,position`) match when the timestamps are equal, value and cash agree to
--money-tol absolute and position to 1e-12 relative. Prints a summary (or the first mismatch with
both rows) and exits 1 on any mismatch:

    /usr/bin/python3 scripts/compare/compare_backtests.py ref_trades.csv cpp_trades.csv \\
        [--money-tol 1e-6] [--equity ref_equity.csv cpp_equity.csv]
"""
import argparse
import csv
import math
import sys

EXACT = ('entry_time', 'exit_time', 'side', 'exit_type')
RELATIVE = ('size', 'entry_price', 'exit_price')
MONEY = ('gross_pnl', 'commission', 'net_pnl')
REL_TOL = 1e-12


def read_rows(path, header):
    """Rows of a CSV as dicts, after checking its header."""
    try:
        with open(path, newline='') as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != list(header):
                sys.exit(f'{path}: header must be {",".join(header)}, got {reader.fieldnames}')
            return list(reader)
    except OSError as e:
        sys.exit(f'{path}: {e.strerror}')


def rel_close(a, b):
    """True when a and b agree to REL_TOL relative (exactly when one is 0)."""
    x, y = float(a), float(b)
    return x == y or abs(x - y) <= REL_TOL * max(abs(x), abs(y))


def trade_mismatch(a, b, money_tol):
    """The names of the columns in which trades a and b differ."""
    bad = [k for k in EXACT if a[k] != b[k]]
    bad += [k for k in RELATIVE if not rel_close(a[k], b[k])]
    bad += [k for k in MONEY if not abs(float(a[k]) - float(b[k])) <= money_tol]
    return bad


def compare_trades(path_a, path_b, money_tol):
    """Compare two trades files; True when they match."""
    header = ('entry_time', 'exit_time', 'side', 'size', 'entry_price', 'exit_price',
              'gross_pnl', 'commission', 'net_pnl', 'exit_type')
    ra, rb = read_rows(path_a, header), read_rows(path_b, header)
    worst = 0.0
    for i, (a, b) in enumerate(zip(ra, rb)):
        bad = trade_mismatch(a, b, money_tol)
        if bad:
            print(f'trade {i} differs in {", ".join(bad)}:\n  A: {",".join(a.values())}\n'
                  f'  B: {",".join(b.values())}')
            return False
        worst = max([worst] + [abs(float(a[k]) - float(b[k])) for k in MONEY])
    if len(ra) != len(rb):
        n = min(len(ra), len(rb))
        extra = (ra if len(ra) > n else rb)[n]
        print(f'trade counts differ: A has {len(ra)}, B has {len(rb)}; first extra trade '
              f'({"A" if len(ra) > n else "B"}): {",".join(extra.values())}')
        return False
    print(f'{len(ra)} trades identical (max money difference {worst:.3g})')
    return True


def compare_equity(path_a, path_b, money_tol):
    """Compare two equity files; True when they match."""
    header = ('timestamp', 'value', 'cash', 'position')
    ra, rb = read_rows(path_a, header), read_rows(path_b, header)
    if len(ra) != len(rb):
        print(f'equity row counts differ: A has {len(ra)}, B has {len(rb)}')
        return False
    worst = {'value': 0.0, 'cash': 0.0}
    first_bad = None
    for i, (a, b) in enumerate(zip(ra, rb)):
        for k in worst:
            worst[k] = max(worst[k], abs(float(a[k]) - float(b[k])))
        ok = (a['timestamp'] == b['timestamp'] and rel_close(a['position'], b['position'])
              and all(abs(float(a[k]) - float(b[k])) <= money_tol for k in worst))
        if not ok and first_bad is None:
            first_bad = (i, a, b)
    print(f'{len(ra)} equity rows, max |value diff| {worst["value"]:.3g}, '
          f'max |cash diff| {worst["cash"]:.3g}')
    if first_bad is not None:
        i, a, b = first_bad
        print(f'equity row {i} differs:\n  A: {",".join(a.values())}\n  B: {",".join(b.values())}')
        return False
    return True


def main():
    """Parse the arguments, compare, exit 1 on a mismatch."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('trades_a')
    ap.add_argument('trades_b')
    ap.add_argument('--money-tol', type=float, default=1e-6)
    ap.add_argument('--equity', nargs=2, metavar=('A_EQUITY', 'B_EQUITY'))
    args = ap.parse_args()
    if not math.isfinite(args.money_tol) or args.money_tol < 0:
        sys.exit('--money-tol must be a finite number >= 0')
    ok = compare_trades(args.trades_a, args.trades_b, args.money_tol)
    if args.equity:
        ok = compare_equity(*args.equity, args.money_tol) and ok
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
