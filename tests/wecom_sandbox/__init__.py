"""The local WeCom sandbox, driven over HTTP like the product drives WeCom."""
