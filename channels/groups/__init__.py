"""Customer groups (客户群) and their members, synced from WeCom."""
