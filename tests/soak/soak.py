#!/usr/bin/env python3
"""Bounded soak and overload of a running Hoard (SPEC §9), Python stdlib only.

Phases: `normal` (CLIENTS clients for NORMAL_SECS), with --outage an `outage` (the same
clients while whoever runs the soak keeps the object store down: it says `outage-start` on
stderr and waits for `store-back` on stdin; the same rules as `overload`, and a body cut off
mid-stream is allowed) and a recovery probe, `overload` (3x CLIENTS for
OVERLOAD_SECS), `recovery` (one probe client until a list + upload + download succeeds),
`after` (CLIENTS clients for a few seconds), then every acknowledged upload is downloaded
and checked by sha256. Each client is a thread with one keep-alive connection, working in
its own folder as one of USERS accounts (created through the admin API), mixing listings,
stats, downloads, Range reads, small and a few large uploads, renames, refreshes and logins,
and WebDAV in the same folder: PROPFIND Depth 1 (every file it put is listed), GET with
Range, PUT, MOVE, LOCK + UNLOCK.
Logins always use the right password: Hoard throttles failed logins only, so the soak
measures the server, not the throttle.

Rules (exit 1 when broken): no 5xx and no broken connection in `normal` and `after`; in
`overload` only 2xx/4xx, 429 or 503 with Retry-After (503 `unavailable`); recovery within
RECOVERY_CAP seconds; every acknowledged upload intact (API and WebDAV). The server's RSS is sampled from
/proc/PID/status (VmRSS at the end of each phase, VmHWM at the end) and reported, not judged:
tests/soak.rs asserts its bound. Prints one JSON summary on stdout.

  python3 tests/soak/soak.py --base http://127.0.0.1:8080 --admin NAME --password PW \
      --pid SERVER_PID [--clients 64] [--normal-secs 60] [--overload-secs 20] [--outage]
"""

import argparse
import collections
import hashlib
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

USERS = 8
RECOVERY_CAP = 30.0
AFTER_SECS = 3.0
KIB = 1024
# (kind, weight): the mix of one client.
MIX = [("list", 30), ("stat", 7), ("download", 15), ("range", 8), ("upload", 12),
       ("upload_large", 1), ("rename", 8), ("refresh", 5), ("login", 2), ("health", 2),
       ("dav_propfind", 4), ("dav_range", 4), ("dav_put", 4), ("dav_move", 2), ("dav_lock", 2)]
# Reads whose body streams from the blob store.
STREAMED = ("download", "range", "dav_range")
PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
            b'<D:getcontentlength/><D:getetag/><D:resourcetype/></D:prop></D:propfind>')
LOCKINFO = (b'<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">'
            b'<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>'
            b'<D:owner>soak</D:owner></D:lockinfo>')


class Http:
    """One keep-alive connection; reconnects after an error."""

    def __init__(self, host, port):
        self.host, self.port, self.conn = host, port, None

    def close(self):
        """Drops the connection: the next request opens a fresh one, as a client that was
        idle longer than the server's keep-alive would."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict lower-cased, body bytes); status 0 for a broken connection."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, {}, b""


def content(seed, size):
    return random.Random(seed).randbytes(size)


class Run:
    def __init__(self, args):
        url = urllib.parse.urlparse(args.base)
        self.host, self.port, self.args = url.hostname, url.port, args
        self.lock = threading.Lock()
        self.counts = collections.defaultdict(collections.Counter)  # phase -> "kind status"
        self.violations = []
        self.acked = {}  # file id -> (seed, size, sha256)
        self.dav_acked = {}  # seed -> (client, size, sha256), put through WebDAV
        self.seeds = iter(range(1, 1 << 62))
        self.phase = "setup"

    def record(self, kind, status, headers, body):
        with self.lock:
            phase = self.phase
            self.counts[phase][f"{kind} {status}"] += 1
            if phase in ("normal", "after") and (status == 0 or status >= 500):
                self.violations.append(f"{phase}: {kind} answered {status} {body[:200]!r}")
            elif phase in ("overload", "outage"):
                # A body cut off when the store went away mid-stream is the one broken
                # connection an outage may cause.
                cut_off = phase == "outage" and kind in STREAMED
                if phase == "outage" and kind == "health" and status == 503:
                    # /health reports the store as unreachable: a report, not a refusal.
                    if b'"degraded"' not in body:
                        self.violations.append(f"outage: /health 503 is not `degraded`: {body[:200]!r}")
                elif (status == 0 and not cut_off) or (status >= 500 and status != 503):
                    self.violations.append(f"{phase}: {kind} answered {status} {body[:200]!r}")
                elif status in (429, 503) and not headers.get("retry-after", "").isdigit():
                    self.violations.append(f"{phase}: {kind} {status} without Retry-After")
                elif status == 503 and b'"unavailable"' not in body:
                    self.violations.append(f"{phase}: 503 is not `unavailable`: {body[:200]!r}")

    def next_seed(self):
        with self.lock:
            return next(self.seeds)


def json_headers(token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    return headers


class Client:
    """One simulated user session: its folder, its files, its tokens."""

    def __init__(self, run, n, user):
        self.run, self.n, self.user = run, n, user
        self.http = Http(run.host, run.port)
        self.rng = random.Random(n)
        self.files = []  # ids this client uploaded and saw acknowledged
        self.dav = {}  # seed -> current name of each file it put through WebDAV
        self.tokens = None
        self.folder = None

    def call(self, kind, method, path, body=None, headers=None, token=True):
        headers = dict(headers or {})
        if token and self.tokens:
            headers["Authorization"] = "Bearer " + self.tokens["access_token"]
        status, resp_headers, data = self.http.request(method, path, body, headers)
        self.run.record(kind, status, resp_headers, data)
        return status, resp_headers, data

    def login(self, kind="login"):
        body = json.dumps({"username": self.user, "password": self.run.args.password})
        status, _, data = self.call(kind, "POST", "/api/v1/auth/login", body, json_headers(), False)
        if status == 200:
            self.tokens = json.loads(data)["tokens"]
        return status

    def setup(self):
        while self.login("setup_login") != 200:
            time.sleep(0.2)

    def upload(self, kind, size):
        seed = self.run.next_seed()
        data = content(seed, size)
        path = f"/api/v1/files/by-path?path=/{self.folder_name()}/u{seed}.bin"
        status, _, reply = self.call(kind, "PUT", path, data)
        if status in (200, 201):
            entry = json.loads(reply)
            sha = hashlib.sha256(data).hexdigest()
            if entry.get("sha256") != sha or entry.get("size") != size:
                self.run.violations.append(f"upload {seed}: server says {entry}, sent {sha}")
            with self.run.lock:
                self.run.acked[entry["id"]] = (seed, size, sha)
            self.files.append(entry["id"])
            self.folder = entry["parent_id"]

    def folder_name(self):
        return f"soak-{self.n}"

    def step(self):
        kind = self.rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        have = bool(self.files)
        if kind in ("download", "range", "rename", "stat") and not have:
            kind = "upload"
        if kind.startswith("dav_") and self.folder is None:
            kind = "upload"  # the first upload by path makes the folder
        if kind in ("dav_range", "dav_move", "dav_lock") and not self.dav:
            kind = "dav_put"
        if kind == "list":
            self.call(kind, "GET", f"/api/v1/files?parent_id={self.folder}" if self.folder else "/api/v1/files")
        elif kind == "stat":
            self.call(kind, "GET", f"/api/v1/files/{self.rng.choice(self.files)}")
        elif kind == "health":
            self.call(kind, "GET", "/health", token=False)
        elif kind == "upload":
            self.upload(kind, self.rng.choice([1, 4, 16, 64, 256]) * KIB - self.rng.randrange(512))
        elif kind == "upload_large":
            self.upload(kind, self.rng.choice([4, 8, 16]) * 1024 * KIB)
        elif kind == "download":
            self.download(self.rng.choice(self.files))
        elif kind == "range":
            self.range_read(self.rng.choice(self.files))
        elif kind == "rename":
            file_id = self.rng.choice(self.files)
            body = json.dumps({"name": f"r{file_id}-{self.rng.randrange(1 << 30)}.bin"})
            self.call(kind, "PATCH", f"/api/v1/files/{file_id}", body, json_headers())
        elif kind == "refresh":
            body = json.dumps({"refresh_token": self.tokens["refresh_token"]})
            status, _, data = self.call(kind, "POST", "/api/v1/auth/refresh", body, json_headers(), False)
            if status == 200:
                self.tokens = json.loads(data)
        elif kind == "login":
            self.login()
        else:
            getattr(self, kind)()

    def download(self, file_id):
        status, _, data = self.call("download", "GET", f"/api/v1/files/{file_id}/content")
        if status == 200:
            _, size, sha = self.run.acked[file_id]
            if hashlib.sha256(data).hexdigest() != sha:
                self.run.violations.append(f"download {file_id}: wrong bytes ({len(data)} of {size})")

    def range_read(self, file_id):
        seed, size, _ = self.run.acked[file_id]
        start = self.rng.randrange(size)
        end = min(size - 1, start + self.rng.randrange(64 * KIB))
        headers = {"Range": f"bytes={start}-{end}"}
        status, _, data = self.call("range", "GET", f"/api/v1/files/{file_id}/content", headers=headers)
        if status == 206 and data != content(seed, size)[start:end + 1]:
            self.run.violations.append(f"range {file_id} {start}-{end}: wrong bytes")


    def dav_path(self, name):
        return f"/dav/{self.folder_name()}/{name}"

    def dav_put(self):
        seed = self.run.next_seed()
        size = self.rng.choice([1, 4, 16, 64]) * KIB - self.rng.randrange(512)
        data = content(seed, size)
        name = f"d{seed}.bin"
        status, _, _ = self.call("dav_put", "PUT", self.dav_path(name), data)
        if status == 201:
            with self.run.lock:
                self.run.dav_acked[seed] = (self, size, hashlib.sha256(data).hexdigest())
            self.dav[seed] = name

    def dav_propfind(self):
        headers = {"Depth": "1", "Content-Type": "application/xml"}
        status, _, data = self.call("dav_propfind", "PROPFIND", self.dav_path(""), PROPFIND, headers)
        if status == 207:
            missing = [name for name in self.dav.values() if name.encode() not in data]
            if missing:
                self.run.violations.append(f"PROPFIND of {self.folder_name()} lacks {missing[:5]}")

    def dav_range(self):
        seed = self.rng.choice(list(self.dav))
        _, size, _ = self.run.dav_acked[seed]
        start = self.rng.randrange(size)
        end = min(size - 1, start + self.rng.randrange(16 * KIB))
        headers = {"Range": f"bytes={start}-{end}"}
        status, _, data = self.call("dav_range", "GET", self.dav_path(self.dav[seed]), headers=headers)
        if status == 206 and data != content(seed, size)[start:end + 1]:
            self.run.violations.append(f"WebDAV range {self.dav[seed]} {start}-{end}: wrong bytes")

    def dav_move(self):
        seed = self.rng.choice(list(self.dav))
        name = f"d{seed}-m{self.rng.randrange(1 << 30)}.bin"
        destination = f"http://{self.run.host}:{self.run.port}{self.dav_path(name)}"
        headers = {"Destination": destination, "Overwrite": "F"}
        status, _, _ = self.call("dav_move", "MOVE", self.dav_path(self.dav[seed]), headers=headers)
        if status in (201, 204):
            self.dav[seed] = name

    def dav_lock(self):
        """An exclusive write lock (10 s) and its release."""
        path = self.dav_path(self.dav[self.rng.choice(list(self.dav))])
        headers = {"Content-Type": "application/xml", "Timeout": "Second-10", "Depth": "0"}
        status, resp_headers, _ = self.call("dav_lock", "LOCK", path, LOCKINFO, headers)
        token = resp_headers.get("lock-token")
        if status == 200 and token:
            self.call("dav_unlock", "UNLOCK", path, headers={"Lock-Token": token})
        elif status == 200:
            self.run.violations.append(f"LOCK of {path} answered without Lock-Token")


def admin_setup(run):
    """Creates USERS accounts as the admin; returns their names."""
    http = Http(run.host, run.port)
    body = json.dumps({"username": run.args.admin, "password": run.args.password})
    status, _, data = http.request("POST", "/api/v1/auth/login", body, json_headers())
    assert status == 200, data
    token = json.loads(data)["tokens"]["access_token"]
    names = []
    for n in range(USERS):
        name = f"soak{n}-{time.time_ns() % 1000000}"
        body = json.dumps({"username": name, "email": f"{name}@example.com",
                           "password": run.args.password})
        status, _, data = http.request("POST", "/api/v1/users", body, json_headers(token))
        assert status == 201, data
        names.append(name)
    return names


def drive(run, clients, seconds, until=None):
    """Runs `clients` for `seconds` (or until the event `until` is set); returns requests
    per second."""
    started = time.monotonic()
    stop = started + seconds
    done = collections.Counter()

    def going():
        return not until.is_set() if until else time.monotonic() < stop

    def loop(client):
        while going():
            client.step()
            done[client.n] += 1

    for client in clients:
        client.http.close()
    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done.values()) / (time.monotonic() - started)


def outage(run, clients):
    """The object store's outage, during normal work: announced on stderr (`outage-start`),
    over when a line `store-back` arrives on stdin. Returns requests per second."""
    back = threading.Event()

    def wait_for_the_store():
        for line in sys.stdin:
            if line.strip() == "store-back":
                break
        back.set()

    threading.Thread(target=wait_for_the_store, daemon=True).start()
    print("outage-start", file=sys.stderr, flush=True)
    return drive(run, clients, 0, until=back)


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def make_clients(run, users, first, count):
    clients = [Client(run, n, users[n % len(users)]) for n in range(first, first + count)]
    threads = [threading.Thread(target=c.setup) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return clients


def recover(run, probe):
    """Seconds until a list, an upload and a download of it all succeed again."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_CAP:
        before = len(probe.files)
        statuses = [probe.call("probe_list", "GET", "/api/v1/files")[0]]
        probe.upload("probe_upload", 4 * KIB)
        if len(probe.files) > before and statuses[0] == 200:
            status = probe.call("probe_download", "GET", f"/api/v1/files/{probe.files[-1]}/content")[0]
            if status == 200:
                return time.monotonic() - started
        time.sleep(0.1)
    return None


def probe_recovery(run, users, n, after):
    """The `recovery` phase: a new probe client (number `n`) until it works again; seconds,
    or None (a violation) past RECOVERY_CAP."""
    run.phase = "recovery"
    probe = make_clients(run, users, n, 1)[0]
    run.clients.append(probe)
    recovery = recover(run, probe)
    if recovery is None:
        run.violations.append(f"no recovery from {after} within {RECOVERY_CAP} s")
        return None
    return round(recovery, 2)


def verify(run):
    """Every acknowledged upload, downloaded again, has its sha256."""
    ids = sorted(run.acked)
    owners = {}
    for client in run.clients:
        for file_id in client.files:
            owners[file_id] = client
    bad = []

    def check(chunk):
        http = Http(run.host, run.port)  # one connection per thread, whoever owns the file
        for file_id in chunk:
            headers = {"Authorization": "Bearer " + owners[file_id].tokens["access_token"]}
            status, resp_headers, data = http.request("GET", f"/api/v1/files/{file_id}/content", None, headers)
            run.record("verify", status, resp_headers, data)
            if status != 200 or hashlib.sha256(data).hexdigest() != run.acked[file_id][2]:
                bad.append((file_id, status))

    def check_dav(seeds):
        http = Http(run.host, run.port)
        for seed in seeds:
            client, _, sha = run.dav_acked[seed]
            headers = {"Authorization": "Bearer " + client.tokens["access_token"]}
            status, resp_headers, data = http.request("GET", client.dav_path(client.dav[seed]), None, headers)
            run.record("verify", status, resp_headers, data)
            if status != 200 or hashlib.sha256(data).hexdigest() != sha:
                bad.append((client.dav[seed], status))

    seeds = sorted(run.dav_acked)
    chunks = [(check, ids[i::16]) for i in range(16)] + [(check_dav, seeds[i::4]) for i in range(4)]
    threads = [threading.Thread(target=f, args=(c,)) for f, c in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(ids) + len(seeds), bad


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--admin", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--normal-secs", type=float, default=60)
    parser.add_argument("--overload-secs", type=float, default=20)
    parser.add_argument("--outage", action="store_true",
                        help="after `normal`, an object-store outage (see `outage`)")
    args = parser.parse_args()
    run = Run(args)
    users = admin_setup(run)
    normal = make_clients(run, users, 0, args.clients)
    extra = make_clients(run, users, args.clients, 2 * args.clients)
    run.clients = normal + extra
    summary = {"clients": args.clients, "overload_clients": 3 * args.clients}
    rss = {}
    for phase, clients, seconds in [("normal", normal, args.normal_secs),
                                    ("overload", normal + extra, args.overload_secs)]:
        run.phase = phase
        summary[f"{phase}_secs"] = seconds
        summary[f"{phase}_req_per_s"] = round(drive(run, clients, seconds))
        rss[phase + "_end_vmrss_kib"] = rss_kib(args.pid, "VmRSS")
        if phase == "normal" and args.outage:
            run.phase = "outage"
            summary["outage_req_per_s"] = round(outage(run, normal))
            summary["outage_recovery_s"] = probe_recovery(run, users, 20_000, "the outage")
    summary["recovery_s"] = probe_recovery(run, users, 10_000, "the overload")
    run.phase = "after"
    summary["after_req_per_s"] = round(drive(run, normal, AFTER_SECS))
    run.phase = "verify"
    checked, bad = verify(run)
    summary["uploads_acknowledged"], summary["uploads_bad"] = checked, bad[:20]
    summary["webdav_uploads_acknowledged"] = len(run.dav_acked)
    if bad:
        run.violations.append(f"{len(bad)} acknowledged uploads not intact")
    rss["vmhwm_kib"] = rss_kib(args.pid, "VmHWM")
    summary["rss"] = rss
    summary["requests"] = {phase: dict(sorted(c.items())) for phase, c in run.counts.items()}
    summary["violations"] = run.violations[:50]
    print(json.dumps(summary, indent=1))
    return 1 if run.violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
