"""Gold answers for the zhengwu (网络问政留言与答复) question set.

Interpretation decisions (apply to every case unless its block says otherwise):

* Rows. Every row is one citizen message (留言 / 诉求 / 投诉 / request / complaint / case). The export holds
  only messages that received a reply, so every row has a reply time.
* Row id. 留言编号 (unique). Detail answers are the ids as str, sorted as strings.
* Timestamps. 留言时间 and 答复时间 are parsed as naive China local time. Format is `YYYY/M/D H:MM:SS`
  without zero padding; one 答复时间 (row 留言编号 27610) is date-only (`2018/4/24`) and is read as
  midnight 00:00:00 of that day.
* Periods (year, quarter, month, half-year) apply to the posting time 留言时间 unless the question names
  the reply (then 答复时间). Months are labelled `YYYY-MM`, years `YYYY`, quarters `YYYY-Qn`.
* Reply time (答复时长 / 答复用时 / response time) = 答复时间 − 留言时间, as a float, in days
  (seconds / 86400) or hours (seconds / 3600). None is negative and none is missing.
  "within N days" means <= N x 24 h; "more than N days" means > N x 24 h.
* Weekend = Saturday or Sunday of the posting date (calendar weekday; China's make-up working days are
  ignored).
* Users = distinct 留言用户 values.
* Districts / cities (text extraction; there is no such column). The title 留言主题 is searched for the
  organiser's masked place names. District: the first match of `[A-M]\\d{1,2}\\s*(区|县|市)`, spaces
  removed, e.g. `A7县`, `B9市` (a county-level city). City: the first match of a masked city `X市`, or
  of a district whose letter gives its city (`A7县` -> `A市`). Rows without a match have no label and are
  left out. Only questions whose answer is the same under other reasonable extractions (title then body,
  multi-counting every mention) are asked.
* Ties: no question has a tie at a top/ranking cut (checked on the real file).
"""

import re

import pandas as pd

DISTRICT_RE = re.compile(r"([A-M]\d{1,2})\s*(区|县|市)")
CITY_RE = re.compile(r"([A-M])(?:\d{1,2}\s*(?:区|县|市)|市)")


def load(csv_path) -> pd.DataFrame:
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for c in df.columns:
        df[c] = df[c].str.strip()
    df["id"] = df["留言编号"]
    df["posted"] = pd.to_datetime(df["留言时间"], format="%Y/%m/%d %H:%M:%S")
    # format="mixed": one reply time is date-only -> midnight
    df["replied"] = pd.to_datetime(df["答复时间"], format="mixed")
    secs = (df["replied"] - df["posted"]).dt.total_seconds()
    df["reply_days"] = secs / 86400
    df["reply_hours"] = secs / 3600
    df["year"] = df["posted"].dt.year.astype(str)
    df["month"] = df["posted"].dt.strftime("%Y-%m")
    df["quarter"] = df["posted"].dt.year.astype(str) + "-Q" + df["posted"].dt.quarter.astype(str)
    df["reply_year"] = df["replied"].dt.year.astype(str)
    df["reply_month"] = df["replied"].dt.strftime("%Y-%m")
    df["weekend"] = df["posted"].dt.day_of_week >= 5

    def district(title):
        m = DISTRICT_RE.search(title)
        return m.group(1) + m.group(2) if m else None

    def city(title):
        m = CITY_RE.search(title)
        return m.group(1) + "市" if m else None

    df["district"] = df["留言主题"].map(district)
    df["city"] = df["留言主题"].map(city)
    return df


def _ids(rows) -> list:
    return sorted(str(x) for x in rows["id"])


def _counts(s) -> dict:
    return {str(k): float(v) for k, v in s.sort_index().items()}


def gold(df) -> dict:
    g = {}
    y2018 = df[df["year"] == "2018"]
    y2019 = df[df["year"] == "2019"]

    # ---------------- English
    # en-001: messages posted in 2018
    g["zhengwu-en-001"] = float(len(y2018))
    # en-002: all rows
    g["zhengwu-en-002"] = float(len(df))
    # en-003: posted in 2018 Q4
    g["zhengwu-en-003"] = float((df["quarter"] == "2018-Q4").sum())
    # en-004: distinct users among 2019 messages
    g["zhengwu-en-004"] = float(y2019["留言用户"].nunique())
    # en-005: count per posting year
    g["zhengwu-en-005"] = _counts(df.groupby("year").size())
    # en-006: count per month of 2019
    g["zhengwu-en-006"] = _counts(y2019.groupby("month").size())
    # en-007: count per reply year (答复时间)
    g["zhengwu-en-007"] = _counts(df.groupby("reply_year").size())
    # en-008: busiest posting month in 2018 (2018-11: 114 vs 2018-12: 112)
    g["zhengwu-en-008"] = str(y2018.groupby("month").size().idxmax())
    # en-009: top 2 users by message count (10, 8; then three users tie at 6)
    vc = df["留言用户"].value_counts()
    assert vc.iloc[1] > vc.iloc[2]
    g["zhengwu-en-009"] = list(vc.index[:2])
    # en-010: district (区/县/县级市) with most messages, from the title (text extraction)
    g["zhengwu-en-010"] = str(df["district"].value_counts().idxmax())
    # en-011: mean reply days, all messages
    g["zhengwu-en-011"] = float(df["reply_days"].mean())
    # en-012: median reply days, messages posted in 2019
    g["zhengwu-en-012"] = float(y2019["reply_days"].median())
    # en-013: mean reply hours, messages posted in 2019-12
    g["zhengwu-en-013"] = float(df.loc[df["month"] == "2019-12", "reply_hours"].mean())
    # en-014: mean reply days per posting year
    g["zhengwu-en-014"] = {k: float(v) for k, v in df.groupby("year")["reply_days"].mean().items()}
    # en-015: share of all messages replied within 7 days (<= 7*24h)
    g["zhengwu-en-015"] = float((df["reply_days"] <= 7).mean())
    # en-016: messages with reply time > 30 days
    g["zhengwu-en-016"] = float((df["reply_days"] > 30).sum())
    # en-017: months of 2018 with > 80 messages (no month has exactly 80)
    m2018 = y2018.groupby("month").size()
    g["zhengwu-en-017"] = _counts(m2018[m2018 > 80])
    # en-018: 2019 messages posted on Saturday/Sunday
    g["zhengwu-en-018"] = float(y2019["weekend"].sum())
    # en-019: messages posted in any year other than 2018 and 2019
    g["zhengwu-en-019"] = float((~df["year"].isin(["2018", "2019"])).sum())
    # en-020: growth 2019 vs 2018 as a fraction
    g["zhengwu-en-020"] = float((len(y2019) - len(y2018)) / len(y2018))
    # en-021: median reply days, 2018 and 2019 (posting year)
    g["zhengwu-en-021"] = {
        "2018": float(y2018["reply_days"].median()),
        "2019": float(y2019["reply_days"].median()),
    }
    # en-022: reply time > 365 days
    g["zhengwu-en-022"] = _ids(df[df["reply_days"] > 365])
    # en-023: all messages of user UU008582
    g["zhengwu-en-023"] = _ids(df[df["留言用户"] == "UU008582"])
    # en-024: 2019 messages answered in < 24 h
    g["zhengwu-en-024"] = float((y2019["reply_days"] < 1).sum())

    # ---------------- 中文
    # zh-001: 2019 count
    g["zhengwu-zh-001"] = float(len(y2019))
    # zh-002: 2019-03 count
    g["zhengwu-zh-002"] = float((df["month"] == "2019-03").sum())
    # zh-003: 2018 H1 (Jan-Jun) count
    g["zhengwu-zh-003"] = float(((df["year"] == "2018") & (df["posted"].dt.month <= 6)).sum())
    # zh-004: distinct users, all data
    g["zhengwu-zh-004"] = float(df["留言用户"].nunique())
    # zh-005: count per quarter of 2019
    g["zhengwu-zh-005"] = _counts(y2019.groupby("quarter").size())
    # zh-006: count per month of 2018
    g["zhengwu-zh-006"] = _counts(m2018)
    # zh-007: median reply days per posting year
    g["zhengwu-zh-007"] = {k: float(v) for k, v in df.groupby("year")["reply_days"].median().items()}
    # zh-008: busiest month of 2019 (2019-09: 84; next 82)
    g["zhengwu-zh-008"] = str(y2019.groupby("month").size().idxmax())
    # zh-009: top 2 cities by messages, from the title (text extraction)
    cvc = df["city"].value_counts()
    assert cvc.iloc[1] > cvc.iloc[2]
    g["zhengwu-zh-009"] = list(cvc.index[:2])
    # zh-010: posting year 2015..2020 with the highest mean reply days
    since = df[df["posted"] >= "2015-01-01"]
    g["zhengwu-zh-010"] = str(since.groupby("year")["reply_days"].mean().idxmax())
    # zh-011: mean reply days, 2018
    g["zhengwu-zh-011"] = float(y2018["reply_days"].mean())
    # zh-012: median reply days, all
    g["zhengwu-zh-012"] = float(df["reply_days"].median())
    # zh-013: max reply days
    g["zhengwu-zh-013"] = float(df["reply_days"].max())
    # zh-014: share of 2019 messages replied within 15 days (<= 15*24h)
    g["zhengwu-zh-014"] = float((y2019["reply_days"] <= 15).mean())
    # zh-015: 2019 share of all messages
    g["zhengwu-zh-015"] = float(len(y2019) / len(df))
    # zh-016: reply time > 90 days
    g["zhengwu-zh-016"] = float((df["reply_days"] > 90).sum())
    # zh-017: users with >= 6 messages -> count
    g["zhengwu-zh-017"] = {k: float(v) for k, v in vc[vc >= 6].items()}
    # zh-018: titles mentioning A7县 (space allowed between A7 and 县)
    g["zhengwu-zh-018"] = float(df["留言主题"].str.contains(r"A7\s*县").sum())
    # zh-019: 2019 messages posted Monday-Friday
    g["zhengwu-zh-019"] = float((~y2019["weekend"]).sum())
    # zh-020: messages whose reply time falls in 2019-12
    g["zhengwu-zh-020"] = float((df["reply_month"] == "2019-12").sum())
    # zh-021: 2019 Q3 minus Q4 count
    q = y2019.groupby("quarter").size()
    g["zhengwu-zh-021"] = float(q["2019-Q3"] - q["2019-Q4"])
    # zh-022: mean reply days, 2018 and 2019
    g["zhengwu-zh-022"] = {
        "2018": float(y2018["reply_days"].mean()),
        "2019": float(y2019["reply_days"].mean()),
    }
    # zh-023: all messages posted in 2020
    g["zhengwu-zh-023"] = _ids(df[df["year"] == "2020"])
    # zh-024: reply time < 2 hours
    g["zhengwu-zh-024"] = _ids(df[df["reply_hours"] < 2])
    return g


if __name__ == "__main__":
    import sys

    path = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/zhengwu_liuyan/liuyan_dafu.csv"
    for k, v in gold(load(path)).items():
        print(k, v)
