"""The chat sidebar (聊天工具栏): an H5 page WeCom opens beside a customer chat."""
