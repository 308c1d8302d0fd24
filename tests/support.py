"""Test doubles that are real: RSA keys, signed tokens, a JWKS server on loopback, a Functions invoker.

Nothing here stands in for code under test. The JWKS server is a real HTTP
server whose hits can be counted and whose behaviour (down, hanging, garbage)
can be switched; the invoker calls the very function object that
`function_app.py` registers, with `azure.functions.HttpRequest`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import azure.functions as func
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT_ID = "0b5f1e9e-2f7c-4a51-9a7e-6c3b1b2d8e11"
CLIENT_ID = "6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55"
APP_ID_URI = f"api://{CLIENT_ID}"
ISSUER_V2 = f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
ISSUER_V1 = f"https://sts.windows.net/{TENANT_ID}/"
GATEWAY_CLIENT_ID = "3f2d6a11-9c0e-4f6b-8a7d-1e2b3c4d5e6f"
PUBLIC_HOST = "calc-mcp.azurewebsites.net"
SCOPE_ADD = f"{APP_ID_URI}/calculator.add"
SCOPE_SUBTRACT = f"{APP_ID_URI}/calculator.subtract"
ALL_SCOPES = f"{SCOPE_ADD} {SCOPE_SUBTRACT}"
#: The `scope=` of every 401: the API's scopes and `offline_access`, so Entra issues a refresh token.
CHALLENGE_SCOPES = f"{ALL_SCOPES} offline_access"
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}


@dataclass
class SigningKey:
    """An RSA key pair and the `kid` it is published under."""

    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def generate(cls, kid: str | None = None, bits: int = 2048) -> SigningKey:
        """A fresh key; `bits` under 1024 (which cryptography refuses to generate) come from _weak_rsa_key."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=bits) if bits >= 1024 else _weak_rsa_key(bits)
        return cls(kid or uuid.uuid4().hex[:16], private)

    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def private_jwk(self) -> dict[str, Any]:
        """The JWK with its private members (d, p, q, dp, dq, qi): what an issuer must never publish."""
        private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private))
        return {**private, "kid": self.kid, "use": "sig", "alg": "RS256"}


def _weak_rsa_key(bits: int) -> rsa.RSAPrivateKey:
    """A real RSA key of `bits` bits from two random probable primes, for the short-key attacks (e.g. 512)."""
    import secrets

    def probable_prime(size: int) -> int:
        while True:
            candidate = secrets.randbits(size) | (3 << (size - 2)) | 1
            if all(candidate % small for small in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)) and miller_rabin(candidate):
                return candidate

    def miller_rabin(n: int, rounds: int = 40) -> bool:
        d, r = n - 1, 0
        while d % 2 == 0:
            d, r = d // 2, r + 1
        for _ in range(rounds):
            x = pow(secrets.randbelow(n - 3) + 2, d, n)
            if x in (1, n - 1):
                continue
            for _ in range(r - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                return False
        return True

    e = 65537
    while True:
        p, q = probable_prime(bits // 2), probable_prime(bits // 2)
        if p != q and (p - 1) % e and (q - 1) % e:
            break
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q))
    return numbers.private_key()


def jwks_document(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


def _entra_v2_claims(overrides: dict[str, Any], **identity: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER_V2, "aud": CLIENT_ID, "tid": TENANT_ID, "iat": now, "nbf": now, "exp": now + 3600, "ver": "2.0"}
    claims.update(identity)
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not DROP}


def user_claims(**overrides: Any) -> dict[str, Any]:
    """An Entra v2 delegated access token's claims, valid now."""
    return _entra_v2_claims(
        overrides,
        sub="user-subject-1",
        oid="user-object-1",
        azp=GATEWAY_CLIENT_ID,
        name="Ada Lovelace",
        preferred_username="ada@contoso.example",
        scp="calculator.add calculator.subtract",
    )


def app_claims(**overrides: Any) -> dict[str, Any]:
    """An Entra v2 app-only (client credentials) access token's claims, valid now."""
    return _entra_v2_claims(
        overrides,
        sub="app-object-1",
        oid="app-object-1",
        azp="9a8b7c6d-0000-4000-8000-000000000001",
        idtyp="app",
        roles=["calculator.add", "calculator.subtract"],
    )


DROP = object()
"""Pass as a claim value to leave the claim out."""

V1_CLIENT: dict[str, Any] = {"azp": DROP, "appid": GATEWAY_CLIENT_ID}
"""Overrides that make user_claims/app_claims name their client as a v1.0 token does: `appid`, never `azp`
("Access token claims reference")."""


def mint(key: SigningKey, claims: Mapping[str, Any], *, algorithm: str = "RS256", **header: Any) -> str:
    """A token signed by `key`; the header gets `kid` unless overridden (None leaves it out)."""
    headers = {k: v for k, v in {"kid": key.kid, **header}.items() if v is not None}
    return remember_token(jwt.encode(dict(claims), key.private, algorithm=algorithm, headers=headers))


MINTED_TOKENS: list[str] = []
"""Every token the tests minted or forged, so the log audit can prove none of them was logged."""


def remember_token(token: str) -> str:
    """Register a token made outside `mint` (e.g. a hand-forged one) with the log audit; returns it."""
    MINTED_TOKENS.append(token)
    return token


def raw_token(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes = b"not-a-signature") -> str:
    """A JWS in compact form with any header at all, for shapes PyJWT refuses to produce."""
    from jwt.utils import base64url_encode

    parts = [json.dumps(header).encode(), json.dumps(dict(claims)).encode(), signature]
    return ".".join(base64url_encode(part).decode() for part in parts)


class JwksServer:
    """A real HTTP server on loopback that publishes a JWKS and counts its hits."""

    def __init__(self, document: Mapping[str, Any] | None = None) -> None:
        self.document: Mapping[str, Any] = document or {"keys": []}
        self.body: bytes | None = None  # when set, served instead of `document`
        self.status = 200
        self.hang_seconds = 0.0
        self.hits = 0
        self._lock = threading.Lock()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                with server._lock:
                    server.hits += 1
                if server.hang_seconds:
                    server.release.wait(server.hang_seconds)
                body = server.body if server.body is not None else json.dumps(server.document).encode()
                try:
                    self.send_response(server.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # shutdown() waits until serve_forever next checks its flag: every poll_interval, 0.5 s by
        # default, which was half a second of idling in the teardown of every test that closes one.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="jwks-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}/discovery/v2.0/keys"

    def publish(self, *keys: SigningKey) -> None:
        self.document, self.body, self.status, self.hang_seconds = jwks_document(*keys), None, 200, 0.0

    def reset_hits(self) -> None:
        with self._lock:
            self.hits = 0

    def close(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def entra_env(jwks_url: str, **extra: str) -> dict[str, str]:
    """The settings an Entra-protected deployment would have, pointed at a loopback JWKS."""
    return {"OAUTH_ISSUER": ISSUER_V2, "OAUTH_AUDIENCE": CLIENT_ID, "OAUTH_JWKS_URI": jwks_url, **extra}


class InvocationContext(func.Context):
    """The per-invocation context the Functions worker hands a function."""

    def __init__(self) -> None:
        self._invocation_id = str(uuid.uuid4())

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return "http_app_func"

    @property
    def function_directory(self) -> str:
        return REPO

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None

    @property
    def thread_local_storage(self) -> Any:
        return threading.local()


def close_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    """Stop `loop`, which runs forever in `thread`, and close it with no task left pending.

    What still runs there is cancelled and awaited first. sse-starlette starts a shutdown watcher
    on the loop of any SSE answer (the SDK's answer to GET); it polls until its server exits, and a
    stopped loop would keep it pending until the interpreter exits and prints "Task was destroyed
    but it is pending!".
    """

    async def cancel_the_rest() -> None:
        rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    if loop.is_running():
        asyncio.run_coroutine_threadsafe(cancel_the_rest(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    if not thread.is_alive():
        loop.close()


class FunctionHost:
    """Invokes a FunctionApp's registered HTTP function the way the worker does: on one long-lived loop."""

    def __init__(self, function_app: func.FunctionApp) -> None:
        (function,) = function_app.get_functions()
        self.function_app = function_app
        self.function = function
        self._user_function = function.get_user_function()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="functions-worker-loop", daemon=True)
        self._thread.start()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | dict[str, Any] | list[Any] = b"",
        host: str = PUBLIC_HOST,
        send_host: bool = True,
        timeout: float = 30.0,
    ) -> func.HttpResponse:
        """`send_host=False` leaves the Host header out, as Microsoft's unit-testing guide builds requests."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        url = f"https://{host}{path}"
        all_headers = {"Host": host, **(headers or {})} if send_host else dict(headers or {})
        request = func.HttpRequest(method=method, url=url, headers=all_headers, params={}, body=body)
        future = asyncio.run_coroutine_threadsafe(self._user_function(request, InvocationContext()), self._loop)
        return future.result(timeout)

    def mcp(self, token: str | None, message: dict[str, Any], **headers: str) -> func.HttpResponse:
        """POST one JSON-RPC message to /mcp, with a bearer token when given."""
        all_headers = dict(MCP_HEADERS)
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers)
        return self.request("POST", "/mcp", headers=all_headers, body=message)

    def run(self, coroutine: Any, timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def close(self) -> None:
        # AsgiFunctionApp.__del__ would otherwise run the ASGI lifespan shutdown with
        # asyncio.run() on a fresh loop, waiting forever for a task that lived on this
        # (stopped) loop: the interpreter hangs at exit. Shut the lifespan down here, on its loop.
        middleware = getattr(self.function_app, "middleware", None)
        if getattr(self.function_app, "startup_task_done", False) and middleware is not None:
            try:
                self.run(middleware.notify_shutdown(), timeout=10)
            finally:
                self.function_app.startup_task_done = False
        close_loop(self._loop, self._thread)


def call_tool(name: str, arguments: dict[str, Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name, "arguments": arguments or {}}}


def list_tools(request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": {}}


def body_json(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


@contextmanager
def process_env(values: Mapping[str, str]) -> Iterator[None]:
    """Set these process environment variables, and put back what was there (or nothing) after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def module_uses(request: Any, fixture: str) -> bool:
    """Whether any test of the requesting module-scoped fixture's module needs `fixture`."""
    return any(fixture in item.fixturenames for item in request.session.items if getattr(item, "module", None) is request.module)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(process: subprocess.Popen[bytes], port: int, *, timeout: float = 30.0) -> None:
    """Return once `process` accepts connections on 127.0.0.1:`port`; raise if it exits or never does."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("server process did not start listening") from None
            time.sleep(0.05)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Ask `process` to stop (SIGTERM), and kill it if it has not within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextmanager
def devserver_output(flag: str, output: Path, *, unset: tuple[str, ...]) -> Iterator[list[str]]:
    """`python devserver.py <flag>` on free ports, as the docs run it, with none of the process's
    variables named by the prefixes `unset`; its output goes to `output`, audited for token material
    with every server log. Yields the output's lines once uvicorn serves; stops it after."""
    UVICORN_OUTPUTS.append(str(output))
    env = {k: v for k, v in os.environ.items() if not k.startswith(unset)}
    with open(output, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "devserver.py", flag, "--port", "0", "--idp-port", "0"],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Uvicorn running" not in output.read_text():
            assert process.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(0.05)  # polls for the line; no test waits on time passing
        yield output.read_text().splitlines()
    finally:
        stop_process(process)


@asynccontextmanager
async def mcp_client(url: str, token: str, mode: str = "auto") -> Any:
    """The official MCP Python client, carrying a bearer token."""
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:  # type: ignore[arg-type]
            yield client


def start_server_thread(app: Any, sock: socket.socket) -> tuple[Any, threading.Thread]:
    """Serve an ASGI app with uvicorn from a thread on an already bound socket (lifespan on); return when started."""
    import uvicorn

    # Nagle off on every connection, which each accepted socket inherits from its listener: asyncio
    # does it only when the socket was made with proto IPPROTO_TCP, and with Nagle on each answer's
    # body waited ~40 ms for the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="mcp-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the MCP server did not start")
        time.sleep(0.01)
    return server, thread


@contextmanager
def serve_on(app: Any, sock: socket.socket) -> Iterator[None]:
    """`start_server_thread` for the length of a `with` block."""
    server, thread = start_server_thread(app, sock)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class UvicornServer:
    """A running `uvicorn function_app:asgi_app` subprocess: its base URL, pid and combined output file."""

    url: str
    pid: int
    output: str


UVICORN_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    # INFO, as the Functions host logs by default: the edge's auth-failure lines are INFO.
    "root": {"level": "INFO", "handlers": ["stderr"]},
}
UVICORN_OUTPUTS: list[str] = []
"""Output files of every `uvicorn_server`, for the log audit."""


@contextmanager
def uvicorn_server(env: Mapping[str, str], output_dir: str, *, app: str = "function_app:asgi_app") -> Iterator[UvicornServer]:
    """`uvicorn function_app:asgi_app` in its own process, as the README runs it, with its logs at INFO
    written to a file under `output_dir` (audited for token material by tests/log_capture.py)."""
    port = free_port()
    config_path = os.path.join(output_dir, f"uvicorn-log-config-{port}.json")
    output_path = os.path.join(output_dir, f"uvicorn-{port}.log")
    with open(config_path, "w") as config:
        json.dump(UVICORN_LOG_CONFIG, config)
    UVICORN_OUTPUTS.append(output_path)
    with open(output_path, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
             "--log-config", config_path, "--no-access-log"],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            wait_until_listening(process, port)
        except RuntimeError as exc:
            with open(output_path) as failed:
                raise RuntimeError(f"uvicorn did not start: {failed.read()}") from exc
        yield UvicornServer(url=f"http://127.0.0.1:{port}", pid=process.pid, output=output_path)
    finally:
        stop_process(process)
