"""The 22 TPC-H queries over Polars (lazy_queries.py, the code weft_lazy.py runs too)."""

import polars

from .lazy_queries import queries

QUERIES = queries(polars)
