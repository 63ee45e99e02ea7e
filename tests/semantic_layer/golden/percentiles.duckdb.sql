WITH "tickets_metrics" AS (
  SELECT
    "tickets"."shift" AS "shift",
    MEDIAN(
      DATE_DIFF('SECOND', "tickets"."created_at", "tickets"."first_response_at") / 60.0
    ) AS "median_first_response_minutes",
    QUANTILE_CONT(
      DATE_DIFF('SECOND', "tickets"."created_at", "tickets"."first_response_at") / 60.0,
      0.9
    ) AS "p90_first_response_minutes"
  FROM tickets AS "tickets"
  GROUP BY
    "tickets"."shift"
)
SELECT
  "tickets_metrics"."shift" AS "shift",
  "tickets_metrics"."median_first_response_minutes" AS "median_first_response_minutes",
  "tickets_metrics"."p90_first_response_minutes" AS "p90_first_response_minutes"
FROM "tickets_metrics"
ORDER BY
  "shift"
