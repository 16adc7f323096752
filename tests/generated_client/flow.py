"""The README's flow through a client that openapi-python-client generated from
docs/openapi.json: register, login (a wrong password first), refresh, a folder, a multipart
upload into it, list it, download the bytes, logout, and the old tokens refused.

Usage: flow.py BASE_URL, with the generated package `hoard_client` on PYTHONPATH. Every
status and parsed model is checked; on success the last line is JSON naming the steps done
(tests/generated_client.rs compares it)."""

import hashlib
import json
import sys
from io import BytesIO

from hoard_client import AuthenticatedClient, Client
from hoard_client.api.auth import login, logout, refresh, register
from hoard_client.api.files import create_folder, download_file, list_files, upload_files
from hoard_client.api.profile import get_me
from hoard_client.models import (
    AuthResponse,
    CreateFolderRequest,
    Entry,
    EntryList,
    Error,
    Kind,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RegisterRequest,
    Role,
    Tokens,
    Uploaded,
    UploadFilesBody,
    User,
)
from hoard_client.types import File

PASSWORD = "correct horse battery staple"
NAME = "Quarterly report ✓.bin"
# Every byte value, then UTF-8 text with a CRLF: nothing may be re-encoded on the way.
DATA = bytes(range(256)) * 64 + "naïve ✓\r\n".encode()
steps = []


def expect(response, status, model):
    """`response` has `status` and its body parsed as `model`; returns the parsed body."""
    assert response.status_code == status, (status, response.status_code, response.content)
    assert isinstance(response.parsed, model), (model, response.parsed, response.content)
    return response.parsed


def expect_error(response, status, code):
    error = expect(response, status, Error)
    assert error.code == code and error.message, error


def sign_in(anon):
    body = RegisterRequest(username="alice", email="alice@example.com", password=PASSWORD)
    made = expect(register.sync_detailed(client=anon, body=body), 201, AuthResponse)
    assert (made.user.username, made.user.email) == ("alice", "alice@example.com"), made
    assert made.user.role == Role.ADMIN and made.user.is_active, "the first account is the admin"
    assert (made.user.storage_used, made.user.storage_quota) == (0, None), made.user
    steps.append("register")
    wrong = LoginRequest(username="alice", password=PASSWORD + "!")
    expect_error(login.sync_detailed(client=anon, body=wrong), 401, "invalid_credentials")
    steps.append("wrong_password")
    right = LoginRequest(username="alice@example.com", password=PASSWORD)
    session = expect(login.sync_detailed(client=anon, body=right), 200, AuthResponse)
    assert session.user.id == made.user.id and session.user.last_login_at, session.user
    tokens = session.tokens
    assert (tokens.token_type, tokens.expires_in, tokens.refresh_expires_in) == (
        "Bearer", 3600, 604800), tokens
    steps.append("login")
    return made.user.id, tokens.refresh_token


def rotate(anon, refresh_token):
    body = RefreshRequest(refresh_token=refresh_token)
    tokens = expect(refresh.sync_detailed(client=anon, body=body), 200, Tokens)
    assert tokens.refresh_token != refresh_token, "a new refresh token every time"
    steps.append("refresh")
    return tokens


def upload(client, folder):
    file = File(payload=BytesIO(DATA), file_name=NAME, mime_type="application/octet-stream")
    body = UploadFilesBody(file=[file], parent_id=folder.id)
    items = expect(upload_files.sync_detailed(client=client, body=body), 201, Uploaded).items
    assert len(items) == 1, items
    entry = items[0]
    assert (entry.name, entry.kind, entry.size) == (NAME, Kind.FILE, len(DATA)), entry
    assert (entry.parent_id, entry.path) == (folder.id, f"/Reports/{NAME}"), entry
    assert (entry.sha256, entry.extension) == (hashlib.sha256(DATA).hexdigest(), "bin"), entry
    steps.append("upload")
    return entry


def listed(client, parent_id=None):
    """The folder's entries as (id, name, kind, size), checking the list's envelope."""
    page = expect(list_files.sync_detailed(client=client, parent_id=parent_id), 200, EntryList)
    assert (page.total, page.limit, page.offset) == (len(page.items), 100, 0), page
    return [(e.id, e.name, e.kind, e.size) for e in page.items]


def drive(client):
    body = CreateFolderRequest(name="Reports")
    folder = expect(create_folder.sync_detailed(client=client, body=body), 201, Entry)
    assert (folder.kind, folder.path, folder.parent_id, folder.size) == (
        Kind.FOLDER, "/Reports", None, 0), folder
    entry = upload(client, folder)
    assert listed(client, folder.id) == [(entry.id, NAME, Kind.FILE, len(DATA))]
    assert listed(client) == [(folder.id, "Reports", Kind.FOLDER, 0)]
    steps.append("list")
    got = expect(download_file.sync_detailed(client=client, id=entry.id), 200, File)
    assert got.payload.read() == DATA, "the download is byte-identical to the upload"
    steps.append("download")


def main(base):
    anon = Client(base_url=f"{base}/api/v1", raise_on_unexpected_status=True)
    user_id, refresh_token = sign_in(anon)
    tokens = rotate(anon, refresh_token)
    client = AuthenticatedClient(
        base_url=f"{base}/api/v1", token=tokens.access_token, raise_on_unexpected_status=True)
    me = expect(get_me.sync_detailed(client=client), 200, User)
    assert (me.id, me.username) == (user_id, "alice"), me
    drive(client)
    body = LogoutRequest(refresh_token=tokens.refresh_token)
    out = logout.sync_detailed(client=client, body=body)
    assert (out.status_code, out.content) == (204, b""), out
    steps.append("logout")
    expect_error(get_me.sync_detailed(client=client), 401, "token_revoked")
    expect_error(list_files.sync_detailed(client=client), 401, "token_revoked")
    body = RefreshRequest(refresh_token=tokens.refresh_token)
    expect_error(refresh.sync_detailed(client=anon, body=body), 401, "token_revoked")
    steps.append("old_tokens_refused")
    print(json.dumps({"steps": steps, "user_id": user_id}))


if __name__ == "__main__":
    main(sys.argv[1])
