#!/usr/bin/python3
"""Transaction lines for the analytics benchmark: buy-till-you-die customers.

Each customer is acquired on a day of a three-year history, buys at a rate
drawn from a gamma distribution and after each purchase drops out with a
probability drawn from a beta distribution (the BG/NBD story, as kehu demo
tells it); an order has 1 + Poisson(1.5) lines of products near the customer's
taste. Written as CSV: customer_id,date,amount,order_id,product_id.

    /usr/bin/python3 bench/analytics/gen.py --customers 1000000 --out lines.csv

Debian's python3 (numpy, pandas); the defaults make about 10 lines a customer.
"""
import argparse
import sys

import numpy as np
import pandas as pd

ap = argparse.ArgumentParser()
ap.add_argument('--customers', type=int, default=1000000)
ap.add_argument('--seed', type=int, default=42)
ap.add_argument('--products', type=int, default=500)
ap.add_argument('--out', required=True)
a = ap.parse_args()

rng = np.random.default_rng(a.seed)
n = a.customers
history = 1095
start = np.datetime64('2023-01-01')
rate = rng.gamma(1.2, 3.0, n) / 365.0           # purchases a day while alive
drop = rng.beta(1.3, 8.0, n)                    # chance of leaving after a purchase
taste = rng.integers(0, a.products, n)
price = np.round(rng.lognormal(4.5, 0.8, a.products), 2)
day = rng.integers(0, history, n)               # first purchase
alive = np.ones(n, bool)
cust_parts, day_parts = [], []
for k in range(80):
    live = np.flatnonzero(alive & (day < history))
    if live.size == 0:
        break
    cust_parts.append(live)
    day_parts.append(day[live])
    alive[live] = rng.random(live.size) >= drop[live]
    day[live] = day[live] + 1 + np.floor(rng.exponential(1.0, live.size) / rate[live]).astype(np.int64)
oc = np.concatenate(cust_parts)
od = np.concatenate(day_parts)
order = np.arange(oc.size) + 1
lines = 1 + rng.poisson(1.5, oc.size)
lc = np.repeat(oc, lines)
ld = np.repeat(od, lines)
lo = np.repeat(order, lines)
lp = (taste[lc] + rng.integers(0, 12, lc.size)) % a.products
qty = 1 + (rng.random(lc.size) < 0.3) * rng.integers(0, 4, lc.size)
amount = np.round(price[lp] * qty, 2)
# A transaction log is in time order. Written a slice at a time (the same
# bytes as one to_csv): the date strings of 10M customers' 96M lines as one
# frame would need more memory than the numbers themselves.
by = np.argsort(ld, kind='stable')
step = 4000000
with open(a.out, 'w') as f:
    for lo_ in range(0, by.size, step):
        sl = by[lo_:lo_ + step]
        df = pd.DataFrame({'customer_id': lc[sl] + 1, 'date': (start + ld[sl].astype('timedelta64[D]')).astype(str),
                           'amount': amount[sl], 'order_id': lo[sl], 'product_id': lp[sl] + 1})
        df.to_csv(f, index=False, header=lo_ == 0)
print(f'{n} customers, {oc.size} orders, {lc.size} lines -> {a.out}', file=sys.stderr)
