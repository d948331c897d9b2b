"""The 22 TPC-H queries over weft: the same code as polars_lazy.py (lazy_queries.py), with
the module `weft` in place of `polars`."""

import weft

from .lazy_queries import queries

QUERIES = queries(weft)
