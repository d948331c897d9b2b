"""TPC-H in three engines: lazy_queries.py (Polars' lazy API, written once) run over weft
(weft_lazy.py) and over Polars (polars_lazy.py), duckdb_sql.py (the standard SQL text), each with
the validation parameters; data.py makes the tables with tpchgen-cli, answers.py compares
two engines' answers. Used by bench/tpch.py and python/tests/test_tpch.py."""

TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")

# The ORDER BY columns of each query's output (the answers' order is checked on these;
# the rows themselves are compared as multisets, since ties may come in any order).
ORDER_BY = {
    1: ["l_returnflag", "l_linestatus"],
    2: ["s_acctbal", "n_name", "s_name", "p_partkey"],
    3: ["revenue", "o_orderdate"],
    4: ["o_orderpriority"],
    5: ["revenue"],
    6: [],
    7: ["supp_nation", "cust_nation", "l_year"],
    8: ["o_year"],
    9: ["nation", "o_year"],
    10: ["revenue"],
    11: ["value"],
    12: ["l_shipmode"],
    13: ["custdist", "c_count"],
    14: [],
    15: ["s_suppkey"],
    16: ["supplier_cnt", "p_brand", "p_type", "p_size"],
    17: [],
    18: ["o_totalprice", "o_orderdate"],
    19: [],
    20: ["s_name"],
    21: ["numwait", "s_name"],
    22: ["cntrycode"],
}

# The tables each query reads (so a run loads only those).
USES = {
    1: ["lineitem"],
    2: ["part", "partsupp", "supplier", "nation", "region"],
    3: ["customer", "orders", "lineitem"],
    4: ["orders", "lineitem"],
    5: ["region", "nation", "customer", "orders", "lineitem", "supplier"],
    6: ["lineitem"],
    7: ["supplier", "lineitem", "orders", "customer", "nation"],
    8: ["part", "lineitem", "supplier", "orders", "customer", "nation", "region"],
    9: ["part", "partsupp", "supplier", "lineitem", "orders", "nation"],
    10: ["customer", "orders", "lineitem", "nation"],
    11: ["partsupp", "supplier", "nation"],
    12: ["orders", "lineitem"],
    13: ["customer", "orders"],
    14: ["lineitem", "part"],
    15: ["lineitem", "supplier"],
    16: ["part", "partsupp", "supplier"],
    17: ["part", "lineitem"],
    18: ["lineitem", "orders", "customer"],
    19: ["part", "lineitem"],
    20: ["lineitem", "part", "partsupp", "nation", "supplier"],
    21: ["lineitem", "supplier", "nation", "orders"],
    22: ["customer", "orders"],
}
