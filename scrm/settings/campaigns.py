"""Campaign pressure limits: the bank's own frequency cap and WeCom's receive quota (WECOM.md §1)."""

from scrm.settings.environment import env

# At most this many marketing messages reach one customer in any rolling window of this
# many days, across all campaigns; service messages are exempt.
CAMPAIGN_MARKETING_TOUCH_LIMIT: int = env.int("CAMPAIGN_MARKETING_TOUCH_LIMIT", default=4)
CAMPAIGN_MARKETING_TOUCH_WINDOW_DAYS: int = env.int("CAMPAIGN_MARKETING_TOUCH_WINDOW_DAYS", default=30)
# WeCom delivers one mass message per customer per day; older documentation said four a
# month. Both are settings because WeCom has changed them; 0 turns the monthly one off.
WECOM_GROUPMSG_DAILY_QUOTA: int = env.int("WECOM_GROUPMSG_DAILY_QUOTA", default=1)
WECOM_GROUPMSG_MONTHLY_QUOTA: int = env.int("WECOM_GROUPMSG_MONTHLY_QUOTA", default=0)
# The most external userids one add_msg_template call takes.
WECOM_GROUPMSG_CHUNK_SIZE: int = env.int("WECOM_GROUPMSG_CHUNK_SIZE", default=10_000)
# A customer group receives at most as many group messages in a month as the month has
# days (WECOM.md §1); a positive value replaces that.
WECOM_GROUPCHAT_MONTHLY_QUOTA: int = env.int("WECOM_GROUPCHAT_MONTHLY_QUOTA", default=0)
# The most customer groups one add_msg_template call takes (chat_id_list).
WECOM_GROUPMSG_CHAT_CHUNK_SIZE: int = env.int("WECOM_GROUPMSG_CHAT_CHUNK_SIZE", default=2_000)
