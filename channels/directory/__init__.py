"""The WeCom member directory as scrm sees it: a snapshot to compare staff with.

The gateway reads the directory (``user/simplelist``) but has no write to it, so scrm
does not create or edit WeCom members; staff administration shows where the two differ.
"""
