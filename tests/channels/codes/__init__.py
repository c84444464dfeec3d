"""Channel codes (渠道活码)."""
