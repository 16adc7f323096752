#!/usr/bin/env python3
"""tuspy (PyPI `tuspy`, module `tusclient`) against Hoard's /api/v1/uploads, for
tests/tus_clients.rs.

    tuspy_upload.py start  ENDPOINT TOKEN FILE CHUNK_SIZE CHUNKS NAME
        creates the upload (metadata filename=NAME), sends CHUNKS chunks with
        `upload_chunk()`, then exits as an interrupted client would, leaving it unfinished
    tuspy_upload.py resume UPLOAD_URL TOKEN FILE CHUNK_SIZE
        a new process: asks the server for the offset (HEAD) and uploads the rest

Every PATCH carries `Upload-Checksum: sha1 ...` (tuspy's `upload_checksum=True`).
Prints one JSON line: {"url", "offset_at_start", "offset", "size"}. A failure prints the
status and body the server answered and exits 1.
"""

import json
import sys

from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed


def fail(error):
    body = error.response_content
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    print(
        json.dumps({"error": str(error), "status": error.status_code, "body": body}),
        file=sys.stderr,
    )
    sys.exit(1)


def main(argv):
    mode = argv[1]
    if mode == "start":
        endpoint, token, path, chunk, chunks, name = argv[2:8]
        client = tus_client.TusClient(endpoint, headers={"Authorization": f"Bearer {token}"})
        uploader = client.uploader(
            file_path=path,
            chunk_size=int(chunk),
            metadata={"filename": name},
            upload_checksum=True,
        )
        start = uploader.offset
        for _ in range(int(chunks)):
            uploader.upload_chunk()
    elif mode == "resume":
        url, token, path, chunk = argv[2:6]
        client = tus_client.TusClient(url, headers={"Authorization": f"Bearer {token}"})
        # With `url`, tuspy asks the server for the offset with HEAD before anything else.
        uploader = client.uploader(
            file_path=path, url=url, chunk_size=int(chunk), upload_checksum=True
        )
        start = uploader.offset
        uploader.upload()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(
        json.dumps(
            {
                "url": uploader.url,
                "offset_at_start": start,
                "offset": uploader.offset,
                "size": uploader.get_file_size(),
            }
        )
    )


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (TusCommunicationError, TusUploadFailed) as error:
        fail(error)
