#!/usr/bin/env python3
"""Writes the upgrade-v1 fixture with a given warroom binary (see README.md).

    python3 make.py path/to/warroom

Generates the three event files, runs `warroom serve` on a fresh data
directory three times (stopped with SIGTERM, SIGTERM, then SIGKILL), keeps
that directory as `data/`, then starts the same binary once more on a copy
of it and records what it shows in `expected.json`. Deterministic events;
run it again only to make a new fixture with the build that wrote it.
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
INGEST = "fixture-ingest-token-FAKE-0001"
VIEW = "fixture-view-token-FAKE-0002"
START_MS = 1794326400000  # 2026-11-11T00:00:00+08:00


def events(rng, first, count, dup_pool):
    """`count` new events numbered from `first`, plus re-sent copies."""
    stores = [("s1", "tmall"), ("s2", "jd"), ("s3", "tmall"), ("s9", None)]
    skus = [("k1", "99.50"), ("k2", "199"), ("k3", "899.00"), ("k4", "25.5"), ("k9", "12.00")]
    out, orders = [], []
    for n in range(first, first + count):
        ts = START_MS + n * 4_000 + rng.randrange(3_000)
        if n % 37 == 5:
            out.append({"type": "stock", "ts": ts, "sku": rng.choice(["k4", "k8", "k2"]),
                        "level": rng.randrange(0, 900)})
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
            e["buyer"] = f"u{rng.randrange(60):03d}"
            if rng.random() < 0.3:
                e["new_buyer"] = True
        items = []
        for sku, price in rng.sample(skus, rng.randrange(1, 4)):
            item = {"sku": sku, "qty": rng.randrange(1, 4), "price": price}
            if rng.random() < 0.25:
                item["cost"] = "10.25"
            items.append(item)
        e["items"] = items
        if n == first + 7:
            e["ts"] = START_MS - 90_000  # before the sale: totals, not the timeline
        out.append(e)
        orders.append(e)
    # Retried sends: earlier runs' events and this run's own.
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
    rng = random.Random(20261111)
    runs, pool = [], []
    for first, count in [(0, 150), (150, 150), (300, 100)]:
        batch = events(rng, first, count, pool)
        pool += [e for e in batch if e["type"] != "stock"]
        runs.append(batch)
    for i, batch in enumerate(runs, 1):
        with open(os.path.join(HERE, f"events-{i}.ndjson"), "w", encoding="utf-8") as f:
            f.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in batch)

    work = tempfile.mkdtemp(prefix="upgrade-v1-")
    for name in ["sale.toml", "baseline-timeline.csv"]:
        shutil.copy(os.path.join(HERE, name), work)
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
    timeline = request(base, "/api/v1/timeline?scope=sale", VIEW)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)

    def pick(row, keys):
        return {k: row[k] for k in keys}

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
        # The minutes with orders, and the first five (the baseline's).
        "timeline": [pick(r, ["minute_start", "gmv", "orders", "units", "cumulative_gmv",
                              "baseline_gmv"])
                     for i, r in enumerate(timeline) if r["orders"] > 0 or i < 5],
    }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
