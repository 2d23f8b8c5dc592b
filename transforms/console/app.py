"""The console's pages and actions (Starlette), rendered server-side with Jinja2; every value is escaped."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import secrets
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from transforms.console import store
from transforms.console.queue import (
    Queue,
    build_queue,
    comparisons,
    decision_key,
    load_night_model,
    side_by_side,
    waterfall,
)

PAGE_SIZE = 20
#: Seconds without a request after which the console closes its warehouse connections (a DuckDB file is then free
#: for the nightly run).
IDLE_RELEASE_SECONDS = 30.0
QUALITY_PAGE = 200
#: What a verdict button sends.
VERDICTS = {"match": True, "no": False, "unsure": None}


@dataclass
class ConsoleConfig:
    """How the console was started."""

    warehouse_url: str
    data_dir: Path | None = None
    steward: str = "steward"
    password: str | None = None
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    role: str | None = store.STEWARD_ROLE


@dataclass
class _Undo:
    key: str
    decision: tuple[str, str]
    previous: dict[str, Any] | None
    was_unsure: str | None


@dataclass
class ConsoleState:
    """What the console keeps between requests: the queue of the night, 'not sure' marks, the undo stack."""

    engine: Engine
    config: ConsoleConfig
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    queue: Queue | None = None
    #: Pairs marked "not sure" (key -> note): they stay in the queue, undecided, until the console stops.
    unsure: dict[str, str] = field(default_factory=dict)
    undo: list[_Undo] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_request: float = field(default_factory=time.monotonic)
    connected: bool = False

    async def release_idle(self, every: float = 5.0) -> None:
        """Close the warehouse connections once no request came for IDLE_RELEASE_SECONDS (runs on the event loop,
        so never in the middle of a request)."""
        while True:
            await asyncio.sleep(every)
            if self.connected and time.monotonic() - self.last_request > IDLE_RELEASE_SECONDS:
                self.engine.dispose()
                self.connected = False


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("transforms.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "" if v is None else f"{100 * float(v):.1f}%"
    env.filters["num"] = lambda v, d=2: "" if v is None else f"{float(v):,.{d}f}"
    env.filters["blank"] = lambda v: "" if v is None else v
    return env


class BasicAuth:
    """HTTP basic authentication with one shared password (any user name: it is recorded as who decided)."""

    def __init__(self, app: ASGIApp, password: str) -> None:
        self.app = app
        self.password = password.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            user = self._user(dict(scope["headers"]).get(b"authorization", b""))
            if user is None:
                response = Response(
                    "Sign in with the console's password.",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="crm console"'},
                )
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)

    def _user(self, header: bytes) -> str | None:
        scheme, _, value = header.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            user, _, password = base64.b64decode(value, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return None
        if not secrets.compare_digest(password, self.password):
            return None
        return user.decode("utf-8", "replace").strip() or None


def create_app(config: ConsoleConfig, *, engine: Engine | None = None) -> Starlette:
    """The console as an ASGI application."""
    env = _env()
    state = ConsoleState(engine or store.console_engine(config.warehouse_url, role=config.role), config)

    class Touch:
        """Note each request's time (for releasing the warehouse when idle)."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            state.last_request = time.monotonic()
            state.connected = True
            await self.app(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(state.release_idle())
        try:
            yield
        finally:
            task.cancel()
            state.engine.dispose()

    async def busy(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "busy.html",
            status=503,
            problem=type(getattr(exc, "orig", None) or exc).__name__,
            detail=str(getattr(exc, "orig", exc)).splitlines()[0][:300],
        )

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(request=request, csrf=state.csrf, **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def who(request: Request) -> str:
        return str(getattr(request.state, "user", None) or config.steward)

    def current_queue() -> Queue:
        with state.engine.connect() as conn:
            run_id, _ = store.review_run(conn)
            with state.lock:
                if state.queue is not None and state.queue.run_id == run_id:
                    return state.queue
            pairs = store.review_pairs(conn)
        queue = build_queue(pairs, load_night_model(config.data_dir, run_id))
        with state.lock:
            state.queue = queue
        return queue

    async def check_form(request: Request) -> dict[str, str]:
        form = await request.form()
        if not secrets.compare_digest(str(form.get("csrf", "")), state.csrf):
            raise HTTPException(403, "The form is out of date: reload the page.")
        return {k: str(v) for k, v in form.items()}

    async def home(request: Request) -> Response:
        return RedirectResponse("/queue", status_code=303)

    async def queue_page(request: Request) -> Response:
        queue = current_queue()
        pages = max(1, -(-len(queue.pairs) // PAGE_SIZE))
        page = min(max(1, _int(request.query_params.get("page"), 1)), pages)
        shown = queue.pairs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        with state.engine.connect() as conn:
            records = store.contacts(conn, [r for p in shown for r in (p["record_id_l"], p["record_id_r"])])
            decided = store.decisions_on(conn, [f for p in shown for f in (p["fingerprint_l"], p["fingerprint_r"])])
        items = []
        for p in shown:
            left, right = records.get(p["record_id_l"], {}), records.get(p["record_id_r"], {})
            decision = decided.get(decision_key(p))
            items.append(
                {
                    "pair": p,
                    "position": queue.position(p["key"]),
                    "decision_key": "~".join(decision_key(p)),
                    "left": left,
                    "right": right,
                    "fields": side_by_side(left, right),
                    "comparisons": comparisons(p, queue.night),
                    "waterfall": waterfall(p, queue.night),
                    "decision": decision,
                    "unsure": state.unsure.get(p["key"]),
                }
            )
        return render(
            request,
            "queue.html",
            queue=queue,
            items=items,
            page=page,
            pages=pages,
            can_undo=bool(state.undo),
            has_model=queue.night is not None,
        )

    async def decide(request: Request) -> Response:
        form = await check_form(request)
        key = request.path_params["key"]
        verdict = form.get("verdict", "")
        if verdict not in VERDICTS:
            raise HTTPException(400, "A verdict is match, no or unsure.")
        queue = current_queue()
        position = queue.position(key)
        if position is None:
            raise HTTPException(404, "This pair is not in tonight's queue (a new night was published?): reload.")
        pair = queue.pairs[position]
        note = form.get("note", "").strip()[:2000] or None
        dkey = decision_key(pair)
        with state.engine.connect() as conn:
            previous = store.decisions_on(conn, dkey).get(dkey)
        is_match = VERDICTS[verdict]
        with state.lock:
            state.undo.append(_Undo(key, dkey, previous, state.unsure.get(key)))
        if is_match is None:
            with state.lock:
                state.unsure[key] = note or ""
            if previous is not None:
                store.restore_decision(state.engine, dkey, None)
        else:
            store.store_verdict(state.engine, pair, is_match=is_match, decided_by=who(request), note=note)
            with state.lock:
                state.unsure.pop(key, None)
        return _back_to(min(position + 1, len(queue.pairs) - 1))

    async def undo(request: Request) -> Response:
        await check_form(request)
        with state.lock:
            last = state.undo.pop() if state.undo else None
        if last is None:
            return RedirectResponse("/queue", status_code=303)
        store.restore_decision(state.engine, last.decision, last.previous)
        with state.lock:
            if last.was_unsure is None:
                state.unsure.pop(last.key, None)
            else:
                state.unsure[last.key] = last.was_unsure
        position = current_queue().position(last.key)
        return _back_to(position or 0)

    async def customers(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:200]
        found: list[dict[str, Any]] = []
        if q:
            with state.engine.connect() as conn:
                found = store.search_customers(conn, q)
        return render(request, "search.html", q=q, found=found)

    async def customer(request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        with state.engine.connect() as conn:
            page = store.customer_page(conn, customer_id)
        if page is None:
            return render(request, "search.html", status=404, q=customer_id, found=[], unknown=customer_id)
        return render(request, "customer.html", customer_id=customer_id, **page)

    async def quality(request: Request) -> Response:
        rule = request.query_params.get("rule") or None
        responsible = request.query_params.get("responsible") or None
        page = max(1, _int(request.query_params.get("page"), 1))
        with state.engine.connect() as conn:
            as_of, summary = store.quality_summary(conn)
            failures = store.quality_failures(
                conn, rule=rule, responsible=responsible, limit=QUALITY_PAGE + 1, offset=(page - 1) * QUALITY_PAGE
            )
        return render(
            request,
            "quality.html",
            as_of=as_of,
            summary=summary,
            failures=failures[:QUALITY_PAGE],
            more=len(failures) > QUALITY_PAGE,
            rule=rule,
            responsible=responsible,
            page=page,
        )

    def _back_to(position: int) -> Response:
        page = position // PAGE_SIZE + 1
        return RedirectResponse(str(URL(f"/queue?page={page}#pair-{position}")), status_code=303)

    routes = [
        Route("/", home),
        Route("/queue", queue_page),
        Route("/pairs/{key}/decide", decide, methods=["POST"]),
        Route("/undo", undo, methods=["POST"]),
        Route("/customers", customers),
        Route("/customers/{customer_id}", customer),
        Route("/quality", quality),
        Mount("/static", StaticFiles(packages=[("transforms.console", "static")]), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts))]
    if config.password:
        middleware.append(Middleware(BasicAuth, password=config.password))
    middleware.append(Middleware(Touch))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers={DBAPIError: busy})
    app.state.console = state
    return app


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
