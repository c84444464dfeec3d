"""The WeCom callback endpoint: verify, store in the inbox, acknowledge, then process on a worker."""
