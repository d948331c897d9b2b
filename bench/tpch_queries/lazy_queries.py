"""The 22 TPC-H queries in Polars' lazy API, as a Polars user writes them (after the lazy
queries of github.com/pola-rs/tpch), with the validation parameters and the standard
queries' semantics: no rounding the SQL text does not do, LIKE 'x%' as str.starts_with,
EXISTS / IN as semi joins, NOT EXISTS / NOT IN as anti joins, and Q11's FRACTION 0.0001 / SF.

The code is written once against a module `pl` given to each query: polars itself
(polars_lazy.py), or weft (weft_lazy.py), whose API mirrors Polars', so weft answers the
very code a Polars user runs. Each qN(t, sf, pl) takes `t`, a mapping of table name ->
LazyFrame (in memory, or a scan of its Parquet file), and returns the query as a LazyFrame
(collect() runs it); the output columns are named and ordered as in the SQL text
(duckdb_sql.py), so the answers compare column by column.
"""

from datetime import date, timedelta

import functools


def q1(t, sf, pl):
    disc_price = pl.col("l_extendedprice") * (1 - pl.col("l_discount"))
    return (
        t["lineitem"]
        .filter(pl.col("l_shipdate") <= date(1998, 12, 1) - timedelta(days=90))
        .group_by("l_returnflag", "l_linestatus")
        .agg(
            pl.col("l_quantity").sum().alias("sum_qty"),
            pl.col("l_extendedprice").sum().alias("sum_base_price"),
            disc_price.sum().alias("sum_disc_price"),
            (disc_price * (1 + pl.col("l_tax"))).sum().alias("sum_charge"),
            pl.col("l_quantity").mean().alias("avg_qty"),
            pl.col("l_extendedprice").mean().alias("avg_price"),
            pl.col("l_discount").mean().alias("avg_disc"),
            pl.len().alias("count_order"),
        )
        .sort("l_returnflag", "l_linestatus")
    )


def q2(t, sf, pl):
    europe = (
        t["part"]
        .join(t["partsupp"], left_on="p_partkey", right_on="ps_partkey")
        .join(t["supplier"], left_on="ps_suppkey", right_on="s_suppkey")
        .join(t["nation"], left_on="s_nationkey", right_on="n_nationkey")
        .join(t["region"], left_on="n_regionkey", right_on="r_regionkey")
        .filter(pl.col("p_size") == 15)
        .filter(pl.col("p_type").str.ends_with("BRASS"))
        .filter(pl.col("r_name") == "EUROPE")
    )
    return (
        europe.group_by("p_partkey")
        .agg(pl.col("ps_supplycost").min())
        .join(europe, on=["p_partkey", "ps_supplycost"])
        .select("s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address",
                "s_phone", "s_comment")
        .sort("s_acctbal", "n_name", "s_name", "p_partkey",
              descending=[True, False, False, False])
        .head(100)
    )


def q3(t, sf, pl):
    day = date(1995, 3, 15)
    return (
        t["customer"]
        .filter(pl.col("c_mktsegment") == "BUILDING")
        .join(t["orders"], left_on="c_custkey", right_on="o_custkey")
        .join(t["lineitem"], left_on="o_orderkey", right_on="l_orderkey")
        .filter(pl.col("o_orderdate") < day)
        .filter(pl.col("l_shipdate") > day)
        .with_columns((pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).alias("revenue"))
        .group_by("o_orderkey", "o_orderdate", "o_shippriority")
        .agg(pl.col("revenue").sum())
        .select(pl.col("o_orderkey").alias("l_orderkey"), "revenue", "o_orderdate",
                "o_shippriority")
        .sort("revenue", "o_orderdate", descending=[True, False])
        .head(10)
    )


def q4(t, sf, pl):
    late = t["lineitem"].filter(pl.col("l_commitdate") < pl.col("l_receiptdate"))
    return (
        t["orders"]
        .join(late, left_on="o_orderkey", right_on="l_orderkey", how="semi")
        .filter(pl.col("o_orderdate").is_between(date(1993, 7, 1), date(1993, 10, 1),
                                                 closed="left"))
        .group_by("o_orderpriority")
        .agg(pl.len().alias("order_count"))
        .sort("o_orderpriority")
    )


def q5(t, sf, pl):
    return (
        t["region"]
        .join(t["nation"], left_on="r_regionkey", right_on="n_regionkey")
        .join(t["customer"], left_on="n_nationkey", right_on="c_nationkey")
        .join(t["orders"], left_on="c_custkey", right_on="o_custkey")
        .join(t["lineitem"], left_on="o_orderkey", right_on="l_orderkey")
        .join(t["supplier"], left_on=["l_suppkey", "n_nationkey"],
              right_on=["s_suppkey", "s_nationkey"])
        .filter(pl.col("r_name") == "ASIA")
        .filter(pl.col("o_orderdate").is_between(date(1994, 1, 1), date(1995, 1, 1),
                                                 closed="left"))
        .with_columns((pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).alias("revenue"))
        .group_by("n_name")
        .agg(pl.col("revenue").sum())
        .sort("revenue", descending=True)
    )


def q6(t, sf, pl):
    return (
        t["lineitem"]
        .filter(pl.col("l_shipdate").is_between(date(1994, 1, 1), date(1995, 1, 1),
                                                closed="left"))
        .filter(pl.col("l_discount").is_between(0.05, 0.07))
        .filter(pl.col("l_quantity") < 24)
        .select((pl.col("l_extendedprice") * pl.col("l_discount")).sum().alias("revenue"))
    )


def q7(t, sf, pl):
    nation = t["nation"].select("n_nationkey", "n_name")
    return (
        t["supplier"]
        .join(t["lineitem"], left_on="s_suppkey", right_on="l_suppkey")
        .join(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .join(t["customer"], left_on="o_custkey", right_on="c_custkey")
        .join(nation.rename({"n_name": "supp_nation"}), left_on="s_nationkey",
              right_on="n_nationkey")
        .join(nation.rename({"n_name": "cust_nation"}), left_on="c_nationkey",
              right_on="n_nationkey")
        .filter(((pl.col("supp_nation") == "FRANCE") & (pl.col("cust_nation") == "GERMANY"))
                | ((pl.col("supp_nation") == "GERMANY") & (pl.col("cust_nation") == "FRANCE")))
        .filter(pl.col("l_shipdate").is_between(date(1995, 1, 1), date(1996, 12, 31)))
        .with_columns(
            (pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).alias("volume"),
            pl.col("l_shipdate").dt.year().alias("l_year"),
        )
        .group_by("supp_nation", "cust_nation", "l_year")
        .agg(pl.col("volume").sum().alias("revenue"))
        .sort("supp_nation", "cust_nation", "l_year")
    )


def q8(t, sf, pl):
    n1 = t["nation"].select("n_nationkey", "n_regionkey")
    n2 = t["nation"].select("n_nationkey", "n_name")
    return (
        t["part"]
        .join(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
        .join(t["supplier"], left_on="l_suppkey", right_on="s_suppkey")
        .join(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .join(t["customer"], left_on="o_custkey", right_on="c_custkey")
        .join(n1, left_on="c_nationkey", right_on="n_nationkey")
        .join(t["region"], left_on="n_regionkey", right_on="r_regionkey")
        .filter(pl.col("r_name") == "AMERICA")
        .join(n2, left_on="s_nationkey", right_on="n_nationkey")
        .filter(pl.col("o_orderdate").is_between(date(1995, 1, 1), date(1996, 12, 31)))
        .filter(pl.col("p_type") == "ECONOMY ANODIZED STEEL")
        .select(
            pl.col("o_orderdate").dt.year().alias("o_year"),
            (pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).alias("volume"),
            pl.col("n_name").alias("nation"),
        )
        .with_columns(
            pl.when(pl.col("nation") == "BRAZIL").then(pl.col("volume")).otherwise(0)
            .alias("brazil_volume")
        )
        .group_by("o_year")
        .agg((pl.col("brazil_volume").sum() / pl.col("volume").sum()).alias("mkt_share"))
        .sort("o_year")
    )


def q9(t, sf, pl):
    return (
        t["part"]
        .join(t["partsupp"], left_on="p_partkey", right_on="ps_partkey")
        .join(t["supplier"], left_on="ps_suppkey", right_on="s_suppkey")
        .join(t["lineitem"], left_on=["p_partkey", "ps_suppkey"],
              right_on=["l_partkey", "l_suppkey"])
        .join(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .join(t["nation"], left_on="s_nationkey", right_on="n_nationkey")
        .filter(pl.col("p_name").str.contains("green"))
        .select(
            pl.col("n_name").alias("nation"),
            pl.col("o_orderdate").dt.year().alias("o_year"),
            (pl.col("l_extendedprice") * (1 - pl.col("l_discount"))
             - pl.col("ps_supplycost") * pl.col("l_quantity")).alias("amount"),
        )
        .group_by("nation", "o_year")
        .agg(pl.col("amount").sum().alias("sum_profit"))
        .sort("nation", "o_year", descending=[False, True])
    )


def q10(t, sf, pl):
    return (
        t["customer"]
        .join(t["orders"], left_on="c_custkey", right_on="o_custkey")
        .join(t["lineitem"], left_on="o_orderkey", right_on="l_orderkey")
        .join(t["nation"], left_on="c_nationkey", right_on="n_nationkey")
        .filter(pl.col("o_orderdate").is_between(date(1993, 10, 1), date(1994, 1, 1),
                                                 closed="left"))
        .filter(pl.col("l_returnflag") == "R")
        .group_by("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address",
                  "c_comment")
        .agg((pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).sum().alias("revenue"))
        .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address",
                "c_phone", "c_comment")
        .sort("revenue", descending=True)
        .head(20)
    )


def q11(t, sf, pl):
    germany = (
        t["partsupp"]
        .join(t["supplier"], left_on="ps_suppkey", right_on="s_suppkey")
        .join(t["nation"], left_on="s_nationkey", right_on="n_nationkey")
        .filter(pl.col("n_name") == "GERMANY")
    )
    threshold = germany.select(
        ((pl.col("ps_supplycost") * pl.col("ps_availqty")).sum() * (0.0001 / sf)).alias("threshold")
    )
    return (
        germany.group_by("ps_partkey")
        .agg((pl.col("ps_supplycost") * pl.col("ps_availqty")).sum().alias("value"))
        .join(threshold, how="cross")
        .filter(pl.col("value") > pl.col("threshold"))
        .select("ps_partkey", "value")
        .sort("value", descending=True)
    )


def q12(t, sf, pl):
    high = pl.col("o_orderpriority").is_in(["1-URGENT", "2-HIGH"])
    return (
        t["orders"]
        .join(t["lineitem"], left_on="o_orderkey", right_on="l_orderkey")
        .filter(pl.col("l_shipmode").is_in(["MAIL", "SHIP"]))
        .filter(pl.col("l_commitdate") < pl.col("l_receiptdate"))
        .filter(pl.col("l_shipdate") < pl.col("l_commitdate"))
        .filter(pl.col("l_receiptdate").is_between(date(1994, 1, 1), date(1995, 1, 1),
                                                   closed="left"))
        .with_columns(
            pl.when(high).then(1).otherwise(0).alias("high_line_count"),
            pl.when(high.not_()).then(1).otherwise(0).alias("low_line_count"),
        )
        .group_by("l_shipmode")
        .agg(pl.col("high_line_count").sum(), pl.col("low_line_count").sum())
        .sort("l_shipmode")
    )


def q13(t, sf, pl):
    orders = t["orders"].filter(pl.col("o_comment").str.contains("special.*requests").not_())
    return (
        t["customer"]
        .join(orders, left_on="c_custkey", right_on="o_custkey", how="left")
        .group_by("c_custkey")
        .agg(pl.col("o_orderkey").count().alias("c_count"))
        .group_by("c_count")
        .agg(pl.len().alias("custdist"))
        .sort("custdist", "c_count", descending=[True, True])
    )


def q14(t, sf, pl):
    revenue = pl.col("l_extendedprice") * (1 - pl.col("l_discount"))
    return (
        t["lineitem"]
        .join(t["part"], left_on="l_partkey", right_on="p_partkey")
        .filter(pl.col("l_shipdate").is_between(date(1995, 9, 1), date(1995, 10, 1),
                                                closed="left"))
        .select(
            (100.0 * pl.when(pl.col("p_type").str.starts_with("PROMO")).then(revenue)
             .otherwise(0).sum() / revenue.sum()).alias("promo_revenue")
        )
    )


def q15(t, sf, pl):
    revenue = (
        t["lineitem"]
        .filter(pl.col("l_shipdate").is_between(date(1996, 1, 1), date(1996, 4, 1),
                                                closed="left"))
        .group_by("l_suppkey")
        .agg((pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).sum()
             .alias("total_revenue"))
        .select(pl.col("l_suppkey").alias("supplier_no"), "total_revenue")
    )
    return (
        t["supplier"]
        .join(revenue, left_on="s_suppkey", right_on="supplier_no")
        .filter(pl.col("total_revenue") == pl.col("total_revenue").max())
        .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
        .sort("s_suppkey")
    )


def q16(t, sf, pl):
    complaints = t["supplier"].filter(pl.col("s_comment").str.contains("Customer.*Complaints"))
    return (
        t["part"]
        .join(t["partsupp"], left_on="p_partkey", right_on="ps_partkey")
        .filter(pl.col("p_brand") != "Brand#45")
        .filter(pl.col("p_type").str.starts_with("MEDIUM POLISHED").not_())
        .filter(pl.col("p_size").is_in([49, 14, 23, 45, 19, 3, 36, 9]))
        .join(complaints, left_on="ps_suppkey", right_on="s_suppkey", how="anti")
        .group_by("p_brand", "p_type", "p_size")
        .agg(pl.col("ps_suppkey").n_unique().alias("supplier_cnt"))
        .sort("supplier_cnt", "p_brand", "p_type", "p_size",
              descending=[True, False, False, False])
    )


def q17(t, sf, pl):
    lines = (
        t["part"]
        .filter(pl.col("p_brand") == "Brand#23")
        .filter(pl.col("p_container") == "MED BOX")
        .join(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
    )
    return (
        lines.group_by("p_partkey")
        .agg((0.2 * pl.col("l_quantity").mean()).alias("avg_quantity"))
        .select(pl.col("p_partkey").alias("key"), "avg_quantity")
        .join(lines, left_on="key", right_on="p_partkey")
        .filter(pl.col("l_quantity") < pl.col("avg_quantity"))
        .select((pl.col("l_extendedprice").sum() / 7.0).alias("avg_yearly"))
    )


def q18(t, sf, pl):
    big = (
        t["lineitem"]
        .group_by("l_orderkey")
        .agg(pl.col("l_quantity").sum().alias("sum_quantity"))
        .filter(pl.col("sum_quantity") > 300)
    )
    return (
        t["orders"]
        .join(big, left_on="o_orderkey", right_on="l_orderkey", how="semi")
        .join(t["lineitem"], left_on="o_orderkey", right_on="l_orderkey")
        .join(t["customer"], left_on="o_custkey", right_on="c_custkey")
        .group_by("c_name", "o_custkey", "o_orderkey", "o_orderdate", "o_totalprice")
        .agg(pl.col("l_quantity").sum().alias("sum_qty"))
        .select("c_name", pl.col("o_custkey").alias("c_custkey"), "o_orderkey", "o_orderdate",
                "o_totalprice", "sum_qty")
        .sort("o_totalprice", "o_orderdate", descending=[True, False])
        .head(100)
    )


def q19(t, sf, pl):
    def kind(brand, containers, qty, size):
        return ((pl.col("p_brand") == brand)
                & pl.col("p_container").is_in(containers)
                & pl.col("l_quantity").is_between(qty, qty + 10)
                & pl.col("p_size").is_between(1, size))

    return (
        t["part"]
        .join(t["lineitem"], left_on="p_partkey", right_on="l_partkey")
        .filter(pl.col("l_shipmode").is_in(["AIR", "AIR REG"]))
        .filter(pl.col("l_shipinstruct") == "DELIVER IN PERSON")
        .filter(kind("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 5)
                | kind("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 10)
                | kind("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 15))
        .select((pl.col("l_extendedprice") * (1 - pl.col("l_discount"))).sum().alias("revenue"))
    )


def q20(t, sf, pl):
    shipped = (
        t["lineitem"]
        .filter(pl.col("l_shipdate").is_between(date(1994, 1, 1), date(1995, 1, 1),
                                                closed="left"))
        .group_by("l_partkey", "l_suppkey")
        .agg((pl.col("l_quantity").sum() * 0.5).alias("sum_quantity"))
    )
    forest = t["part"].filter(pl.col("p_name").str.starts_with("forest"))
    suppliers = (
        t["partsupp"]
        .join(forest, left_on="ps_partkey", right_on="p_partkey", how="semi")
        .join(shipped, left_on=["ps_partkey", "ps_suppkey"], right_on=["l_partkey", "l_suppkey"])
        .filter(pl.col("ps_availqty") > pl.col("sum_quantity"))
    )
    canada = t["nation"].filter(pl.col("n_name") == "CANADA")
    return (
        t["supplier"]
        .join(suppliers, left_on="s_suppkey", right_on="ps_suppkey", how="semi")
        .join(canada, left_on="s_nationkey", right_on="n_nationkey")
        .select("s_name", "s_address")
        .sort("s_name")
    )


def q21(t, sf, pl):
    lineitem = t["lineitem"]
    late = lineitem.filter(pl.col("l_receiptdate") > pl.col("l_commitdate"))
    # EXISTS another supplier on the order: the order has more than one supplier;
    # NOT EXISTS another late supplier: the late lines of the order have one supplier only.
    multi = (lineitem.group_by("l_orderkey").agg(pl.col("l_suppkey").n_unique().alias("n"))
             .filter(pl.col("n") > 1))
    alone = (late.group_by("l_orderkey").agg(pl.col("l_suppkey").n_unique().alias("n"))
             .filter(pl.col("n") == 1))
    return (
        late.join(multi, on="l_orderkey", how="semi")
        .join(alone, on="l_orderkey", how="semi")
        .join(t["supplier"], left_on="l_suppkey", right_on="s_suppkey")
        .join(t["nation"], left_on="s_nationkey", right_on="n_nationkey")
        .join(t["orders"], left_on="l_orderkey", right_on="o_orderkey")
        .filter(pl.col("n_name") == "SAUDI ARABIA")
        .filter(pl.col("o_orderstatus") == "F")
        .group_by("s_name")
        .agg(pl.len().alias("numwait"))
        .sort("numwait", "s_name", descending=[True, False])
        .head(100)
    )


def q22(t, sf, pl):
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    customers = (
        t["customer"]
        .with_columns(pl.col("c_phone").str.slice(0, 2).alias("cntrycode"))
        .filter(pl.col("cntrycode").is_in(codes))
        .select("c_custkey", "cntrycode", "c_acctbal")
    )
    average = (customers.filter(pl.col("c_acctbal") > 0.0)
               .select(pl.col("c_acctbal").mean().alias("avg_acctbal")))
    return (
        customers.join(t["orders"], left_on="c_custkey", right_on="o_custkey", how="anti")
        .join(average, how="cross")
        .filter(pl.col("c_acctbal") > pl.col("avg_acctbal"))
        .group_by("cntrycode")
        .agg(pl.len().alias("numcust"), pl.col("c_acctbal").sum().alias("totacctbal"))
        .sort("cntrycode")
    )




def queries(pl):
    """{n: qN(t, sf)} over the module `pl`: polars, or weft (whose API mirrors Polars', so
    the very same code runs on both)."""
    return {n: functools.partial(globals()[f"q{n}"], pl=pl) for n in range(1, 23)}
