"""WeCom's error codes as the sandbox answers them, and the two error types of the sandbox.

The numbers are WeCom's own (global error-code page, as transcribed in go-wecom's
``errcodes``), so a product that handles the sandbox's errors handles the real ones.
"""

from __future__ import annotations

BUSY = -1
INVALID_SECRET = 40001
INVALID_USERID = 40003
INVALID_MEDIA_TYPE = 40004
INVALID_FILE_TYPE = 40005
INVALID_FILE_SIZE = 40006
INVALID_MEDIA_ID = 40007
INVALID_IMAGE_SIZE = 40009
INVALID_VOICE_SIZE = 40010
INVALID_VIDEO_SIZE = 40011
INVALID_CORPID = 40013
INVALID_ACCESS_TOKEN = 40014
INVALID_OAUTH_CODE = 40029
INVALID_USERID_LIST = 40031
INVALID_CHAT_ID = 40050
INVALID_PARAMETER = 40058
INVALID_PARTY_LIST = 40066
INVALID_TAG_ID = 40068
TAG_NAME_EXISTS = 40071
INVALID_TAG_NAME_LENGTH = 40072
INVALID_EXTERNAL_USERID = 40096
USER_NOT_DEPARTED = 40097
CORP_TAG_LIMIT = 40126
TRANSFER_TOO_FREQUENT = 40128
TRANSFER_IN_PROGRESS = 40129
TRANSFER_SAME_USER = 40130
HANDOVER_NOT_FOLLOWER = 40131
MISSING_ACCESS_TOKEN = 41001
MISSING_CORPID = 41002
MISSING_SECRET = 41004
MISSING_MEDIA_DATA = 41005
MISSING_MEDIA_ID = 41006
MISSING_USERID = 41009
MISSING_EXTERNAL_USERID = 41035
MISSING_CONTACT_WAY_TYPE = 41037
MISSING_CONTACT_WAY_SCENE = 41038
INVALID_CONTACT_WAY_TYPE = 41039
INVALID_CONTACT_WAY_SCENE = 41040
CONTACT_WAY_TOO_MANY_USERS = 41041
MISSING_CONFIG_ID = 41043
INVALID_CONFIG_ID = 41044
MISSING_MSGID = 41046
INVALID_MSGID = 41047
NO_CUSTOMER_TO_SEND = 41048
MISSING_WELCOME_CODE = 41049
INVALID_WELCOME_CODE = 41050
CHAT_ALREADY_STARTED = 41051
INVALID_ATTACHMENT_TYPE = 41065
ACCESS_TOKEN_EXPIRED = 42001
EMPTY_MEDIA_DATA = 44001
EMPTY_TEXT_CONTENT = 44004
API_FREQ_OUT_OF_LIMIT = 45009
INVALID_JSON = 47001
GROUP_DISMISSED = 49008
INVALID_CURSOR = 50100
USERID_NOT_FOUND = 60111
DEPARTMENT_NOT_FOUND = 60123
NOT_EXTERNAL_CONTACT = 84061

MESSAGES = {
    BUSY: "system busy",
    INVALID_SECRET: "invalid secret",
    INVALID_USERID: "invalid userid",
    INVALID_MEDIA_TYPE: "invalid media type",
    INVALID_FILE_TYPE: "invalid file type",
    INVALID_FILE_SIZE: "invalid file size",
    INVALID_MEDIA_ID: "invalid media_id",
    INVALID_IMAGE_SIZE: "invalid image size",
    INVALID_VOICE_SIZE: "invalid voice size",
    INVALID_VIDEO_SIZE: "invalid video size",
    INVALID_CORPID: "invalid corpid",
    INVALID_ACCESS_TOKEN: "invalid access_token",
    INVALID_OAUTH_CODE: "invalid code",
    INVALID_USERID_LIST: "invalid userid list",
    INVALID_CHAT_ID: "chatid not found",
    INVALID_PARAMETER: "invalid parameter",
    INVALID_PARTY_LIST: "invalid party list",
    INVALID_TAG_ID: "invalid tagid",
    TAG_NAME_EXISTS: "tag name exists",
    INVALID_TAG_NAME_LENGTH: "invalid tag name size",
    INVALID_EXTERNAL_USERID: "invalid external userid",
    USER_NOT_DEPARTED: "user not resigned",
    CORP_TAG_LIMIT: "corp tag count exceed limit",
    TRANSFER_TOO_FREQUENT: "customer transfer too frequently",
    TRANSFER_IN_PROGRESS: "customer is transferring",
    TRANSFER_SAME_USER: "handover and takeover user are the same",
    HANDOVER_NOT_FOLLOWER: "handover user is not follower of external contact",
    MISSING_ACCESS_TOKEN: "access_token missing",
    MISSING_CORPID: "corpid missing",
    MISSING_SECRET: "corpsecret missing",
    MISSING_MEDIA_DATA: "media data missing",
    MISSING_MEDIA_ID: "media_id missing",
    MISSING_USERID: "user id missing",
    MISSING_EXTERNAL_USERID: "external userid missing",
    MISSING_CONTACT_WAY_TYPE: "contact way type missing",
    MISSING_CONTACT_WAY_SCENE: "contact way scene missing",
    INVALID_CONTACT_WAY_TYPE: "invalid contact way type",
    INVALID_CONTACT_WAY_SCENE: "invalid contact way scene",
    CONTACT_WAY_TOO_MANY_USERS: "contact way user count exceed limit",
    MISSING_CONFIG_ID: "config_id missing",
    INVALID_CONFIG_ID: "invalid config_id",
    MISSING_MSGID: "msgid missing",
    INVALID_MSGID: "invalid msgid",
    NO_CUSTOMER_TO_SEND: "no valid customer to send",
    MISSING_WELCOME_CODE: "welcome_code missing",
    INVALID_WELCOME_CODE: "invalid welcome_code",
    CHAT_ALREADY_STARTED: "externaluser has started chatting",
    INVALID_ATTACHMENT_TYPE: "invalid attachment type",
    ACCESS_TOKEN_EXPIRED: "access_token expired",
    EMPTY_MEDIA_DATA: "empty media data",
    EMPTY_TEXT_CONTENT: "empty content",
    API_FREQ_OUT_OF_LIMIT: "api freq out of limit",
    INVALID_JSON: "data format error",
    GROUP_DISMISSED: "group chat dismissed",
    INVALID_CURSOR: "invalid cursor",
    USERID_NOT_FOUND: "userid not found",
    DEPARTMENT_NOT_FOUND: "department not found",
    NOT_EXTERNAL_CONTACT: "not external contact",
}


def errmsg(errcode: int, detail: str = "") -> str:
    """An errmsg shaped like WeCom's: the message, a hint, and the devtool link for the code."""
    text = MESSAGES.get(errcode, "error")
    if detail:
        text = f"{text}: {detail}"
    return f"{text}, hint: [sandbox], more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}"


class WeComError(Exception):
    """A WeCom API answer with a non-zero errcode; nothing of the call took effect."""

    def __init__(self, errcode: int, detail: str = "") -> None:
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.errmsg = errmsg(errcode, detail)


class ControlError(Exception):
    """A bad request to the sandbox's own control API (not a WeCom answer)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
