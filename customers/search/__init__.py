"""The customer list and search: filters, blind-index lookup, keyset pages."""
