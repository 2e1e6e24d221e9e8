"""What a user writes with DuckDB: one SQL query over ``read_csv``.

    python bench/peers/duckdb_sql.py bce|ce PATH

bce = greatest(x, 0) - x·y + ln(1 + exp(-|x|)); ce = m + ln Σ exp(z - m) - z[label].
Prints the mean loss (DOUBLE, full precision).
"""

from __future__ import annotations

import argparse

import duckdb


def main() -> None:
    ap = argparse.ArgumentParser(description="mean BCE/CE loss with DuckDB SQL")
    ap.add_argument("task", choices=["bce", "ce"])
    ap.add_argument("path")
    a = ap.parse_args()
    src = "read_csv('" + a.path.replace("'", "''") + "')"
    con = duckdb.connect()
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall() if r[0] != "label"]
    q = [f'CAST("{c}" AS DOUBLE)' for c in cols]
    if a.task == "bce":
        x = q[0]
        sql = f"SELECT avg(greatest({x}, 0) - {x} * label + ln(1 + exp(-abs({x})))) FROM {src}"
    else:
        exps = " + ".join(f"exp({c} - m)" for c in q)
        sql = (
            f"SELECT avg(m + ln({exps}) - list_extract([{', '.join(q)}], label + 1)) "
            f"FROM (SELECT *, greatest({', '.join(q)}) AS m FROM {src})"
        )
    print(repr(float(con.execute(sql).fetchone()[0])))


if __name__ == "__main__":
    main()
