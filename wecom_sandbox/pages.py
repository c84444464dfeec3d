"""The sandbox's demo pages: an index, a QR code per contact way, and a "scan as a customer" form.

Plain HTML with inline styles and no scripts or external assets, so they work offline and
inside the bank. Every value shown is escaped.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any

import segno

from wecom_sandbox.control import pending_tasks
from wecom_sandbox.state import SandboxState

_STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#1f2933;max-width:60rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #d9e2ec;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
code,pre{font-size:.8rem}pre{white-space:pre-wrap;word-break:break-all;margin:0}
.ok{color:#18794e}.bad{color:#c53030}form p{margin:.6rem 0}input{padding:.3rem;width:18rem}
button{padding:.4rem 1rem}.muted{color:#627d98}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def scan_url(state: SandboxState, config_id: str) -> str:
    return f"{state.corp.public_url}/sandbox/scan/{config_id}"


def qr_svg(state: SandboxState, config_id: str) -> bytes:
    """The contact way's QR code: it encodes the scan page, as a real code encodes WeCom's."""
    buffer = io.BytesIO()
    segno.make(scan_url(state, config_id), error="m").save(buffer, kind="svg", scale=6, border=2)
    return buffer.getvalue()


def index(state: SandboxState) -> str:
    with state.lock:
        data = state.data
        ways = sorted(data["contact_ways"].values(), key=lambda w: w["create_time"], reverse=True)
        callbacks = list(reversed(data["callbacks"][-20:]))
        messages = list(reversed(data["deliveries"][-20:]))
        users = len(data["users"])
        contacts = len(data["contacts"])
        waiting = {userid: pending_tasks(state, userid) for userid in sorted(data["users"])}
    member_links = " · ".join(
        f'<a href="/sandbox/member/{escape(userid)}">{escape(userid)}</a>'
        f" ({len(tasks['groupmsgs'])} 群发 · {len(tasks['moments'])} 朋友圈)"
        for userid, tasks in waiting.items()
        if tasks["groupmsgs"] or tasks["moments"]
    )
    rows = "".join(
        "<tr>"
        f"<td><code>{escape(w['config_id'])}</code></td><td>{escape(w['state'])}</td>"
        f"<td>{escape(w['remark'])}</td><td>{escape(', '.join(w['user']))}</td>"
        f'<td><a href="/sandbox/scan/{escape(w["config_id"])}">扫码 scan</a>'
        + (f' · <a href="/sandbox/qr/{escape(w["config_id"])}.svg">二维码 QR</a>' if w["qr_code"] else "")
        + "</td></tr>"
        for w in ways
    )
    callback_rows = "".join(
        "<tr>"
        f"<td>{c['id']}</td><td>{escape(c['kind'])}</td><td>{escape(c['change_type'] or c['event'])}</td>"
        f'<td class="{"ok" if c["delivered"] else "bad"}">{escape(str(c["status"]))} × {c["attempts"]}</td>'
        f"<td><pre>{escape(c['plaintext'])}</pre></td></tr>"
        for c in callbacks
    )
    message_rows = "".join(
        "<tr>"
        f"<td>{escape(m['kind'])}</td><td>{escape(m['userid'])} → {escape(m['external_userid'])}</td>"
        f"<td>{escape(_message_text(m))}</td></tr>"
        for m in messages
    )
    body = (
        "<h1>企业微信沙箱 WeCom sandbox</h1>"
        f'<p class="muted">corp <code>{escape(state.corp.corp_id)}</code> · {users} 成员 staff · '
        f"{contacts} 客户 customers · 回调地址 callback URL <code>{escape(state.config['callback_url'])}</code></p>"
        "<h2>成员待发任务 members' tasks to send</h2>"
        f"<p>{member_links or '<span class=muted>无 none</span>'}</p>"
        "<h2>「联系我」 contact ways</h2>"
        "<table><tr><th>config_id</th><th>state</th><th>备注 remark</th><th>成员 staff</th><th></th></tr>"
        f"{rows or '<tr><td colspan=5 class=muted>无 none</td></tr>'}</table>"
        "<h2>最近回调 recent callbacks</h2>"
        "<table><tr><th>#</th><th>kind</th><th>event</th><th>HTTP × attempts</th><th>event XML</th></tr>"
        f"{callback_rows or '<tr><td colspan=5 class=muted>无 none</td></tr>'}</table>"
        "<h2>客户收到的消息 messages customers received</h2>"
        "<table><tr><th>kind</th><th>from → to</th><th>content</th></tr>"
        f"{message_rows or '<tr><td colspan=3 class=muted>无 none</td></tr>'}</table>"
    )
    return _page("企业微信沙箱 WeCom sandbox", body)


def _message_text(message: dict[str, Any]) -> str:
    if message.get("text"):
        return str(message["text"])
    for key in ("text", "link", "image", "miniprogram", "news", "video", "file"):
        if isinstance(message.get(key), dict):
            return str(message[key].get("content") or message[key].get("title") or key)
    return ""


def scan_form(state: SandboxState, config_id: str, *, outcome: dict[str, Any] | None = None, error: str = "") -> str:
    with state.lock:
        way = state.data["contact_ways"].get(config_id)
    if way is None:
        return _page("未找到 not found", "<h1>没有这个「联系我」 no such contact way</h1>")
    result = ""
    if error:
        result = f'<p class="bad">失败 failed: {escape(error)}</p>'
    elif outcome:
        callback = outcome["callback"]
        result = (
            '<p class="ok">已添加 added: '
            f"<code>{escape(outcome['external_userid'])}</code> ↔ <code>{escape(outcome['userid'])}</code>; "
            f"回调 callback HTTP {escape(str(callback['status']))} × {callback['attempts']}</p>"
        )
    body = (
        "<h1>扫码添加 Scan as a customer</h1>"
        f'<p class="muted">「联系我」 <code>{escape(config_id)}</code> · state <code>{escape(way["state"])}</code>'
        f" · {escape(way['remark'])}</p>{result}"
        f'<form method="post" action="/sandbox/scan/{escape(config_id)}">'
        '<p><label>微信昵称 WeChat name<br><input name="name" required maxlength="64"></label></p>'
        '<p><label>unionid（可选 optional）<br><input name="unionid" maxlength="64"></label></p>'
        "<p><button>扫码添加 Scan and add</button></p></form>"
        '<p><a href="/sandbox/">← 沙箱首页 sandbox index</a></p>'
    )
    return _page("扫码添加 Scan as a customer", body)


def _attachments_text(attachments: list[dict[str, Any]]) -> str:
    return "、".join(escape(str(a.get("msgtype", ""))) for a in attachments)


def member_notice(action: str, outcome: dict[str, Any]) -> str:
    if action == "confirm":
        return (
            f"已发送 sent: {outcome['sent']} · 非好友 not a friend: {outcome['not_friend']}"
            f" · 超限 quota: {outcome['quota']}"
        )
    if action == "ignore":
        return "已忽略 ignored"
    return f"已发表 published: {outcome['reached']} 位客户可见 customers reached"


def member_tasks(state: SandboxState, userid: str, *, notice: str = "", error: str = "") -> str:
    """A member's pending 群发 and 朋友圈 tasks, as the WeCom client would show them."""
    with state.lock:
        user = state.data["users"].get(userid)
        tasks = pending_tasks(state, userid)
        app_messages = [dict(m) for m in state.data.get("app_messages", []) if m["userid"] == userid][-20:]
    if user is None:
        return _page("未找到 not found", f"<h1>没有成员 no member {escape(userid)}</h1>")
    status = f'<p class="ok">{escape(notice)}</p>' if notice else ""
    status += f'<p class="bad">失败 failed: {escape(error)}</p>' if error else ""

    def form(field: str, value: str, action: str, label: str) -> str:
        return (
            f'<form method="post" style="display:inline"><input type="hidden" name="{field}" value="{escape(value)}">'
            f'<input type="hidden" name="action" value="{action}"><button>{label}</button></form> '
        )

    groupmsg_rows = "".join(
        "<tr>"
        f"<td><code>{escape(m['msgid'])}</code></td>"
        f"<td>{'客户群 groups' if m['chat_type'] == 'group' else '客户 customers'} × {m['recipients']}</td>"
        f"<td>{escape(m['text'])} <span class=muted>{_attachments_text(m['attachments'])}</span></td>"
        f"<td>{form('msgid', m['msgid'], 'confirm', '确认发送 Send')}"
        f"{form('msgid', m['msgid'], 'ignore', '忽略 Ignore')}</td>"
        "</tr>"
        for m in tasks["groupmsgs"]
    )
    moment_rows = "".join(
        "<tr>"
        f"<td><code>{escape(m['moment_id'])}</code></td>"
        f"<td>{escape(m['text'])} <span class=muted>{_attachments_text(m['attachments'])}</span></td>"
        f"<td>{form('moment_id', m['moment_id'], 'publish', '发表 Publish')}</td>"
        "</tr>"
        for m in tasks["moments"]
    )
    app_rows = "".join(
        f"<tr><td>{escape(m['content'])}</td>"
        f"<td>{'是 yes' if m['delivered'] else escape('否 dropped: ' + m['dropped'])}</td></tr>"
        for m in reversed(app_messages)
    )
    body = (
        f"<h1>{escape(user.get('name') or userid)} 的待发任务 tasks to send</h1>{status}"
        "<h2>群发助手 mass messages</h2>"
        "<table><tr><th>msgid</th><th>发送给 to</th><th>内容 content</th><th></th></tr>"
        f"{groupmsg_rows or '<tr><td colspan=4 class=muted>无 none</td></tr>'}</table>"
        "<h2>朋友圈 moments</h2>"
        "<table><tr><th>moment_id</th><th>内容 content</th><th></th></tr>"
        f"{moment_rows or '<tr><td colspan=3 class=muted>无 none</td></tr>'}</table>"
        "<h2>应用消息 app messages</h2>"
        "<table><tr><th>内容 content</th><th>送达 delivered</th></tr>"
        f"{app_rows or '<tr><td colspan=2 class=muted>无 none</td></tr>'}</table>"
        '<p><a href="/sandbox/">← 沙箱首页 sandbox index</a></p>'
    )
    return _page("待发任务 tasks to send", body)
