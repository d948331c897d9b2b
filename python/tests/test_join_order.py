"""The lazy optimizer's join order (host/plan/plan_join_order.c) and implied filters
(host/plan/plan_implied_filter.c) against Polars 2.1 on the same lazy queries.

Chains of 3 to 5 inner joins over random tables (null keys, repeated keys, empty tables,
filters on small tables, a column name two tables share) are written in a bad order (the
big table first, the filtered small ones last) and end in an aggregate sorted by its keys,
where the optimizer may join them in any order: the answer must equal Polars' exactly. Where
the chain's own row order shows (no aggregate, a sort with ties, a float sum, left joins) the
joins must stay as written, and the rows come in Polars' order (maintain_order
"left_right"). The query code is written once against a module `pl`, Polars or weft, as the
TPC-H queries are."""

import numpy as np
import polars
import polars.testing as plt
import pytest

import weft
from device_skip import require

REORDERED = "join order by estimated rows"


def with_nulls(rng, values, rate):
    return [None if m else v for v, m in zip(values, rng.random(len(values)) < rate)]


def random_tables(rng, ntables):
    """t0 is the big table; t_i (i >= 1) is smaller and joined on t_{parent}.f{i} = t_i.k{i}
    (keys repeated and null at some rates); t1 and the last table both have a column "x"."""
    tables = {}
    sizes = [int(rng.integers(300, 3000))] + [int(rng.choice([0, 1, 7, 40, 200, 997]))
                                             for _ in range(ntables - 1)]
    parents = [None] + [int(rng.integers(0, i)) for i in range(1, ntables)]
    for i, n in enumerate(sizes):
        key_range = max(n // int(rng.choice([1, 2, 5])), 1)
        cols = {f"k{i}": polars.Series(with_nulls(rng, rng.integers(0, key_range, n).tolist(), 0.05),
                                       dtype=polars.Int64),
                f"c{i}": polars.Series(rng.integers(0, 4, n).tolist(), dtype=polars.Int32),
                f"v{i}": polars.Series(rng.integers(-100, 100, n).tolist(), dtype=polars.Int64)}
        tables[f"t{i}"] = cols
    for j in range(1, ntables):  # each child's foreign key lives in its parent
        p, n = parents[j], sizes[parents[j]]
        hi = max(sizes[j], 1) + 2  # some foreign keys find nothing
        tables[f"t{p}"][f"f{j}"] = polars.Series(with_nulls(rng, rng.integers(0, hi, n).tolist(), 0.05),
                                                dtype=polars.Int64)
    tables["t1"]["x"] = polars.Series(rng.integers(0, 3, sizes[1]).tolist(), dtype=polars.Int64)
    tables[f"t{ntables - 1}"]["x"] = polars.Series(rng.integers(0, 3, sizes[-1]).tolist(),
                                                   dtype=polars.Int64)
    frames = {name: polars.DataFrame(cols) for name, cols in tables.items()}
    return frames, parents


def lazies(frames, pl):
    if pl is polars:
        return {n: f.lazy() for n, f in frames.items()}
    return {n: weft.from_arrow(f.to_arrow()).lazy() for n, f in frames.items()}


def chain(t, parents, pl, how="inner"):
    """t0 joined with every other table in turn, on its parent's foreign key."""
    q = t["t0"]
    for j in range(1, len(parents)):
        q = q.join(t[f"t{j}"], left_on=f"f{j}", right_on=f"k{j}", how=how)
    return q


def filters(q, rng, ntables, pl):
    """Equality / is_in filters on small tables' columns, after all the joins."""
    for j in range(1, ntables):
        r = rng.random()
        if r < 0.3:
            q = q.filter(pl.col(f"c{j}") == int(rng.integers(0, 4)))
        elif r < 0.5:
            q = q.filter(pl.col(f"c{j}").is_in([0, 2]))
    return q


def collect_both(query, frames, device="cpu:0"):
    want = query(lazies(frames, polars), polars).collect()
    lazy = query(lazies(frames, weft), weft)
    got = lazy.collect(device=device).to_polars()
    return got, want, lazy.explain()


@pytest.mark.parametrize("device", ["cpu:0", "opencl:0"])
@pytest.mark.parametrize("seed", range(16))
def test_random_chains_aggregated_match_polars(seed, device):
    require(device)
    rng = np.random.default_rng(seed)
    ntables = 3 + seed % 3
    frames, parents = random_tables(rng, ntables)

    def query(t, pl):
        q = filters(chain(t, parents, pl), np.random.default_rng(seed + 1000), ntables, pl)
        keys = ["c0", f"c{ntables - 1}"]
        return (q.group_by(keys)
                 .agg(pl.col("v0").sum().alias("s0"), pl.col(f"v{ntables - 1}").max().alias("m"),
                      pl.col("x").min().alias("x"), pl.col("x_right").max().alias("xr"),
                      pl.len().alias("n"), pl.col("v1").n_unique().alias("u"))
                 .sort(keys))

    got, want, _ = collect_both(query, frames, device)
    plt.assert_frame_equal(got, want, check_dtypes=False)


def test_random_chains_do_get_reordered():
    """The random cases above are worth running: about half their chains are reordered."""
    reordered = 0
    for seed in range(16):
        rng = np.random.default_rng(seed)
        ntables = 3 + seed % 3
        frames, parents = random_tables(rng, ntables)
        q = filters(chain(lazies(frames, weft), parents, weft), np.random.default_rng(seed + 1000),
                    ntables, weft)
        reordered += REORDERED in q.group_by("c0").agg(weft.len()).sort("c0").explain()
    assert reordered >= 5


def star(rng, big=20000):
    """A big fact table with a foreign key to each of 3 dimensions; d2 is tiny."""
    frames = {
        "fact": polars.DataFrame({
            "a": rng.integers(0, 2000, big), "b": rng.integers(0, 500, big),
            "c": rng.integers(0, 25, big), "amount": rng.integers(0, 1000, big)}),
        "d0": polars.DataFrame({"a_key": np.arange(2000), "a_grp": rng.integers(0, 10, 2000)}),
        "d1": polars.DataFrame({"b_key": np.arange(500), "b_grp": rng.integers(0, 5, 500)}),
        "d2": polars.DataFrame({"c_key": np.arange(25), "name": [f"n{i}" for i in range(25)]}),
    }
    return frames


def star_chain(t, pl):
    kw = {"maintain_order": "left_right"} if pl is polars else {}  # weft's order
    return (t["fact"].join(t["d0"], left_on="a", right_on="a_key", **kw)
            .join(t["d1"], left_on="b", right_on="b_key", **kw)
            .join(t["d2"], left_on="c", right_on="c_key", **kw)
            .filter(pl.col("name").is_in(["n3", "n7"])))


def test_explain_shows_reordered_chain_and_answer_matches():
    frames = star(np.random.default_rng(7))

    def query(t, pl):
        return (star_chain(t, pl).group_by("name", "b_grp")
                .agg(pl.col("amount").sum(), pl.len()).sort("name", "b_grp"))

    got, want, plan = collect_both(query, frames)
    plt.assert_frame_equal(got, want, check_dtypes=False)
    assert REORDERED in plan, plan
    # the filtered 25-row dimension joins first: its join is the deepest of the chain
    joins = [line for line in plan.splitlines() if "JOIN" in line]
    assert "c_key" in joins[-1] or "c =" in joins[-1] or "= c" in joins[-1], plan
    # the output columns keep their names and order
    assert got.columns == ["name", "b_grp", "amount", "len"]


def test_conjunct_over_two_leaves_in_reordered_chain():
    """A conjunct reading two leaves goes above the first new join where both meet."""
    frames = star(np.random.default_rng(15))

    def query(t, pl):
        return (star_chain(t, pl)
                .filter(((pl.col("name") == "n3") & (pl.col("b_grp") == 1))
                        | ((pl.col("name") == "n7") & (pl.col("a_grp") == 2)))
                .group_by("name", "b_grp", "a_grp").agg(pl.col("amount").sum(), pl.len())
                .sort("name", "b_grp", "a_grp"))

    got, want, plan = collect_both(query, frames)
    assert REORDERED in plan, plan
    plt.assert_frame_equal(got, want, check_dtypes=False)


def test_full_output_columns_after_reorder_match_polars():
    """An aggregate without keys over every column of a reordered chain: its names, suffixes
    and types as written."""
    frames = star(np.random.default_rng(8), big=5000)
    frames["d1"] = frames["d1"].with_columns(polars.col("b_grp").alias("a_grp"))  # a shared name

    def query(t, pl):
        q = star_chain(t, pl)
        return q.select(*[pl.col(c).max() for c in
                          ["a", "b", "c", "amount", "a_grp", "a_grp_right", "b_grp", "name"]])

    got, want, plan = collect_both(query, frames)
    assert REORDERED in plan, plan
    plt.assert_frame_equal(got, want, check_dtypes=False)
    # and the chain's schema itself, lazily, as written
    w = star_chain(lazies(frames, weft), weft)
    p = star_chain(lazies(frames, polars), polars)
    assert w.collect().columns == p.collect().columns


def test_filters_on_clashing_names():
    """A filter between joins that reads a column by its suffixed name, or by a name two
    leaves share: the answer is Polars' whether or not the chain is reordered."""
    frames = star(np.random.default_rng(14), big=5000)
    frames["d1"] = frames["d1"].with_columns(polars.col("b_grp").alias("a_grp"))

    def query(t, pl, col):
        return (t["fact"].join(t["d0"], left_on="a", right_on="a_key")
                .join(t["d1"], left_on="b", right_on="b_key")
                .filter(pl.col(col) > 1)
                .join(t["d2"], left_on="c", right_on="c_key")
                .filter(pl.col("name") == "n5")
                .group_by("a_grp").agg(pl.col("amount").sum(), pl.len()).sort("a_grp"))

    for col in ("a_grp", "a_grp_right"):
        got, want, _ = collect_both(lambda t, pl: query(t, pl, col), frames)
        plt.assert_frame_equal(got, want, check_dtypes=False)


@pytest.mark.parametrize("seed", range(6))
def test_row_order_kept_where_it_shows(seed):
    """No aggregate above: the chain stays as written and the rows come in Polars' order."""
    rng = np.random.default_rng(seed)
    frames, parents = random_tables(rng, 3 + seed % 3)

    def query(t, pl):
        order = {"maintain_order": "left_right"} if pl is polars else {}
        q = t["t0"]
        for j in range(1, len(parents)):
            q = q.join(t[f"t{j}"], left_on=f"f{j}", right_on=f"k{j}", **order)
        return q

    got, want, plan = collect_both(query, frames)
    assert REORDERED not in plan, plan
    plt.assert_frame_equal(got, want, check_dtypes=False)


def test_sort_with_ties_or_float_sum_keeps_order():
    frames = star(np.random.default_rng(9), big=3000)
    frames["fact"] = frames["fact"].with_columns(polars.col("amount").cast(polars.Float64).alias("f"))
    t = lazies(frames, weft)
    ties = star_chain(t, weft).sort("name")  # many rows per name: their order shows
    assert REORDERED not in ties.explain()
    fsum = star_chain(t, weft).group_by("name").agg(weft.col("f").sum()).sort("name")
    assert REORDERED not in fsum.explain()  # a float sum rounds by the row order
    isum = star_chain(t, weft).group_by("name").agg(weft.col("amount").sum()).sort("name")
    assert REORDERED in isum.explain()
    p = star_chain(lazies(frames, polars), polars)
    plt.assert_frame_equal(ties.collect().to_polars(), p.sort("name", maintain_order=True).collect(),
                           check_dtypes=False)


def test_left_joins_stay_in_place():
    frames = star(np.random.default_rng(10), big=4000)

    def query(t, pl, how="left"):
        q = (t["fact"].join(t["d0"], left_on="a", right_on="a_key", how=how)
             .join(t["d1"], left_on="b", right_on="b_key", how=how)
             .join(t["d2"], left_on="c", right_on="c_key", how=how)
             .filter(pl.col("name").is_in(["n3", "n7"])))
        return q.group_by("name", "b_grp").agg(pl.col("amount").sum(), pl.len()).sort("name", "b_grp")

    got, want, plan = collect_both(query, frames)
    assert REORDERED not in plan, plan
    plt.assert_frame_equal(got, want, check_dtypes=False)
    # left joins between inner ones: each side of a left join is a whole leaf
    mixed = lambda t, pl: (t["fact"].join(t["d0"], left_on="a", right_on="a_key", how="left")  # noqa: E731
                           .join(t["d1"], left_on="b", right_on="b_key")
                           .join(t["d2"], left_on="c", right_on="c_key")
                           .filter(pl.col("name") == "n3")
                           .group_by("b_grp").agg(pl.col("a_grp").sum(), pl.len()).sort("b_grp"))
    got, want, plan = collect_both(mixed, frames)
    plt.assert_frame_equal(got, want, check_dtypes=False)
    assert "JOIN left" in plan


@pytest.mark.parametrize("empty", ["fact", "d0", "d2"])
def test_empty_tables(empty):
    frames = star(np.random.default_rng(11), big=3000)
    frames[empty] = frames[empty].head(0)

    def query(t, pl):
        return star_chain(t, pl).group_by("name").agg(pl.col("amount").sum(), pl.len()).sort("name")

    got, want, _ = collect_both(query, frames)
    plt.assert_frame_equal(got, want, check_dtypes=False)


def test_semi_join_over_a_leaf_moves_after_its_joins():
    frames = star(np.random.default_rng(12), big=20000)
    frames["keep"] = polars.DataFrame({"a": np.arange(0, 2000, 3)})

    def query(t, pl):
        return (t["fact"].join(t["keep"], on="a", how="semi")
                .join(t["d1"], left_on="b", right_on="b_key")
                .join(t["d2"], left_on="c", right_on="c_key")
                .filter(pl.col("name") == "n4")
                .group_by("b_grp").agg(pl.col("amount").sum(), pl.len()).sort("b_grp"))

    got, want, plan = collect_both(query, frames)
    plt.assert_frame_equal(got, want, check_dtypes=False)
    assert REORDERED in plan, plan
    lines = plan.splitlines()
    semi = next(i for i, line in enumerate(lines) if "JOIN semi" in line)
    deepest_inner = max(i for i, line in enumerate(lines) if "JOIN inner" in line)
    assert semi < deepest_inner, plan  # above an inner join now


def test_implied_filters_go_into_each_side():
    """Q7's OR over two joined tables lends each side its part; Q19's OR of conjunctions too."""
    frames = star(np.random.default_rng(13), big=5000)
    frames["d3"] = frames["d2"].rename({"c_key": "c3_key", "name": "name3"})
    frames["fact"] = frames["fact"].with_columns(polars.col("c").reverse().alias("c3"))

    def q7(t, pl):
        return (t["fact"].join(t["d2"], left_on="c", right_on="c_key")
                .join(t["d3"], left_on="c3", right_on="c3_key")
                .filter(((pl.col("name") == "n1") & (pl.col("name3") == "n2"))
                        | ((pl.col("name") == "n2") & (pl.col("name3") == "n1")))
                .group_by("name", "name3").agg(pl.col("amount").sum()).sort("name", "name3"))

    got, want, plan = collect_both(q7, frames)
    plt.assert_frame_equal(got, want, check_dtypes=False)
    sides = [line for line in plan.splitlines() if "FILTER" in line]
    assert any('col("name")' in f and 'col("name3")' not in f and " | " in f for f in sides), plan
    assert any('col("name3")' in f and 'col("name")' not in f and " | " in f for f in sides), plan

    def q19(t, pl):
        return (t["fact"].join(t["d1"], left_on="b", right_on="b_key")
                .filter(((pl.col("b_grp") == 1) & (pl.col("amount") < 100) & (pl.col("a") > 5))
                        | ((pl.col("b_grp") == 3) & (pl.col("amount") > 900))
                        | ((pl.col("b_grp").is_in([2, 4])) & (pl.col("a") < 50)))
                .select(pl.col("amount").sum(), pl.len()))

    got, want, plan = collect_both(q19, frames)
    plt.assert_frame_equal(got, want, check_dtypes=False)
    filters = [line for line in plan.splitlines() if "FILTER" in line or "filter +" in line]
    assert len(filters) == 3, plan  # the original, and one per side
    assert any("b_grp" in f and "amount" not in f for f in filters), plan

    def no_implied(t, pl):  # a branch without the side's columns implies nothing
        return (t["fact"].join(t["d1"], left_on="b", right_on="b_key")
                .filter((pl.col("b_grp") == 1) | (pl.col("amount") > 900))
                .select(pl.col("amount").sum(), pl.len()))

    got, want, plan = collect_both(no_implied, frames)
    plt.assert_frame_equal(got, want, check_dtypes=False)
    assert sum("FILTER" in line or "filter +" in line for line in plan.splitlines()) == 1, plan
