"""External contacts, follow relations and their tags on WeCom."""
