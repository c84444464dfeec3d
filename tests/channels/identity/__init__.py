"""Identity matching (客户认证)."""
