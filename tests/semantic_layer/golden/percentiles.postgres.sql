WITH "tickets_metrics" AS (
  SELECT
    "tickets"."shift" AS "shift",
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY
      CAST(CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("tickets"."first_response_at" AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST("tickets"."created_at" AS TIMESTAMP))) AS BIGINT) AS DOUBLE PRECISION) / 60.0) AS "median_first_response_minutes",
    PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY
      CAST(CAST(EXTRACT(epoch FROM DATE_TRUNC('SECOND', CAST("tickets"."first_response_at" AS TIMESTAMP)) - DATE_TRUNC('SECOND', CAST("tickets"."created_at" AS TIMESTAMP))) AS BIGINT) AS DOUBLE PRECISION) / 60.0) AS "p90_first_response_minutes"
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
  "tickets_metrics"."shift" COLLATE "C"
