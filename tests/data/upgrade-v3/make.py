#!/usr/bin/env python3
"""Writes the upgrade-v3 fixture with a given warroom binary (see README.md).

    python3 make.py path/to/warroom

Generates the three event files (day 1, day 2 and day 3 of a three-day
sale), runs `warroom serve` on a fresh data directory three times
(stopped with SIGTERM, SIGTERM, then SIGKILL), keeps that directory as
`data/`, then starts the same binary once more on a copy of it and
records what it shows in `expected.json`. Deterministic events; run it
again only to make a new fixture with the build that wrote it. Only
orders, refunds and stock events: the build it is for (generation 3)
knows no traffic, spend, region or campaign.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
INGEST = "fixture-v3-ingest-token-FAKE-0001"
VIEW = "fixture-v3-view-token-FAKE-0002"
START_MS = 1794153600000  # 2026-11-09T00:00:00+08:00
# The first minute of each run's events, and the minutes the timeline
# windows in `expected.json` cover (each from 10 minutes before a run).
RUN_MINUTES = [0, 1500, 2900]
WINDOW = 40


def events(rng, first, count, minute, dup_pool, stores):
    """`count` new events numbered from `first`, from `minute` on, plus
    re-sent copies."""
    skus = [("k1", "99.50"), ("k2", "199"), ("k3", "25.5")]
    out, orders = [], []
    for n in range(first, first + count):
        ts = START_MS + minute * 60_000 + (n - first) * 4_000 + rng.randrange(3_000)
        if n % 37 == 5:
            out.append({"type": "stock", "ts": ts, "sku": rng.choice(["k1", "k3"]),
                        "level": rng.randrange(100, 900)})
            continue
        if n % 11 == 3 and orders:
            o = rng.choice(orders)
            it = o["items"][0]
            out.append({"type": "refund", "id": f"R{n:05d}", "ts": ts, "store": o["store"],
                        "items": [{"sku": it["sku"], "qty": 1, "price": it["price"]}]})
            continue
        store, home = rng.choice(stores)
        e = {"type": "order", "id": f"T{n:05d}", "ts": ts, "store": store}
        pick = rng.random()
        if pick < 0.5 and home:
            e["channel"] = home
        elif pick < 0.6:
            e["channel"] = "douyin"
        if rng.random() < 0.85:
            e["buyer"] = f"u{rng.randrange(80):03d}"
            if rng.random() < 0.3:
                e["new_buyer"] = True
        items = []
        for sku, price in rng.sample(skus, rng.randrange(1, 3)):
            item = {"sku": sku, "qty": rng.randrange(1, 4), "price": price}
            if rng.random() < 0.25:
                item["cost"] = "10.25"
            items.append(item)
        e["items"] = items
        out.append(e)
        orders.append(e)
    pool = dup_pool + [e for e in out if e["type"] != "stock"]
    for _ in range(count // 8):
        at = rng.randrange(len(out))
        out.insert(at, rng.choice(pool))
    return out


def request(base, path, token, body=None):
    req = urllib.request.Request(base + path, data=body,
                                 headers={"Authorization": f"Bearer {token}"})
    if body is not None:
        req.add_header("content-type", "application/x-ndjson")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def start(binary, config, data, log):
    p = subprocess.Popen([binary, "serve", "--config", config, "--data-dir", data,
                          "--listen", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=log, text=True)
    for line in p.stdout:
        url = next((w for w in line.split() if w.startswith("http://")), None)
        if url:
            break
    else:
        sys.exit("no banner from warroom")
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as r:
                if r.status == 200:
                    return p, url
        except OSError:
            time.sleep(0.1)
    sys.exit("warroom never became ready")


def post_all(base, lines):
    for i in range(0, len(lines), 25):
        body = "\n".join(json.dumps(e, ensure_ascii=False) for e in lines[i:i + 25])
        request(base, "/api/v1/events", INGEST, body.encode())


def main():
    binary = os.path.abspath(sys.argv[1])
    rng = random.Random(20261110)
    # Day 2 brings store s7 (not in the config) and day 3 store s8: stores
    # first seen late, whose format-3 timelines hold one or two chunks.
    day1 = [("s1", "tmall"), ("s2", "jd"), ("s9", None)]
    stores = [day1, day1 + [("s7", "tmall")], day1 + [("s7", "tmall"), ("s8", None)]]
    runs, pool = [], []
    for (first, count), minute, st in zip([(0, 150), (150, 150), (300, 100)], RUN_MINUTES,
                                          stores):
        batch = events(rng, first, count, minute, pool, st)
        pool += [e for e in batch if e["type"] != "stock"]
        runs.append(batch)
    for i, batch in enumerate(runs, 1):
        with open(os.path.join(HERE, f"events-{i}.ndjson"), "w", encoding="utf-8") as f:
            f.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in batch)

    work = tempfile.mkdtemp(prefix="upgrade-v3-")
    shutil.copy(os.path.join(HERE, "sale.toml"), work)
    config, data = os.path.join(work, "sale.toml"), os.path.join(work, "data")
    log = open(os.path.join(work, "stderr.log"), "w")
    # Runs 1 and 2 end with SIGTERM (a final checkpoint each, the second
    # deleting the segment the first covered); run 3 is killed, so its
    # records are in the log after the newest checkpoint.
    for batch, sig in zip(runs, [signal.SIGTERM, signal.SIGTERM, signal.SIGKILL]):
        p, base = start(binary, config, data, log)
        post_all(base, batch)
        p.send_signal(sig)
        p.wait(timeout=60)

    fixture = os.path.join(HERE, "data")
    shutil.rmtree(fixture, ignore_errors=True)
    shutil.copytree(data, fixture)

    # What this build recovers from it, read over HTTP from a copy.
    probe = os.path.join(work, "probe")
    shutil.copytree(data, probe)
    p, base = start(binary, config, probe, log)
    summary = request(base, "/api/v1/summary", VIEW)
    channels = request(base, "/api/v1/channels", VIEW)
    stores = request(base, "/api/v1/stores", VIEW)
    skus = request(base, "/api/v1/skus", VIEW)
    minutes = ["minute_start", "gmv", "orders", "units", "cumulative_gmv"]

    def windows(scope):
        rows = []
        for m in RUN_MINUTES:
            lo = max(0, m - 10)
            got = request(base, f"/api/v1/timeline?scope={scope}&from={lo}&to={lo + WINDOW}",
                          VIEW)
            rows += [pick(r, minutes) for r in got if r["orders"] > 0]
        return rows

    def pick(row, keys):
        return {k: row[k] for k in keys}

    timeline = {s: windows(s) for s in ["sale", "channel:douyin", "store:s7", "store:s8"]}
    whole = request(base, "/api/v1/timeline?scope=sale", VIEW)
    timeline["sale, whole"] = [pick(r, minutes) for r in whole if r["orders"] > 0]
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)

    scope = ["id", "name", "gmv", "refunds", "net_gmv", "orders", "units", "buyers",
             "target", "profit", "profit_target"]
    expected = {
        "sale": pick(summary["sale"], ["name", "currency", "starts", "ends", "timezone"]),
        "events_applied": summary["events_applied"],
        "duplicates": summary["duplicates"],
        "totals": pick(summary["totals"], ["gmv", "refunds", "net_gmv", "orders",
                                           "refund_count", "units", "refund_units", "buyers",
                                           "new_buyers", "profit", "target", "profit_target"]),
        "channels": sorted((pick(r, scope) for r in channels), key=lambda r: r["id"]),
        "stores": sorted((pick(r, scope + ["channel"]) for r in stores),
                         key=lambda r: r["id"]),
        "skus": sorted((pick(r, ["id", "name", "units", "gmv", "refund_units",
                                 "target_units", "stock", "stock_left"]) for r in skus),
                       key=lambda r: r["id"]),
        # Per scope, the minutes with orders in each run's window (one
        # minute a row), and the sale's whole timeline at its default step.
        "timelines": timeline,
    }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
