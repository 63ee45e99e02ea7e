WITH "tickets_metrics" AS (
  SELECT
    "tickets"."province" AS "province",
    COUNT(*) AS "ticket_count"
  FROM tickets AS "tickets"
  WHERE
    (
      NOT "tickets"."region" IN ('华北') OR "tickets"."region" IS NULL
    )
    AND POSITION(LOWER('ac') IN LOWER(CAST("tickets"."product_model" AS VARCHAR))) > 0
  GROUP BY
    "tickets"."province"
)
SELECT
  "tickets_metrics"."province" AS "province",
  "tickets_metrics"."ticket_count" AS "ticket_count"
FROM "tickets_metrics"
ORDER BY
  "tickets_metrics"."province" COLLATE "C"
