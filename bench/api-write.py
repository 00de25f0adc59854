#!/usr/bin/env python3
"""Tern's native API write path over HTTP/1.1 keep-alive, measured the way
../shared/bench/pdns-api-bench.py measures PowerDNS: one client, sequential
requests on one connection.

  1. --ops single-record creates (POST /records), ops/s and latency p50/p99;
  2. one batch of --batch records (POST /changes), its latency;
  3. propagation: create a record, then query the nameserver until it
     answers (read-your-writes: expected on the first query).

Prints one JSON object; bench/api-write.sh runs it against `tern serve`.
"""
import argparse
import http.client
import json
import socket
import struct
import time


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


class Api:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def req(self, method, path, body=None, expect=(200, 201, 204)):
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers=self.headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        if resp.status not in expect:
            raise RuntimeError(f"{method} {path} -> {resp.status}: {payload[:300]!r}")
        return json.loads(payload) if payload else None


def dns_answers(port, name):
    q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q, ("127.0.0.1", port))
        reply = s.recv(4096)
    return struct.unpack(">H", reply[6:8])[0]


def _client(job):
    port, token, zone_id, n, start_at = job
    api = Api(port, token)
    while time.time() < start_at:
        time.sleep(0.001)
    for i in range(n):
        api.req("POST", f"/api/v1/domains/{zone_id}/records",
                {"name": f"p{i}", "type": "A", "content": f"10.9.{(i >> 8) & 255}.{i & 255}"})
    return time.time()


def parallel_creates(args):
    """--clients clients, each on its own connection and zone, at once."""
    from multiprocessing import Pool
    api = Api(args.api_port, args.token)
    zones = [api.req("POST", "/api/v1/domains", {"name": f"par{c}.{args.zone}", "domain_type": "primary"})["id"]
             for c in range(args.clients)]
    start_at = time.time() + 0.5
    per_client = args.ops
    with Pool(args.clients) as pool:
        ends = pool.map(_client, [(args.api_port, args.token, z, per_client, start_at) for z in zones])
    return round(args.clients * per_client / (max(ends) - start_at), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--api-port", type=int, required=True)
    ap.add_argument("--dns-port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--zone", default="api.test")
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--label", default="tern")
    ap.add_argument("--clients", type=int, default=0,
                    help="also: this many clients creating at once, each in its own zone")
    args = ap.parse_args()

    api = Api(args.api_port, args.token)
    zone = api.req("POST", "/api/v1/domains", {"name": args.zone, "domain_type": "primary"})
    records = f"/api/v1/domains/{zone['id']}/records"

    latencies = []
    start = time.perf_counter()
    for i in range(args.ops):
        t0 = time.perf_counter()
        api.req("POST", records, {"name": f"host-{i}", "type": "A",
                                  "content": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", "ttl": 300})
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - start

    changes = [{"op": "create", "name": f"batch-{i}", "type": "A",
                "content": f"10.200.{(i >> 8) & 255}.{i & 255}"} for i in range(args.batch)]
    t0 = time.perf_counter()
    api.req("POST", f"/api/v1/domains/{zone['id']}/changes", {"changes": changes})
    batch_ms = (time.perf_counter() - t0) * 1000

    seen_first, waits = 0, []
    for i in range(args.samples):
        name = f"prop-{i}.{args.zone}"
        t0 = time.perf_counter()
        api.req("POST", records, {"name": f"prop-{i}", "type": "A", "content": "192.0.2.77"})
        tries = 0
        while True:
            tries += 1
            if dns_answers(args.dns_port, name) > 0:
                break
            if time.perf_counter() - t0 > 10:
                raise RuntimeError(f"{name} not answered after 10 s")
        waits.append((time.perf_counter() - t0) * 1000)
        seen_first += tries == 1

    concurrent = None
    if args.clients > 1:
        concurrent = parallel_creates(args)

    print(json.dumps({
        "label": args.label,
        "creates": args.ops,
        "creates_per_s": round(args.ops / elapsed, 1),
        "create_ms_p50": round(pct(latencies, 50), 3),
        "create_ms_p99": round(pct(latencies, 99), 3),
        "batch_records": args.batch,
        "batch_ms": round(batch_ms, 1),
        "propagation_samples": args.samples,
        "answered_on_first_query": seen_first,
        "create_to_answer_ms_p50": round(pct(waits, 50), 3),
        "create_to_answer_ms_p99": round(pct(waits, 99), 3),
        "parallel_clients": args.clients if concurrent else None,
        "parallel_creates_per_s": concurrent,
    }))


if __name__ == "__main__":
    main()
