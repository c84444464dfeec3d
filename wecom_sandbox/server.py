"""The sandbox's HTTP server: WeCom's API under /cgi-bin/, the control API and pages under /sandbox/.

A standard-library ``ThreadingHTTPServer``: each request has its own thread, so a
callback the sandbox is sending can be answered by a product that calls the sandbox back
(a welcome message sent from inside the callback handler), and a request held by an
``apply_then_hang`` fault blocks nobody else.

Order of checks on a WeCom call, as WeCom: the access token, then injected faults, then
the per-API rate limit, then the request itself.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from wecom_sandbox import api as wecom
from wecom_sandbox import appmsg, archive, control, errors, pages  # noqa: F401 - appmsg registers message/send
from wecom_sandbox.callbacks import CallbackSender
from wecom_sandbox.errors import ControlError, WeComError
from wecom_sandbox.media import parse_multipart
from wecom_sandbox.state import SandboxState

logger = logging.getLogger(__name__)

_CALLBACK_ACTION = re.compile(r"^callbacks/(\d+)/(redeliver|replay)$")
_QR = re.compile(r"^qr/([0-9A-Za-z_-]+)\.svg$")
_SCAN = re.compile(r"^scan/([0-9A-Za-z_-]+)$")
_MEMBER = re.compile(r"^member/([0-9A-Za-z_.@-]+)$")
# Above WeCom's largest upload (a 20 MB file) with its multipart framing.
_MAX_BODY = 25 * 1024 * 1024
_HIDDEN_QUERY = {"access_token"}
_MASKED_QUERY = {"corpsecret"}
# Control routes that hand out who-you-are: WeCom's OAuth stand-in answers the machine it runs on only.
_LOOPBACK_ONLY = {("POST", "simulate/oauth_code")}


def is_loopback(host: str) -> bool:
    """Whether a client address is this machine (``127.0.0.0/8``, ``::1``, or IPv4 mapped into IPv6)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, RequestHandler)
        self.state = state
        self.sender = CallbackSender(state)


class RequestHandler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    server_version = "WeComSandbox/1.0"

    # --- plumbing ------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._send(204, b"", "text/plain", cors=True)

    def _send(self, status: int, body: bytes, content_type: str, *, cors: bool = False) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            if cors:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Max-Age", "600")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. it timed out on a hanging call); nothing to tell it

    def _json(self, status: int, payload: Any, *, cors: bool = False) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", cors=cors)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ControlError("request body too large", status=413)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            raw = self._read_body()
        except ControlError as exc:
            self._json(exc.status, {"error": exc.message})
            return
        path = url.path
        if path.startswith("/cgi-bin/"):
            self._wecom(method, path.removeprefix("/cgi-bin/").strip("/"), query, raw)
        elif path == "/sandbox" or path.startswith("/sandbox/"):
            self._sandbox(method, path.removeprefix("/sandbox").strip("/"), query, raw)
        elif path.startswith("/finance/"):
            self._finance(path.removeprefix("/finance/").strip("/"), raw)
        elif path == "/":
            self._redirect("/sandbox/")
        else:
            self._json(404, {"error": f"no such path {path}"})

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # --- WeCom's API ---------------------------------------------------------------------

    def _wecom(self, method: str, api_name: str, query: dict[str, str], raw: bytes) -> None:
        state = self.server.state
        call_log: dict[str, Any] = {
            "api": api_name,
            "method": method,
            "query": {k: ("***" if k in _MASKED_QUERY else v) for k, v in query.items() if k not in _HIDDEN_QUERY},
            "body": None,
            "at": state.now_int(),
        }
        hang = 0.0
        if api_name != "gettoken" and api_name not in wecom.HANDLERS:
            call_log["errcode"] = 404
            state.calls.append(call_log)
            self._json(404, {"errcode": 404, "errmsg": f"the sandbox does not implement /cgi-bin/{api_name}"})
            return
        try:
            if api_name != "gettoken":
                with state.lock:
                    wecom.check_token(state, query.get("access_token"))
            fault = self._take_fault(api_name)
            if fault and fault["mode"] == "error":
                raise WeComError(int(fault["errcode"]), "injected by the sandbox")
            self._check_rate(api_name)
            body = self._parse_body(raw, call_log, self.headers.get("Content-Type") or "")
            if api_name == "gettoken":
                answer = wecom.gettoken(state, query)
            else:
                answer = self._run(api_name, {**{k: v for k, v in query.items() if k not in _HIDDEN_QUERY}, **body})
            if fault and fault["mode"] == "apply_then_hang":
                hang = float(fault["seconds"])
            if wecom.BINARY_ANSWER in answer:
                call_log["errcode"] = 0
                state.calls.append(call_log)
                self._file(*answer[wecom.BINARY_ANSWER])
                return
            payload = {"errcode": 0, "errmsg": "ok", **answer}
        except WeComError as exc:
            payload = {"errcode": exc.errcode, "errmsg": exc.errmsg}
        except Exception:
            # A sandbox bug must still answer, as WeCom's own failures do: -1, system busy.
            logger.exception("api=%s failed", api_name)
            payload = {"errcode": errors.BUSY, "errmsg": errors.errmsg(errors.BUSY, "sandbox error")}
        call_log["errcode"] = payload["errcode"]
        state.calls.append(call_log)
        if hang:
            time.sleep(hang)  # the effect is applied; the caller times out not knowing it
        self._json(200, payload)

    def _finance(self, name: str, raw: bytes) -> None:
        """The Finance SDK's calls (wecom_sandbox.archive): SDK return codes, not WeCom errcodes."""
        handler = archive.FINANCE_ROUTES.get(name)
        if handler is None:
            self._json(404, {"error": f"no such SDK call {name}"})
            return
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            if not isinstance(body, dict):
                raise archive.SdkError(archive.SDK_BAD_PARAMETER, "the body is a JSON object")
            payload = handler(self.server.state, body)
        except (UnicodeDecodeError, ValueError):
            payload = {"errcode": archive.SDK_BAD_PARAMETER, "errmsg": "the body is a JSON object"}
        except archive.SdkError as exc:
            payload = {"errcode": exc.code, "errmsg": exc.message}
        self._json(200, payload)

    def _file(self, data: bytes, content_type: str, filename: str) -> None:
        """A file download as WeCom's media/get answers it."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Disposition", f'attachment; filename="{quote(filename)}"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _parse_body(self, raw: bytes, call_log: dict[str, Any], content_type: str = "") -> dict[str, Any]:
        if not raw.strip():
            return {}
        if content_type.lower().startswith("multipart/form-data"):
            # Uploads (media/upload): the log keeps what was sent, not the bytes.
            fields = parse_multipart(raw, content_type)
            call_log["body"] = {
                name: {k: (len(v) if k == "data" else v) for k, v in value.items()}
                if isinstance(value, dict)
                else value
                for name, value in fields.items()
            }
            return fields
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            call_log["body"] = raw.decode("utf-8", "replace")
            raise WeComError(errors.INVALID_JSON) from exc
        call_log["body"] = body
        if not isinstance(body, dict):
            raise WeComError(errors.INVALID_JSON)
        return body

    def _run(self, api_name: str, req: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        endpoint = wecom.HANDLERS[api_name]
        call = wecom.Call(state=state, req=req)
        if endpoint.reads_only:
            with state.lock:
                answer = endpoint.handler(call)
        else:
            with state.mutate():
                answer = endpoint.handler(call)
        if call.events:
            self.server.sender.send_all(call.events)
        return answer

    def _take_fault(self, api_name: str) -> dict[str, Any] | None:
        state = self.server.state
        with state.lock:
            faults = state.data["faults"]
            for fault in faults:
                if fault["api"] in (api_name, "*") and fault["times"] > 0:
                    if fault.get("after", 0) > 0:
                        with state.mutate():
                            fault["after"] -= 1
                        continue
                    with state.mutate():
                        fault["times"] -= 1
                        state.data["faults"] = [f for f in faults if f["times"] > 0]
                    return dict(fault)
        return None

    def _check_rate(self, api_name: str) -> None:
        """A sliding one-minute window per API, on the sandbox clock, like WeCom's per-corp limit."""
        state = self.server.state
        with state.lock:
            config = state.config
            limit = int(config["rate_limits"].get(api_name, config["rate_limit_per_minute"]))
            now = state.now()
            window = state.rate_windows.setdefault(api_name, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= limit:
                raise WeComError(errors.API_FREQ_OUT_OF_LIMIT)
            window.append(now)

    # --- the control API and pages -------------------------------------------------------------

    def _sandbox(self, method: str, path: str, query: dict[str, str], raw: bytes) -> None:
        server = self.server
        try:
            if method == "GET" and path == "":
                self._send(200, pages.index(server.state).encode(), "text/html; charset=utf-8", cors=True)
                return
            if method == "GET" and (match := _QR.match(path)):
                if match.group(1) not in server.state.data["contact_ways"]:
                    raise ControlError("no such contact way", status=404)
                self._send(200, pages.qr_svg(server.state, match.group(1)), "image/svg+xml", cors=True)
                return
            if match := _SCAN.match(path):
                self._scan_page(method, match.group(1), raw)
                return
            if match := _MEMBER.match(path):
                self._member_page(method, match.group(1), raw)
                return
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ControlError("the body is a JSON object")
            ctx = control.Ctx(state=server.state, sender=server.sender, body=body, query=query)
            if method == "POST" and (match := _CALLBACK_ACTION.match(path)):
                result = control.callback_action(ctx, int(match.group(1)), match.group(2))
            else:
                route = control.ROUTES.get((method, path))
                if route is None:
                    raise ControlError(f"no control route {method} /sandbox/{path}", status=404)
                if (method, path) in _LOOPBACK_ONLY and not is_loopback(self.client_address[0]):
                    raise ControlError(f"/sandbox/{path} answers clients on this machine only", status=403)
                result = route(ctx)
            self._json(200, result, cors=True)
        except ControlError as exc:
            self._json(exc.status, {"error": exc.message}, cors=True)
        except WeComError as exc:
            self._json(400, {"error": exc.errmsg, "errcode": exc.errcode}, cors=True)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self._json(400, {"error": f"bad request: {type(exc).__name__}: {exc}"}, cors=True)
        except Exception as exc:
            logger.exception("control %s /sandbox/%s failed", method, path)
            self._json(500, {"error": f"sandbox error: {type(exc).__name__}"}, cors=True)

    def _member_page(self, method: str, userid: str, raw: bytes) -> None:
        """The member's view of the WeCom client: tasks to confirm, ignore or publish."""
        server = self.server
        notice = error = ""
        if method == "POST":
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            body = {"userid": userid, "msgid": form.get("msgid"), "moment_id": form.get("moment_id")}
            action = {"confirm": "simulate/confirm_groupmsg", "ignore": "simulate/ignore_groupmsg"}.get(
                form.get("action", ""), "simulate/publish_moment"
            )
            ctx = control.Ctx(state=server.state, sender=server.sender, body=body, query={})
            try:
                outcome = control.ROUTES[("POST", action)](ctx)
                notice = pages.member_notice(form.get("action", ""), outcome)
            except ControlError as exc:
                error = exc.message
        html = pages.member_tasks(server.state, userid, notice=notice, error=error)
        self._send(200, html.encode(), "text/html; charset=utf-8", cors=True)

    def _scan_page(self, method: str, config_id: str, raw: bytes) -> None:
        server = self.server
        if method == "GET":
            html = pages.scan_form(server.state, config_id)
        else:
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            customer = {"name": form.get("name", "").strip(), "unionid": form.get("unionid", "").strip() or None}
            try:
                outcome = control.scan(server.state, server.sender, {"config_id": config_id, "customer": customer})
                html = pages.scan_form(server.state, config_id, outcome=outcome)
            except ControlError as exc:
                html = pages.scan_form(server.state, config_id, error=exc.message)
        self._send(200, html.encode(), "text/html; charset=utf-8", cors=True)
