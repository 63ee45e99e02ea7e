"""Gold answers for the support_tickets question set (questions.yaml in this folder).

Data: /work/shared/data/kaggle_support_tickets/customer_support_tickets.csv (synthetic Kaggle-style
"Customer Support Ticket Dataset", 8,469 rows, one row per ticket, row id = "Ticket ID").

Interpretation decisions (apply to every case unless its block says otherwise):
- One row = one ticket. Counts are row counts. Customers are NOT unique per row (8,320 distinct
  e-mails), so no question asks about distinct customers; "tickets from customers older than 60"
  counts tickets.
- Time: there is no ticket-creation timestamp. The only calendar column is "Date of Purchase"
  (2020-01-01..2021-12-30); every period in the questions is explicitly a purchase period and is
  applied to that column. "First Response Time" / "Time to Resolution" are timestamps inside one
  27-hour window of 2023 and are inconsistent (resolution before first response in 1,365 of 2,769
  closed rows); they are parsed but never used for an answer: every duration question is `refuse`.
- Ratings ("Customer Satisfaction Rating", 1.0-5.0) exist only on Closed tickets. Averages and shares
  of ratings are computed over rated tickets only (NaN excluded), i.e. over the 2,769 closed tickets.
- Rates are fractions 0..1. Closure rate = Closed / all tickets of the group (every status is known).
- "Not closed" = status Open or Pending Customer Response. "Waiting on the customer" = Pending
  Customer Response. "No first response yet" = First Response Time empty (identical to status Open).
- Thresholds are strict (> or <) as worded; a threshold answer is a breakdown of the groups that pass,
  label -> value. Values near every threshold were checked (see notes in questions.yaml).
- Rankings are ordered by the metric, descending unless the question asks for the lowest; k was chosen
  so that no tie sits at or inside the cut.
- "Refund request" / "Cancellation request" exist both as Ticket Type and as Ticket Subject; no
  question filters on them.
- Labels are returned exactly as stored (after stripping whitespace); detail lists are sorted Ticket
  IDs as strings (numeric order).
"""

import pandas as pd

STATUS_CLOSED = "Closed"
STATUS_PENDING = "Pending Customer Response"
STATUS_OPEN = "Open"


def load(csv_path) -> pd.DataFrame:
    df = pd.read_csv(csv_path, encoding="utf-8")
    # strip whitespace on every text column (none is actually padded, but be safe)
    for col in df.columns:
        if df[col].dtype == object or str(df[col].dtype) in ("str", "string"):
            df[col] = df[col].str.strip()
    df["Ticket ID"] = df["Ticket ID"].astype(int)
    df["Customer Age"] = df["Customer Age"].astype(int)
    df["Date of Purchase"] = pd.to_datetime(df["Date of Purchase"], format="%Y-%m-%d")
    # timestamps (not durations, and unreliable; parsed for completeness, never used for gold)
    df["First Response Time"] = pd.to_datetime(df["First Response Time"], format="%Y-%m-%d %H:%M:%S")
    df["Time to Resolution"] = pd.to_datetime(df["Time to Resolution"], format="%Y-%m-%d %H:%M:%S")
    # rating is text like "4.0"; empty on non-closed tickets -> NaN
    df["Customer Satisfaction Rating"] = pd.to_numeric(df["Customer Satisfaction Rating"], errors="coerce")
    return df


def _ids(frame: pd.DataFrame) -> list:
    return [str(i) for i in sorted(frame["Ticket ID"].tolist())]


def _fdict(series: pd.Series) -> dict:
    return {str(k): float(v) for k, v in series.items()}


def gold(df: pd.DataFrame) -> dict:
    g = {}
    rating = "Customer Satisfaction Rating"
    rated = df[df[rating].notna()]  # == closed tickets
    year = df["Date of Purchase"].dt.year

    # ---------------- English ----------------

    # en-001: all tickets
    g["support_tickets-en-001"] = float(len(df))

    # en-002: mean rating over rated tickets
    g["support_tickets-en-002"] = float(rated[rating].mean())

    # en-003: tickets whose product was purchased in 2021
    g["support_tickets-en-003"] = float((year == 2021).sum())

    # en-004: ticket count per channel
    g["support_tickets-en-004"] = _fdict(df.groupby("Ticket Channel").size())

    # en-005: mean rating per priority (rated tickets)
    g["support_tickets-en-005"] = _fdict(rated.groupby("Ticket Priority")[rating].mean())

    # en-006: top 5 ticket subjects by count
    counts = df["Ticket Subject"].value_counts()
    g["support_tickets-en-006"] = counts.head(5).index.tolist()

    # en-007: top 3 products by ticket count
    counts = df["Product Purchased"].value_counts()
    g["support_tickets-en-007"] = counts.head(3).index.tolist()

    # en-008: product with the lowest mean rating
    by_prod = rated.groupby("Product Purchased")[rating].mean()
    g["support_tickets-en-008"] = str(by_prod.idxmin())

    # en-009: monthly ticket count for purchase months of 2021
    d21 = df[year == 2021]
    monthly = d21.groupby(d21["Date of Purchase"].dt.strftime("%Y-%m")).size()
    g["support_tickets-en-009"] = _fdict(monthly)

    # en-010: mean rating per purchase year
    g["support_tickets-en-010"] = _fdict(
        rated.groupby(rated["Date of Purchase"].dt.year.astype(str))[rating].mean()
    )

    # en-011: channel other than Phone
    g["support_tickets-en-011"] = float((df["Ticket Channel"] != "Phone").sum())

    # en-012: Critical + Network problem + Pending Customer Response
    m = (
        (df["Ticket Priority"] == "Critical")
        & (df["Ticket Subject"] == "Network problem")
        & (df["Ticket Status"] == STATUS_PENDING)
    )
    g["support_tickets-en-012"] = float(m.sum())

    # en-013: share of all tickets from Social media
    g["support_tickets-en-013"] = float((df["Ticket Channel"] == "Social media").mean())

    # en-014: share of rated tickets with rating 4 or 5
    g["support_tickets-en-014"] = float((rated[rating] >= 4).mean())

    # en-015: closed / all High-priority tickets
    high = df[df["Ticket Priority"] == "High"]
    g["support_tickets-en-015"] = float((high["Ticket Status"] == STATUS_CLOSED).mean())

    # en-016: products with mean rating < 2.8
    by_prod = rated.groupby("Product Purchased")[rating].mean()
    g["support_tickets-en-016"] = _fdict(by_prod[by_prod < 2.8])

    # en-017: subjects with more than 550 tickets
    counts = df.groupby("Ticket Subject").size()
    g["support_tickets-en-017"] = _fdict(counts[counts > 550])

    # en-018: mean rating, Critical vs Low
    by_pri = rated.groupby("Ticket Priority")[rating].mean()
    g["support_tickets-en-018"] = _fdict(by_pri[["Critical", "Low"]])

    # en-019: Email count minus Chat count
    ch = df["Ticket Channel"].value_counts()
    g["support_tickets-en-019"] = float(ch["Email"] - ch["Chat"])

    # en-020: Dell XPS tickets rated 1
    m = (df["Product Purchased"] == "Dell XPS") & (df[rating] == 1)
    g["support_tickets-en-020"] = _ids(df[m])

    # en-021: Critical + Data loss + rated 1
    m = (df["Ticket Priority"] == "Critical") & (df["Ticket Subject"] == "Data loss") & (df[rating] == 1)
    g["support_tickets-en-021"] = _ids(df[m])

    # en-022: number of distinct products
    g["support_tickets-en-022"] = float(df["Product Purchased"].nunique())

    # en-023: tickets from customers older than 60 (age > 60)
    g["support_tickets-en-023"] = float((df["Customer Age"] > 60).sum())

    # en-024, en-025, en-026: refuse (no gold value)

    # ---------------- Chinese ----------------

    # zh-001: tickets not closed (Open + Pending Customer Response)
    g["support_tickets-zh-001"] = float((df["Ticket Status"] != STATUS_CLOSED).sum())

    # zh-002: tickets whose product was purchased in 2020
    g["support_tickets-zh-002"] = float((year == 2020).sum())

    # zh-003: purchased in 2021 Q2 (2021-04-01..2021-06-30)
    m = (df["Date of Purchase"] >= "2021-04-01") & (df["Date of Purchase"] <= "2021-06-30")
    g["support_tickets-zh-003"] = float(m.sum())

    # zh-004: ticket count per status
    g["support_tickets-zh-004"] = _fdict(df.groupby("Ticket Status").size())

    # zh-005: mean rating per ticket type
    g["support_tickets-zh-005"] = _fdict(rated.groupby("Ticket Type")[rating].mean())

    # zh-006: channel with the highest mean rating
    g["support_tickets-zh-006"] = str(rated.groupby("Ticket Channel")[rating].mean().idxmax())

    # zh-007: product with the fewest tickets
    g["support_tickets-zh-007"] = str(df.groupby("Product Purchased").size().idxmin())

    # zh-008: top 3 products by mean rating
    by_prod = rated.groupby("Product Purchased")[rating].mean().sort_values(ascending=False)
    g["support_tickets-zh-008"] = by_prod.head(3).index.tolist()

    # zh-009: monthly ticket count for purchase months of 2020
    d20 = df[year == 2020]
    monthly = d20.groupby(d20["Date of Purchase"].dt.strftime("%Y-%m")).size()
    g["support_tickets-zh-009"] = _fdict(monthly)

    # zh-010: closure rate (Closed / all) per purchase year
    closed_rate = (df["Ticket Status"] == STATUS_CLOSED).groupby(year.astype(str)).mean()
    g["support_tickets-zh-010"] = _fdict(closed_rate)

    # zh-011: channel other than Social media
    g["support_tickets-zh-011"] = float((df["Ticket Channel"] != "Social media").sum())

    # zh-012: Female + Critical + ticket type Technical issue
    m = (
        (df["Customer Gender"] == "Female")
        & (df["Ticket Priority"] == "Critical")
        & (df["Ticket Type"] == "Technical issue")
    )
    g["support_tickets-zh-012"] = float(m.sum())

    # zh-013: share of all tickets from Phone
    g["support_tickets-zh-013"] = float((df["Ticket Channel"] == "Phone").mean())

    # zh-014: share of rated tickets with rating 1
    g["support_tickets-zh-014"] = float((rated[rating] == 1).mean())

    # zh-015: share of all tickets in Pending Customer Response
    g["support_tickets-zh-015"] = float((df["Ticket Status"] == STATUS_PENDING).mean())

    # zh-016: products with more than 220 tickets
    counts = df.groupby("Product Purchased").size()
    g["support_tickets-zh-016"] = _fdict(counts[counts > 220])

    # zh-017: subjects with mean rating < 2.9
    by_subj = rated.groupby("Ticket Subject")[rating].mean()
    g["support_tickets-zh-017"] = _fdict(by_subj[by_subj < 2.9])

    # zh-018: mean rating, Male vs Female
    by_gender = rated.groupby("Customer Gender")[rating].mean()
    g["support_tickets-zh-018"] = _fdict(by_gender[["Male", "Female"]])

    # zh-019: closure rate, Phone vs Email
    rate_by_ch = (df["Ticket Status"] == STATUS_CLOSED).groupby(df["Ticket Channel"]).mean()
    g["support_tickets-zh-019"] = _fdict(rate_by_ch[["Phone", "Email"]])

    # zh-020: MacBook Pro tickets rated 1
    m = (df["Product Purchased"] == "MacBook Pro") & (df[rating] == 1)
    g["support_tickets-zh-020"] = _ids(df[m])

    # zh-021: Phone + Critical + Data loss + no first response yet
    m = (
        (df["Ticket Channel"] == "Phone")
        & (df["Ticket Priority"] == "Critical")
        & (df["Ticket Subject"] == "Data loss")
        & (df["First Response Time"].isna())
    )
    g["support_tickets-zh-021"] = _ids(df[m])

    # zh-022: top 3 products by number of tickets rated 1
    ones = df[df[rating] == 1]["Product Purchased"].value_counts()
    g["support_tickets-zh-022"] = ones.head(3).index.tolist()

    # zh-023: tickets from customers younger than 30 (age < 30)
    g["support_tickets-zh-023"] = float((df["Customer Age"] < 30).sum())

    # zh-024, zh-025, zh-026: refuse (no gold value)

    return g


if __name__ == "__main__":
    import sys

    path = (
        sys.argv[1]
        if len(sys.argv) > 1
        else "/work/shared/data/kaggle_support_tickets/customer_support_tickets.csv"
    )
    for k, v in gold(load(path)).items():
        print(k, v)
