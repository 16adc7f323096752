#!/usr/bin/env python3
"""tus 1.0.0 upload of one file in fixed-size PATCH chunks over one keep-alive connection.

    tus_upload.py BASE_URL AUTH_HEADER FILE NAME [PARENT_ID] [CHUNK_MIB]

Creates the upload (POST /api/v1/uploads), then sends the file in CHUNK_MIB (default 8)
MiB PATCHes, each read with pread and sent as one body. Prints the committed file id, then
"upload_seconds S": the time from the creation request to the last PATCH's answer, which
bench/run.sh uses rather than the command's wall time (python3 takes ~0.17 s to start).
Exit status 0 only when the server reports the upload completed. Standard library only,
so the bench needs nothing from pip; the bytes cost the client one copy, like curl.
"""
import base64
import http.client
import json
import os
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor


def main() -> int:
    base, auth, path, name = sys.argv[1:5]
    parent = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    chunk = int(sys.argv[6] if len(sys.argv) > 6 else 8) << 20
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    key, _, value = auth.partition(":")
    common = {key.strip(): value.strip(), "Tus-Resumable": "1.0.0"}
    size = os.path.getsize(path)
    meta = "filename " + base64.b64encode(name.encode()).decode()
    if parent:
        meta += ",parent_id " + base64.b64encode(parent.encode()).decode()
    started = time.monotonic()
    conn.request("POST", "/api/v1/uploads", headers={
        **common, "Upload-Length": str(size), "Upload-Metadata": meta, "Content-Length": "0"})
    resp = conn.getresponse()
    resp.read()
    if resp.status != 201:
        print(f"create: HTTP {resp.status}", file=sys.stderr)
        return 1
    location = resp.getheader("Location")
    fd = os.open(path, os.O_RDONLY)
    offset = 0
    # The next chunk is read while the server answers this one (pread releases the GIL):
    # a serial read would leave the server idle for each chunk's copy (~1.4 ms per 8 MiB).
    ahead = ThreadPoolExecutor(max_workers=1)
    following = ahead.submit(os.pread, fd, min(chunk, size), 0)
    while offset < size:
        body = following.result()
        after = offset + len(body)
        if after < size:
            following = ahead.submit(os.pread, fd, min(chunk, size - after), after)
        conn.request("PATCH", location, body=body, headers={
            **common, "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream"})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 204:
            print(f"PATCH at {offset}: HTTP {resp.status}", file=sys.stderr)
            return 1
        offset += len(body)
    elapsed = time.monotonic() - started
    upload_id = location.rsplit("/", 1)[-1]
    conn.request("GET", f"/api/v1/uploads?ids={upload_id}", headers=common)
    resp = conn.getresponse()
    item = json.loads(resp.read())["items"][0]
    if item.get("status") != "completed":
        print(f"upload not completed: {item}", file=sys.stderr)
        return 1
    print(item["file_id"])
    print(f"upload_seconds {elapsed:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
